"""Dead calls: a phone that stops sending RTP is hung up on both legs after the RTP timeout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.testing.harness import HotlineProcess

from .pbx_support import extensions, phone, sipp, start_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[HotlineProcess]:
    hotline = start_server(tmp_path, extensions(always=()), media="rtp_timeout_seconds = 2\n")
    yield hotline
    hotline.stop()


def test_silent_caller_is_hung_up_after_the_rtp_timeout(
    server: HotlineProcess, tmp_path: Path
) -> None:
    started = time.monotonic()
    caller = sipp(server, tmp_path, "pbx_caller_dead.xml", user="101", service="*43", timeout=15)
    code, out = caller.wait()
    elapsed = time.monotonic() - started
    assert code == 0, out + server.log_text()  # SIPp got the BYE and answered it
    assert 2.0 <= elapsed < 10.0, elapsed


def test_silent_call_between_extensions_is_hung_up_on_both_legs(
    server: HotlineProcess, tmp_path: Path
) -> None:
    callee = phone(server, tmp_path, "102", "pbx_agent_answer.xml")
    caller = sipp(server, tmp_path, "pbx_caller_dead.xml", user="101", service="102", timeout=15)
    for side in (caller, callee):
        code, out = side.wait()
        assert code == 0, f"{side.name}: {out}" + server.log_text()  # each got our BYE
