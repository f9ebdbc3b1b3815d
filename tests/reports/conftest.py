"""A PostgreSQL server of our own for the reports tests, started once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.testing.postgres import PostgresServer, PostgresUnavailable, throwaway_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        with throwaway_postgres() as server:
            yield server
    except PostgresUnavailable as missing:
        pytest.skip(f"no PostgreSQL for the reports tests: {missing}")


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.url(await postgres_server.create_database())
