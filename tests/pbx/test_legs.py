"""The SIP rules legs keep on their own: 2xx retransmitted until ACK, BYE when it never
comes; CANCEL only after a provisional; a 2xx that crosses our CANCEL is ACKed then BYEd."""

from __future__ import annotations

from hotline.pbx.legs import InboundLeg, LegState, OutboundLeg, Signal, SipContext
from hotline.pbx.signals import Answered, HungUp, Ringing
from hotline.pbx.sip_ports import ResponseHandler
from hotline.sip.address import Peer
from hotline.sip.headers import Headers
from hotline.sip.message import Request, Response, make_response
from hotline.sip.uri import NameAddress, SipUri
from hotline.testing import FakeClock, FakeSipSender

PHONE = Peer(transport="UDP", host="127.0.0.1", port=5070)
SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


def _context() -> tuple[SipContext, FakeSipSender, FakeClock]:
    endpoint, clock = FakeSipSender(), FakeClock()
    return SipContext(endpoint, "hotline.local", clock), endpoint, clock


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


def test_no_ack_for_our_2xx_ends_the_call_with_bye() -> None:
    ctx, endpoint, clock = _context()
    signals: list[Signal] = []
    leg = InboundLeg(ctx, _invite(), PHONE, signals.append)
    leg.respond(200, SDP)
    clock.advance(64 * ctx.t1)  # RFC 3261 §13.3.1.4: gives up after 64*T1
    methods = endpoint.methods()
    assert methods[0] == "200" and methods.count("200") > 3  # retransmitted meanwhile
    assert methods[-1] == "BYE"
    assert signals == [HungUp(leg=leg, status=408, dead=True)]
    assert leg.state is LegState.ENDED


def test_ack_stops_the_retransmissions() -> None:
    ctx, endpoint, clock = _context()
    leg = InboundLeg(ctx, _invite(), PHONE, lambda signal: None)
    leg.respond(200, SDP)
    ack = _invite()
    ack.method = "ACK"
    ack.headers.set("CSeq", "1 ACK")
    leg.acknowledge(ack)
    clock.advance(64 * ctx.t1)
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


def _answer(endpoint: FakeSipSender, status: int) -> Response:
    invite = endpoint.sent[0]
    assert isinstance(invite, Request)
    response = make_response(invite, status, to_tag="phone")
    response.headers.set("Contact", "<sip:102@127.0.0.1:5080>")
    if status == 200:
        response.headers.set("Content-Type", "application/sdp")
        response.body = SDP.encode()
    return response


def test_2xx_crossing_our_cancel_is_acked_then_hung_up() -> None:
    ctx, endpoint, _ = _context()
    signals: list[Signal] = []
    leg = _outbound(ctx, signals)
    _on_invite(endpoint)(_answer(endpoint, 180))
    assert signals == [Ringing(leg=leg, status=180)]
    leg.hang_up()
    assert endpoint.methods() == ["INVITE", "CANCEL"]
    _on_invite(endpoint)(_answer(endpoint, 200))
    assert endpoint.methods() == ["INVITE", "CANCEL", "ACK", "BYE"]
    assert signals[-1] == HungUp(leg=leg, status=487)
    assert leg.state is LegState.ENDED


def test_cancel_waits_for_a_provisional_response() -> None:
    ctx, endpoint, _ = _context()
    leg = _outbound(ctx, [])
    leg.hang_up()
    assert endpoint.methods() == ["INVITE"]  # RFC 3261 §9.1: not before a provisional
    _on_invite(endpoint)(_answer(endpoint, 100))
    assert endpoint.methods() == ["INVITE", "CANCEL"]


def test_answer_is_acked_and_reported_once() -> None:
    ctx, endpoint, _ = _context()
    signals: list[Signal] = []
    leg = _outbound(ctx, signals)
    response = _answer(endpoint, 200)
    _on_invite(endpoint)(response)
    _on_invite(endpoint)(response)  # a retransmission: ACKed again, not reported
    assert endpoint.methods() == ["INVITE", "ACK", "ACK"]
    assert signals == [Answered(leg=leg, sdp=SDP)]
    assert leg.state is LegState.CONFIRMED


def _on_invite(endpoint: FakeSipSender) -> ResponseHandler:
    (invite,) = endpoint.requests("INVITE")
    return endpoint.on_response[(invite.call_id, "INVITE")]


# A TCP phone: its INVITE came on connection 7 from an ephemeral port; it listens on 5070.
TCP_PHONE = Peer(transport="TCP", host="127.0.0.1", port=40001, connection_id=7)


def _tcp_invite() -> Request:
    invite = _invite()
    invite.headers.set("Via", "SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKcaller")
    invite.headers.set("Contact", "<sip:101@127.0.0.1:5070;transport=tcp>")
    return invite


def test_a_tcp_dialog_says_tcp_in_our_contact_and_its_bye_reuses_the_connection() -> None:
    """RFC 3261 §19.1.1: without ``transport=tcp`` a TCP-only phone would send its ACK and
    BYE over UDP; our BYE goes over the phone's connection (RFC 5923 §4)."""
    ctx, endpoint, _ = _context()
    leg = InboundLeg(ctx, _tcp_invite(), TCP_PHONE, lambda signal: None)
    leg.respond(200, SDP)
    [ok] = endpoint.responses()
    assert ok.headers.get("Contact") == "<sip:hotline@127.0.0.1:5060;transport=tcp>"
    leg.hang_up()
    [(bye, destination)] = endpoint.destinations
    assert isinstance(bye, Request) and bye.method == "BYE"
    assert bye.top_via.transport == "TCP"
    # The connection while it is open, else a new one to the Contact, where the phone listens.
    assert destination == Peer(transport="TCP", host="127.0.0.1", port=5070, connection_id=7)


def test_a_udp_dialog_keeps_a_plain_contact_and_the_source_address() -> None:
    ctx, endpoint, _ = _context()
    leg = InboundLeg(ctx, _invite(), PHONE, lambda signal: None)
    leg.respond(200, SDP)
    assert endpoint.responses()[0].headers.get("Contact") == "<sip:hotline@127.0.0.1:5060>"
    leg.hang_up()
    assert [destination for _, destination in endpoint.destinations] == [PHONE]


def test_an_invite_to_a_tcp_phone_says_tcp_in_our_contact() -> None:
    ctx, endpoint, _ = _context()
    leg = OutboundLeg(
        ctx,
        target=SipUri.parse("sip:102@127.0.0.1:5080;transport=tcp"),
        destination=Peer(transport="TCP", host="127.0.0.1", port=5080, connection_id=3),
        caller=NameAddress.parse("<sip:200@hotline.local>"),
        callee=NameAddress.parse("<sip:102@hotline.local>"),
        on_signal=lambda signal: None,
    )
    leg.invite(SDP)
    [invite] = endpoint.requests("INVITE")
    assert invite.headers.get("Contact") == "<sip:hotline@127.0.0.1:5060;transport=tcp>"
    assert invite.top_via.transport == "TCP"
