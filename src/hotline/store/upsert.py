"""INSERT ... ON CONFLICT DO UPDATE (or DO NOTHING), which SQLite and PostgreSQL spell alike
but SQLAlchemy builds from each dialect's own ``insert``."""

from __future__ import annotations

import functools

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from hotline.store.models import Base

__all__ = ["insert_ignoring", "upsert"]


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


@functools.cache
def insert_ignoring(dialect: str, target: type[Base] | Table) -> Insert:
    """Insert rows into ``target``; a row whose key is stored already is left as it is."""
    if dialect == "postgresql":
        return postgresql.insert(target).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(target).on_conflict_do_nothing()
    raise ValueError(f"unsupported database dialect: {dialect}")
