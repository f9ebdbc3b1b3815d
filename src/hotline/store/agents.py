"""Agents' sessions and current state, read back at start so a logged-in agent is still logged
in after a restart, to the same queues (the writer records them: ``hotline.store.agent_batch``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.store.models import AgentSession, AgentStatus, Base, JsonValue, SessionKind
from hotline.store.paging import FIRST_PAGE, Page, PageRequest, fetch_page

__all__ = ["AgentRecords", "AgentSnapshot", "SessionFilter"]

SESSIONS = Base.metadata.tables[AgentSession.__tablename__]
STATUS = Base.metadata.tables[AgentStatus.__tablename__]


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSnapshot:
    """What to restore for one logged-in agent: since when, the queues it was logged in to
    (None: all its queues, as rows from before these were kept say), and its pause if any."""

    agent: str
    logged_in_at: float | None
    pause_reason: str | None
    paused_at: float | None
    queues: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionFilter:
    """Sessions overlapping ``[since, until)``, for one agent and/or kind when set."""

    agent: str | None = None
    kind: SessionKind | None = None
    since: float | None = None
    until: float | None = None
    agents_in: frozenset[str] | None = None  # what the reader may see (None: everything)


class AgentRecords:
    """Read side of the agents aggregate: the state to restore, and the sessions history."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def logged_in(self) -> list[AgentSnapshot]:
        """The agents to log back in at start, with their pause, by agent name."""
        rows = await self.session.scalars(
            select(AgentStatus).where(AgentStatus.logged_in).order_by(AgentStatus.agent)
        )
        return [
            AgentSnapshot(agent=row.agent, logged_in_at=row.logged_in_at,
                          pause_reason=row.pause_reason, paused_at=row.paused_at,
                          queues=_queues(row.queues))
            for row in rows
        ]  # fmt: skip

    async def statuses(self) -> Sequence[AgentStatus]:
        """Every agent the store has seen, with its current login and pause state."""
        return (await self.session.scalars(select(AgentStatus).order_by(AgentStatus.agent))).all()

    async def sessions(
        self, where: SessionFilter, page: PageRequest = FIRST_PAGE
    ) -> Page[AgentSession]:
        """Login and pause sessions matching ``where``, newest first."""
        conditions = []
        if where.agent is not None:
            conditions.append(AgentSession.agent == where.agent)
        if where.agents_in is not None:
            conditions.append(AgentSession.agent.in_(sorted(where.agents_in)))
        if where.kind is not None:
            conditions.append(AgentSession.kind == where.kind.value)
        if where.until is not None:
            conditions.append(AgentSession.started_at < where.until)
        if where.since is not None:
            conditions.append(
                AgentSession.ended_at.is_(None) | (AgentSession.ended_at >= where.since)
            )
        query = (
            select(AgentSession)
            .where(*conditions)
            .order_by(AgentSession.started_at.desc(), AgentSession.id.desc())
        )
        return await fetch_page(self.session, query, page)


def _queues(value: JsonValue) -> tuple[str, ...] | None:
    """The row's JSON list of queues; anything else (null) means all the agent's queues."""
    if not isinstance(value, list):
        return None
    return tuple(str(queue) for queue in value)
