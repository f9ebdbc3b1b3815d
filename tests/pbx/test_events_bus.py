"""The in-process event bus call control publishes to."""

from __future__ import annotations

import logging

import pytest

from hotline.events import CallEnded, CallStarted, Event, EventBus


def test_subscribers_get_every_event_in_order() -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    started = CallStarted(call_id="c1", caller="101", destination="800", at=1.0)
    ended = CallEnded(call_id="c1", cause="normal", at=2.0)
    bus.publish(started)
    bus.publish(ended)
    assert seen == [started, ended]


def test_a_failing_subscriber_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("store is down")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    with caplog.at_level(logging.ERROR):
        bus.publish(CallEnded(call_id="c1", cause="normal", at=2.0))
    assert len(seen) == 1
    assert "event subscriber failed" in caplog.text
