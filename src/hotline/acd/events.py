"""Events call control feeds into the engine (past tense: things that happened).

Each goes through ``Engine.handle(event, now)``; timers that fall due at or before ``now`` are
processed first, so ``TimerFired`` only carries time forward.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hotline.acd.model import AgentId, CallerId, QueueId, Skills

__all__ = [
    "AgentBusyElsewhere",
    "AgentFreeAgain",
    "AgentLoggedIn",
    "AgentLoggedOut",
    "AgentPaused",
    "AgentReachable",
    "AgentUnpaused",
    "AgentUnreachable",
    "CallEnded",
    "CallbackFailed",
    "CallbackRequested",
    "CallerAbandoned",
    "CallerDropped",
    "CallerJoined",
    "Event",
    "OfferAnswered",
    "OfferNotAnswered",
    "OfferRejected",
    "TimerFired",
    "WrapUpEnded",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerJoined:
    """A caller entered a queue. ``priority`` above 0 is a VIP caller; ``skills`` are the
    minimum levels the caller needs; ``number`` enables the sticky-agent option."""

    caller: CallerId
    queue: QueueId
    priority: int = 0
    number: str | None = None
    skills: Skills = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerAbandoned:
    """The caller hung up while waiting (or cancelled a pending callback)."""

    caller: CallerId


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerDropped:
    """The waiting caller's call was lost through no choice of the caller: Hotline stopped,
    its media failed. Not an abandon: counted as ``dropped``, so a restart with callers in line
    does not show on the wallboard as callers giving up."""

    caller: CallerId
    cause: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRequested:
    """The caller asked to be called back on ``number`` and hung up; the place is kept."""

    caller: CallerId
    number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackFailed:
    """The callback dialled for ``agent`` could not reach the caller."""

    caller: CallerId
    agent: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLoggedIn:
    """The agent logged in to ``queues`` (None: every queue listing it as a member)."""

    agent: AgentId
    queues: tuple[QueueId, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLoggedOut:
    """The agent logged out of ``queues`` (None: all of them)."""

    agent: AgentId
    queues: tuple[QueueId, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentPaused:
    """The agent paused (break, lunch...); effective after a call and wrap-up in progress."""

    agent: AgentId
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentUnpaused:
    agent: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferAnswered:
    """The agent answered the offered caller (or the callback dialled reached the caller)."""

    caller: CallerId
    agent: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferRejected:
    """The agent declined the offer (busy here, do not disturb, pressed reject)."""

    caller: CallerId
    agent: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferNotAnswered:
    """Call control gave up ringing the agent (its own timeout, unreachable phone); the
    engine's ring timer does the same when call control reports nothing."""

    caller: CallerId
    agent: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded:
    """The queue call between the agent and its caller ended; ``by_agent`` says who hung up."""

    agent: AgentId
    by_agent: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapUpEnded:
    """The agent ended wrap-up before its time ran out."""

    agent: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentBusyElsewhere:
    """The agent is on a call that is not a queue call (direct, outbound)."""

    agent: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentFreeAgain:
    agent: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentUnreachable:
    """The agent cannot be reached (its phone has no live registration): it is offered no
    caller, logged in or not, until ``AgentReachable``. A call or wrap-up in progress goes on;
    a ringing offer is withdrawn. ``reason`` says why, for the event records."""

    agent: AgentId
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentReachable:
    """The agent can be reached again (its phone registered)."""

    agent: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFired:
    """Time passed; the engine processes the timers due at ``now``."""


Event = (
    CallerJoined
    | CallerAbandoned
    | CallerDropped
    | CallbackRequested
    | CallbackFailed
    | AgentLoggedIn
    | AgentLoggedOut
    | AgentPaused
    | AgentUnpaused
    | OfferAnswered
    | OfferRejected
    | OfferNotAnswered
    | CallEnded
    | WrapUpEnded
    | AgentBusyElsewhere
    | AgentFreeAgain
    | AgentUnreachable
    | AgentReachable
    | TimerFired
)
