"""The ACD's queue-log records reach the event bus, in wall-clock time, for the store."""

from __future__ import annotations

import pytest

from hotline import acd
from hotline.acd import AgentId
from hotline.config import parse_config
from hotline.events import QueueEventLogged
from hotline.testing.pbx import fake_node

CONFIG = parse_config(
    """
[[extensions]]
number = "101"
password = "s3cret-101"
agent = true

[[queues]]
number = "800"
agents = ["101"]
"""
)


def test_acd_records_are_published_with_wall_clock_times() -> None:
    node = fake_node(CONFIG)
    node.clock.advance(5.0)
    queues = node.control.queues
    queues.feed(acd.AgentLoggedIn(agent=AgentId("101")))
    queues.feed(acd.AgentPaused(agent=AgentId("101"), reason="lunch"))
    logged = [event for event in node.events if isinstance(event, QueueEventLogged)]
    assert [(e.verb, e.agent) for e in logged] == [("ADDMEMBER", "101"), ("PAUSE", "101")]
    assert logged[1].reason == "lunch"
    for event in logged:
        assert event.at == pytest.approx(1_800_000_005.0, abs=0.001)
