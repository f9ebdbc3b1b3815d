"""INSERT ... ON CONFLICT DO UPDATE, which SQLite and PostgreSQL spell alike but SQLAlchemy
builds from each dialect's own ``insert``."""

from __future__ import annotations

import functools

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

__all__ = ["upsert"]


@functools.cache
def upsert(dialect: str, table: Table, key: str, update: tuple[str, ...]) -> Insert:
    """Insert rows into ``table``; where ``key`` exists, set the ``update`` columns instead.

    Built once per shape and kept: each build leaves kilobytes in reference cycles (the
    ``excluded`` alias and its columns), which the server's collector settings free rarely."""
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(
            index_elements=[key], set_={name: pg.excluded[name] for name in update}
        )
    if dialect == "sqlite":
        lite = sqlite.insert(table)
        return lite.on_conflict_do_update(
            index_elements=[key], set_={name: lite.excluded[name] for name in update}
        )
    raise ValueError(f"unsupported database dialect: {dialect}")
