"""A call's journey, folded from the events into the columns of its call record.

Pure: events go in, a row comes out. The writer keeps one journey per call in progress and
writes its row whenever an event changes it, so a call record exists from the first event
and is complete from the ``CallEnded`` one.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

from hotline.events import (
    CallAnswered,
    CallEnded,
    CallHoldChanged,
    CallRecorded,
    CallStarted,
    QueueCallConnected,
    QueueEventLogged,
)
from hotline.store.models import Disposition

__all__ = ["CallEvent", "CallJourney", "classify"]

CallEvent = (
    CallStarted
    | CallAnswered
    | QueueCallConnected
    | CallEnded
    | CallHoldChanged
    | CallRecorded
    | QueueEventLogged
)

# Hotline answers a call itself to play an IVR or queue it; that is not an answer by a person.
SELF = "hotline"
# Causes of an ordinary end; any other cause (media failure, bad SDP, shutdown ...) is a failure.
ORDINARY_CAUSES = frozenset(
    {"normal", "no_answer", "busy", "unavailable", "cancelled", "caller_hangup",
     "agent_hangup", "failover_hangup"}
)  # fmt: skip
# How a caller left a queue unanswered, in queue_log verbs.
QUEUE_EXITS = {
    "ABANDON": Disposition.ABANDONED,
    "EXITWITHTIMEOUT": Disposition.TIMEOUT,
    "EXITEMPTY": Disposition.FAILOVER,
    "FULL": Disposition.FAILOVER,
    "JOINEMPTY": Disposition.FAILOVER,
    "CALLBACKREQUEST": Disposition.CALLBACK,
    "DROPPED": Disposition.FAILED,  # lost by Hotline (a stop, a media failure), not abandoned
}


@dataclass(slots=True)
class CallJourney:
    """The columns of one call record while the call goes on (see ``models.CallRecord``)."""

    call_id: str
    caller: str = ""
    called: str = ""
    trunk: str | None = None
    queue: str | None = None
    agent: str | None = None
    arrived_at: float = 0.0
    queued_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    disposition: str | None = None
    end_cause: str | None = None
    wait_seconds: float = 0.0
    talk_seconds: float = 0.0
    hold_seconds: float = 0.0
    recording: str | None = None
    queue_exit: str | None = None
    held_since: float | None = None

    def apply(self, event: CallEvent) -> None:
        """Fold one event of this call into the record."""
        match event:
            case CallStarted():
                self.caller, self.called, self.trunk = event.caller, event.destination, event.trunk
                self.arrived_at = event.at
            case CallAnswered() if event.answered_by != SELF and self.answered_at is None:
                self.answered_at, self.agent = event.at, self.agent or event.answered_by
            case QueueCallConnected():
                self.queue, self.agent, self.answered_at = event.queue, event.agent, event.at
                self.wait_seconds = event.wait_seconds
            case CallHoldChanged():
                self._hold(event.on_hold, event.at)
            case CallRecorded():
                self.recording = event.recording
            case QueueEventLogged():
                self._queue_event(event)
            case CallEnded():
                self._end(event.cause, event.at)
            case _:
                pass

    def _queue_event(self, event: QueueEventLogged) -> None:
        if event.verb == "ENTERQUEUE":
            # A caller sent on from one queue to another is judged by how it left the last.
            self.queue, self.queued_at, self.queue_exit = event.queue, event.at, None
        elif event.verb in QUEUE_EXITS and self.answered_at is None:
            self.queue = self.queue or event.queue
            self.queue_exit = event.verb
            if event.wait is not None:
                self.wait_seconds = event.wait

    def _hold(self, on_hold: bool, at: float) -> None:
        if on_hold and self.held_since is None:
            self.held_since = at
        elif not on_hold and self.held_since is not None:
            self.hold_seconds += at - self.held_since
            self.held_since = None

    def _end(self, cause: str, at: float) -> None:
        self._hold(False, at)
        self.ended_at, self.end_cause = at, cause
        if self.answered_at is not None:
            # Talk runs from the answer to the end, hold included, as the ACD's talk time
            # (queue and agent averages) does: one definition everywhere.
            self.talk_seconds = max(0.0, at - self.answered_at)
        elif self.queued_at is not None and self.queue_exit is None:
            self.wait_seconds = max(0.0, at - self.queued_at)
        self.disposition = classify(self).value

    def values(self) -> tuple[object, ...]:
        """The call record's columns in ``ROW_COLUMNS`` order, for a bulk upsert."""
        return _row_values(self)

    def row(self) -> dict[str, object]:
        """The call record's columns by name."""
        return dict(zip(ROW_COLUMNS, self.values(), strict=True))


def classify(journey: CallJourney) -> Disposition:
    """The disposition of an ended call: an agent's answer first, then how it left a queue
    (a caller hanging up while waiting is an abandon), then failure or no answer."""
    if journey.answered_at is not None:
        return Disposition.ANSWERED
    if journey.queue_exit is not None:
        return QUEUE_EXITS[journey.queue_exit]
    if journey.queued_at is not None:
        return Disposition.ABANDONED
    if journey.end_cause not in ORDINARY_CAUSES:
        return Disposition.FAILED
    return Disposition.UNANSWERED


ROW_COLUMNS = tuple(
    name for name in CallJourney.__dataclass_fields__ if name not in ("queue_exit", "held_since")
)
_row_values = attrgetter(*ROW_COLUMNS)
