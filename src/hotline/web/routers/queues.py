"""Queues with their live figures."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from hotline.web.deps import Access, ViewDep
from hotline.web.schemas import ErrorOut, QueueDetailOut, QueueOut

__all__ = ["router"]

router = APIRouter(prefix="/api/queues", tags=["queues"], dependencies=[Access])


@router.get("", summary="Every queue with its live statistics")
async def list_queues(view: ViewDep) -> list[QueueOut]:
    return view.queues()


@router.get(
    "/{number}",
    summary="One queue with its live statistics and the callers waiting",
    responses={404: {"model": ErrorOut}},
)
async def get_queue(number: str, view: ViewDep) -> QueueDetailOut:
    queue = view.queue_detail(number)
    if queue is None:
        raise HTTPException(404, f"no queue {number}")
    return queue
