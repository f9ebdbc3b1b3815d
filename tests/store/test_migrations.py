"""Migrations upgrade an empty database, and a database at the previous revision, to head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.store import AgentSnapshot, Database, Store
from hotline.store.database import create_engine
from hotline.store.migrate import SCRIPT_LOCATION, current_revision, head_revision, upgrade
from hotline.store.models import Base

TABLES = {
    "agent_sessions",
    "agent_status",
    "audit_log",
    "auth_sessions",
    "call_records",
    "config_objects",
    "day_statistics",
    "notification_acks",
    "notifications",
    "outbox",
    "queue_events",
    "registrations",
    "rollup_agent",
    "rollup_agent_day",
    "rollup_area",
    "rollup_area_day",
    "rollup_queue",
    "rollup_queue_day",
    "users",
}


async def _indexes(connection: AsyncConnection, table: str) -> set[str]:
    return await connection.run_sync(
        lambda sync: {index["name"] for index in inspect(sync).get_indexes(table)}
    )


async def _columns(connection: AsyncConnection, table: str) -> set[str]:
    return await connection.run_sync(
        lambda sync: {column["name"] for column in inspect(sync).get_columns(table)}
    )


async def _tables(connection: AsyncConnection) -> set[str]:
    return await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))


def _downgrade(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_open_migrates_an_empty_database_to_head(database_url: str) -> None:
    database = await Database.open(database_url)
    try:
        assert await current_revision(database.engine) == head_revision()
        async with database.engine.connect() as connection:
            assert await _tables(connection) >= TABLES
    finally:
        await database.close()


async def test_open_twice_is_a_no_op(database_url: str) -> None:
    for _ in range(2):
        database = await Database.open(database_url)
        assert await current_revision(database.engine) == head_revision()
        await database.close()


async def test_first_schema_is_upgraded_keeping_its_rows(database_url: str) -> None:
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
        assert await current_revision(database.engine) == head_revision()
        async with database.engine.connect() as connection:
            assert "ix_queue_events_agent_time" in await _indexes(connection, "queue_events")
            rows = (await connection.execute(text("SELECT agent, verb FROM queue_events"))).all()
        assert [tuple(row) for row in rows] == [("201", "PAUSE")]
    finally:
        await database.close()


async def test_previous_schema_is_upgraded_keeping_its_rows(database_url: str) -> None:
    """0002 to 0003: the registrations and configuration objects tables appear, the agents'
    state stays."""
    engine = create_engine(database_url)
    await upgrade(engine, "0002")
    async with engine.begin() as connection:
        assert not await _tables(connection) & {"registrations", "config_objects"}
        await connection.execute(
            text("INSERT INTO agent_status (agent, logged_in, updated_at) VALUES ('201', true, 2)")
        )
    await engine.dispose()

    database = await Database.open(database_url)
    try:
        assert await current_revision(database.engine) == head_revision() == "0010"
        async with database.engine.connect() as connection:
            assert await _tables(connection) >= TABLES
            assert await _indexes(connection, "registrations") == {
                "ix_registrations_aor",
                "ix_registrations_expires_at",
            }
            rows = (await connection.execute(text("SELECT agent FROM agent_status"))).all()
        assert [tuple(row) for row in rows] == [("201",)]
    finally:
        await database.close()


async def _new_column_round_trip(
    url: str, before: str, insert: str, table: str, column: str, kept: str
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Upgrade from ``before`` with a row written by ``insert``, then downgrade back: the
    rows as (``kept``, ``column``) after the upgrade, and as (``kept``,) after the downgrade,
    which must have dropped ``column`` (SQLite copies the whole table to do that)."""
    engine = create_engine(url)
    await upgrade(engine, before)
    async with engine.begin() as connection:
        await connection.execute(text(insert))
    await upgrade(engine)
    async with engine.connect() as connection:
        upgraded = (await connection.execute(text(f"SELECT {kept}, {column} FROM {table}"))).all()
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade, before)
    async with engine.connect() as connection:
        assert column not in await _columns(connection, table)
        downgraded = (await connection.execute(text(f"SELECT {kept} FROM {table}"))).all()
    await engine.dispose()
    return [tuple(row) for row in upgraded], [tuple(row) for row in downgraded]


async def test_users_get_an_email_column_keeping_their_rows(database_url: str) -> None:
    """0007 to 0008: users have an email (none for those already there), and back."""
    insert = (
        "INSERT INTO users (name, password_hash, role, queues, language, disabled, origin, "
        "created_at, updated_at) "
        "VALUES ('ann', 'x', 'supervisor', '[\"800\"]', 'en', false, 'api', 1, 1)"
    )
    rows = await _new_column_round_trip(database_url, "0007", insert, "users", "email", "name")
    assert rows == ([("ann", None)], [("ann",)])


async def test_outbox_rows_get_an_empty_claim_keeping_their_times(database_url: str) -> None:
    """0008 to 0009: a worker's lease moves out of the due time; unsent rows stay due, and
    stay through the way back."""
    insert = (
        "INSERT INTO outbox (key, channel, recipient, payload, created_at, due_at, attempts) "
        "VALUES ('k', 'email', 'a@example.com', '{}', 1, 2, 1)"
    )
    rows = await _new_column_round_trip(
        database_url, "0008", insert, "outbox", "claimed_until", "due_at"
    )
    assert rows == ([(2.0, None)], [(2.0,)])


async def test_agent_status_gets_its_queues_keeping_its_rows(database_url: str) -> None:
    """0009 to 0010: an agent's row keeps the queues it is logged in to; a row from before has
    none (all its queues), and the way back drops them."""
    insert = (
        "INSERT INTO agent_status (agent, logged_in, logged_in_at, pause_reason, paused_at, "
        "updated_at) VALUES ('201', true, 1, 'lunch', 2, 2)"
    )
    rows = await _new_column_round_trip(
        database_url, "0009", insert, "agent_status", "queues", "agent"
    )
    assert rows == ([("201", None)], [("201",)])


async def test_a_login_from_before_its_queues_were_kept_restores_to_all(database_url: str) -> None:
    """An agent logged in under 0009 comes back from the upgraded store logged in to all its
    queues (no list), with its pause, as before the upgrade."""
    engine = create_engine(database_url)
    await upgrade(engine, "0009")
    async with engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO agent_status (agent, logged_in, logged_in_at, pause_reason, paused_at, "
            "updated_at) VALUES ('201', true, 1, 'lunch', 2, 2), ('202', false, 1, null, null, 3)"
        ))  # fmt: skip
    await engine.dispose()

    store = await Store.open(database_url, now=10.0)
    try:
        assert await current_revision(store.database.engine) == "0010"
        agents = await store.logged_in_agents()
    finally:
        await store.close()
    assert agents == [AgentSnapshot(agent="201", logged_in_at=1.0, pause_reason="lunch",
                                    paused_at=2.0, queues=None)]  # fmt: skip


async def test_downgrade_to_the_previous_schema_drops_the_new_tables(database_url: str) -> None:
    database = await Database.open(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_downgrade, "0002")
        assert await current_revision(database.engine) == "0002"
        async with database.engine.connect() as connection:
            tables = await _tables(connection)
        assert "registrations" not in tables
        assert "config_objects" not in tables
        assert "day_statistics" not in tables
        assert not tables & {"users", "auth_sessions", "audit_log"}
        assert not tables & {"outbox", "notifications", "notification_acks"}
        assert not tables & {"rollup_queue", "rollup_agent", "rollup_area"}
        assert "agent_status" in tables
        await upgrade(database.engine)  # and back: the downgrade left nothing behind
        assert await current_revision(database.engine) == head_revision()
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
