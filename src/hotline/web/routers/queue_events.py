"""The queue event log (every ACD event, like Asterisk's queue_log), filtered and paged; each
user sees the events of its scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hotline.access import User, visible
from hotline.store import QueueEventFilter, QueueEvents
from hotline.web.deps import ServicesDep, allow
from hotline.web.routers.paging import Name, PageDep, Since, Until, page_out
from hotline.web.schemas import PageOut, QueueEventOut

__all__ = ["router"]

router = APIRouter(prefix="/api/queue-events", tags=["history"])


@router.get("", summary="The queue event log, oldest first (or newest first)")
async def list_queue_events(
    services: ServicesDep,
    page: PageDep,
    user: Annotated[User, Depends(allow("history.read"))],
    since: Since = None,
    until: Until = None,
    queue: Annotated[Name, Query(description="Events of this queue")] = None,
    agent: Annotated[Name, Query(description="Events of this agent")] = None,
    call_id: Annotated[str | None, Query(max_length=128, description="Events of this call")] = None,
    verb: Annotated[
        list[Annotated[str, Query(max_length=32)]] | None,
        Query(max_length=50, description="Only these verbs (repeat: verb=CONNECT&verb=ABANDON)"),
    ] = None,
    newest_first: Annotated[bool, Query(description="Newest events first")] = False,
) -> PageOut[QueueEventOut]:
    scope = visible(user, "history.read")
    where = QueueEventFilter(
        since=since, until=until, queue=queue, agent=agent, call_id=call_id,
        verbs=frozenset(v.upper() for v in verb or ()),
        queues_in=scope.queues, agents_in=scope.agents,
    )  # fmt: skip
    async with services.store.database.session() as session:
        found = await QueueEvents(session).search(where, page, newest_first=newest_first)
    return page_out(found, QueueEventOut)
