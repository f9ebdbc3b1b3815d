"""Real peers for every test that needs one: databases (a SQLite file, and a PostgreSQL server
of our own, started once per test session (a throwaway cluster) with a fresh database for each
test), an SMTP server (aiosmtpd) and an HTTP receiver on loopback."""

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
        pytest.skip(f"no PostgreSQL: {missing}")


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of an empty database on the session's PostgreSQL server, for tests that need
    what only PostgreSQL does."""
    return postgres_server.url(await postgres_server.create_database())


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database, once on a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    yield server.url(await server.create_database())


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """An empty, migrated database, once a SQLite file and once on PostgreSQL."""
    opened = await Database.open(database_url)
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
