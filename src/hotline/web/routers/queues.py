"""Queues with their live figures: those in the user's scope. The callers waiting (their
numbers are personal) only for those who may read the queue's calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from hotline.access import User, may
from hotline.web.deps import ViewDep, allow, require
from hotline.web.schemas import ErrorOut, QueueDetailOut, QueueOut
from hotline.web.targets import queue_target

__all__ = ["router"]

router = APIRouter(prefix="/api/queues", tags=["queues"])
Reader = Annotated[User, Depends(allow("queues.read"))]


@router.get("", summary="Every queue (in the user's scope) with its live statistics")
async def list_queues(view: ViewDep, user: Reader) -> list[QueueOut]:
    return [q for q in view.queues() if may(user, "queues.read", queue_target(q.number))]


@router.get(
    "/{number}",
    summary="One queue with its live statistics and the callers waiting",
    description="The callers are listed only for users who may read the queue's calls.",
    responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
async def get_queue(number: str, view: ViewDep, user: Reader) -> QueueDetailOut:
    require(user, "queues.read", queue_target(number))
    queue = view.queue_detail(number)
    if queue is None:
        raise HTTPException(404, f"no queue {number}")
    if not may(user, "calls.read", queue_target(number)):
        queue = queue.model_copy(update={"callers": []})
    return queue
