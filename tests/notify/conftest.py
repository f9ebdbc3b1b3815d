"""Real peers for the notification tests: a database (a SQLite file and PostgreSQL), an SMTP
server (aiosmtpd) and an HTTP receiver on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hotline.store import Database
from hotline.testing.mail import HttpReceiver, SmtpReceiver
from hotline.testing.postgres import PostgresServer, PostgresUnavailable, throwaway_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        with throwaway_postgres() as server:
            yield server
    except PostgresUnavailable as missing:
        pytest.skip(f"no PostgreSQL for the notification tests: {missing}")


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty, migrated database, once a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.url(await server.create_database())
    opened = await Database.open(url)
    yield opened
    await opened.close()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver
