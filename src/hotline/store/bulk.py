"""Bulk writes in the driver's own SQL, for the event writer's hot path.

SQLAlchemy's Core ``insert`` builds a parameter dictionary per row, which costs as much as
the database's own work at tens of thousands of rows a second. These statements are plain
SQL that SQLite and PostgreSQL both accept (``ON CONFLICT ... DO UPDATE`` with ``excluded``),
rendered once per dialect with its placeholders and fed rows as tuples.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["BulkInsert"]


def _placeholders(paramstyle: str, count: int) -> str:
    if paramstyle == "qmark":
        return ", ".join("?" * count)
    if paramstyle == "numeric_dollar":
        return ", ".join(f"${n}" for n in range(1, count + 1))
    if paramstyle == "format":
        return ", ".join(["%s"] * count)
    raise ValueError(f"unsupported parameter style for bulk writes: {paramstyle}")


class BulkInsert:
    """``INSERT INTO table (columns)``, or an upsert on ``key`` that replaces the other
    columns; rows are tuples in ``columns`` order."""

    def __init__(self, table: str, columns: Sequence[str], *, key: str | None = None) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.key = key
        self._sql: dict[str, str] = {}

    def sql(self, paramstyle: str) -> str:
        if paramstyle not in self._sql:
            names = ", ".join(self.columns)
            values = _placeholders(paramstyle, len(self.columns))
            sql = f"INSERT INTO {self.table} ({names}) VALUES ({values})"
            if self.key is not None:
                updates = ", ".join(f"{c} = excluded.{c}" for c in self.columns if c != self.key)
                sql += f" ON CONFLICT ({self.key}) DO UPDATE SET {updates}"
            self._sql[paramstyle] = sql
        return self._sql[paramstyle]

    async def execute(self, connection: AsyncConnection, rows: list[tuple[object, ...]]) -> None:
        """Write ``rows`` in the connection's transaction (one driver executemany)."""
        if rows:
            await connection.exec_driver_sql(self.sql(connection.dialect.paramstyle), rows)
