"""Scheduled reports of a node: the ``[[report_schedules]]`` of the file and those made
through the API (stored as configuration objects), run on a report thread of their own and
mailed through the notification outbox, so a report due while the SMTP server is down is sent
once it is back, never lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from hotline.config import Config, ReportScheduleConfig
from hotline.reports.delivery import EmailQueue, ReportScheduler, Schedule
from hotline.reports.runner import ReportRunner
from hotline.reports.schedules import parse_every
from hotline.store import ConfigObjects, Database

__all__ = ["SCHEDULE_KIND", "ReportSchedules", "schedule_of"]

log = logging.getLogger(__name__)

SCHEDULE_KIND = "report_schedule"  # configuration objects made through the API


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


class ReportSchedules:
    """The scheduler task of a node; ``start`` it once the store is open, ``close`` at stop.
    Reports run on ``runner``, the web side's (one reports thread and connection pool a node),
    which its owner closes after this."""

    def __init__(
        self, config: Config, database: Database, mail: EmailQueue, runner: ReportRunner
    ) -> None:
        self.config = config
        self.database = database
        self.scheduler = ReportScheduler(
            self.schedules, runner.run_and_export, mail,
            timezone=config.server.timezone,
        )  # fmt: skip
        self._task: asyncio.Task[None] | None = None

    async def schedules(self) -> list[Schedule]:
        stored = await stored_schedules(self.database)
        return [schedule_of(s) for s in [*self.config.report_schedules, *stored]]

    def start(self, wall: Callable[[], float]) -> None:
        self._task = asyncio.create_task(self.scheduler.run(wall), name="report-schedules")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
