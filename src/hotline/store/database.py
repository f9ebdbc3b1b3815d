"""The database: an async engine for SQLite (default) or PostgreSQL, migrated when opened."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from hotline.store import migrate

__all__ = ["SQLITE_FILE", "Database", "sqlite_url"]

log = logging.getLogger(__name__)

SQLITE_FILE = "hotline.db"


def sqlite_url(data_dir: Path) -> str:
    """The URL of the embedded database: a SQLite file under ``data_dir``."""
    return f"sqlite+aiosqlite:///{(data_dir / SQLITE_FILE).resolve()}"


class Database:
    """An engine and its session factory; ``open`` creates it and applies the migrations."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    async def open(cls, url: str | None = None, *, data_dir: Path | None = None) -> Database:
        """Open ``url`` (``postgresql+asyncpg://...`` or ``sqlite+aiosqlite:///...``), or the
        SQLite file under ``data_dir`` when no URL is given, and migrate it to the newest
        schema."""
        if url is None:
            if data_dir is None:
                raise ValueError("a database URL or a data directory is needed")
            data_dir.mkdir(parents=True, exist_ok=True)
            url = sqlite_url(data_dir)
        database = cls(create_engine(url))
        try:
            await migrate.upgrade(database.engine)
        except BaseException:
            await database.close()
            raise
        log.info("database open: %s", database.engine.url.render_as_string(hide_password=True))
        return database

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> AsyncSession:
        return self.sessions()

    async def close(self) -> None:
        await self.engine.dispose()


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite files run in WAL mode so readers never block the writer."""
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL loses nothing committed when the process is killed, only on a power
    # cut, and spares an fsync per transaction.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
