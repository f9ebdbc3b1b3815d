"""The WebSocket of live events: ``/ws/events[?queue=800&queue=801]``.

The first frame is a snapshot of queues, agents and calls; then, in order, the bus events
that match the filter and coalesced statistics frames (see ``hotline.web.live``). An unknown
queue in the filter closes the socket with 4404; a client too slow to read is closed with
1013; when Hotline stops, clients are closed with 1001.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from hotline.web.deps import Access, HubDep
from hotline.web.live import TRY_AGAIN_LATER, Client

__all__ = ["router"]

router = APIRouter(dependencies=[Access])

UNKNOWN_QUEUE = 4404


@router.websocket("/ws/events")
async def events(
    websocket: WebSocket, hub: HubDep, queue: Annotated[list[str] | None, Query()] = None
) -> None:
    await websocket.accept()
    unknown = hub.unknown_queues(queue or [])
    if unknown:
        await websocket.close(UNKNOWN_QUEUE, f"unknown queue {', '.join(unknown)}"[:120])
        return
    client = hub.connect(frozenset(queue) if queue else None)
    sender = asyncio.create_task(_send(websocket, client))
    receiver = asyncio.create_task(_receive(websocket))
    try:
        await asyncio.wait((sender, receiver), return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.disconnect(client)
        for task in (sender, receiver):
            task.cancel()
        await asyncio.gather(sender, receiver, return_exceptions=True)


async def _send(websocket: WebSocket, client: Client) -> None:
    while (frames := await client.frames()) is not None:
        for frame in frames:
            await websocket.send_text(frame)
    # Dropped: too slow, or Hotline is stopping. The close may wait on a full socket.
    reason = "too slow" if client.close_code == TRY_AGAIN_LATER else "stopping"
    with contextlib.suppress(Exception):
        async with asyncio.timeout(1.0):
            await websocket.close(client.close_code, reason)


async def _receive(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, until it goes."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
