"""Fixtures for end-to-end tests: a real ``hotline serve`` process per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.testing.harness import HotlineProcess, start_hotline


@pytest.fixture
def hotline(tmp_path: Path) -> Iterator[HotlineProcess]:
    server = start_hotline(tmp_path)
    yield server
    assert server.stop() == 0, server.log_text()
