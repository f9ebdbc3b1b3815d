"""Commands the engine returns to call control (verbs: things to do now)."""

from __future__ import annotations

from collections.abc import Callable
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


# -- fast builders for the engine ------------------------------------------------------
#
# Speed trade-off: a frozen dataclass's __init__ sets each field through
# ``object.__setattr__``, which costs about a microsecond per command; the engine makes one
# or two commands for most events. These builders make the very same objects (same class,
# same fields, equal and hashed alike) by setting the slots through their descriptors.

_new_object = object.__new__


def _slot_setters(cls: type, *names: str) -> tuple[Callable[[object, object], None], ...]:
    return tuple(vars(cls)[name].__set__ for name in names)


_OFFER_SLOTS = _slot_setters(Offer, "caller", "queue", "agents", "ring_seconds", "reasons")
_CANCEL_SLOTS = _slot_setters(CancelOffer, "caller", "agents")
_CONNECT_SLOTS = _slot_setters(Connect, "caller", "queue", "agent", "wait_seconds")
_WAKE_SLOTS = _slot_setters(WakeAt, "at")


def new_offer(
    caller: CallerId,
    queue: QueueId,
    agents: tuple[AgentId, ...],
    ring_seconds: float,
    reasons: tuple[OfferReason, ...],
) -> Offer:
    """``Offer(caller=..., queue=..., ...)``, faster."""
    set_caller, set_queue, set_agents, set_ring_seconds, set_reasons = _OFFER_SLOTS
    offer: Offer = _new_object(Offer)
    set_caller(offer, caller)
    set_queue(offer, queue)
    set_agents(offer, agents)
    set_ring_seconds(offer, ring_seconds)
    set_reasons(offer, reasons)
    return offer


def new_cancel_offer(caller: CallerId, agents: tuple[AgentId, ...]) -> CancelOffer:
    """``CancelOffer(caller=..., agents=...)``, faster."""
    set_caller, set_agents = _CANCEL_SLOTS
    cancel: CancelOffer = _new_object(CancelOffer)
    set_caller(cancel, caller)
    set_agents(cancel, agents)
    return cancel


def new_connect(caller: CallerId, queue: QueueId, agent: AgentId, wait_seconds: float) -> Connect:
    """``Connect(caller=..., queue=..., agent=..., wait_seconds=...)``, faster."""
    set_caller, set_queue, set_agent, set_wait_seconds = _CONNECT_SLOTS
    connect: Connect = _new_object(Connect)
    set_caller(connect, caller)
    set_queue(connect, queue)
    set_agent(connect, agent)
    set_wait_seconds(connect, wait_seconds)
    return connect


def new_wake_at(at: float) -> WakeAt:
    """``WakeAt(at=...)``, faster."""
    wake: WakeAt = _new_object(WakeAt)
    _WAKE_SLOTS[0](wake, at)
    return wake
