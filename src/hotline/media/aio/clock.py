"""The single 20 ms media clock: one ``loop.call_at`` chain drives every stream.

A tick that starts more than half a frame after its due time is late (the jitter buffers
absorb that much); the count is the engine's saturation metric. When the loop was blocked for
several frames, up to ``max_catch_up`` ticks run back to back so players and recordings keep
their timeline; beyond that the clock skips ahead rather than bursting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ClockMetrics", "MediaClock"]

log = logging.getLogger(__name__)


# The recent window: this many whole seconds of ticks, the last one first out.
_RECENT_SECONDS = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockMetrics:
    """Ticks run, ticks late, ticks skipped, and the worst tick's run time; and the same
    over the last minute (``recent_*``: skipped ticks count as due and late), which says
    whether media is overloaded now rather than at some time since the start."""

    ticks: int
    late_ticks: int
    skipped_ticks: int
    max_tick_seconds: float
    recent_ticks: int = 0
    recent_late_ticks: int = 0

    @property
    def late_ratio(self) -> float:
        return self.late_ticks / self.ticks if self.ticks else 0.0

    @property
    def recent_late_ratio(self) -> float:
        return self.recent_late_ticks / self.recent_ticks if self.recent_ticks else 0.0


class MediaClock:
    """Calls ``on_tick(now)`` every ``interval`` seconds on the running loop.

    ``now`` is the tick's due time, not the moment it runs: streams built on the tick take
    their RTP timestamps from it, so a late tick and the ones catching up after it stay on
    the 20 ms grid, and only skipped ticks leave a gap (which the timestamps then show).
    """

    def __init__(
        self, on_tick: Callable[[float], None], *, interval: float = 0.02, max_catch_up: int = 3
    ) -> None:
        self._on_tick = on_tick
        self.interval = interval
        self._max_catch_up = max_catch_up
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._ticks = self._late = self._skipped = 0
        self._max_run = 0.0
        # (due, late) ticks of each of the last whole seconds, and of the second under way.
        self._recent: deque[tuple[int, int]] = deque(maxlen=_RECENT_SECONDS)
        self._second = [0, 0]
        self._per_second = round(1 / interval)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._due = time.monotonic() + self.interval
        self._schedule(loop)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def reset_metrics(self) -> None:
        self._ticks = self._late = self._skipped = 0
        self._max_run = 0.0
        self._recent.clear()
        self._second = [0, 0]

    @property
    def metrics(self) -> ClockMetrics:
        return ClockMetrics(
            ticks=self._ticks,
            late_ticks=self._late,
            skipped_ticks=self._skipped,
            max_tick_seconds=self._max_run,
            recent_ticks=sum(due for due, _ in self._recent),
            recent_late_ticks=sum(late for _, late in self._recent),
        )

    def _count(self, due: int, late: int) -> None:
        """Add ticks to the second under way; a full second joins the recent window."""
        second = self._second
        second[0] += due
        second[1] += late
        if second[0] >= self._per_second:
            self._recent.append((second[0], second[1]))
            self._second = [0, 0]

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        # loop.time() and time.monotonic() share CLOCK_MONOTONIC on Linux but not their
        # resolution, so translate the due time instead of assuming they are equal.
        delay = self._due - time.monotonic()
        self._handle = loop.call_at(loop.time() + max(delay, 0.0), self._run, loop)

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        start = time.monotonic()
        runs = 0
        while self._due <= start and runs < self._max_catch_up:
            self._ticks += 1
            late = start - self._due > self.interval / 2
            self._late += late
            self._count(1, late)
            try:
                self._on_tick(self._due)
            except Exception:  # a bug in one tick must not stop the clock for every call
                log.exception("media tick failed")
            self._due += self.interval
            runs += 1
        now = time.monotonic()
        self._max_run = max(self._max_run, now - start)
        if now - self._due > self.interval * self._max_catch_up:
            skipped = int((now - self._due) / self.interval)
            self._skipped += skipped
            self._count(skipped, skipped)
            self._due += skipped * self.interval
        self._schedule(loop)
