"""The queue log read back as the bus's events, for those who follow the bus and must catch
up on what happened while they were not running (the notifier after a kill)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.events import QueueEventLogged
from hotline.store.models import QueueEvent

__all__ = ["queue_events_since"]


async def queue_events_since(session: AsyncSession, since: float) -> list[QueueEventLogged]:
    """The queue log's lines from ``since`` on, in the order they were written."""
    query = select(QueueEvent).where(QueueEvent.time >= since).order_by(QueueEvent.id)
    return [_event(row) for row in (await session.scalars(query)).all()]


def _event(row: QueueEvent) -> QueueEventLogged:
    return QueueEventLogged(
        at=row.time, verb=row.verb, call_id=row.call_id, queue=row.queue, agent=row.agent,
        position=row.position, original_position=row.original_position, wait=row.wait,
        talk=row.talk, ring=row.ring, reason=row.reason, detail=row.detail,
        explanation=row.explanation,
    )  # fmt: skip
