"""Today's queue and agent counters, written behind to the store and restored after a restart.

The ACD counts the day as it goes (offered, answered, abandoned, within SLA, talk time per
queue; calls and talk time per agent). Those figures feed the wallboard and the fairness
strategies (least talk time, fewest answered); without this a restart at noon would show a
morning of nothing and hand the next calls to whoever had worked most. Every few seconds the
counters are saved under the local date; at start, those of the same date come back. A kill
loses at most one interval.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable

from hotline.acd import Engine
from hotline.store import Database, DayStatisticsRows, JsonValue
from hotline.store.periodic import Periodic

__all__ = ["PersistentDayStatistics", "local_day"]

log = logging.getLogger(__name__)


def local_day(now: float) -> str:
    """The local date of ``now`` (epoch seconds), as the day's key: ``2026-11-26``."""
    return datetime.datetime.fromtimestamp(now).date().isoformat()


class PersistentDayStatistics:
    """``await load(database)`` once the queues and agents exist, then ``start()``; ``await
    close()`` saves a last time."""

    def __init__(
        self, engine: Engine, *, interval: float = 5.0, wall: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine
        self.wall = wall
        self._database: Database | None = None
        self._saved: JsonValue = None
        self._periodic = Periodic(self.flush, interval=interval, name="day statistics")

    async def load(self, database: Database) -> bool:
        """Restore the counters saved earlier today, if any; True when some came back."""
        self._database = database
        day = local_day(self.wall())
        async with database.session() as session:
            saved = await DayStatisticsRows(session).load(day)
        if not isinstance(saved, dict):
            return False
        self.engine.restore_statistics(saved)
        self._saved = saved
        log.info("statistics of %s restored", day)
        return True

    def start(self) -> None:
        if self._database is None:
            raise RuntimeError("PersistentDayStatistics.start before load")
        self._periodic.start()

    async def close(self) -> None:
        await self._periodic.stop()

    async def flush(self) -> None:
        """Save the counters when they changed since the last save."""
        if self._database is None:
            return
        snapshot = self.engine.statistics_snapshot()
        if snapshot == self._saved:
            return
        now = self.wall()
        async with self._database.session() as session:
            await DayStatisticsRows(session).save(local_day(now), snapshot, now)
            await session.commit()
        self._saved = snapshot
