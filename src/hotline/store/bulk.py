"""Bulk writes in the driver's own SQL, for the event writer's hot path.

SQLAlchemy's Core ``insert`` builds a parameter dictionary per row, which costs as much as
the database's own work at tens of thousands of rows a second. These statements are plain
SQL that SQLite and PostgreSQL both accept (``ON CONFLICT ... DO UPDATE`` with ``excluded``),
rendered once per dialect with its placeholders and fed rows as tuples.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["BulkInsert", "placeholders"]


def placeholders(paramstyle: str, count: int) -> str:
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
            values = placeholders(paramstyle, len(self.columns))
            sql = f"INSERT INTO {self.table} ({names}) VALUES ({values})"
            if self.key is not None:
                updates = ", ".join(f"{c} = excluded.{c}" for c in self.columns if c != self.key)
                sql += f" ON CONFLICT ({self.key}) DO UPDATE SET {updates}"
            self._sql[paramstyle] = sql
        return self._sql[paramstyle]

    async def execute(self, connection: AsyncConnection, rows: list[tuple[object, ...]]) -> None:
        """Write ``rows`` in the connection's transaction (one driver executemany, or COPY)."""
        if not rows:
            return
        if self.key is None and connection.dialect.driver == "asyncpg":
            await self._copy(connection, rows)
        else:
            await connection.exec_driver_sql(self.sql(connection.dialect.paramstyle), rows)

    async def _copy(self, connection: AsyncConnection, rows: list[tuple[object, ...]]) -> None:
        """PostgreSQL's COPY, through asyncpg: twice the rows a second of an executemany of
        INSERTs on these machines (80,000 against 40,000). It runs on the connection
        SQLAlchemy holds, so inside the same transaction."""
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None, "a connection in a transaction has its driver connection"
        try:
            await driver.copy_records_to_table(self.table, records=rows, columns=self.columns)
        except Exception as error:  # asyncpg's own: SQLAlchemy wraps them only on its paths
            raise _wrap(f"COPY {self.table}", error) from error


def _wrap(statement: str, error: Exception) -> DBAPIError:
    """The SQLAlchemy error for a driver's: data or integrity errors (SQLSTATE classes 22 and
    23) are the rows' fault, anything else the connection's."""
    state = str(getattr(error, "sqlstate", "") or "")
    kind = DataError if state[:2] in ("22", "23") else OperationalError
    return kind(statement, None, error)
