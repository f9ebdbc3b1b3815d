"""Scheduled reports: due-time bookkeeping, and the mail that carries each one.

``ReportScheduler.tick(now)`` sends every schedule due by ``now`` (each at most once per due
time: the idempotency key names the schedule and the time) and notes when each is due next;
the shell around it (``run``) sleeps until then on the clock it is given. Mail goes out
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
from hotline.reports.schedules import Every, covered_period, next_due
from hotline.reports.times import local_time

__all__ = ["EmailQueue", "ReportScheduler", "Schedule", "summary"]

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
    and the API's may change); a schedule first seen is due at its next time after then."""

    def __init__(
        self,
        schedules: Callable[[], Awaitable[list[Schedule]]],
        run_and_export: RunAndExport,
        mail: EmailQueue,
        *,
        timezone: str,
    ) -> None:
        self.schedules = schedules
        self.run_and_export = run_and_export
        self.mail = mail
        self.zone = zone_of(timezone)
        self._due: dict[tuple[str, Every], float] = {}

    async def tick(self, now: float) -> list[tuple[str, float]]:
        """Send what is due by ``now``; returns (schedule, due time) of each one sent."""
        sent = []
        current = await self.schedules()
        self._due = {
            k: v for k, v in self._due.items() if k in {(s.name, s.every) for s in current}
        }
        for schedule in current:
            key = (schedule.name, schedule.every)
            due = self._due.setdefault(key, next_due(schedule.every, now, self.zone))
            if due > now:
                continue
            try:
                await self.deliver(schedule, due)
                sent.append((schedule.name, due))
            except Exception:  # one bad schedule or a refused mail must not stop the others
                log.exception("reports: schedule %s due at %s failed", schedule.name, due)
            self._due[key] = next_due(schedule.every, now, self.zone)
        return sent

    def next_wakeup(self) -> float | None:
        return min(self._due.values(), default=None)

    async def deliver(self, schedule: Schedule, due: float) -> None:
        report = REPORTS[schedule.report]
        since, until = covered_period(schedule.every, due, self.zone)
        query = ReportQuery(
            period=Period(since=since, until=until, zone=self.zone), queues=schedule.queues,
            interval=schedule.interval, now=due, parameters=Parameters(),
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
            key=f"report:{schedule.name}:{int(due)}",
        )

    async def run(self, wall: Callable[[], float], *, most: float = 60.0) -> None:
        """Tick for ever, sleeping until the next due time (at most ``most`` seconds, so
        schedules added meanwhile are seen)."""
        while True:
            now = wall()
            await self.tick(now)
            wake = self.next_wakeup()
            await asyncio.sleep(
                max(0.05, min(most, (wake if wake is not None else now + most) - now))
            )
