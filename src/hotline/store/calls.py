"""Call records: the read side (history with filters, paged) and the repair at start."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.store.models import CallRecord, Disposition
from hotline.store.paging import FIRST_PAGE, Page, PageRequest, fetch_page

__all__ = ["CallFilter", "CallRecords"]

INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFilter:
    """Calls that arrived in ``[since, until)`` (epoch seconds), narrowed by the fields set."""

    since: float | None = None
    until: float | None = None
    queue: str | None = None
    agent: str | None = None
    disposition: Disposition | None = None
    caller: str | None = None
    ended: bool | None = None
    # What the reader may see (None: everything): calls of these queues, or of these agents.
    queues_in: frozenset[str] | None = None
    agents_in: frozenset[str] | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.since is not None:
            where.append(CallRecord.arrived_at >= self.since)
        if self.until is not None:
            where.append(CallRecord.arrived_at < self.until)
        for column, value in ((CallRecord.queue, self.queue), (CallRecord.agent, self.agent),
                              (CallRecord.caller, self.caller)):  # fmt: skip
            if value is not None:
                where.append(column == value)
        if self.queues_in is not None:
            where.append(CallRecord.queue.in_(sorted(self.queues_in)))
        if self.agents_in is not None:
            where.append(CallRecord.agent.in_(sorted(self.agents_in)))
        if self.disposition is not None:
            where.append(CallRecord.disposition == self.disposition.value)
        if self.ended is not None:
            ended = CallRecord.ended_at.is_not(None)
            where.append(ended if self.ended else ~ended)
        return where


class CallRecords:
    """The call records aggregate; the event writer is the only one that adds to it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, call_id: str) -> CallRecord | None:
        """One call's record (None: unknown id)."""
        return await self.session.get(CallRecord, call_id)

    async def search(
        self, where: CallFilter = CallFilter(), page: PageRequest = FIRST_PAGE
    ) -> Page[CallRecord]:
        """Call history matching ``where``, newest arrival first."""
        query = (
            select(CallRecord)
            .where(*where.conditions())
            .order_by(CallRecord.arrived_at.desc(), CallRecord.call_id.desc())
        )
        return await fetch_page(self.session, query, page)

    async def close_interrupted(self, at: float) -> int:
        """Close the records of calls that were in progress when the process stopped without
        ending them (a kill, a crash): ``failed`` at ``at``, cause ``interrupted``. Call this
        at start, before the writer runs; returns how many were closed."""
        result = await self.session.execute(
            update(CallRecord)
            .where(CallRecord.ended_at.is_(None))
            .values(ended_at=at, end_cause=INTERRUPTED, disposition=Disposition.FAILED.value)
        )
        await self.session.commit()
        return int(getattr(result, "rowcount", 0))
