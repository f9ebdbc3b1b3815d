"""The clock call control reads: monotonic ``now``, the time of day, and timers.

Legs, calls and features are given a ``Clock`` instead of reading ``loop.time()`` or
``time.time()`` themselves, so their rules run on a fake clock in tests, with explicit times and
no sleeping (``hotline.testing.FakeClock``), as the SIP and ACD cores already do.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["Clock", "LoopClock", "Timer"]


class Timer(Protocol):
    """A pending callback; ``asyncio.TimerHandle`` is one."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """``now`` is monotonic seconds (timers use it), ``wall`` epoch seconds (records)."""

    def now(self) -> float: ...

    def wall(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer: ...

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer: ...


class LoopClock:
    """The running event loop's clock and timers, and the system's time of day."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def wall(self) -> float:
        return self._wall()

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        return asyncio.get_running_loop().call_at(when, callback)

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer:
        return asyncio.get_running_loop().call_later(delay, callback)
