"""Write-behind on a timer: one task that flushes every ``interval`` seconds, or when woken.

The event writer and the SIP registrations both keep changes in memory and write them in
batches, so that call handling never waits for the database; this is their shared loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

__all__ = ["Periodic"]

log = logging.getLogger(__name__)


class Periodic:
    """Calls ``flush`` every ``interval`` seconds from one task named ``name``; ``wake`` calls
    it sooner, and ``stop`` ends the task and calls it a last time."""

    def __init__(
        self, flush: Callable[[], Awaitable[object]], *, interval: float, name: str
    ) -> None:
        self.flush = flush
        self.interval = interval
        self.name = name
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    def wake(self) -> None:
        """Flush now rather than at the end of the interval."""
        self._wake.set()

    async def stop(self) -> None:
        """End the task (after the flush in progress), then flush what is left."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # a bug in one flush must not stop the writing for the process
                log.exception("%s: flush failed", self.name)
