"""Today's counters as one JSON document: saved over and over, read back after a restart.

The store does not know what the counters are (the ACD does); it keeps the latest document of
the current day and nothing older.
"""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.store.models import Base, DayStatistics, JsonValue
from hotline.store.upsert import upsert

__all__ = ["DayStatisticsRows"]

TABLE = Base.metadata.tables[DayStatistics.__tablename__]
# Built once: each build of a statement leaves a few kilobytes in reference cycles, which the
# server's garbage collector settings free only rarely (a save runs every few seconds).
_OTHER_DAYS = delete(TABLE).where(TABLE.c.day != bindparam("kept"))


class DayStatisticsRows:
    """The day_statistics table, on one session; the caller commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def save(self, day: str, value: JsonValue, now: float) -> None:
        """Make ``value`` the counters of ``day``, the only day kept."""
        await self.session.execute(_OTHER_DAYS, {"kept": day})
        dialect = (await self.session.connection()).dialect.name
        statement = upsert(dialect, TABLE, "day", ("value", "saved_at"))
        await self.session.execute(statement, [{"day": day, "value": value, "saved_at": now}])

    async def load(self, day: str) -> JsonValue:
        """The counters saved for ``day``, None when there are none."""
        query = select(TABLE.c.value).where(TABLE.c.day == day)
        return (await self.session.execute(query)).scalar_one_or_none()
