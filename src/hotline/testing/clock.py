"""A fake clock for call-control rules: time moves only when the test says so."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

__all__ = ["FakeClock", "FakeTimer"]


class FakeTimer:
    def __init__(self, when: float, callback: Callable[[], object]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """``hotline.pbx.Clock`` with an explicit ``now``: ``advance`` runs the timers that fall
    due, in time order, each at its own time. ``wall`` is ``now`` plus a fixed epoch."""

    def __init__(self, now: float = 0.0, *, epoch: float = 1_800_000_000.0) -> None:
        self._now = now
        self._epoch = epoch
        self._order = itertools.count()
        self._timers: list[tuple[float, int, FakeTimer]] = []

    def now(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._epoch + self._now

    def call_at(self, when: float, callback: Callable[[], object]) -> FakeTimer:
        timer = FakeTimer(when, callback)
        heapq.heappush(self._timers, (when, next(self._order), timer))
        return timer

    def call_later(self, delay: float, callback: Callable[[], object]) -> FakeTimer:
        return self.call_at(self._now + delay, callback)

    def advance(self, seconds: float) -> None:
        """Move time ``seconds`` on, firing every timer due by then."""
        self.run_until(self._now + seconds)

    def run_until(self, when: float) -> None:
        while self._timers and self._timers[0][0] <= when:
            due, _, timer = heapq.heappop(self._timers)
            self._now = max(self._now, due)
            if not timer.cancelled:
                timer.callback()
        self._now = max(self._now, when)

    @property
    def pending(self) -> list[float]:
        """When the timers not cancelled are due, soonest first."""
        return sorted(when for when, _, timer in self._timers if not timer.cancelled)
