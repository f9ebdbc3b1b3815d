"""The outbox against a real SMTP server: a message is written first and sent once; with the
server down nothing is lost, and once it is back every message arrives exactly once."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

from sqlalchemy import select

from hotline.notify import Delivery, Outbox, SmtpSender, SmtpSettings, backoff, message_id
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


async def test_a_restart_tries_failed_messages_at_once_and_keeps_digest_times(
    database: Database, smtp: SmtpReceiver
) -> None:
    wall = Wall()
    outbox, delivery = parts(database, smtp, wall)
    smtp.stop()
    await outbox.enqueue_email(["ops@example.com"], "failed before", "text", key="failed")
    for _ in range(3):  # each failure pushes the next try further
        await delivery.deliver_due()
        wall.now += 1
    async with database.session() as session:
        later = NewMessage(key="digest-later", channel="email", recipient="ops@example.com",
                           payload={"email": {"to": ["ops@example.com"], "subject": "later",
                                              "text": "t"}}, due_at=wall.now + 60)  # fmt: skip
        await OutboxRows(session).add([later], now=wall.now)
        await session.commit()
    smtp.start()
    _, restarted = parts(database, smtp, wall)
    await restarted.start()
    await restarted.stop()  # its last flush: what is due now went
    assert [m["Subject"] for m in smtp.messages] == ["failed before"]
    assert await unsent(database) == 1  # the digest's row waits for its time


async def test_a_message_whose_sender_died_mid_send_goes_at_the_next_start(
    database: Database, smtp: SmtpReceiver
) -> None:
    wall = Wall()
    outbox, _ = parts(database, smtp, wall)
    await outbox.enqueue_email(["ops@example.com"], "cut short", "text", key="cut-short")
    async with database.session() as session:  # a worker claims it, then is killed
        rows = OutboxRows(session)
        [row] = await rows.due(wall.now)
        assert await rows.claim([row.id], now=wall.now, until=wall.now + 60) == [row.id]
    _, restarted = parts(database, smtp, wall)
    await restarted.start()
    await restarted.stop()  # its last flush: sent now, not once the claim's lease ran out
    assert [m["Subject"] for m in smtp.messages] == ["cut short"]
    assert await unsent(database) == 0


def _digest_row(key: str, *, due_at: float) -> NewMessage:
    """A lost-call notice's row for ops@example.com, in that recipient's one batch."""
    notice = {"kind": "lost_call", "key": key, "queue": "800", "at": due_at, "facts": {}}
    return NewMessage(key=key, channel="email", recipient="ops@example.com",
                      batch="email:ops@example.com:lost_call",
                      payload={"notice": notice, "language": "en"}, due_at=due_at)  # fmt: skip


async def test_a_row_written_during_a_send_keeps_the_pace_not_the_lease(
    database: Database, smtp: SmtpReceiver
) -> None:
    wall = Wall()
    outbox, _ = parts(database, smtp, wall)
    batch = "email:ops@example.com:lost_call"
    async with database.session() as session:
        await outbox.add(session, [_digest_row("first", due_at=wall.now)])
        await session.commit()
    async with database.session() as session:  # a worker takes it for a 60 s lease
        rows = OutboxRows(session)
        [row] = await rows.due(wall.now)
        assert await rows.claim([row.id], now=wall.now, until=wall.now + 60) == [row.id]
        assert await rows.due(wall.now + 1) == []  # leased: no other worker sends it
    wall.now += 0.5
    fresh = Outbox(database, wall=wall)  # another node, or this one after a restart
    async with database.session() as session:
        due = await fresh.due_time(session, batch, now=wall.now, min_interval=5)
    assert due == wall.now - 0.5 + 5  # one interval after the message being sent


async def test_a_restart_sends_a_failed_digest_with_the_rows_that_joined_it(
    database: Database, smtp: SmtpReceiver
) -> None:
    wall = Wall()
    outbox, delivery = parts(database, smtp, wall)
    smtp.stop()
    async with database.session() as session:
        await outbox.add(session, [_digest_row("first", due_at=wall.now)])
        await session.commit()
    await delivery.deliver_due()  # fails: the row waits for its retry
    async with database.session() as session:  # a second lost call joins that retry
        due = await outbox.due_time(session, "email:ops@example.com:lost_call",
                                    now=wall.now + 0.5, min_interval=1)  # fmt: skip
        assert due == wall.now + backoff(1)
        await outbox.add(session, [_digest_row("second", due_at=due)])
        await session.commit()
    smtp.start()
    _, restarted = parts(database, smtp, wall)
    await restarted.start()
    await restarted.stop()  # its last flush: both now, as one digest
    [message] = smtp.messages
    assert str(message["Subject"]).startswith("[Hotline] 2 × Lost call in queue 800"), message
    assert await unsent(database) == 0
