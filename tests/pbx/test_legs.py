"""The SIP rules legs keep on their own: 2xx retransmitted until ACK, BYE when it never
comes; CANCEL only after a provisional; a 2xx that crosses our CANCEL is ACKed then BYEd."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hotline.pbx.legs import InboundLeg, LegState, OutboundLeg, SipContext
from hotline.pbx.signals import Answered, HungUp, Ringing, Signal
from hotline.sip.address import Peer
from hotline.sip.aio.endpoint import ResponseHandler
from hotline.sip.headers import Headers
from hotline.sip.message import Request, Response, make_response
from hotline.sip.timers import TimerSettings
from hotline.sip.uri import NameAddress, SipUri

PHONE = Peer(transport="UDP", host="127.0.0.1", port=5070)
SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


@dataclass
class _Transport:
    host: str = "127.0.0.1"


@dataclass
class FakeEndpoint:
    """Records what the legs send, in order."""

    sent: list[Request | Response] = field(default_factory=list)
    on_response: dict[str, ResponseHandler] = field(default_factory=dict)
    transport: _Transport = field(default_factory=_Transport)
    port: int = 5060
    timers: TimerSettings = field(default_factory=TimerSettings)

    def respond(self, response: Response) -> None:
        self.sent.append(response)

    def send_request(self, request: Request, destination: Peer, handler: ResponseHandler) -> str:
        self.sent.append(request)
        self.on_response[request.method] = handler
        return "tx"

    def send_stateless(self, message: Request | Response, destination: Peer) -> None:
        self.sent.append(message)

    def methods(self) -> list[str]:
        return [m.method if isinstance(m, Request) else str(m.status) for m in self.sent]


def _context() -> tuple[SipContext, FakeEndpoint]:
    endpoint = FakeEndpoint()
    return SipContext(endpoint, "hotline.local"), endpoint  # type: ignore[arg-type]


def _invite() -> Request:
    headers = Headers(
        [
            ("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKcaller"),
            ("From", "<sip:101@hotline.local>;tag=caller"),
            ("To", "<sip:102@hotline.local>"),
            ("Call-ID", "inbound-1"),
            ("CSeq", "1 INVITE"),
            ("Contact", "<sip:101@127.0.0.1:5070>"),
        ]
    )
    return Request(method="INVITE", uri=SipUri.parse("sip:102@hotline.local"), headers=headers)


async def test_no_ack_for_our_2xx_ends_the_call_with_bye() -> None:
    ctx, endpoint = _context()
    ctx.t1 = 0.002  # gives up after 64*T1 = 0.128 s
    signals: list[Signal] = []
    leg = InboundLeg(ctx, _invite(), PHONE, signals.append)
    leg.respond(200, SDP)
    await asyncio.sleep(0.3)
    methods = endpoint.methods()
    assert methods[0] == "200" and methods.count("200") > 3  # retransmitted meanwhile
    assert methods[-1] == "BYE"
    assert signals == [HungUp(leg=leg, status=408, dead=True)]
    assert leg.state is LegState.ENDED


async def test_ack_stops_the_retransmissions() -> None:
    ctx, endpoint = _context()
    ctx.t1 = 0.002
    leg = InboundLeg(ctx, _invite(), PHONE, lambda signal: None)
    leg.respond(200, SDP)
    ack = _invite()
    ack.method = "ACK"
    ack.headers.set("CSeq", "1 ACK")
    leg.acknowledge(ack)
    await asyncio.sleep(0.2)
    assert endpoint.methods() == ["200"]
    assert leg.state is LegState.CONFIRMED


def _outbound(ctx: SipContext, signals: list[Signal]) -> OutboundLeg:
    leg = OutboundLeg(
        ctx,
        target=SipUri.parse("sip:102@127.0.0.1:5080"),
        destination=PHONE,
        caller=NameAddress.parse("<sip:200@hotline.local>"),
        callee=NameAddress.parse("<sip:102@hotline.local>"),
        on_signal=signals.append,
        label="102",
    )
    leg.invite(SDP)
    return leg


def _answer(endpoint: FakeEndpoint, status: int) -> Response:
    invite = endpoint.sent[0]
    assert isinstance(invite, Request)
    response = make_response(invite, status, to_tag="phone")
    response.headers.set("Contact", "<sip:102@127.0.0.1:5080>")
    if status == 200:
        response.headers.set("Content-Type", "application/sdp")
        response.body = SDP.encode()
    return response


async def test_2xx_crossing_our_cancel_is_acked_then_hung_up() -> None:
    ctx, endpoint = _context()
    signals: list[Signal] = []
    leg = _outbound(ctx, signals)
    endpoint.on_response["INVITE"](_answer(endpoint, 180))
    assert signals == [Ringing(leg=leg, status=180)]
    leg.hang_up()
    assert endpoint.methods() == ["INVITE", "CANCEL"]
    endpoint.on_response["INVITE"](_answer(endpoint, 200))
    assert endpoint.methods() == ["INVITE", "CANCEL", "ACK", "BYE"]
    assert signals[-1] == HungUp(leg=leg, status=487)
    assert leg.state is LegState.ENDED


async def test_cancel_waits_for_a_provisional_response() -> None:
    ctx, endpoint = _context()
    leg = _outbound(ctx, [])
    leg.hang_up()
    assert endpoint.methods() == ["INVITE"]  # RFC 3261 §9.1: not before a provisional
    endpoint.on_response["INVITE"](_answer(endpoint, 100))
    assert endpoint.methods() == ["INVITE", "CANCEL"]


async def test_answer_is_acked_and_reported_once() -> None:
    ctx, endpoint = _context()
    signals: list[Signal] = []
    leg = _outbound(ctx, signals)
    response = _answer(endpoint, 200)
    endpoint.on_response["INVITE"](response)
    endpoint.on_response["INVITE"](response)  # a retransmission: ACKed again, not reported
    assert endpoint.methods() == ["INVITE", "ACK", "ACK"]
    assert signals == [Answered(leg=leg, sdp=SDP)]
    assert leg.state is LegState.CONFIRMED
