"""A fresh database on the session's PostgreSQL server (tests/conftest.py) for the reports tests."""

from __future__ import annotations

import pytest

from hotline.testing.postgres import PostgresServer


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.url(await postgres_server.create_database())
