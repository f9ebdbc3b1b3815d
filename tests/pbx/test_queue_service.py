"""The ACD's queue-log records reach the event bus, in wall-clock time, for the store."""

from __future__ import annotations

import pytest

from hotline import acd
from hotline.acd import AgentId
from hotline.config import parse_config
from hotline.events import Event, EventBus, QueueEventLogged
from hotline.media import MediaServer
from hotline.pbx import Pbx
from hotline.sip.aio.endpoint import SipEndpoint
from hotline.sip.auth import DigestAuthenticator
from hotline.sip.location import InMemoryLocationService
from hotline.sip.security import AuthFailureLimiter

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


async def test_acd_records_are_published_with_wall_clock_times() -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    pbx = Pbx(
        CONFIG,
        SipEndpoint("127.0.0.1", 0),
        MediaServer(rtp_address="127.0.0.1", port_range=(40000, 40100)),
        InMemoryLocationService(domain="hotline.local"),
        DigestAuthenticator("hotline.local", lambda user: None, secret=b"k" * 32),
        AuthFailureLimiter(max_failures=3, window=60.0, ban=60.0),
        bus=bus,
        wall_clock=lambda: 1_800_000_000.0,
    )
    pbx.queues.feed(acd.AgentLoggedIn(agent=AgentId("101")))
    pbx.queues.feed(acd.AgentPaused(agent=AgentId("101"), reason="lunch"))
    logged = [event for event in seen if isinstance(event, QueueEventLogged)]
    assert [(e.verb, e.agent) for e in logged] == [("ADDMEMBER", "101"), ("PAUSE", "101")]
    assert logged[1].reason == "lunch"
    for event in logged:
        assert event.at == pytest.approx(1_800_000_000.0, abs=1.0)
