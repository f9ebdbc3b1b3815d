"""Live statistics: counters kept from the events, and the read-only snapshots built on them.

Metric definitions (the wallboard shows these names):

- ``offered``: callers who joined the line (refused FULL / JOIN_EMPTY callers are ``refused``).
- ``service_level``: answered within the SLA threshold / answered (Asterisk ServiceLevelPerf).
- ``service_level_with_abandons``: (answered + abandoned within threshold) /
  (answered + abandoned) (Asterisk ServiceLevelPerf2).
- ``service_level_offered``: answered within threshold / offered (staffing tables, Erlang C).
- ``abandoned`` counts every abandon; ``short_abandoned`` those under the queue's
  short-abandon threshold, reported apart so they can be excluded. ``dropped``: callers whose
  call was lost through no choice of theirs (Hotline stopped, its media failed), not abandons.
- ``p_wait``: share of offered callers not offered to an agent the moment they joined.
- ``asa_seconds``: mean wait of answered callers; ``average_handle_seconds``: talk + wrap-up.
- ``estimated_wait_seconds``: for a caller joining now, ring delay + max(0, position - free
  agents) × handle time / serving agents; the ring delay is the mean, over recent callers, of
  the time from their first offer to an answer or to giving up (a free agent who lets callers
  ring is no promise of an answer at once), the handle time the recent mean (talk + wrap-up).
- ``estimate_*``: error of the estimated wait given at join against the wait that followed
  (answered callers only): mean absolute error and mean signed error (positive: too short).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from hotline.acd.model import AgentId, AgentState, QueueId

__all__ = ["AgentStats", "QueueCounters", "QueueStats", "ratio"]


class QueueCounters:
    """Today's running totals of one queue (reset with ``Engine.reset_statistics``)."""

    __slots__ = (
        "abandoned",
        "abandoned_within_sla",
        "answered",
        "answered_within_sla",
        "callback_failed",
        "callbacks_requested",
        "dropped",
        "estimate_abs_error",
        "estimate_count",
        "estimate_error",
        "handle_count",
        "handle_total",
        "left_empty",
        "offered",
        "refused",
        "short_abandoned",
        "talk_count",
        "talk_total",
        "timed_out",
        "wait_answered",
        "waited",
    )

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.abandoned: int = 0
        self.abandoned_within_sla: int = 0
        self.answered: int = 0
        self.answered_within_sla: int = 0
        self.callback_failed: int = 0
        self.callbacks_requested: int = 0
        self.dropped: int = 0
        self.estimate_count: int = 0
        self.handle_count: int = 0
        self.left_empty: int = 0
        self.offered: int = 0
        self.refused: int = 0
        self.short_abandoned: int = 0
        self.talk_count: int = 0
        self.timed_out: int = 0
        self.waited: int = 0
        self.estimate_abs_error: float = 0.0
        self.estimate_error: float = 0.0
        self.handle_total: float = 0.0
        self.talk_total: float = 0.0
        self.wait_answered: float = 0.0


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or None when nothing was counted yet."""
    return numerator / denominator if denominator else None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueStats:
    """A queue's live figures at one instant (see the module docstring for definitions)."""

    queue: QueueId
    waiting: int
    callbacks_pending: int
    longest_wait_seconds: float
    logged_in: int
    available: int
    unavailable: int
    ringing: int
    on_call: int
    wrap_up: int
    paused: int
    busy_elsewhere: int
    offered: int
    refused: int
    answered: int
    abandoned: int
    short_abandoned: int
    timed_out: int
    left_empty: int
    callback_failed: int
    dropped: int
    answered_within_sla: int
    service_level: float | None
    service_level_with_abandons: float | None
    service_level_offered: float | None
    abandon_rate: float | None
    p_wait: float | None
    asa_seconds: float | None
    average_talk_seconds: float | None
    average_handle_seconds: float | None
    estimated_wait_seconds: float | None
    estimate_mean_abs_error: float | None
    estimate_bias: float | None

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStats:
    """An agent's live figures: state, time in it, and today's totals."""

    agent: AgentId
    state: AgentState
    seconds_in_state: float
    pause_reason: str | None
    queues: tuple[QueueId, ...]
    answered: int
    missed: int
    consecutive_misses: int
    talk_seconds: float
    paused_seconds: float  # today, the pause in progress included
    wrap_up_seconds_left: float | None  # None when not in wrap-up
    unavailable_reason: str | None  # why its phone cannot be reached; None when it can
