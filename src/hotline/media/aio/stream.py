"""Delivery of media events to call control: a bounded queue and synchronous callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from ..events import MediaEvent

__all__ = ["EventStream"]

# Events kept for events() when nobody consumes them yet; older ones are dropped beyond this.
_BACKLOG = 10_000


class EventStream:
    """Fans every event out to the callbacks and to one queue for ``events()``."""

    def __init__(self, backlog: int = _BACKLOG) -> None:
        self.queue: asyncio.Queue[MediaEvent] = asyncio.Queue(maxsize=backlog)
        self.callbacks: list[Callable[[MediaEvent], None]] = []

    def emit(self, event: MediaEvent) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # Nobody reads events() (call control may use callbacks only): keep the newest.
            self.queue.get_nowait()
            self.queue.put_nowait(event)
        for callback in self.callbacks:
            callback(event)

    async def iterate(self) -> AsyncIterator[MediaEvent]:
        while True:
            yield await self.queue.get()
