"""The outbox: every message Hotline sends (an email, a webhook call) is a database row
first, written with an idempotency key; the delivery worker sends it later, off the call
path, and retries until the receiver accepts it.

``Outbox.enqueue_email`` is the interface for any part that mails (scheduled reports): it
returns once the row is committed, and a second call with the same ``key`` is a no-op.

Rate limits live here too: rows of one ``batch`` (a recipient and a kind) get due times at
least ``min_interval`` apart, and the worker sends the rows of a batch due together as one
digest. The times are in the rows, so a restart keeps both the messages and their pace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from hotline.notify.email import Email
from hotline.store import Database, NewMessage, OutboxRows

__all__ = ["Outbox"]

log = logging.getLogger(__name__)


class Outbox:
    """Writes messages to send; ``on_enqueue`` is told after each commit (the worker wakes)."""

    def __init__(self, database: Database, *, wall: Callable[[], float]) -> None:
        self.database = database
        self.wall = wall
        self.on_enqueue: Callable[[], None] = lambda: None

    async def enqueue_email(
        self,
        to: Sequence[str],
        subject: str,
        text: str,
        html: str | None = None,
        attachments: Sequence[tuple[str, str, bytes]] = (),
        *,
        key: str,
    ) -> None:
        """Send an email to ``to`` as soon as the SMTP server takes it; ``attachments`` are
        (filename, MIME type, bytes); ``key`` makes the message once-only (its Message-ID)."""
        if not to:
            raise ValueError("an email needs at least one recipient")
        email = Email(to=list(to), subject=subject, text=text, html=html, attachments=attachments)
        message = NewMessage(
            key=f"email:{key}",
            channel="email",
            recipient=", ".join(to)[:255],
            payload={"email": email.as_json()},  # type: ignore[dict-item]  # JSON of plain types
            due_at=self.wall(),
        )
        async with self.database.session() as session:
            await self.add(session, [message])
            await session.commit()
        self.on_enqueue()

    async def add(self, session: AsyncSession, messages: Sequence[NewMessage]) -> None:
        """Write ``messages`` in ``session``'s transaction (the caller commits)."""
        await OutboxRows(session).add(messages, now=self.wall())

    async def due_time(
        self,
        session: AsyncSession,
        batch: str,
        *,
        now: float,
        min_interval: float,
        given: dict[str, float] | None = None,
    ) -> float:
        """When a new row of ``batch`` may go: now if the batch's last message is at least
        ``min_interval`` old, with the waiting digest if one is due later, else one interval
        after the last. ``given`` holds the due times given to rows of this transaction not
        written yet (per batch): one given is never before the stored last, so the store is
        read once a batch and transaction. The new one is added to it."""
        last = None if given is None else given.get(batch)
        if last is None:
            last = await OutboxRows(session).last_due(batch)
        if last is None:
            due = now
        elif last > now:
            due = last  # a digest is gathering: join it
        else:
            due = max(now, last + min_interval)
        if given is not None:
            given[batch] = due
        return due
