"""Shared test helpers: real processes and peers on loopback, typed fakes.

``FakeClock``, ``FakeMediaService`` and ``FakeSipSender`` stand in for the loop's clock, the
media service and the SIP endpoint, so call-control rules run with explicit times and no
sockets (``harness`` has the real processes).
"""

from hotline.testing.clock import FakeClock, FakeTimer
from hotline.testing.media import FakeMediaService
from hotline.testing.sip import FakeSipSender

__all__ = ["FakeClock", "FakeMediaService", "FakeSipSender", "FakeTimer"]
