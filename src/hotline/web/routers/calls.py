"""Calls: those in progress, and the call history from the store (filtered, paged); each
user sees the calls of its scope (a supervisor its queues', an agent its own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from hotline.access import User, may, visible
from hotline.store import CallFilter, CallRecords, Disposition
from hotline.web.deps import ServicesDep, ViewDep, allow, require
from hotline.web.routers.paging import Name, PageDep, Since, Until, page_out
from hotline.web.schemas import CallOut, ErrorOut, LiveCallOut, PageOut
from hotline.web.targets import call_target

__all__ = ["router"]

router = APIRouter(prefix="/api/calls", tags=["calls"])


@router.get("/live", summary="Calls in progress (in the user's scope)")
async def live_calls(
    view: ViewDep, user: Annotated[User, Depends(allow("calls.read"))]
) -> list[LiveCallOut]:
    return [c for c in view.calls() if may(user, "calls.read", call_target(c.queue, c.agent))]


History = Annotated[User, Depends(allow("history.read"))]


@router.get("", summary="Call history (in the user's scope), newest first")
async def list_calls(
    services: ServicesDep,
    page: PageDep,
    user: History,
    since: Since = None,
    until: Until = None,
    queue: Annotated[Name, Query(description="Calls that last waited in this queue")] = None,
    agent: Annotated[Name, Query(description="Calls taken by this agent")] = None,
    disposition: Annotated[Disposition | None, Query(description="How the call ended")] = None,
) -> PageOut[CallOut]:
    scope = visible(user, "history.read")
    where = CallFilter(
        since=since, until=until, queue=queue, agent=agent, disposition=disposition,
        queues_in=scope.queues, agents_in=scope.agents,
    )  # fmt: skip
    async with services.store.database.session() as session:
        found = await CallRecords(session).search(where, page)
    return page_out(found, CallOut)


@router.get(
    "/{call_id}",
    summary="One call's record",
    responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
async def get_call(call_id: str, services: ServicesDep, user: History) -> CallOut:
    async with services.store.database.session() as session:
        record = await CallRecords(session).get(call_id[:128])
    if record is None:
        raise HTTPException(404, f"no call {call_id}")
    require(user, "history.read", call_target(record.queue, record.agent))
    return CallOut.model_validate(record)
