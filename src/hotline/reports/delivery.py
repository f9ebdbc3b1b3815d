"""Scheduled reports: due-time bookkeeping, and the mail that carries each one.

``ReportScheduler.tick(now)`` sends every schedule due by ``now`` (each at most once per
period: the idempotency key names the schedule and the period its report covers) and notes
when each is due next; the shell around it (``run``) sleeps until then on the clock it is
given. A ``RunLog`` keeps, per schedule, the due time its runs are settled up to, so the first
tick after a restart sends the latest run missed while the node was down (one, not every
missed one: a schedule first seen owes nothing before then). Mail goes out
through anything with the outbox's ``enqueue_email`` (``EmailQueue``), so the notification
outbox can carry it; ``SmtpSender`` sends directly with ``aiosmtplib`` meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from hotline.reports.catalog import REPORTS, Report
from hotline.reports.exports import describe_period, media_type
from hotline.reports.metrics import METRICS, Parameters
from hotline.reports.periods import Interval, Period, zone_of
from hotline.reports.query import ReportQuery, ReportResult
from hotline.reports.schedules import Every, covered_period, last_due, next_due
from hotline.reports.times import local_time

__all__ = ["EmailQueue", "ReportScheduler", "RunLog", "Schedule", "summary"]

log = logging.getLogger(__name__)

Attachment = tuple[str, str, bytes]
RunAndExport = Callable[
    [Report, ReportQuery, Literal["pdf", "xlsx"], str], Awaitable[tuple[ReportResult, bytes]]
]


class EmailQueue(Protocol):
    """What takes a mail to send (the notification outbox's shape)."""

    async def enqueue_email(
        self,
        to: Sequence[str],
        subject: str,
        text: str,
        html: str | None = None,
        attachments: Sequence[Attachment] = (),
        *,
        key: str,
    ) -> None: ...


class RunLog(Protocol):
    """Where each schedule's runs are settled up to (a due time): sent, or owed by no one."""

    async def settled(self) -> dict[str, float]:
        """Every schedule's, by name."""
        ...

    async def settle(self, name: str, until: float) -> None:
        """Runs of ``name`` due by ``until`` are settled (a later time stored stays)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """A report sent by mail ``every`` so often, over the period just ended."""

    name: str
    report: str
    every: Every
    to: tuple[str, ...]
    format: Literal["pdf", "xlsx"] = "pdf"
    queues: frozenset[str] | None = None
    language: str = "en"
    interval: Interval = "day"


def summary(result: ReportResult, language: str) -> str:
    """The mail's body: what the report answers, its period and its totals."""
    report = result.report
    lines = [
        report.title(language),
        report.answers(language),
        describe_period(result, language),
        "",
    ]
    if result.totals is not None:
        for column in report.columns:
            value = result.totals.get(column)
            if METRICS[column].unit not in ("text", "time") and value is not None:
                lines.append(f"{METRICS[column].title(language)}: {value:g}")
    else:
        lines.append(f"{len(result.rows)} rows")
    return "\n".join(lines) + "\n"


class ReportScheduler:
    """Sends the schedules' reports when due. ``schedules`` is asked each tick (the file's
    and the API's may change); a schedule first seen is due at its next time after then,
    but at the first tick (a restart) one whose ``runs`` are settled before its latest due
    time is due at once, for that time."""

    def __init__(
        self,
        schedules: Callable[[], Awaitable[list[Schedule]]],
        run_and_export: RunAndExport,
        mail: EmailQueue,
        *,
        timezone: str,
        runs: RunLog | None = None,
    ) -> None:
        self.schedules = schedules
        self.run_and_export = run_and_export
        self.mail = mail
        self.runs = runs
        self.zone = zone_of(timezone)
        self._due: dict[tuple[str, Every], float] = {}
        self._started = False

    async def tick(self, now: float) -> list[tuple[str, float]]:
        """Send what is due by ``now``; returns (schedule, due time) of each one sent."""
        sent = []
        current = await self.schedules()
        self._due = {
            k: v for k, v in self._due.items() if k in {(s.name, s.every) for s in current}
        }
        settled = None if self._started or self.runs is None else await self.runs.settled()
        for schedule in current:
            key = (schedule.name, schedule.every)
            if key not in self._due:
                self._due[key] = await self._first_due(schedule, now, settled)
            due = self._due[key]
            if due > now:
                continue
            try:
                await self.deliver(schedule, due)
                if self.runs is not None:
                    await self.runs.settle(schedule.name, due)
                sent.append((schedule.name, due))
            except Exception:  # one bad schedule or a refused mail must not stop the others
                log.exception("reports: schedule %s due at %s failed", schedule.name, due)
            self._due[key] = next_due(schedule.every, now, self.zone)
        self._started = True  # not before: a tick cut short finds the run log again
        return sent

    async def _first_due(
        self, schedule: Schedule, now: float, settled: dict[str, float] | None
    ) -> float:
        """When a schedule seen for the first time is due. ``settled``: the run log as the
        restart found it (None: not the first tick)."""
        upcoming = next_due(schedule.every, now, self.zone)
        if self.runs is None:
            return upcoming
        if settled is not None and schedule.name in settled:
            missed = last_due(schedule.every, now, self.zone)
            return missed if missed > settled[schedule.name] else upcoming
        await self.runs.settle(schedule.name, now)  # new: nothing before now is owed
        return upcoming

    def next_wakeup(self) -> float | None:
        return min(self._due.values(), default=None)

    async def deliver(self, schedule: Schedule, due: float) -> None:
        report = REPORTS[schedule.report]
        since, until = covered_period(schedule.every, due, self.zone)
        query = ReportQuery(
            period=Period(since=since, until=until, zone=self.zone), queues=schedule.queues,
            interval=schedule.interval, now=due, parameters=Parameters(), limit=None,
            day_zone=self.zone.key,
        )  # fmt: skip
        result, data = await self.run_and_export(report, query, schedule.format, schedule.language)
        day = local_time(since, self.zone)[:10]
        filename = f"{report.id}-{day}.{schedule.format}"
        await self.mail.enqueue_email(
            schedule.to,
            f"{report.title(schedule.language)} · {day}",
            summary(result, schedule.language),
            attachments=((filename, media_type(schedule.format), data),),
            key=f"report:{schedule.name}:{int(since)}-{int(until)}",
        )

    async def run(self, wall: Callable[[], float], *, most: float = 60.0) -> None:
        """Tick for ever, sleeping until the next due time (at most ``most`` seconds, so
        schedules added meanwhile are seen)."""
        while True:
            now = wall()
            try:
                await self.tick(now)
            except Exception:  # the database away for a while: try again at the next tick
                log.exception("reports: the schedules could not be read")
            wake = self.next_wakeup()
            await asyncio.sleep(
                max(0.05, min(most, (wake if wake is not None else now + most) - now))
            )
