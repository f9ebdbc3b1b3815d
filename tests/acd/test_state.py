"""The engine's runtime structures: the running mean of recent handle times, the waiting line."""

from __future__ import annotations

import math
import random

from hotline.acd.model import CallerId, QueueConfig, QueueId
from hotline.acd.state import CallerEntry, QueueRuntime, RecentTimes, WaitingLine


def test_recent_times_mean_is_the_mean_of_the_last_window() -> None:
    rng = random.Random(1)
    recent, seen = RecentTimes(50), []
    assert recent.mean is None
    for _ in range(1234):
        seconds = rng.lognormvariate(5, 1)
        recent.append(seconds)
        seen.append(seconds)
        window = seen[-50:]
        assert math.isclose(recent.mean or 0.0, math.fsum(window) / len(window), rel_tol=1e-9)
    assert len(recent) == 50


def test_recent_times_with_an_empty_window_has_no_mean() -> None:
    recent = RecentTimes(0)
    recent.append(10.0)
    assert (recent.mean, len(recent)) == (None, 0)


def test_waiting_line_removes_the_entry_at_the_given_position() -> None:
    rng = random.Random(2)
    line, queue = WaitingLine(), QueueRuntime(QueueConfig(queue_id=QueueId("q1")), 50)
    entries = [
        CallerEntry(CallerId(f"c{i}"), queue, rng.randrange(3), None, {}, i, i, float(i), 0.0)
        for i in range(40)
    ]
    for entry in entries:
        line.add(entry)
    while entries:
        entry = entries.pop(rng.randrange(len(entries)))
        line.remove(entry, line.position(entry))
        expected = sorted(entries, key=lambda e: e.key)
        assert list(line) == expected
