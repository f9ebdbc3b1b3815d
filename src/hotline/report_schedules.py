"""Scheduled reports of a node: the ``[[report_schedules]]`` of the file and those made
through the API (stored as configuration objects), run on a report thread of their own and
mailed through the notification outbox, so a report due while the SMTP server is down is sent
once it is back, never lost. When each schedule last ran is kept in the database too
(``StoredRuns``, configuration objects of their own kind: no migration), so a report due
while the node was down is sent when it starts again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from hotline.config import Config, ReportScheduleConfig
from hotline.reports.delivery import EmailQueue, ReportScheduler, Schedule
from hotline.reports.runner import ReportRunner
from hotline.reports.schedules import parse_every
from hotline.store import ConfigObjects, Database, JsonValue, StaleVersion

__all__ = [
    "RUN_KIND", "SCHEDULE_KIND", "ReportSchedules", "StoredRuns", "forget_runs", "schedule_of",
]  # fmt: skip

log = logging.getLogger(__name__)

SCHEDULE_KIND = "report_schedule"  # configuration objects made through the API
RUN_KIND = "report_schedule_run"  # per schedule: {"settled": the due time its runs are done to}


def schedule_of(config: ReportScheduleConfig) -> Schedule:
    return Schedule(
        name=config.name, report=config.report, every=parse_every(config.every),
        to=tuple(config.to), format=config.format,
        queues=frozenset(config.queues) if config.queues else None,
        language=config.language, interval=config.interval,
    )  # fmt: skip


async def stored_schedules(database: Database) -> list[ReportScheduleConfig]:
    async with database.session() as session:
        objects = await ConfigObjects(session).list(SCHEDULE_KIND)
    return [ReportScheduleConfig.model_validate(o.value) for o in objects]


class StoredRuns:
    """The scheduler's ``RunLog`` in the database, shared by the nodes of a site: a time
    only moves on (another node's later one stays)."""

    def __init__(self, database: Database, wall: Callable[[], float]) -> None:
        self.database = database
        self.wall = wall

    async def settled(self) -> dict[str, float]:
        async with self.database.session() as session:
            objects = await ConfigObjects(session).list(RUN_KIND)
        return {o.key: _settled(o.value) for o in objects}

    async def settle(self, name: str, until: float) -> None:
        for _attempt in range(3):  # another node may write in between: read again
            async with self.database.session() as session:
                objects = ConfigObjects(session)
                stored = await objects.get(RUN_KIND, name)
                if stored is not None and _settled(stored.value) >= until:
                    return
                version = None if stored is None else stored.version
                try:
                    await objects.put(RUN_KIND, name, {"settled": until}, version=version,
                                      now=self.wall())  # fmt: skip
                    return
                except StaleVersion:
                    continue
        log.warning("reports: schedule %s: its last run was not recorded", name)


async def forget_runs(session: AsyncSession, name: str) -> None:
    """Drop what the nodes recorded of schedule ``name``'s runs (it was deleted): a schedule
    made again under that name starts afresh, owing nothing from before."""
    objects = ConfigObjects(session)
    stored = await objects.get(RUN_KIND, name)
    if stored is not None:
        with contextlib.suppress(StaleVersion):  # another node moved it on: gone all the same
            await objects.delete(RUN_KIND, name, version=stored.version)


def _settled(value: JsonValue) -> float:
    found = value.get("settled") if isinstance(value, dict) else None
    return float(found) if isinstance(found, int | float) else 0.0


class ReportSchedules:
    """The scheduler task of a node; ``start`` it once the store is open, ``close`` at stop.
    Reports run on ``runner``, the web side's (one reports thread and connection pool a node),
    which its owner closes after this."""

    def __init__(
        self, config: Config, database: Database, mail: EmailQueue, runner: ReportRunner
    ) -> None:
        self.config = config
        self.database = database
        self.runner = runner
        self.mail = mail
        self._task: asyncio.Task[None] | None = None

    async def schedules(self) -> list[Schedule]:
        stored = await stored_schedules(self.database)
        return [schedule_of(s) for s in [*self.config.report_schedules, *stored]]

    def start(self, wall: Callable[[], float]) -> None:
        scheduler = ReportScheduler(
            self.schedules, self.runner.run_and_export, self.mail,
            timezone=self.config.server.timezone, runs=StoredRuns(self.database, wall),
        )  # fmt: skip
        self._task = asyncio.create_task(scheduler.run(wall), name="report-schedules")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
