"""Dispositions and durations of call records, folded from event tables (no database)."""

from __future__ import annotations

import pytest

from hotline.events import (
    CallAnswered,
    CallEnded,
    CallHoldChanged,
    CallRecorded,
    CallStarted,
    QueueCallConnected,
    QueueEventLogged,
)
from hotline.store import CallJourney, Disposition
from hotline.store.journeys import CallEvent

ID = "c1"


def start(at: float = 0.0) -> CallStarted:
    return CallStarted(call_id=ID, caller="0601", destination="500", trunk="pstn", at=at)


def enter(at: float) -> QueueEventLogged:
    return QueueEventLogged(at=at, verb="ENTERQUEUE", call_id=ID, queue="sales", position=1)


def leave(verb: str, at: float, wait: float) -> QueueEventLogged:
    return QueueEventLogged(at=at, verb=verb, call_id=ID, queue="sales", wait=wait)


def end(at: float, cause: str = "normal") -> CallEnded:
    return CallEnded(call_id=ID, cause=cause, at=at)


def fold(*events: CallEvent) -> CallJourney:
    journey = CallJourney(call_id=ID)
    for event in events:
        journey.apply(event)
    return journey


CONNECT = QueueCallConnected(call_id=ID, queue="sales", agent="201", wait_seconds=8.0, at=10.0)
IVR = CallAnswered(call_id=ID, answered_by="hotline", at=1.0)

#   events                                                               disposition
CASES = [
    ((start(), IVR, enter(2.0), CONNECT, end(70.0)),                      Disposition.ANSWERED),
    ((start(), CallAnswered(call_id=ID, answered_by="201", at=4.0), end(9.0)),
                                                                          Disposition.ANSWERED),
    ((start(), IVR, enter(2.0), leave("ABANDON", 20.0, 18.0), end(20.0)), Disposition.ABANDONED),
    ((start(), IVR, enter(2.0), end(12.0)),                               Disposition.ABANDONED),
    ((start(), IVR, enter(2.0), leave("EXITWITHTIMEOUT", 62.0, 60.0), end(70.0, "failover_hangup")),
                                                                          Disposition.TIMEOUT),
    ((start(), IVR, leave("JOINEMPTY", 2.0, 0.0), end(9.0)),              Disposition.FAILOVER),
    ((start(), IVR, enter(2.0), leave("CALLBACKREQUEST", 30.0, 28.0), end(35.0)),
                                                                          Disposition.CALLBACK),
    ((start(), IVR, enter(2.0), leave("EXITWITHTIMEOUT", 62.0, 60.0), enter(62.0),
      leave("ABANDON", 70.0, 8.0), end(70.0)),                            Disposition.ABANDONED),
    ((start(), end(30.0, "no_answer")),                                   Disposition.UNANSWERED),
    ((start(), end(0.1, "bad_sdp")),                                      Disposition.FAILED),
]  # fmt: skip


@pytest.mark.parametrize(("events", "disposition"), CASES)
def test_disposition(events: tuple[CallEvent, ...], disposition: Disposition) -> None:
    assert fold(*events).disposition == disposition.value


def test_answered_call_times_and_durations() -> None:
    held = CallHoldChanged(call_id=ID, on_hold=True, at=20.0)
    resumed = CallHoldChanged(call_id=ID, on_hold=False, at=25.0)
    recorded = CallRecorded(call_id=ID, recording="2026/c1.wav", at=10.5)
    journey = fold(start(), IVR, enter(2.0), CONNECT, recorded, held, resumed, end(70.0))
    row = journey.row()
    assert row["arrived_at"] == 0.0 and row["queued_at"] == 2.0
    assert row["answered_at"] == 10.0 and row["ended_at"] == 70.0
    assert (row["queue"], row["agent"], row["trunk"]) == ("sales", "201", "pstn")
    # Talk runs from the answer to the end, hold included, as the ACD's average talk.
    assert (row["wait_seconds"], row["hold_seconds"], row["talk_seconds"]) == (8.0, 5.0, 60.0)
    assert row["recording"] == "2026/c1.wav"
    assert "held_since" not in row


def test_abandon_without_queue_log_counts_the_wait_to_the_hang_up() -> None:
    journey = fold(start(), IVR, enter(2.0), end(12.5, "normal"))
    assert journey.wait_seconds == 10.5 and journey.talk_seconds == 0.0


def test_hold_still_open_at_the_end_is_counted() -> None:
    held = CallHoldChanged(call_id=ID, on_hold=True, at=60.0)
    journey = fold(start(), IVR, enter(2.0), CONNECT, held, end(70.0))
    assert journey.hold_seconds == 10.0 and journey.talk_seconds == 60.0
