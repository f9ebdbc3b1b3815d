"""Commands the engine returns to call control (verbs: things to do now)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, NamedTuple, TypeVar

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
# same fields, equal and hashed alike): the fields are stored into an instance of a plain
# class with the same slots, whose class is then switched to the command's (Python allows
# it between classes of the same layout). That is about twice as fast as setting each slot
# through its descriptor, and five times as fast as the dataclass's __init__.

_C = TypeVar("_C")


def _builder(cls: type[_C]) -> Callable[..., _C]:
    """A function taking the fields of ``cls`` by position, in their order, that returns
    ``cls(**fields)``, made as above. Its code is generated (as dataclasses and namedtuple
    do) so that each field is one plain attribute store."""
    names = [field.name for field in fields(cls)]  # type: ignore[arg-type]
    # A plain class with the slots of ``cls`` (same layout: an instance may become one).
    plain = type(f"_{cls.__name__}Fields", (), {"__slots__": vars(cls)["__slots__"]})
    source = "\n".join([
        f"def new_{cls.__name__}({', '.join(names)}):",
        "    made = plain()",
        *[f"    made.{name} = {name}" for name in names],
        "    made.__class__ = cls",
        "    return made",
    ])  # fmt: skip
    namespace: dict[str, Any] = {"plain": plain, "cls": cls}
    exec(source, namespace)
    built: Callable[..., _C] = namespace[f"new_{cls.__name__}"]
    built.__doc__ = f"``{cls.__name__}(...)`` with the fields by position, faster."
    return built


new_offer: Callable[[CallerId, QueueId, tuple[AgentId, ...], float, tuple[OfferReason, ...]], Offer]
new_offer = _builder(Offer)
new_cancel_offer: Callable[[CallerId, tuple[AgentId, ...]], CancelOffer]
new_cancel_offer = _builder(CancelOffer)
new_connect: Callable[[CallerId, QueueId, AgentId, float], Connect]
new_connect = _builder(Connect)
new_leave: Callable[[CallerId, QueueId, LeaveReason, str | None, int, float], Leave]
new_leave = _builder(Leave)
new_wake_at: Callable[[float], WakeAt]
new_wake_at = _builder(WakeAt)
