"""Agents' sessions: the spans they were logged in, and paused (with the reason); each user
sees the agents of its scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hotline.access import User, visible
from hotline.store import AgentRecords, SessionFilter, SessionKind
from hotline.web.deps import ServicesDep, allow
from hotline.web.routers.paging import Name, PageDep, Since, Until, page_out
from hotline.web.schemas import AgentSessionOut, PageOut

__all__ = ["router"]

router = APIRouter(prefix="/api/agent-sessions", tags=["history"])


@router.get("", summary="Login and pause sessions overlapping the time range, newest first")
async def list_agent_sessions(
    services: ServicesDep,
    page: PageDep,
    user: Annotated[User, Depends(allow("history.read"))],
    since: Since = None,
    until: Until = None,
    agent: Annotated[Name, Query(description="Sessions of this agent")] = None,
    kind: Annotated[SessionKind | None, Query(description="login or pause")] = None,
) -> PageOut[AgentSessionOut]:
    scope = visible(user, "history.read")
    agents = scope.agents
    if scope.queues is not None:  # the members of the queues in scope
        config = services.config
        members = {a for q in config.queues if q.number in scope.queues for a in q.agents}
        agents = frozenset(members) if agents is None else agents & members
    where = SessionFilter(agent=agent, kind=kind, since=since, until=until, agents_in=agents)
    async with services.store.database.session() as session:
        found = await AgentRecords(session).sessions(where, page)
    return page_out(found, AgentSessionOut)
