"""Configuration and vocabulary of the ACD: ids, agent states, queues and agents.

Call control builds these frozen objects from the TOML configuration; the engine never reads
files. Times are seconds as floats on whatever clock the caller of the engine uses.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NewType

__all__ = [
    "AUTO_PAUSE_REASON",
    "GENERIC_PAUSE_REASON",
    "AcdError",
    "AgentConfig",
    "AgentId",
    "AgentState",
    "Announcements",
    "CallbackOffer",
    "CallerId",
    "EngineOptions",
    "LeaveReason",
    "Member",
    "QueueConfig",
    "QueueId",
    "Skills",
]

QueueId = NewType("QueueId", str)
AgentId = NewType("AgentId", str)
CallerId = NewType("CallerId", str)

#: The reason of the pauses the engine makes itself (an agent who missed too many offers).
AUTO_PAUSE_REASON = "auto"
#: The reason of a pause given without one (``*64``, or the API without a body).
GENERIC_PAUSE_REASON = "pause"

#: Skill name -> level (higher is better). For a caller: the minimum level required.
Skills = Mapping[str, int]


class AcdError(Exception):
    """An event the engine cannot accept in its current state (our caller's misuse).

    The engine checks every event before changing anything, so after this error its state is
    exactly what it was before the call.
    """


class AgentState(enum.Enum):
    """What an agent is doing, as shown to supervisors.

    An activity (ringing, a queue call, wrap-up, another call) takes precedence over the
    presence (logged out, unavailable, paused, available): a paused agent finishing a call
    shows ON_CALL and becomes PAUSED when the call and its wrap-up are over. UNAVAILABLE is a
    logged-in agent that cannot be reached (its phone is not registered: Asterisk's member
    device state "unavailable"); it comes before PAUSED, since unpausing would not make the
    agent reachable, and the pause reason is kept.
    """

    LOGGED_OUT = "logged_out"
    UNAVAILABLE = "unavailable"
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    BUSY_ELSEWHERE = "busy_elsewhere"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class LeaveReason(enum.Enum):
    """Why a caller left the waiting line without being connected to an agent."""

    ABANDON = "abandon"
    TIMEOUT = "timeout"
    FULL = "full"
    JOIN_EMPTY = "join_empty"
    LEAVE_EMPTY = "leave_empty"
    CALLBACK_FAILED = "callback_failed"
    DROPPED = "dropped"  # the call was lost through no choice of the caller (CallerDropped)


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """An agent's membership of a queue; the order of members is their priority (first = top).

    ``weight`` only matters to ``weighted_random``: the chance of being picked is proportional.
    """

    agent: AgentId
    weight: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Announcements:
    """Periodic messages to a waiting caller: position and/or estimated wait."""

    position: bool = True
    estimated_wait: bool = True
    every_seconds: float = 60.0
    first_after_seconds: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackOffer:
    """After ``after_seconds`` of waiting, the caller is offered a callback (press ``key``)."""

    after_seconds: float
    key: str = "1"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueConfig:
    """One queue.

    ``priority``: when agents serve several queues, callers of the higher-priority queue go
    first. ``max_wait_seconds``: the caller then leaves with reason TIMEOUT toward
    ``failover``. ``max_callers`` 0 means no limit. ``join_empty``: callers may join while no
    member is logged in; ``leave_when_empty``: waiting callers leave (LEAVE_EMPTY) when the last
    member logs out. ``auto_pause_after`` pauses an agent after that many consecutive missed or
    rejected offers (None: never). ``sticky_days``: a returning caller number is first offered
    to the agent who served it last within that many days. ``skill_relax_seconds``: every such
    interval of waiting lowers each skill requirement of a caller by one level.
    ``progressive_step_seconds`` is the interval at which ``ring_progressively`` adds an agent.
    ``retry_after_miss``: an agent who let an offer of this queue ring out, rejected it or
    could not be reached is offered no caller of any queue for that many seconds (Asterisk's
    queue ``retry``); its state stays AVAILABLE meanwhile. 0: it may be offered again at once.
    Logging in, out or unpausing does not end the delay.
    """

    queue_id: QueueId
    name: str = ""
    number: str = ""
    strategy: str = "ring_all"
    members: tuple[Member, ...] = ()
    ring_seconds: float = 15.0
    max_wait_seconds: float | None = None
    failover: str | None = None
    wrap_up_seconds: float = 0.0
    max_callers: int = 0
    join_empty: bool = True
    leave_when_empty: bool = False
    priority: int = 0
    sla_seconds: float = 20.0
    short_abandon_seconds: float = 5.0
    announcements: Announcements | None = None
    callback: CallbackOffer | None = None
    auto_pause_after: int | None = None
    auto_pause_reason: str = AUTO_PAUSE_REASON
    sticky_days: float | None = None
    skill_relax_seconds: float | None = None
    progressive_step_seconds: float = 10.0
    expected_handle_seconds: float = 180.0
    retry_after_miss: float = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConfig:
    """One agent; the queues it belongs to are the queues listing it as a member."""

    agent_id: AgentId
    name: str = ""
    skills: Skills = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineOptions:
    """Engine-wide choices.

    ``order_by_sla``: among callers of equal priority (queue, then caller), serve first the one
    closest to breaching its queue's SLA (join time + SLA threshold) instead of the one who
    joined first. ``keep_records``: collect event records (turned off by long simulations).
    ``handle_time_window``: how many recent handle times feed the estimated wait.
    ``max_records``: records kept until ``take_records()`` drains them; past that the oldest
    are dropped (counted, logged once) so an undrained engine cannot grow without bound. The
    bound is kept after each event: one event's records may pass it until the event is done.
    """

    order_by_sla: bool = False
    keep_records: bool = True
    handle_time_window: int = 50
    max_records: int = 1_000_000
