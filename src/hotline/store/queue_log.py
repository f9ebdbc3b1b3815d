"""The queue event log: every ACD event, read back filtered and paged."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.events import QueueEventLogged
from hotline.store.models import QueueEvent
from hotline.store.paging import FIRST_PAGE, Page, PageRequest, fetch_page

__all__ = ["QUEUE_EVENT_COLUMNS", "QueueEventFilter", "QueueEvents", "queue_event_row"]


QUEUE_EVENT_COLUMNS = (
    "time", "call_id", "queue", "agent", "verb", "position", "original_position", "wait",
    "talk", "ring", "reason", "detail", "explanation",
)  # fmt: skip


def queue_event_row(event: QueueEventLogged) -> tuple[object, ...]:
    """The columns of one log line in ``QUEUE_EVENT_COLUMNS`` order, for a bulk insert."""
    return (
        event.at, event.call_id, event.queue, event.agent, event.verb, event.position,
        event.original_position, event.wait, event.talk, event.ring, event.reason,
        event.detail, event.explanation,
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueEventFilter:
    """Events in ``[since, until)`` (epoch seconds), narrowed by the fields set."""

    since: float | None = None
    until: float | None = None
    queue: str | None = None
    agent: str | None = None
    call_id: str | None = None
    verbs: frozenset[str] = frozenset()
    # What the reader may see (None: everything): events of these queues, or of these agents.
    queues_in: frozenset[str] | None = None
    agents_in: frozenset[str] | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.since is not None:
            where.append(QueueEvent.time >= self.since)
        if self.until is not None:
            where.append(QueueEvent.time < self.until)
        for column, value in ((QueueEvent.queue, self.queue), (QueueEvent.agent, self.agent),
                              (QueueEvent.call_id, self.call_id)):  # fmt: skip
            if value is not None:
                where.append(column == value)
        if self.queues_in is not None:
            where.append(QueueEvent.queue.in_(sorted(self.queues_in)))
        if self.agents_in is not None:
            where.append(QueueEvent.agent.in_(sorted(self.agents_in)))
        if self.verbs:
            where.append(QueueEvent.verb.in_(sorted(self.verbs)))
        return where


class QueueEvents:
    """The queue event log aggregate; the event writer is the only one that adds to it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def search(
        self,
        where: QueueEventFilter = QueueEventFilter(),
        page: PageRequest = FIRST_PAGE,
        *,
        newest_first: bool = False,
    ) -> Page[QueueEvent]:
        """Log lines matching ``where``, in the order they happened (or newest first)."""
        order = (QueueEvent.time.desc(), QueueEvent.id.desc()) if newest_first else (
            QueueEvent.time, QueueEvent.id)  # fmt: skip
        query = select(QueueEvent).where(*where.conditions()).order_by(*order)
        return await fetch_page(self.session, query, page)
