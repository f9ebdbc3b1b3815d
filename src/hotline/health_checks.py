"""Checks of a node's health shared by the health endpoint and the system notifications."""

from __future__ import annotations

from hotline.media import ClockMetrics

__all__ = ["media_overload"]

# Media is overloaded when more than this share of its recent ticks ran late (the benchmark's
# limit for a clean run), judged once it has ticked for a few seconds.
_LATE_RATIO = 0.01
_SAMPLE_TICKS = 250


def media_overload(metrics: ClockMetrics) -> float | None:
    """The share of media's ticks in the last minute that ran late, when it is too much to
    hear (None: media keeps its pace, or has not ticked long enough to say)."""
    if metrics.recent_ticks >= _SAMPLE_TICKS and metrics.recent_late_ratio > _LATE_RATIO:
        return metrics.recent_late_ratio
    return None
