"""Agents' sessions: the spans they were logged in, and paused (with the reason)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hotline.store import AgentRecords, SessionFilter, SessionKind
from hotline.web.deps import Access, ServicesDep
from hotline.web.routers.paging import Name, PageDep, Since, Until, page_out
from hotline.web.schemas import AgentSessionOut, PageOut

__all__ = ["router"]

router = APIRouter(prefix="/api/agent-sessions", tags=["history"], dependencies=[Access])


@router.get("", summary="Login and pause sessions overlapping the time range, newest first")
async def list_agent_sessions(
    services: ServicesDep,
    page: PageDep,
    since: Since = None,
    until: Until = None,
    agent: Annotated[Name, Query(description="Sessions of this agent")] = None,
    kind: Annotated[SessionKind | None, Query(description="login or pause")] = None,
) -> PageOut[AgentSessionOut]:
    where = SessionFilter(agent=agent, kind=kind, since=since, until=until)
    async with services.store.database.session() as session:
        found = await AgentRecords(session).sessions(where, page)
    return page_out(found, AgentSessionOut)
