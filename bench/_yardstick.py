"""A yardstick for CPU figures taken on a shared machine.

A virtual machine's host has slow periods (other guests, frequency) in which every CPU figure
of a benchmark drops alike, at the same load average. The yardstick is a fixed pure-Python
loop timed in CPU seconds: printed before and after a benchmark, it tells a slow period from a
slow change (compare figures only where the yardstick read alike).
"""

from __future__ import annotations

import time

_STEPS = 20_000


def yardstick(seconds: float = 0.3) -> float:
    """Millions of steps a second of CPU time of a fixed loop of dictionary and attribute work."""
    table: dict[int, int] = {}
    steps = 0
    started = time.process_time()
    while (spent := time.process_time() - started) < seconds:
        for step in range(_STEPS):
            table[step & 255] = table.get(step & 127, 0) + step
        steps += _STEPS
    return steps / spent / 1e6
