"""The delivery worker: sends what the outbox holds, off the call path, until it is taken.

Every ``interval`` seconds (or when woken by a new row) it reads the due rows, gathers the
rows of one batch into one message (a digest), sends it and marks its rows sent. A failure
(the SMTP server down, a webhook answering 500) postpones the rows with an exponential
backoff; nothing is dropped.

Several nodes on one database each run a worker: a worker first claims the rows it is about
to send (their due time moves a lease ahead), so a row goes out through one worker only.

Exactly once: a row is marked sent in its own commit right after the receiver's 250 (or
2xx). A crash between the two (a few milliseconds) leaves the row unsent, and it goes again
after the restart: at least once, with the same Message-ID (and Idempotency-Key for a
webhook), so the repeat is recognisable. Marking before sending would turn that window into
a lost message instead, which the outbox exists to prevent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence

from hotline.notify.email import Email, SmtpSender
from hotline.notify.notices import Notice
from hotline.notify.render import Language, render
from hotline.notify.webhook import Webhook, WebhookSender
from hotline.store import Database, OutboxMessage, OutboxRows
from hotline.store.periodic import Periodic

__all__ = ["Delivery", "backoff"]

log = logging.getLogger(__name__)

FIRST_RETRY = 2.0  # seconds
LAST_RETRY = 300.0
LEASE = 60.0  # a claimed message is due again after this if its worker died sending it


def backoff(attempts: int, *, first: float = FIRST_RETRY, most: float = LAST_RETRY) -> float:
    """Seconds before the next try after ``attempts`` failed ones: doubling, capped."""
    return float(min(most, first * 2 ** max(0, attempts - 1)))


class Delivery:
    """The worker; ``start`` on the serving loop, ``stop`` to end it."""

    def __init__(
        self,
        database: Database,
        *,
        wall: Callable[[], float],
        smtp: SmtpSender | None,
        webhooks: Mapping[str, Webhook],
        queue_names: Mapping[str, str],
        public_url: str | None,
        interval: float = 1.0,
        first_retry: float = FIRST_RETRY,
    ) -> None:
        self.database = database
        self.wall = wall
        self.smtp = smtp
        self.webhooks = dict(webhooks)
        self.queue_names = dict(queue_names)
        self.public_url = public_url
        self.first_retry = first_retry
        self.webhook_sender = WebhookSender()
        self.sent = 0  # messages accepted by their receivers since start
        self._periodic = Periodic(self.deliver_due, interval=interval, name="notify-delivery")

    async def start(self) -> None:
        """Start the worker; messages that failed before (the previous run's) go at once."""
        async with self.database.session() as session:
            retried = await OutboxRows(session).retry_failed_now(self.wall())
        if retried:
            log.info("notify: %d messages that failed before are tried again now", retried)
        self._periodic.start()

    def wake(self) -> None:
        self._periodic.wake()

    async def stop(self) -> None:
        await self._periodic.stop()
        await self.webhook_sender.close()

    async def deliver_due(self) -> None:
        """Send every message due now, one batch after another."""
        now = self.wall()
        async with self.database.session() as session:
            rows = OutboxRows(session)
            for group in _grouped(await rows.due(now)):
                await self._deliver(rows, group, now)

    async def _deliver(self, rows: OutboxRows, group: list[OutboxMessage], now: float) -> None:
        tried = max(row.attempts for row in group)  # before this attempt, which the claim counts
        taken = set(await rows.claim([row.id for row in group], now=now, until=now + LEASE))
        group = [row for row in group if row.id in taken]
        if not group:
            return  # another node's worker is sending them
        ids = [row.id for row in group]
        try:
            await self._send(group, now)
        except Exception as error:  # any failure of the receiver: try again later
            delay = backoff(tried + 1, first=self.first_retry)
            log.warning("notify: %s to %s failed (%s); again in %.0f s",
                        group[0].channel, group[0].recipient, error, delay)  # fmt: skip
            await rows.postpone(ids, until=self.wall() + delay, error=str(error) or repr(error))
            return
        await rows.mark_sent(ids, now=self.wall())
        self.sent += 1

    async def _send(self, group: list[OutboxMessage], now: float) -> None:
        first = group[0]
        if first.channel == "email":
            await self._send_email(group)
        elif first.channel == "webhook":
            await self._send_webhook(group, now)
        else:
            raise ValueError(f"unknown channel {first.channel!r}")

    async def _send_email(self, group: list[OutboxMessage]) -> None:
        if self.smtp is None:
            raise RuntimeError("no [smtp] server configured")
        first = group[0]
        payload = _object(first.payload)
        if "email" in payload:
            email = Email.from_json(_object(payload["email"]))
        else:
            language: Language = "ru" if payload.get("language") == "ru" else "en"
            rendered = render(_notices(group), language=language, queue_names=self.queue_names,
                              public_url=self.public_url)  # fmt: skip
            email = Email(to=[first.recipient], subject=rendered.subject, text=rendered.text,
                          html=rendered.html)  # fmt: skip
        await self.smtp.send(email, key=first.key)

    async def _send_webhook(self, group: list[OutboxMessage], now: float) -> None:
        first = group[0]
        webhook = self.webhooks.get(first.recipient)
        if webhook is None:
            raise RuntimeError(f"no webhook named {first.recipient!r} configured")
        notices = [notice.as_json() for notice in _notices(group)]
        body = json.dumps({"key": first.key, "notifications": notices}).encode()
        await self.webhook_sender.send(webhook, body, key=first.key, now=now)


def _grouped(rows: Sequence[OutboxMessage]) -> list[list[OutboxMessage]]:
    """Rows of one batch together (in order), every other row alone."""
    groups: dict[tuple[str, str, str], list[OutboxMessage]] = {}
    for row in rows:
        identity = (row.channel, row.recipient, row.batch) if row.batch else ("", "", row.key)
        groups.setdefault(identity, []).append(row)
    return list(groups.values())


def _notices(group: Sequence[OutboxMessage]) -> list[Notice]:
    return [Notice.from_json(_object(_object(row.payload)["notice"])) for row in group]


def _object(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ValueError(f"an outbox payload is not an object: {value!r}")
    return value
