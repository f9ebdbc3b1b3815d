"""The outbox's rows: messages written before they are sent, then marked sent or postponed.

The delivery worker (``hotline.notify``) reads what is due, sends it and marks it here; a
message whose ``key`` is already stored is not written twice, so whoever enqueues may retry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.store.models import JsonValue, OutboxMessage
from hotline.store.upsert import insert_ignoring

__all__ = ["NewMessage", "OutboxRows"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NewMessage:
    """A row to write: ``channel`` (``email``, ``webhook``), ``recipient`` (an address, a
    webhook's name), ``batch`` (rows that may go out together as a digest; None: alone)."""

    key: str
    channel: str
    recipient: str
    payload: JsonValue
    due_at: float
    batch: str | None = None


class OutboxRows:
    """The outbox on one session. ``add`` leaves committing to the caller, so rows can be
    written in the transaction of what caused them; the marks commit."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, messages: Sequence[NewMessage], *, now: float) -> None:
        """Write ``messages``; one whose key is stored already is left as it is."""
        if not messages:
            return
        rows = [
            {"key": m.key, "channel": m.channel, "recipient": m.recipient, "batch": m.batch,
             "payload": m.payload, "created_at": now, "due_at": m.due_at, "attempts": 0}
            for m in messages
        ]  # fmt: skip
        dialect = (await self.session.connection()).dialect.name
        await self.session.execute(insert_ignoring(dialect, OutboxMessage), rows)

    async def due(self, now: float, *, limit: int = 500) -> Sequence[OutboxMessage]:
        """Unsent rows whose time has come and that no worker is sending, oldest first."""
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.due_at <= now, _unclaimed(now))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def claim(self, ids: Sequence[int], *, now: float, until: float) -> list[int]:
        """Take the rows ``ids`` that are still due for one attempt: they are leased to this
        worker until ``until``, so no other worker (another node on the same database) takes
        them, and a worker that dies mid-send leaves them due again then. The lease is kept
        apart from the due time, which sets the batch's pace: rows written while the send
        runs join the batch's digest, not the lease. The attempt counts from here, so a node
        started again after such a death sends them at once (``retry_failed_now``) rather
        than after the lease. Returns the rows taken; commits.
        On PostgreSQL a concurrent claim waits for this one and then finds them taken."""
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None),
                   OutboxMessage.due_at <= now, _unclaimed(now))
            .values(claimed_until=until, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id)
        )  # fmt: skip
        taken = list((await self.session.scalars(statement)).all())
        await self.session.commit()
        return taken

    async def retry_failed_now(self, now: float) -> int:
        """Make the unsent rows that failed before, or whose sending a death cut short, due at
        ``now`` (a restart is a new chance: it often follows a fix), with the rows of their
        batches that were waiting to go with them as one digest; other digests keep their
        time. Returns how many; commits."""
        unsent = OutboxMessage.sent_at.is_(None)
        failed = OutboxMessage.attempts > 0
        failed_batches = select(OutboxMessage.batch).where(
            unsent, failed, OutboxMessage.batch.is_not(None)
        )
        statement = (
            update(OutboxMessage)
            .where(unsent, failed | OutboxMessage.batch.in_(failed_batches),
                   (OutboxMessage.due_at > now) | OutboxMessage.claimed_until.is_not(None))
            .values(due_at=now, claimed_until=None)
        )  # fmt: skip
        result = await self.session.execute(statement)
        await self.session.commit()
        return int(getattr(result, "rowcount", 0) or 0)

    async def last_due(self, batch: str) -> float | None:
        """The latest time a row of ``batch`` was (or is) due: where its next digest goes."""
        query = select(func.max(OutboxMessage.due_at)).where(OutboxMessage.batch == batch)
        return await self.session.scalar(query)

    async def mark_sent(self, ids: Sequence[int], *, now: float) -> None:
        """The receiver accepted the message made of rows ``ids`` at ``now`` (its due time
        too, so the batch's pace counts from when it went)."""
        await self._set(ids, sent_at=now, due_at=now, claimed_until=None, last_error=None)

    async def postpone(self, ids: Sequence[int], *, until: float, error: str) -> None:
        """An attempt failed: try again at ``until``."""
        await self._set(ids, due_at=until, claimed_until=None, last_error=error[:255])

    async def unsent(self) -> int:
        query = select(func.count()).where(OutboxMessage.sent_at.is_(None))
        return await self.session.scalar(query) or 0

    async def purge_sent(self, before: float) -> int:
        """Delete rows sent before ``before``; an unsent row stays, however old. Commits."""
        statement = delete(OutboxMessage).where(
            OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < before
        )
        result = await self.session.execute(statement)
        await self.session.commit()
        return int(getattr(result, "rowcount", 0) or 0)

    async def _set(self, ids: Sequence[int], **values: object) -> None:
        statement = update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(**values)
        await self.session.execute(statement)
        await self.session.commit()


def _unclaimed(now: float) -> ColumnElement[bool]:
    """No worker holds the row: never claimed, or its lease ran out (the worker died)."""
    return OutboxMessage.claimed_until.is_(None) | (OutboxMessage.claimed_until <= now)
