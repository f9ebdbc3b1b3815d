"""Commands the engine returns to call control (verbs: things to do now)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from hotline.acd.model import AgentId, CallerId, LeaveReason, QueueId

__all__ = [
    "CancelOffer",
    "Command",
    "Connect",
    "DialCallback",
    "Leave",
    "Offer",
    "OfferCallback",
    "OfferReason",
    "PauseAgent",
    "PlayAnnouncement",
    "WakeAt",
]


class OfferReason(NamedTuple):
    """Why an agent was chosen: enough for a supervisor to follow the decision (immutable;
    a NamedTuple because one is built for every agent offered, see ``Record``).

    ``rank`` is the agent's place in this decision (0 first); ``member_priority`` its place in
    the queue's member list; ``idle_seconds`` time since its last queue call ended (or since
    login); ``talk_seconds`` and ``answered`` are today's totals; ``skills`` the agent's levels
    in the skills the caller needs; ``tie_break`` the strategy's rule for equal candidates.
    """

    strategy: str
    rank: int
    member_priority: int
    caller_priority: int
    idle_seconds: float
    talk_seconds: float
    answered: int
    skills: tuple[tuple[str, int], ...]
    tie_break: str
    sticky: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    """Ring ``agents`` with ``caller`` for up to ``ring_seconds`` each; the first to answer
    wins. Further agents may be added to a ringing caller later (``ring_progressively``)."""

    caller: CallerId
    queue: QueueId
    agents: tuple[AgentId, ...]
    ring_seconds: float
    reasons: tuple[OfferReason, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelOffer:
    """Stop ringing ``agents`` for ``caller`` (no answer, another agent answered, caller
    left, agent paused or busy)."""

    caller: CallerId
    agents: tuple[AgentId, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Connect:
    """Bridge ``caller`` with ``agent``: the caller has left the waiting line, answered."""

    caller: CallerId
    queue: QueueId
    agent: AgentId
    wait_seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Leave:
    """The caller leaves the line unanswered; send it to ``destination`` if one is set."""

    caller: CallerId
    queue: QueueId
    reason: LeaveReason
    destination: str | None
    position: int
    wait_seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayAnnouncement:
    """Tell the caller its position and/or estimated wait (None: not announced)."""

    caller: CallerId
    position: int | None
    estimated_wait_seconds: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferCallback:
    """Offer the caller a callback: pressing ``key`` keeps its place and hangs up."""

    caller: CallerId
    key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DialCallback:
    """Its turn came: ``agent`` is reserved for this caller; dial ``number`` and connect them,
    then report OfferAnswered (or CallbackFailed)."""

    caller: CallerId
    queue: QueueId
    agent: AgentId
    number: str
    reason: OfferReason


@dataclass(frozen=True, slots=True, kw_only=True)
class PauseAgent:
    """The engine paused the agent (``auto_pause_after`` consecutive misses)."""

    agent: AgentId
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WakeAt:
    """Call ``handle(TimerFired(), at)`` at ``at`` (replaces any earlier request)."""

    at: float


Command = (
    Offer
    | CancelOffer
    | Connect
    | Leave
    | PlayAnnouncement
    | OfferCallback
    | DialCallback
    | PauseAgent
    | WakeAt
)
