"""The outbox against a real SMTP server: a message is written first and sent once; with the
server down nothing is lost, and once it is back every message arrives exactly once."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

from sqlalchemy import select

from hotline.notify import Delivery, Outbox, SmtpSender, SmtpSettings, backoff, message_id
from hotline.notify.notices import Kind, Notice
from hotline.store import Database, NewMessage, OutboxMessage, OutboxRows
from hotline.testing.mail import SmtpReceiver

SENDER = "hotline@example.com"


class Wall:
    """The wall clock the outbox and the worker read, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def parts(database: Database, smtp: SmtpReceiver, wall: Wall) -> tuple[Outbox, Delivery]:
    outbox = Outbox(database, wall=wall)
    sender = SmtpSender(SmtpSettings(port=smtp.port, sender=SENDER, timeout=5.0))
    delivery = Delivery(database, wall=wall, smtp=sender, webhooks={}, queue_names={},
                        public_url=None)  # fmt: skip
    return outbox, delivery


async def unsent(database: Database) -> int:
    async with database.session() as session:
        return await OutboxRows(session).unsent()


def _attachment(message: EmailMessage) -> tuple[str | None, str, str | bytes]:
    part = next(iter(message.iter_attachments()))
    assert isinstance(part, EmailMessage)
    content = part.get_content()
    return part.get_filename(), part.get_content_type(), content


async def test_an_email_is_sent_once_under_its_key(database: Database, smtp: SmtpReceiver) -> None:
    wall = Wall()
    outbox, delivery = parts(database, smtp, wall)
    for _ in range(2):  # the same key twice: one message
        await outbox.enqueue_email(
            ["boss@example.com", "ops@example.com"], "Daily report", "Calls: 12",
            "<p>Calls: <b>12</b></p>", [("day.csv", "text/csv", b"calls\n12\n")],
            key="report-day-2026-12-07",
        )  # fmt: skip
    assert await unsent(database) == 1
    await delivery.deliver_due()
    await delivery.deliver_due()  # sent rows are not sent again
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["Subject"] == "Daily report"
    assert message["X-Envelope-To"] == "boss@example.com, ops@example.com"
    assert message["Message-ID"] == message_id("email:report-day-2026-12-07", SENDER)
    body = message.get_body(("plain",))
    assert body is not None and body.get_content().strip() == "Calls: 12"
    html = message.get_body(("html",))
    assert html is not None and "<b>12</b>" in html.get_content()
    assert _attachment(message) == ("day.csv", "text/csv", "calls\n12\n")
    assert await unsent(database) == 0
    async with database.session() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
    assert row.sent_at == row.due_at == wall.now  # the pace counts from the send


async def test_smtp_down_delays_and_loses_nothing(database: Database, smtp: SmtpReceiver) -> None:
    wall = Wall()
    outbox, delivery = parts(database, smtp, wall)
    smtp.stop()
    for number in range(3):
        await outbox.enqueue_email(["ops@example.com"], f"report {number}", "text",
                                   key=f"down-{number}")  # fmt: skip
    for attempt in range(1, 4):  # each failure waits longer
        await delivery.deliver_due()
        assert await unsent(database) == 3
        async with database.session() as session:
            rows = await OutboxRows(session).due(wall.now + 3600)
        assert {row.attempts for row in rows} == {attempt}
        assert all(row.last_error for row in rows)
        assert min(row.due_at for row in rows) >= wall.now + backoff(attempt)
        await delivery.deliver_due()  # before the backoff: no attempt
        wall.now += backoff(attempt)
    smtp.start()
    await delivery.deliver_due()
    await delivery.deliver_due()
    assert sorted(m["Subject"] for m in smtp.messages) == ["report 0", "report 1", "report 2"]
    assert await unsent(database) == 0


async def test_two_workers_on_one_database_send_each_message_once(
    database: Database, smtp: SmtpReceiver
) -> None:
    """Two nodes share the database: each worker claims the rows before sending them."""
    wall = Wall()
    outbox, first = parts(database, smtp, wall)
    _, second = parts(database, smtp, wall)
    for number in range(20):
        await outbox.enqueue_email(["ops@example.com"], f"report {number}", "text",
                                   key=f"shared-{number}")  # fmt: skip
    await asyncio.gather(first.deliver_due(), second.deliver_due())
    assert sorted(m["Subject"] for m in smtp.messages) == sorted(f"report {n}" for n in range(20))
    assert first.sent + second.sent == 20
    assert await unsent(database) == 0


async def test_a_message_whose_sender_died_mid_send_goes_at_the_next_start(
    database: Database, smtp: SmtpReceiver
) -> None:
    wall = Wall()
    outbox, _ = parts(database, smtp, wall)
    await outbox.enqueue_email(["ops@example.com"], "cut short", "text", key="cut-short")
    await _claim_the_due_row(database, wall.now)  # a worker claims it, then is killed
    _, restarted = parts(database, smtp, wall)
    await restarted.start()
    await restarted.stop()  # its last flush: sent now, not once the claim's lease ran out
    assert [m["Subject"] for m in smtp.messages] == ["cut short"]
    assert await unsent(database) == 0


async def _claim_the_due_row(database: Database, now: float) -> None:
    """What a worker does first: take the one due row for a 60 s lease."""
    async with database.session() as session:
        rows = OutboxRows(session)
        [row] = await rows.due(now)
        assert await rows.claim([row.id], now=now, until=now + 60) == [row.id]


def _digest_row(key: str, *, due_at: float, kind: Kind = "lost_call") -> NewMessage:
    """A notice's row for ops@example.com, in that recipient's batch of its kind."""
    notice = Notice(kind=kind, key=key, at=due_at, queue="800").as_json()
    return NewMessage(key=key, channel="email", recipient="ops@example.com",
                      batch=f"email:ops@example.com:{kind}",
                      payload={"notice": notice, "language": "en"}, due_at=due_at)  # fmt: skip


async def test_a_row_written_during_a_send_keeps_the_pace_not_the_lease(
    database: Database,
) -> None:
    wall = Wall()
    outbox = Outbox(database, wall=wall)
    batch = "email:ops@example.com:lost_call"
    async with database.session() as session:
        await outbox.add(session, [_digest_row("first", due_at=wall.now)])
        await session.commit()
    await _claim_the_due_row(database, wall.now)  # a worker takes it for a 60 s lease
    async with database.session() as session:
        assert await OutboxRows(session).due(wall.now + 1) == []  # no other worker sends it
    sent_at = wall.now
    wall.now += 0.5
    fresh = Outbox(database, wall=wall)  # another node, or this one after a restart
    async with database.session() as session:
        due = await fresh.due_time(session, batch, now=wall.now, min_interval=5)
    assert due == sent_at + 5  # one interval after the message being sent


async def test_a_restart_sends_what_failed_at_once_with_the_rows_that_joined_it(
    database: Database, smtp: SmtpReceiver
) -> None:
    """Failed messages go at a restart (it often follows a fix), a failed digest with the
    rows that joined its retry; another batch's digest keeps its time."""
    wall = Wall()
    outbox, delivery = parts(database, smtp, wall)
    smtp.stop()
    await outbox.enqueue_email(["ops@example.com"], "failed before", "text", key="failed")
    async with database.session() as session:
        await outbox.add(session, [_digest_row("first", due_at=wall.now)])
        await session.commit()
    await delivery.deliver_due()  # both fail: they wait for their retry
    async with database.session() as session:  # a second lost call joins that retry
        due = await outbox.due_time(session, "email:ops@example.com:lost_call",
                                    now=wall.now + 0.5, min_interval=1)  # fmt: skip
        assert due == wall.now + backoff(1)
        later = _digest_row("breach", due_at=wall.now + 60, kind="sla_breach")
        await outbox.add(session, [_digest_row("second", due_at=due), later])
        await session.commit()
    smtp.start()
    _, restarted = parts(database, smtp, wall)
    await restarted.start()
    await restarted.stop()  # its last flush: what failed, and the row that joined it
    subjects = sorted(str(m["Subject"]) for m in smtp.messages)
    assert len(subjects) == 2, subjects
    assert subjects[0].startswith("[Hotline] 2 × Lost call in queue 800"), subjects
    assert subjects[1] == "failed before"
    assert await unsent(database) == 1  # the other batch's digest waits for its time
