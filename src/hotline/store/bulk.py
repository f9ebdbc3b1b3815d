"""Bulk writes in the driver's own SQL, for the event writer's hot path.

SQLAlchemy's Core ``insert`` builds a parameter dictionary per row, which costs as much as
the database's own work at tens of thousands of rows a second. These statements are plain
SQL that SQLite and PostgreSQL both accept (``ON CONFLICT ... DO UPDATE`` with ``excluded``),
rendered once per dialect with its placeholders and fed rows as tuples.

On PostgreSQL (asyncpg) the rows go as one array per column, read back by ``unnest``: one
statement executed once, where an executemany executes the statement once per row (its
parse, plan and conflict check each time) and decodes a row's parameters one by one.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["BulkInsert", "as_arrays", "placeholders", "row_source", "write_rows"]

# PostgreSQL's array type for a column of each Python type. Strings go as text, not as
# varchar(n): an explicit cast to varchar(n) cuts a value too long instead of refusing it.
ARRAY_TYPES: dict[type, str] = {str: "text[]", float: "float8[]", int: "int8[]", bool: "bool[]"}


def placeholders(paramstyle: str, count: int) -> str:
    if paramstyle == "qmark":
        return ", ".join("?" * count)
    if paramstyle == "numeric_dollar":
        return ", ".join(f"${n}" for n in range(1, count + 1))
    if paramstyle == "format":
        return ", ".join(["%s"] * count)
    raise ValueError(f"unsupported parameter style for bulk writes: {paramstyle}")


def as_arrays(connection: AsyncConnection) -> bool:
    """Whether rows are sent to ``connection`` as arrays per column (asyncpg)."""
    return connection.dialect.driver == "asyncpg"


def row_source(connection: AsyncConnection, types: Sequence[type]) -> str:
    """What an ``INSERT INTO table (columns)`` takes its rows from, for ``write_rows``:
    ``VALUES`` with a placeholder per column, or on PostgreSQL the unnested arrays."""
    if as_arrays(connection):
        casts = ", ".join(f"${n}::{ARRAY_TYPES[kind]}" for n, kind in enumerate(types, 1))
        return f"SELECT * FROM unnest({casts})"
    return f"VALUES ({placeholders(connection.dialect.paramstyle, len(types))})"


async def write_rows(
    connection: AsyncConnection, sql: str, rows: Sequence[tuple[object, ...]]
) -> None:
    """Execute ``sql`` (made with ``row_source``) for ``rows``: one executemany, or once
    with the rows' columns as arrays. The rows of an upsert must have distinct conflict keys:
    PostgreSQL refuses a statement that updates one row twice (SQLite would apply both)."""
    if as_arrays(connection):
        await connection.exec_driver_sql(sql, tuple(zip(*rows, strict=True)))
    else:
        await connection.exec_driver_sql(sql, list(rows))


class BulkInsert:
    """``INSERT INTO table (columns)``, or an upsert on ``key`` that replaces the other
    columns; rows are tuples in ``columns`` order."""

    def __init__(self, table: Table, columns: Sequence[str], *, key: str | None = None) -> None:
        self.table = table.name
        self.columns = tuple(columns)
        self.types = tuple(table.c[column].type.python_type for column in self.columns)
        self.key = key
        self._sql: dict[str, str] = {}

    def sql(self, connection: AsyncConnection) -> str:
        source = row_source(connection, self.types)
        if source not in self._sql:
            sql = f"INSERT INTO {self.table} ({', '.join(self.columns)}) {source}"
            if self.key is not None:
                updates = ", ".join(f"{c} = excluded.{c}" for c in self.columns if c != self.key)
                sql += f" ON CONFLICT ({self.key}) DO UPDATE SET {updates}"
            self._sql[source] = sql
        return self._sql[source]

    async def execute(self, connection: AsyncConnection, rows: list[tuple[object, ...]]) -> None:
        """Write ``rows`` in the connection's transaction (COPY, or ``write_rows``)."""
        if not rows:
            return
        if self.key is None and as_arrays(connection):
            await self._copy(connection, rows)
        else:
            await write_rows(connection, self.sql(connection), rows)

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
