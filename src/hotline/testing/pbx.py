"""Call control on fakes: the composed call core and features over ``FakeSipSender``,
``FakeMediaService`` and ``FakeClock``, with helpers to play callers and phones."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from hotline.config import Config
from hotline.events import Event, EventBus
from hotline.pbx import Call, CallControl, InboundLeg, build_call_control
from hotline.sip.address import Peer
from hotline.sip.auth import DigestAuthenticator
from hotline.sip.guard import AuthGuard
from hotline.sip.headers import Headers
from hotline.sip.location import Binding, InMemoryLocationService
from hotline.sip.message import Request, Response
from hotline.sip.uri import NameAddress, SipUri
from hotline.testing.clock import FakeClock
from hotline.testing.media import FakeMediaService
from hotline.testing.sip import FakeSipSender

__all__ = ["FakeNode", "fake_node"]

_SDP = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n"
_ids = itertools.count(1)


@dataclass
class FakeNode:
    control: CallControl
    sip: FakeSipSender
    media: FakeMediaService
    clock: FakeClock
    location: InMemoryLocationService
    events: list[Event] = field(default_factory=list)

    def register(self, number: str, host: str = "192.0.2.1", port: int = 5060) -> None:
        """A phone of ``number`` is registered (its contact at ``host:port``)."""
        uri = f"sip:{number}@{host}:{port}"
        aor = f"sip:{number}@{self.location.domain}"
        binding = Binding(
            aor=aor, contact=NameAddress.parse(f"<{uri}>"), expires_at=1e12,
            call_id=f"reg-{number}-{port}", cseq=1, q=1.0,
            source=Peer(transport="UDP", host=host, port=port), registered_at=0.0,
        )  # fmt: skip
        self.location.apply(aor, upserts=[binding], removals=[])

    def trunk_call(self, did: str, caller: str = "4951112233") -> Request:
        """A caller's INVITE to ``did`` from the trunk's network (10.0.0.9)."""
        request = _invite(did, caller)
        response = self.sip.handlers["INVITE"](request, _TRUNK)
        assert response is None, response
        return request

    def call_from(self, extension: str, number: str) -> Call:
        """``extension`` (taken as authenticated: admission has its own tests) dials
        ``number``; the call is routed as an INVITE's would be."""
        pbx = self.control.pbx
        request = _invite(number, extension)
        leg = InboundLeg(pbx.sip, request, _PHONE, lambda signal: None)
        destination = pbx.dialplan.route(number)
        call = Call(pbx, leg, destination, caller=extension, extension=extension)
        leg.on_signal = call.on_signal
        pbx.start_call(call)
        return call

    def invites_to(self, number: str) -> list[Request]:
        return [r for r in self.sip.requests("INVITE") if r.uri.user == number]

    def responses_to(self, request: Request) -> list[Response]:
        return [r for r in self.sip.responses() if r.call_id == request.call_id]

    def bye(self, request: Request) -> Response | None:
        """The caller of ``request`` hangs up (its dialog's BYE)."""
        ok = next(r for r in self.responses_to(request) if r.status == 200)
        bye = _invite(request.uri.user or "", request.from_address.uri.user or "")
        bye.method = "BYE"
        bye.headers.set("Call-ID", request.call_id)
        bye.headers.set("From", str(request.from_address))
        bye.headers.set("To", str(ok.to_address))
        bye.headers.set("CSeq", "2 BYE")
        bye.body = b""
        return self.sip.handlers["BYE"](bye, _TRUNK)

    async def settle(self) -> None:
        """Let call control's tasks run until none is left (the fakes never wait)."""
        tasks = self.control.pbx.tasks
        for _ in range(100):
            await asyncio.sleep(0)
            if not tasks:
                return
        raise AssertionError(f"call-control tasks still running: {tasks}")


_TRUNK = Peer(transport="UDP", host="10.0.0.9", port=5060)
_PHONE = Peer(transport="UDP", host="192.0.2.50", port=5060)


def _invite(number: str, caller: str) -> Request:
    headers = Headers(
        [
            ("Via", f"SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK{next(_ids)}"),
            ("From", f"<sip:{caller}@carrier>;tag=t{next(_ids)}"),
            ("To", f"<sip:{number}@hotline.local>"),
            ("Call-ID", f"trunk-{next(_ids)}"),
            ("CSeq", "1 INVITE"),
            ("Contact", f"<sip:{caller}@10.0.0.9:5060>"),
            ("Content-Type", "application/sdp"),
        ]
    )
    request = Request(
        method="INVITE", uri=SipUri.parse(f"sip:{number}@hotline.local"), headers=headers
    )
    request.body = _SDP.encode()
    return request


def fake_node(config: Config, *, clock: FakeClock | None = None) -> FakeNode:
    """Call control for ``config`` on fakes, installed and started, its events recorded."""
    sip, media, clock = FakeSipSender(), FakeMediaService(), clock or FakeClock()
    location = InMemoryLocationService(domain=config.server.domain)
    authenticator = DigestAuthenticator(config.server.domain, lambda user: None, secret=b"k" * 32)
    guard = AuthGuard(
        max_failures=3, window=60.0, backoff=60.0, max_backoff=60.0, scan_users=3,
        max_address_failures=10, ban=60.0,
    )  # fmt: skip
    bus = EventBus()
    control = build_call_control(
        config, sip, media, location, authenticator, guard, bus=bus, clock=clock
    )
    node = FakeNode(control=control, sip=sip, media=media, clock=clock, location=location)
    bus.subscribe(node.events.append)
    control.install()
    control.start()
    return node
