"""The engine's runtime structures: the running mean of recent handle times."""

from __future__ import annotations

import math
import random

from hotline.acd.state import RecentTimes


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
