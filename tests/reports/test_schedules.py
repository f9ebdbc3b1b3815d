"""Scheduled reports: the due-time calculator on explicit times (no clock is read), and the
scheduler on a fake clock delivering through a real SMTP server (aiosmtpd) a PDF or XLSX of
the report with its summary, once per period, and after a restart the latest run it missed."""

from __future__ import annotations

import datetime
import io
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from pypdf import PdfReader

from hotline.config import ConfigError, ReportScheduleConfig, parse_config
from hotline.history import generate_history, plan_for
from hotline.notify import Delivery, Outbox, SmtpSender, SmtpSettings
from hotline.report_schedules import SCHEDULE_KIND, ReportSchedules, StoredRuns
from hotline.reports.delivery import ReportScheduler, Schedule
from hotline.reports.runner import ReportRunner
from hotline.reports.schedules import covered_period, last_due, next_due, parse_every
from hotline.store import ConfigObjects, Database, Store, sqlite_url
from hotline.testing.clock import FakeClock
from hotline.testing.mail import SmtpReceiver

from .sites import site

MOSCOW, KOLKATA, NEW_YORK = (ZoneInfo(z) for z in ("Europe/Moscow", "Asia/Kolkata",
                                                   "America/New_York"))  # fmt: skip


def at(zone: ZoneInfo, text: str) -> float:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


def local(zone: ZoneInfo, moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, zone).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("every", "zone", "after", "due"),
    [
        ("daily 07:00", MOSCOW, "2026-12-07 06:59", "2026-12-07 07:00"),
        ("daily 07:00", MOSCOW, "2026-12-07 07:00", "2026-12-08 07:00"),  # strictly after
        ("weekly mon 07:00", MOSCOW, "2026-12-08 10:00", "2026-12-14 07:00"),
        ("weekly sun 23:30", MOSCOW, "2026-12-13 23:29", "2026-12-13 23:30"),
        ("monthly 1 07:00", MOSCOW, "2026-12-01 07:01", "2027-01-01 07:00"),
        ("monthly 31 07:00", MOSCOW, "2027-02-01 00:00", "2027-02-28 07:00"),  # its last day
        ("hourly", MOSCOW, "2026-12-07 06:59", "2026-12-07 07:00"),
        ("hourly", KOLKATA, "2026-12-07 06:00", "2026-12-07 07:00"),  # UTC+5:30: at :30 UTC
        ("daily 07:00", NEW_YORK, "2026-03-07 08:00", "2026-03-08 07:00"),  # summer time starts
        ("daily 07:00", NEW_YORK, "2026-11-01 06:00", "2026-11-01 07:00"),  # and ends
    ],
)
def test_next_due_in_local_time(every: str, zone: ZoneInfo, after: str, due: str) -> None:
    assert local(zone, next_due(parse_every(every), at(zone, after), zone)) == due


@pytest.mark.parametrize(
    ("every", "zone", "until", "due"),
    [
        ("daily 07:00", MOSCOW, "2026-12-07 07:20", "2026-12-07 07:00"),
        ("daily 07:00", MOSCOW, "2026-12-07 07:00", "2026-12-07 07:00"),  # at or before
        ("daily 07:00", MOSCOW, "2026-12-07 06:59", "2026-12-06 07:00"),
        ("weekly mon 07:00", MOSCOW, "2026-12-13 10:00", "2026-12-07 07:00"),
        ("monthly 31 07:00", MOSCOW, "2027-03-15 00:00", "2027-02-28 07:00"),  # its last day
        ("hourly", MOSCOW, "2026-12-07 07:59", "2026-12-07 07:00"),
        ("hourly", KOLKATA, "2026-12-07 07:29", "2026-12-07 07:00"),  # UTC+5:30
        ("daily 07:00", NEW_YORK, "2026-03-08 06:00", "2026-03-07 07:00"),  # summer time starts
    ],
)
def test_the_last_due_time_in_local_time(every: str, zone: ZoneInfo, until: str, due: str) -> None:
    assert local(zone, last_due(parse_every(every), at(zone, until), zone)) == due


def test_the_period_a_report_covers() -> None:
    def period(every: str, due: str) -> tuple[str, str]:
        since, until = covered_period(parse_every(every), at(NEW_YORK, due), NEW_YORK)
        return local(NEW_YORK, since), local(NEW_YORK, until)

    assert period("daily 07:00", "2026-03-09 07:00") == ("2026-03-08 00:00", "2026-03-09 00:00")
    assert period("weekly mon 07:00", "2026-12-14 07:00") == (
        "2026-12-07 00:00",
        "2026-12-14 00:00",
    )
    assert period("monthly 1 07:00", "2026-03-01 07:00") == ("2026-02-01 00:00", "2026-03-01 00:00")
    assert period("hourly", "2026-12-07 10:00") == ("2026-12-07 09:00", "2026-12-07 10:00")


@pytest.mark.parametrize("text", ["daily", "daily 7:00", "daily 24:00", "weekly mo 07:00",
                                  "monthly 32 07:00", "every day", "hourly 07:00"])  # fmt: skip
def test_bad_schedules_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_every(text)


CONFIG = site("Europe/Moscow", 2, {"800": ["201", "202"]})


async def mail_out(database: Database, clock: FakeClock, smtp: SmtpReceiver) -> None:
    """Send the outbox's due mail to ``smtp``, as the node's delivery worker does."""
    sender = SmtpSender(SmtpSettings(port=smtp.port, sender="hotline@example.com"))
    delivery = Delivery(database, wall=clock.wall, smtp=sender, webhooks={}, queue_names={},
                        public_url=None)  # fmt: skip
    await delivery.deliver_due()


async def test_a_schedule_mails_its_report_at_the_set_time(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    config = parse_config(CONFIG)
    store = await Store.open(url, now=time.time(), timezone="Europe/Moscow")
    plan = plan_for(config, days=2, calls_per_day=200, seed=2, end=datetime.date(2026, 12, 7))
    await generate_history(plan, store.writer)
    await store.close()

    schedules = [
        Schedule(name="morning", report="queue_performance", every=parse_every("daily 07:00"),
                 to=("boss@example.com",), format="pdf"),
        Schedule(name="weekly", report="agent_performance", every=parse_every("weekly mon 07:00"),
                 to=("team@example.com", "hr@example.com"), format="xlsx", language="ru"),
    ]  # fmt: skip

    async def listed() -> list[Schedule]:
        return schedules

    runner = ReportRunner(url)
    database = await Database.open(url)
    # Sunday 6 December, 06:00 in Moscow: the clock is the test's.
    clock = FakeClock(epoch=at(MOSCOW, "2026-12-06 06:00"))
    outbox = Outbox(database, wall=clock.wall)  # reports go out as every mail does
    scheduler = ReportScheduler(listed, runner.run_and_export, outbox, timezone="Europe/Moscow")
    smtp = SmtpReceiver()
    smtp.start()
    try:
        assert await scheduler.tick(clock.wall()) == []
        clock.advance(3599)  # 06:59:59
        assert await scheduler.tick(clock.wall()) == []
        clock.advance(1)  # 07:00: the daily report, over Saturday 5 December
        assert [name for name, _ in await scheduler.tick(clock.wall())] == ["morning"]
        assert await scheduler.tick(clock.wall()) == []  # once per due time
        clock.advance(24 * 3600)  # Monday 07:00: the daily one and the weekly one
        sent = await scheduler.tick(clock.wall())
        assert sorted(name for name, _ in sent) == ["morning", "weekly"]
        assert scheduler.next_wakeup() == at(MOSCOW, "2026-12-08 07:00")
        await mail_out(database, clock, smtp)
    finally:
        smtp.stop()
        await database.close()
        await runner.close()

    assert len(smtp.messages) == 3
    first = smtp.messages[0]
    assert first["Subject"] == "Queue performance · 2026-12-05"
    assert first["X-Envelope-To"] == "boss@example.com"
    body = first.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "2026-12-05 00:00:00 – 2026-12-06 00:00:00 (Europe/Moscow)" in text
    assert "Offered: " in text and "Service level, %: " in text
    attachment = next(first.iter_attachments())
    assert attachment.get_filename() == "queue_performance-2026-12-05.pdf"
    pdf = PdfReader(io.BytesIO(attachment.get_content()))
    assert "Queue performance" in pdf.pages[0].extract_text()
    weekly = next(m for m in smtp.messages if m["Subject"].startswith("Показатели агентов"))
    sheet = openpyxl.load_workbook(io.BytesIO(next(weekly.iter_attachments()).get_content()))
    assert sheet.active is not None and sheet.active["A1"].value == "Агент"
    assert weekly["Message-ID"] != first["Message-ID"]


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ('[server]\ntimezone = "Mars/Olympus"\n', "unknown time zone"),
        ('[[report_schedules]]\nname = "a"\nreport = "nothing"\nevery = "hourly"\n'
         'to = ["a@b.c"]\n', "unknown report"),
        ('[[report_schedules]]\nname = "a"\nreport = "queue_totals"\nevery = "daily 7"\n'
         'to = ["a@b.c"]\n', "every ="),
        ('[[report_schedules]]\nname = "a"\nreport = "queue_totals"\nevery = "hourly"\n'
         "to = []\n", "to"),
    ],
)  # fmt: skip
def test_the_configuration_refuses_bad_zones_and_schedules(toml: str, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(toml)
    assert problem in str(refused.value)


async def test_the_node_schedules_the_files_reports_and_the_apis(tmp_path: Path) -> None:
    config = parse_config(
        CONFIG + '\n[[report_schedules]]\nname = "from-file"\nreport = "queue_totals"\n'
        'every = "daily 07:00"\nto = ["a@b.c"]\n'
    )
    made = ReportScheduleConfig(name="from-api", report="agent_performance",
                                every="weekly mon 08:00", to=["boss@example.com"],
                                queues=["800"], format="xlsx")  # fmt: skip
    url = sqlite_url(tmp_path)
    database = await Database.open(url)
    async with database.session() as session:
        await ConfigObjects(session).put(SCHEDULE_KIND, made.name,
                                         made.model_dump(mode="json", by_alias=True),
                                         version=None, now=0.0)  # fmt: skip
    runner = ReportRunner(url)
    schedules = ReportSchedules(config, database, Outbox(database, wall=time.time), runner)
    try:
        found = await schedules.schedules()
    finally:
        await schedules.close()
        await runner.close()
        await database.close()
    assert [(s.name, s.report, s.every, s.to, s.queues, s.format) for s in found] == [
        ("from-file", "queue_totals", parse_every("daily 07:00"), ("a@b.c",), None, "pdf"),
        ("from-api", "agent_performance", parse_every("weekly mon 08:00"),
         ("boss@example.com",), frozenset({"800"}), "xlsx"),
    ]  # fmt: skip


def to(clock: FakeClock, moment: str) -> None:
    clock.advance(at(MOSCOW, moment) - clock.wall())


async def test_a_restart_sends_each_schedules_last_missed_run_once(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    database = await Database.open(url)
    runner = ReportRunner(url)
    # Saturday 5 December, 06:00 in Moscow.
    clock = FakeClock(epoch=at(MOSCOW, "2026-12-05 06:00"))
    outbox = Outbox(database, wall=clock.wall)
    runs = StoredRuns(database, clock.wall)  # what each start of the node finds again
    schedules = [
        Schedule(name="morning", report="queue_performance", every=parse_every("daily 07:00"),
                 to=("boss@example.com",)),
        Schedule(name="weekly", report="agent_performance", every=parse_every("weekly mon 07:00"),
                 to=("team@example.com",)),
        Schedule(name="later", report="queue_totals", every=parse_every("daily 07:00"),
                 to=("boss@example.com",)),
    ]  # fmt: skip

    def started(*names: str) -> ReportScheduler:
        """The scheduler of a node (re)started with the schedules ``names``."""

        async def listed() -> list[Schedule]:
            return [s for s in schedules if s.name in names]

        return ReportScheduler(listed, runner.run_and_export, outbox, timezone="Europe/Moscow",
                               runs=runs)  # fmt: skip

    async def sent(scheduler: ReportScheduler) -> list[tuple[str, str]]:
        return sorted(
            (name, local(MOSCOW, due)) for name, due in await scheduler.tick(clock.wall())
        )

    smtp = SmtpReceiver()
    smtp.start()
    try:
        first = started("morning", "weekly")
        assert await sent(first) == []  # nothing is owed from before a schedule was seen
        to(clock, "2026-12-05 07:00")
        assert await sent(first) == [("morning", "2026-12-05 07:00")]
        to(clock, "2026-12-06 06:50")  # Sunday: the node stops for half an hour
        to(clock, "2026-12-06 07:20")
        again = started("morning", "weekly", "later")  # "later" was added meanwhile
        assert await sent(again) == [("morning", "2026-12-06 07:00")]
        assert await sent(again) == []
        assert again.next_wakeup() == at(MOSCOW, "2026-12-07 07:00")
        to(clock, "2026-12-06 07:30")  # started once more, it owes nothing
        assert await sent(started("morning", "weekly", "later")) == []
        to(clock, "2026-12-09 10:00")  # down until Wednesday
        last = started("morning", "weekly", "later")
        assert await sent(last) == [
            ("later", "2026-12-09 07:00"),  # the latest of three days missed, not all three
            ("morning", "2026-12-09 07:00"),
            ("weekly", "2026-12-07 07:00"),
        ]
        # The mail is keyed by schedule and period: sent again, or by a changed hour, it is
        # the same mail.
        await last.deliver(schedules[0], at(MOSCOW, "2026-12-09 07:00"))
        moved = Schedule(name="morning", report="queue_performance",
                         every=parse_every("daily 08:00"), to=("boss@example.com",))  # fmt: skip
        await last.deliver(moved, at(MOSCOW, "2026-12-09 08:00"))
        await mail_out(database, clock, smtp)
    finally:
        smtp.stop()
        await database.close()
        await runner.close()

    assert Counter(m["Subject"] for m in smtp.messages) == {
        "Queue performance · 2026-12-04": 1,
        "Queue performance · 2026-12-05": 1,
        "Queue performance · 2026-12-08": 1,
        "Queue performance totals · 2026-12-08": 1,
        "Agent performance · 2026-11-30": 1,
    }
