"""Typed event records and the in-process bus.

Call control publishes what happened to calls and agents here; the store, the web pages and
the notifiers subscribe. Publishing is synchronous and in order: a subscriber sees events in
the order they happened, and one that raises is logged without stopping the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "AgentStateChanged",
    "CallAnswered",
    "CallEnded",
    "CallHoldChanged",
    "CallRecorded",
    "CallStarted",
    "Event",
    "EventBus",
    "QueueCallConnected",
    "QueueEventLogged",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallStarted:
    """A call arrived: ``caller`` dialled ``destination`` (from an extension or a trunk)."""

    call_id: str
    caller: str
    destination: str
    trunk: str | None = None
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAnswered:
    """The call was answered by ``answered_by`` (an extension, or Hotline itself)."""

    call_id: str
    answered_by: str
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallConnected:
    """The ACD connected a queue caller with an agent after ``wait_seconds``."""

    call_id: str
    queue: str
    agent: str
    wait_seconds: float
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded:
    """The call is over; ``cause`` says how (``normal``, ``busy``, ``no_answer`` ...)."""

    call_id: str
    cause: str
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateChanged:
    """An agent logged in or out, paused (with a reason) or unpaused.

    ``queues``: the queues the agent is logged in to once the change is made (an agent may log
    in to some of its queues only); None when it is logged in to all of them (or the publisher
    does not say, which for a login means the same)."""

    agent: str
    change: str
    reason: str | None = None
    at: float
    queues: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueEventLogged:
    """One line of the queue event log (Asterisk's queue_log): the ACD's record, in plain types.

    ``verb`` keeps the queue_log names (``ENTERQUEUE``, ``CONNECT``, ``ABANDON`` ...);
    ``position`` is the caller's place in line (1 = next) and ``original_position`` its place
    on joining; ``wait``, ``talk`` and ``ring`` are seconds; ``reason`` a pause or leave
    reason; ``detail`` free text such as the caller's number; ``explanation`` why an offer
    went to this agent, for people.
    """

    at: float
    verb: str
    call_id: str | None = None
    queue: str | None = None
    agent: str | None = None
    position: int | None = None
    original_position: int | None = None
    wait: float | None = None
    talk: float | None = None
    ring: float | None = None
    reason: str | None = None
    detail: str | None = None
    explanation: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallHoldChanged:
    """The call was put on hold (``on_hold``) or taken off hold."""

    call_id: str
    on_hold: bool
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecorded:
    """The call is being recorded to ``recording`` (a file name under the recordings dir)."""

    call_id: str
    recording: str
    at: float


Event = (
    CallStarted
    | CallAnswered
    | QueueCallConnected
    | CallEnded
    | AgentStateChanged
    | QueueEventLogged
    | CallHoldChanged
    | CallRecorded
)


@dataclass(slots=True)
class EventBus:
    """Synchronous publish/subscribe; subscribers get every event."""

    _subscribers: list[Callable[[Event], None]] = field(default_factory=list)

    def subscribe(self, callback: Callable[[Event], None]) -> None:
        self._subscribers.append(callback)

    def publish(self, event: Event) -> None:
        for callback in self._subscribers:
            try:
                callback(event)
            except Exception:  # a broken subscriber must not break call control
                log.exception("event subscriber failed on %r", event)
