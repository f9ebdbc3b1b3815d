"""The WebSocket of live events: ``/ws/events[?queue=800&queue=801][&token=...]``.

The client signs in with the ``Authorization`` header, the session cookie or ``?token=``
(a browser cannot set headers on a WebSocket); without a valid one the socket is closed with
1008. The first frame is a snapshot of queues, agents and calls; then, in order, the bus events
that match the filter and coalesced statistics frames (see ``hotline.web.live``), each as the
user's role and scope allow. An unknown queue in the filter closes the socket with 4404, a
queue outside the user's scope with 1008; a client too slow to read is closed with 1013; when
Hotline stops, clients are closed with 1001.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import APIRouter, Depends, Query, WebSocket, WebSocketDisconnect

from hotline.access import User, may, visible
from hotline.web.deps import HubDep, allow_socket
from hotline.web.live import POLICY_VIOLATION, SERVICE_RESTART, TRY_AGAIN_LATER, Client, Lens
from hotline.web.targets import queue_target

__all__ = ["router"]

router = APIRouter()

UNKNOWN_QUEUE = 4404
REASONS = {
    TRY_AGAIN_LATER: "too slow",
    POLICY_VIOLATION: "signed out",
    SERVICE_RESTART: "access changed",
}


@router.websocket("/ws/events")
async def events(
    websocket: WebSocket,
    hub: HubDep,
    user: Annotated[User, Depends(allow_socket("events.read"))],
    queue: Annotated[list[str] | None, Query()] = None,
) -> None:
    await websocket.accept()
    unknown = hub.unknown_queues(queue or [])
    if unknown:
        await websocket.close(UNKNOWN_QUEUE, f"unknown queue {', '.join(unknown)}"[:120])
        return
    if not all(may(user, "events.read", queue_target(number)) for number in queue or []):
        await websocket.close(POLICY_VIOLATION, f"out of {user.name}'s scope")
        return
    lens = lens_of(user, frozenset(queue) if queue else None)
    client = hub.connect(lens, user=user.name, token=websocket.state.token)
    sender = asyncio.create_task(_send(websocket, client))
    receiver = asyncio.create_task(_receive(websocket))
    try:
        await asyncio.wait((sender, receiver), return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.disconnect(client)
        for task in (sender, receiver):
            task.cancel()
        await asyncio.gather(sender, receiver, return_exceptions=True)


def lens_of(user: User, asked: frozenset[str] | None) -> Lens:
    """What ``user`` sees of the queues ``asked`` for (None: all it may), from the policy:
    the queues of its scope; an agent only itself; no calls for those who may not read
    any (a wallboard)."""
    scope = visible(user, "events.read").queues
    queues = asked if scope is None or asked is not None else scope
    own = visible(user, "agents.read").agents  # an agent's own extension; None: no limit
    agent = next(iter(own), None) if own is not None else None
    return Lens(queues=queues, agent=agent, calls=may(user, "calls.read"))


async def _send(websocket: WebSocket, client: Client) -> None:
    while (frames := await client.frames()) is not None:
        for frame in frames:
            await websocket.send_text(frame)
    # Dropped: too slow, signed out, or Hotline is stopping. The close may wait on a full
    # socket.
    reason = REASONS.get(client.close_code, "stopping")
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
