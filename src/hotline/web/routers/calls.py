"""Calls: those in progress, and the call history from the store (filtered, paged)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from hotline.store import CallFilter, CallRecords, Disposition
from hotline.web.deps import Access, ServicesDep, ViewDep
from hotline.web.routers.paging import Name, PageDep, Since, Until, page_out
from hotline.web.schemas import CallOut, ErrorOut, LiveCallOut, PageOut

__all__ = ["router"]

router = APIRouter(prefix="/api/calls", tags=["calls"], dependencies=[Access])


@router.get("/live", summary="Calls in progress")
async def live_calls(view: ViewDep) -> list[LiveCallOut]:
    return view.calls()


@router.get("", summary="Call history, newest first")
async def list_calls(
    services: ServicesDep,
    page: PageDep,
    since: Since = None,
    until: Until = None,
    queue: Annotated[Name, Query(description="Calls that last waited in this queue")] = None,
    agent: Annotated[Name, Query(description="Calls taken by this agent")] = None,
    disposition: Annotated[Disposition | None, Query(description="How the call ended")] = None,
) -> PageOut[CallOut]:
    where = CallFilter(since=since, until=until, queue=queue, agent=agent, disposition=disposition)
    async with services.store.database.session() as session:
        found = await CallRecords(session).search(where, page)
    return page_out(found, CallOut)


@router.get("/{call_id}", summary="One call's record", responses={404: {"model": ErrorOut}})
async def get_call(call_id: str, services: ServicesDep) -> CallOut:
    async with services.store.database.session() as session:
        record = await CallRecords(session).get(call_id[:128])
    if record is None:
        raise HTTPException(404, f"no call {call_id}")
    return CallOut.model_validate(record)
