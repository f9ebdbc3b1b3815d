"""Real peers for the notification tests: an SMTP server (aiosmtpd) and an HTTP receiver on
loopback (the databases, a SQLite file and PostgreSQL, come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.testing.mail import HttpReceiver, SmtpReceiver


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver
