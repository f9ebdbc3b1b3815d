"""Delivery of media events to call control: a bounded queue and synchronous callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from ..events import MediaEvent

__all__ = ["EventSource", "EventStream"]

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


class EventSource:
    """The event side of the media interface, over ``self._stream`` (the server in this
    process and the worker proxy alike)."""

    _stream: EventStream

    def subscribe(self, callback: Callable[[MediaEvent], None]) -> None:
        """Call ``callback`` for every event, synchronously, as it happens."""
        self._stream.callbacks.append(callback)

    def events(self) -> AsyncIterator[MediaEvent]:
        """Every event, in order, for one consumer: ``async for event in server.events()``."""
        return self._stream.iterate()

    async def next_event(self) -> MediaEvent:
        """The next event (for a consumer that awaits them one by one)."""
        return await self._stream.queue.get()
