"""Notices to messages: 500 lost calls in two minutes give a handful of digests naming every
call, a supervisor of another queue gets nothing, a webhook's signature verifies with its
secret only, and the in-app centre keeps one row per notice (one per ongoing SLA breach)."""

from __future__ import annotations

import json
import re

from hotline.events import QueueEventLogged
from hotline.notify import (
    Contact,
    Delivery,
    Notifier,
    Outbox,
    Preferences,
    QueueWatch,
    Rule,
    RuleBook,
    SmtpSender,
    SmtpSettings,
    Watcher,
    Webhook,
    verify,
)
from hotline.store import Database, EventWriter, NotificationFilter, NotificationRows
from hotline.testing.mail import HttpReceiver, SmtpReceiver

from .test_outbox import Wall

SECRET = "a-secret-of-the-crm-webhook"
LOST = frozenset({"lost_call"})
CONTACTS = {
    "sup800": Contact(email="sup800@example.com", language="en", queues=frozenset({"800"})),
    "sup801": Contact(email="sup801@example.com", language="ru", queues=frozenset({"801"})),
}


def build(
    database: Database, wall: Wall, smtp: SmtpReceiver, *, hook_url: str = "", minutes: float = 0.5
) -> tuple[Notifier, Delivery]:
    queues = {n: QueueWatch(number=n, name=f"Queue {n}") for n in ("800", "801")}
    watcher = Watcher(queues, staffed=lambda _q: True, queues_of=lambda _a: frozenset())
    rules = RuleBook([Rule(kinds=("lost_call",), users=("sup800", "sup801"), webhooks=("crm",))])
    outbox = Outbox(database, wall=wall)

    async def contacts() -> dict[str, Contact]:
        return CONTACTS

    notifier = Notifier(database, watcher, rules, outbox, wall=wall, contacts=contacts,
                        min_interval=minutes * 60)  # fmt: skip
    delivery = Delivery(
        database,
        wall=wall,
        smtp=SmtpSender(SmtpSettings(port=smtp.port, timeout=5.0)),
        webhooks={"crm": Webhook(name="crm", url=hook_url or "http://127.0.0.1:9/", secret=SECRET)},
        queue_names={"800": "Support"},
        public_url="https://hotline.example.com",
    )
    return notifier, delivery


def lost(notifier: Notifier, wall: Wall, index: int, queue: str = "800") -> None:
    call = f"call-{queue}-{index}"
    number = f"+7999{index:07d}"
    notifier.submit(QueueEventLogged(at=wall.now - 40, verb="ENTERQUEUE", call_id=call,
                                     queue=queue, position=1, detail=number))  # fmt: skip
    notifier.submit(QueueEventLogged(at=wall.now, verb="ABANDON", call_id=call, queue=queue,
                                     position=1, wait=40.0))  # fmt: skip


async def test_a_flood_of_lost_calls_gives_a_few_digests_naming_every_call(
    database: Database, smtp: SmtpReceiver, http: HttpReceiver
) -> None:
    wall = Wall()
    notifier, delivery = build(database, wall, smtp, hook_url=http.url)
    for index in range(500):  # 500 calls in 120 s, written and delivered as time goes
        lost(notifier, wall, index)
        wall.now += 0.24
        if index % 10 == 9:
            await notifier.flush()
            await delivery.deliver_due()
    wall.now += 60  # the last digest's time comes
    await notifier.flush()
    await delivery.deliver_due()

    mails = [m for m in smtp.messages if m["X-Envelope-To"] == "sup800@example.com"]
    assert 3 <= len(mails) <= 6  # one at once, then one per 30 s
    texts = [str(m.get_body(("plain",)).get_content()) for m in mails]  # type: ignore[union-attr]
    numbers = {n for text in texts for n in re.findall(r"\+7999\d{7}", text)}
    assert numbers == {f"+7999{index:07d}" for index in range(500)}
    assert any(m["Subject"].startswith("[Hotline] ") and " × Lost call in queue Support between "
               in m["Subject"] for m in mails)  # fmt: skip
    assert "https://hotline.example.com/api/calls/call-800-0" in texts[0]
    # The supervisor of the other queue hears nothing of this one.
    assert [m for m in smtp.messages if m["X-Envelope-To"] == "sup801@example.com"] == []
    # The webhook got digests too, every call in them, each signed.
    bodies = [json.loads(r.body) for r in http.requests]
    assert 3 <= len(bodies) <= 6
    assert sum(len(b["notifications"]) for b in bodies) == 500
    async with database.session() as session:
        rows = NotificationRows(session)
        assert (
            await rows.unread(
                NotificationFilter(user="sup800", queues=frozenset({"800"}), kinds=LOST)
            )
            == 500
        )
        assert (
            await rows.unread(
                NotificationFilter(user="sup801", queues=frozenset({"801"}), kinds=LOST)
            )
            == 0
        )
    await delivery.webhook_sender.close()  # its connection to the receiver


async def test_a_webhook_is_signed_with_its_secret_and_retried_until_taken(
    database: Database, smtp: SmtpReceiver, http: HttpReceiver
) -> None:
    wall = Wall()
    notifier, delivery = build(database, wall, smtp, hook_url=http.url)
    http.status = 500  # the CRM is broken for a while
    lost(notifier, wall, 1, queue="801")
    await notifier.flush()
    await delivery.deliver_due()
    assert len(http.requests) == 1
    http.status = 200
    wall.now += 2.0
    await delivery.deliver_due()
    wall.now += 600
    await delivery.deliver_due()
    assert len(http.requests) == 2  # taken once, then never again
    assert http.requests[0].client_port == http.requests[1].client_port  # one connection kept
    request = http.requests[-1]
    timestamp = request.headers["X-Hotline-Timestamp"]
    signature = request.headers["X-Hotline-Signature"]
    assert verify(SECRET, timestamp, signature, request.body, now=wall.now - 600)
    assert not verify("another-secret-entirely", timestamp, signature, request.body,
                      now=wall.now - 600)  # fmt: skip
    assert not verify(SECRET, timestamp, signature, request.body + b" ", now=wall.now - 600)
    assert not verify(SECRET, timestamp, signature, request.body, now=wall.now + 3600)  # replayed
    notice = json.loads(request.body)["notifications"][0]
    assert (notice["kind"], notice["queue"], notice["facts"]["number"]) == (
        "lost_call", "801", "+79990000001",
    )  # fmt: skip
    assert request.headers["Idempotency-Key"] == json.loads(request.body)["key"]
    # In Russian for the supervisor of 801, and only to it.
    [mail] = smtp.messages
    assert mail["X-Envelope-To"] == "sup801@example.com"
    assert "Потерянный звонок" in mail["Subject"]
    await delivery.webhook_sender.close()  # its connection to the receiver


async def test_a_start_recovers_lost_calls_whose_notice_a_kill_lost(
    database: Database, smtp: SmtpReceiver
) -> None:
    """The queue log has the lost call (the store wrote it), no notification has: as if the
    process died between the two writes."""
    wall = Wall()
    writer = EventWriter(database)
    for event in (
        QueueEventLogged(at=wall.now - 50, verb="ENTERQUEUE", call_id="killed", queue="800",
                         position=1, detail="+74957770000"),
        QueueEventLogged(at=wall.now - 10, verb="ABANDON", call_id="killed", queue="800",
                         position=1, wait=40.0),
    ):  # fmt: skip
        writer.submit(event)
    await writer.flush()
    notifier, delivery = build(database, wall, smtp)
    assert await notifier.recover(since=wall.now - 600) == 1
    assert await notifier.recover(since=wall.now - 600) == 0  # once only
    await delivery.deliver_due()
    [mail] = smtp.messages
    assert mail["X-Envelope-To"] == "sup800@example.com"
    assert "+74957770000" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_the_pace_of_a_recipient_counts_from_when_its_last_message_went(
    database: Database, smtp: SmtpReceiver
) -> None:
    """The SMTP server is down when a lost call is noticed; its email goes 100 s late. The
    next lost call, 50 s after that, waits for a full interval from when the first went, not
    from when the first was due."""
    wall = Wall()
    notifier, delivery = build(database, wall, smtp, minutes=5)
    smtp.stop()
    lost(notifier, wall, 1)
    await notifier.flush()
    await delivery.deliver_due()  # refused
    wall.now += 100
    smtp.start()
    await delivery.deliver_due()
    assert len(smtp.messages) == 1
    wall.now += 50
    lost(notifier, wall, 2)
    await notifier.flush()
    wall.now += 200  # 350 s after the first was due, 250 s after it went
    await delivery.deliver_due()
    assert len(smtp.messages) == 1
    wall.now += 60  # 310 s after it went
    await delivery.deliver_due()
    assert len(smtp.messages) == 2


async def test_a_user_who_muted_a_kind_gets_no_email_of_it(
    database: Database, smtp: SmtpReceiver
) -> None:
    """The rule names both supervisors; the one of 800 muted lost calls for itself."""
    wall = Wall()
    notifier, delivery = build(database, wall, smtp)
    notifier.rules.preferences["sup800"] = Preferences(muted=LOST)
    lost(notifier, wall, 1, queue="800")
    lost(notifier, wall, 2, queue="801")
    await notifier.flush()
    await delivery.deliver_due()
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["sup801@example.com"]
