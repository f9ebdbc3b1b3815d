"""Migrations upgrade an empty database, and a database at the previous revision, to head."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.store import Database
from hotline.store.database import create_engine
from hotline.store.migrate import current_revision, head_revision, upgrade
from hotline.store.models import Base

TABLES = {"agent_sessions", "agent_status", "call_records", "queue_events"}


async def _indexes(connection: AsyncConnection, table: str) -> set[str]:
    return await connection.run_sync(
        lambda sync: {index["name"] for index in inspect(sync).get_indexes(table)}
    )


async def test_open_migrates_an_empty_database_to_head(database_url: str) -> None:
    database = await Database.open(database_url)
    try:
        assert await current_revision(database.engine) == head_revision()
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert tables >= TABLES
    finally:
        await database.close()


async def test_open_twice_is_a_no_op(database_url: str) -> None:
    for _ in range(2):
        database = await Database.open(database_url)
        assert await current_revision(database.engine) == head_revision()
        await database.close()


async def test_previous_schema_is_upgraded_keeping_its_rows(database_url: str) -> None:
    engine = create_engine(database_url)
    await upgrade(engine, "0001")
    async with engine.begin() as connection:
        assert "ix_queue_events_agent_time" not in await _indexes(connection, "queue_events")
        await connection.execute(
            text("INSERT INTO queue_events (time, verb, agent) VALUES (1.5, 'PAUSE', '201')")
        )
    await engine.dispose()

    database = await Database.open(database_url)
    try:
        assert await current_revision(database.engine) == head_revision() == "0002"
        async with database.engine.connect() as connection:
            assert "ix_queue_events_agent_time" in await _indexes(connection, "queue_events")
            rows = (await connection.execute(text("SELECT agent, verb FROM queue_events"))).all()
        assert [tuple(row) for row in rows] == [("201", "PAUSE")]
    finally:
        await database.close()


async def test_sqlite_file_runs_in_wal_mode(tmp_path: Path) -> None:
    database = await Database.open(data_dir=tmp_path / "data")
    try:
        async with database.engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
        assert mode == "wal"
        assert (tmp_path / "data" / "hotline.db").exists()
    finally:
        await database.close()


async def test_models_match_the_migrated_schema(database_url: str) -> None:
    """The models describe what the migrations build: a model changed without a revision
    shows here as a difference."""
    database = await Database.open(database_url)
    try:
        async with database.engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await database.close()
    assert differences == []
