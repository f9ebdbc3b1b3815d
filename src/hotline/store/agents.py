"""Agents' sessions and current state: written from ``AgentStateChanged``, read back at start
so a logged-in agent is still logged in after a restart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from hotline.events import AgentStateChanged
from hotline.store.models import AgentSession, AgentStatus, Base, SessionKind
from hotline.store.paging import FIRST_PAGE, Page, PageRequest, fetch_page
from hotline.store.upsert import upsert

__all__ = ["AgentRecords", "AgentSnapshot", "SessionFilter", "write_agent_change"]

SESSIONS = Base.metadata.tables[AgentSession.__tablename__]
STATUS = Base.metadata.tables[AgentStatus.__tablename__]


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSnapshot:
    """What to restore for one logged-in agent: since when, and its pause if any."""

    agent: str
    logged_in_at: float | None
    pause_reason: str | None
    paused_at: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionFilter:
    """Sessions overlapping ``[since, until)``, for one agent and/or kind when set."""

    agent: str | None = None
    kind: SessionKind | None = None
    since: float | None = None
    until: float | None = None
    agents_in: frozenset[str] | None = None  # what the reader may see (None: everything)


async def write_agent_change(connection: AsyncConnection, change: AgentStateChanged) -> None:
    """Record one login, logout, pause or unpause (``change`` as call control names it)."""
    if change.change == "logged_in":
        await _close_sessions(connection, change.agent, change.at, None)
        await _open_session(connection, change, SessionKind.LOGIN)
        await _set_status(connection, change, logged_in_at=change.at, pause=False)
    elif change.change == "logged_out":
        await _close_sessions(connection, change.agent, change.at, None)
        await connection.execute(
            update(STATUS)
            .where(STATUS.c.agent == change.agent)
            .values(logged_in=False, pause_reason=None, paused_at=None, updated_at=change.at)
        )
    elif change.change == "paused":
        await _close_sessions(connection, change.agent, change.at, SessionKind.PAUSE)
        await _open_session(connection, change, SessionKind.PAUSE)
        await _set_status(connection, change, logged_in_at=None, pause=True)
    elif change.change == "unpaused":
        await _close_sessions(connection, change.agent, change.at, SessionKind.PAUSE)
        await connection.execute(
            update(STATUS)
            .where(STATUS.c.agent == change.agent)
            .values(pause_reason=None, paused_at=None, updated_at=change.at)
        )


async def _open_session(
    connection: AsyncConnection, change: AgentStateChanged, kind: SessionKind
) -> None:
    await connection.execute(
        SESSIONS.insert().values(
            agent=change.agent, kind=kind.value, reason=change.reason, started_at=change.at
        )
    )


async def _close_sessions(
    connection: AsyncConnection, agent: str, at: float, kind: SessionKind | None
) -> None:
    """End the agent's open sessions (of one kind, or all): a logout ends its pause too."""
    where = [SESSIONS.c.agent == agent, SESSIONS.c.ended_at.is_(None)]
    if kind is not None:
        where.append(SESSIONS.c.kind == kind.value)
    await connection.execute(update(SESSIONS).where(*where).values(ended_at=at))


async def _set_status(
    connection: AsyncConnection,
    change: AgentStateChanged,
    *,
    logged_in_at: float | None,
    pause: bool,
) -> None:
    """Upsert the status row. A pause implies a login: an agent that is always logged in
    pauses without ever logging in, so the pause creates its row when there is none."""
    values = {
        "agent": change.agent,
        "logged_in": True,
        "logged_in_at": logged_in_at if logged_in_at is not None else change.at,
        "pause_reason": change.reason if pause else None,
        "paused_at": change.at if pause else None,
        "updated_at": change.at,
    }
    changed = ["logged_in", "pause_reason", "paused_at", "updated_at"]
    if not pause:
        changed.append("logged_in_at")
    statement = upsert(connection.dialect.name, STATUS, "agent", tuple(changed))
    await connection.execute(statement, values)


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
                          pause_reason=row.pause_reason, paused_at=row.paused_at)
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
