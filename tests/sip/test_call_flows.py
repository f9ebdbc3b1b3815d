"""A UAC core against a UAS core in memory, after the flows of RFC 3665 (basic call, busy,
CANCEL) and over a link that loses datagrams. Every message crosses the link as bytes
(``to_bytes()`` then ``parse_message()``), so the wire format is exercised too."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from hotline.sip.address import Peer
from hotline.sip.dialog import Dialog, DialogId, DialogState, SuccessRetransmitter, next_hop
from hotline.sip.headers import Headers, Via
from hotline.sip.message import (
    Request,
    Response,
    make_response,
    new_call_id,
    new_tag,
)
from hotline.sip.parser import parse_message
from hotline.sip.transaction import (
    AckReceived,
    CancelReceived,
    RequestReceived,
    ResponseReceived,
    TransactionEvent,
    TransactionTimedOut,
    cancel_for,
)
from hotline.sip.transaction_layer import TransactionLayer, response_destination
from hotline.sip.uri import NameAddress, SipUri

Message = Request | Response
ALICE = Peer(transport="UDP", host="10.0.0.5", port=5062)
BOB = Peer(transport="UDP", host="192.0.2.30", port=5070)
ALICE_TCP = Peer(transport="TCP", host="10.0.0.5", port=5062, connection_id=1)
BOB_TCP = Peer(transport="TCP", host="192.0.2.30", port=5070, connection_id=1)


def resolve(uri: SipUri, transport: str) -> Peer:
    """The tests' stand-in for RFC 3263: the URI's host and port."""
    return Peer(
        transport="TCP" if transport == "TCP" else "UDP", host=uri.host, port=uri.port or 5060
    )


@dataclass
class Uac:
    """Alice: places a call, ACKs 2xx through her dialog, hangs up or cancels."""

    address: Peer
    layer: TransactionLayer = field(default_factory=TransactionLayer)
    invite: Request | None = None
    dialog: Dialog | None = None
    statuses: list[int] = field(default_factory=list)
    timed_out: list[str] = field(default_factory=list)

    @property
    def via(self) -> Via:
        return Via.parse(
            f"SIP/2.0/{self.address.transport} {self.address.host}:{self.address.port};rport"
        )

    def call(self, callee: Peer, now: float) -> None:
        headers = Headers(
            [
                ("Via", str(self.via)),
                ("Max-Forwards", "70"),
                ("From", f"<sip:alice@{self.address.host}>;tag={new_tag()}"),
                ("To", "<sip:bob@hotline.local>"),
                ("Call-ID", new_call_id()),
                ("CSeq", "1 INVITE"),
                ("Contact", f"<sip:alice@{self.address.host}:{self.address.port}>"),
            ]
        )
        transport = ";transport=tcp" if callee.reliable else ""
        uri = SipUri.parse(f"sip:bob@{callee.host}:{callee.port}{transport}")
        self.invite = Request(method="INVITE", uri=uri, headers=headers)
        self.layer.send_request(self.invite, callee, now)

    def cancel(self, now: float) -> None:
        assert self.invite is not None
        destination = resolve(self.invite.uri, self.address.transport)
        self.layer.send_request(cancel_for(self.invite), destination, now)

    def re_invite(self, contact: str, now: float) -> None:
        assert self.dialog is not None
        self.dialog.local_contact = NameAddress.parse(contact)
        reinvite = self.dialog.create_request("INVITE", via=self.via)
        self.layer.send_request(reinvite, resolve(next_hop(reinvite), self.address.transport), now)

    def hang_up(self, now: float) -> None:
        assert self.dialog is not None
        bye = self.dialog.create_request("BYE", via=self.via)
        self.layer.send_request(bye, resolve(next_hop(bye), self.address.transport), now)

    def on_event(self, event: TransactionEvent, now: float) -> None:
        if isinstance(event, ResponseReceived):
            self.on_response(event.response)
        elif isinstance(event, TransactionTimedOut):
            self.timed_out.append(event.transaction_id)

    def on_response(self, response: Response) -> None:
        self.statuses.append(response.status)
        assert self.invite is not None
        if response.cseq.method != "INVITE" or response.status == 100:
            if self.dialog is not None:
                self.dialog.receive_response(response)
            return
        if self.dialog is None and response.status < 300:
            self.dialog = Dialog.as_uac(self.invite, response)
        elif self.dialog is not None:
            assert DialogId.of_response(response) == self.dialog.id
            self.dialog.receive_response(response)
        if self.dialog is not None and 200 <= response.status < 300:
            ack = self.dialog.create_ack(response, via=self.via)
            self.layer.send_stateless(ack, resolve(next_hop(ack), self.address.transport))


@dataclass
class Uas:
    """Bob: rings, then answers, rejects or waits according to ``behaviour``; retransmits
    his 2xx until the ACK (§13.3.1.4)."""

    address: Peer
    behaviour: str = "answer"
    layer: TransactionLayer = field(default_factory=TransactionLayer)
    invites: list[Request] = field(default_factory=list)
    dialog: Dialog | None = None
    retransmitter: SuccessRetransmitter | None = None
    acks: int = 0
    cancels: int = 0
    to_tag: str = field(default_factory=new_tag)

    def on_event(self, event: TransactionEvent, now: float) -> None:
        if isinstance(event, RequestReceived):
            self.on_request(event.request, event.source, now)
        elif isinstance(event, AckReceived):
            self.acks += 1
            if self.retransmitter is not None:
                self.retransmitter.acknowledge(event.request)
        elif isinstance(event, CancelReceived):
            self.cancels += 1
            self.reply(self.invites[-1], 487, now)

    def on_request(self, request: Request, source: Peer, now: float) -> None:
        if request.method == "INVITE" and request.to_address.tag is None:
            self.on_new_call(request, source, now)
            return
        assert self.dialog is not None
        rejected = self.dialog.receive_request(request)
        if rejected is not None:
            self.layer.send_response(rejected, now)
            return
        ok = self.reply(request, 200, now)
        if request.method == "INVITE":  # a re-INVITE's 2xx is retransmitted like any other
            self.retransmit(ok, request, source, now)

    def on_new_call(self, request: Request, source: Peer, now: float) -> None:
        self.invites.append(request)
        if self.behaviour == "silent":
            return
        ringing = self.reply(request, 180, now)
        self.dialog = Dialog.as_uas(request, ringing)
        if self.behaviour == "busy":
            self.dialog.record_response(self.reply(request, 486, now))
        elif self.behaviour == "answer":
            ok = self.reply(request, 200, now)
            self.dialog.record_response(ok)
            self.retransmit(ok, request, source, now)

    def retransmit(self, ok: Response, request: Request, source: Peer, now: float) -> None:
        destination = response_destination(request.top_via, source)
        self.retransmitter = SuccessRetransmitter(response=ok, destination=destination, now=now)

    def reply_to(self, request: Request, status: int) -> Response:
        response = make_response(request, status, to_tag=self.to_tag)
        if request.method == "INVITE" and status < 300:
            response.headers.add("Contact", f"<sip:bob@{self.address.host}:{self.address.port}>")
        return response

    def reply(self, request: Request, status: int, now: float) -> Response:
        response = self.reply_to(request, status)
        self.layer.send_response(response, now)
        return response


Endpoint = Uac | Uas
Drop = Callable[[Message, Peer], bool]


def never(message: Message, destination: Peer) -> bool:
    return False


@dataclass
class Network:
    """Delivers what each layer sends to the endpoint at the destination, through bytes, and
    moves time from one timer to the next. ``drop`` decides which datagrams are lost."""

    uac: Uac
    uas: Uas
    drop: Drop = never
    now: float = 0.0
    trace: list[str] = field(default_factory=list)

    def endpoint_at(self, peer: Peer) -> Endpoint:
        for endpoint in (self.uac, self.uas):
            if (endpoint.address.host, endpoint.address.port) == (peer.host, peer.port):
                return endpoint
        raise AssertionError(f"nobody at {peer}")

    def outgoing(self, endpoint: Endpoint) -> list[tuple[Message, Peer]]:
        messages = endpoint.layer.messages_to_send()
        if isinstance(endpoint, Uas) and endpoint.retransmitter is not None:
            messages += endpoint.retransmitter.messages_to_send()
        return messages

    def flush(self) -> bool:
        moved = False
        for sender in (self.uac, self.uas):
            for message, destination in self.outgoing(sender):
                moved = True
                self.carry(sender, message, destination)
            while (event := sender.layer.next_event()) is not None:
                moved = True
                sender.on_event(event, self.now)
        return moved

    def carry(self, sender: Endpoint, message: Message, destination: Peer) -> None:
        name = "A>B" if sender is self.uac else "B>A"
        first = message.method if isinstance(message, Request) else str(message.status)
        lost = self.drop(message, destination)
        self.trace.append(f"{name} {first}" + (" (lost)" if lost else ""))
        if lost:
            return
        wire = parse_message(message.to_bytes())
        source = Peer(
            transport=destination.transport, host=sender.address.host, port=sender.address.port
        )
        self.endpoint_at(destination).layer.receive(wire, source, self.now)

    def next_deadline(self) -> float | None:
        deadlines = [self.uac.layer.get_timer(), self.uas.layer.get_timer()]
        if self.uas.retransmitter is not None:
            deadlines.append(self.uas.retransmitter.get_timer())
        return min((d for d in deadlines if d is not None), default=None)

    def run(self, until: float) -> None:
        while True:
            while self.flush():
                pass
            deadline = self.next_deadline()
            if deadline is None or deadline > until:
                self.now = max(self.now, until)
                return
            self.now = deadline
            self.uac.layer.handle_timer(deadline)
            self.uas.layer.handle_timer(deadline)
            if self.uas.retransmitter is not None:
                self.uas.retransmitter.handle_timer(deadline)


def pair(behaviour: str = "answer", drop: Drop = never, *, tcp: bool = False) -> Network:
    alice, bob = (ALICE_TCP, BOB_TCP) if tcp else (ALICE, BOB)
    return Network(uac=Uac(address=alice), uas=Uas(address=bob, behaviour=behaviour), drop=drop)


def dropping(*rules: tuple[str, int]) -> Drop:
    """Lose the n-th occurrence (1-based) of each named message ("INVITE", "200", ...)."""
    seen: dict[str, int] = {}
    wanted = set(rules)

    def drop(message: Message, destination: Peer) -> bool:
        name = message.method if isinstance(message, Request) else str(message.status)
        if isinstance(message, Response):
            name = f"{message.status} {message.cseq.method}"
        seen[name] = seen.get(name, 0) + 1
        return (name, seen[name]) in wanted

    return drop


# -- RFC 3665-style flows ------------------------------------------------------------------


def test_successful_session_and_bye() -> None:
    net = pair()
    net.uac.call(BOB, 0.0)
    net.run(1.0)
    assert net.trace == ["A>B INVITE", "B>A 180", "B>A 200", "A>B ACK"]
    uac_dialog, uas_dialog = net.uac.dialog, net.uas.dialog
    assert uac_dialog is not None and uas_dialog is not None
    assert uac_dialog.state is DialogState.CONFIRMED
    assert uac_dialog.id.local_tag == uas_dialog.id.remote_tag
    assert net.uas.acks == 1
    net.uac.hang_up(net.now)
    net.run(100.0)
    assert net.trace[4:] == ["A>B BYE", "B>A 200"]
    assert {uac_dialog.state, uas_dialog.state} == {DialogState.TERMINATED}
    assert net.uac.statuses == [180, 200, 200]
    assert net.uac.layer.get_timer() is None and net.uas.layer.get_timer() is None


def test_busy_is_acked_by_the_transaction() -> None:
    net = pair("busy")
    net.uac.call(BOB, 0.0)
    net.run(100.0)
    assert net.trace == ["A>B INVITE", "B>A 180", "B>A 486", "A>B ACK"]
    assert net.uac.statuses == [180, 486]
    assert net.uas.acks == 0  # the INVITE server transaction absorbed it
    assert net.uac.dialog is not None and net.uac.dialog.state is DialogState.TERMINATED


def test_cancelled_call() -> None:
    net = pair("ring")
    net.uac.call(BOB, 0.0)
    net.run(5.0)
    assert net.trace == ["A>B INVITE", "B>A 180"]
    net.uac.cancel(net.now)
    net.run(100.0)
    assert net.trace[2:] == ["A>B CANCEL", "B>A 200", "B>A 487", "A>B ACK"]
    assert net.uas.cancels == 1
    assert net.uac.statuses == [180, 200, 487]


def test_unreachable_callee_times_out_after_seven_invites() -> None:
    net = pair(drop=lambda message, destination: destination == BOB)
    net.uac.call(BOB, 0.0)
    net.run(100.0)
    assert net.trace == ["A>B INVITE (lost)"] * 7
    assert len(net.uac.timed_out) == 1
    assert net.uas.invites == []


# -- a lossy link --------------------------------------------------------------------------


def test_lost_invite_180_200_and_ack_are_all_recovered() -> None:
    drop = dropping(("INVITE", 1), ("180 INVITE", 1), ("200 INVITE", 1), ("200 INVITE", 2))
    drop_ack = dropping(("ACK", 1))
    net = pair(drop=lambda message, peer: drop(message, peer) or drop_ack(message, peer))
    net.uac.call(BOB, 0.0)
    net.run(100.0)
    assert net.trace == [
        "A>B INVITE (lost)",
        "A>B INVITE",  # timer A at 0.5 s
        "B>A 180 (lost)",
        "B>A 200 (lost)",
        "B>A 200 (lost)",  # the UAS core retransmits its 2xx at 1.0 s (§13.3.1.4)
        "A>B INVITE",  # timer A at 1.5 s, absorbed by the Accepted server transaction
        "B>A 200",  # 2.0 s
        "A>B ACK (lost)",
        "B>A 200",  # 4.0 s, after the 2xx transaction ended: ACKed by the dialog again
        "A>B ACK",
    ]
    assert len(net.uas.invites) == 1
    assert net.uas.acks == 1
    assert net.uac.statuses == [200, 200]
    assert net.uac.dialog is not None and net.uac.dialog.state is DialogState.CONFIRMED


@pytest.mark.parametrize("seed", range(12))
def test_random_loss_never_breaks_the_rules(seed: int) -> None:
    rng = random.Random(seed)
    net = pair(drop=lambda message, destination: rng.random() < 0.3)
    net.uac.call(BOB, 0.0)
    net.run(40.0)
    assert len(net.uas.invites) <= 1  # retransmissions never reach the TU twice
    if 200 in net.uac.statuses:
        assert net.uac.dialog is not None and net.uas.dialog is not None
        assert net.uac.dialog.id.call_id == net.uas.dialog.id.call_id
    else:
        assert len(net.uac.timed_out) == 1 or net.uas.invites
    sent_acks = net.trace.count("A>B ACK") + net.trace.count("A>B ACK (lost)")
    ok_received = net.uac.statuses.count(200)
    assert sent_acks == ok_received  # one ACK for each 2xx that arrived


def test_an_out_of_order_request_in_the_dialog_gets_500() -> None:
    net = pair()
    net.uac.call(BOB, 0.0)
    net.run(1.0)
    assert net.uac.dialog is not None
    late = net.uac.dialog.create_request("INFO", via=net.uac.via)
    net.uac.hang_up(net.now)
    net.run(2.0)
    net.uac.layer.send_request(late, BOB, net.now)
    net.run(3.0)
    assert net.uac.statuses[-2:] == [200, 500]


def test_call_over_tcp_is_never_retransmitted_even_when_slow() -> None:
    net = pair("ring", tcp=True)
    net.uac.call(BOB_TCP, 0.0)
    net.run(20.0)
    assert net.trace == ["A>B INVITE", "B>A 180"]  # 100 Trying is not needed after a 180
    net.uac.cancel(net.now)
    net.run(100.0)
    assert net.trace[2:] == ["A>B CANCEL", "B>A 200", "B>A 487", "A>B ACK"]
    assert net.uac.layer.get_timer() is None and net.uas.layer.get_timer() is None


def test_slow_answer_gets_100_trying_over_tcp() -> None:
    net = pair("silent", tcp=True)
    net.uac.call(BOB_TCP, 0.0)
    net.run(40.0)
    assert net.trace == ["A>B INVITE", "B>A 100"]
    assert net.uac.timed_out == []  # the 100 stopped timer B


def test_reinvite_moves_the_target_and_is_acked_with_its_own_cseq() -> None:
    net = pair()
    net.uac.call(BOB, 0.0)
    net.run(1.0)
    net.uac.re_invite("<sip:alice@10.0.0.5:5099>", net.now)
    net.run(50.0)
    assert net.trace[4:] == ["A>B INVITE", "B>A 200", "A>B ACK"]
    assert net.uas.dialog is not None
    assert net.uas.dialog.remote_target == SipUri.parse("sip:alice@10.0.0.5:5099")
    assert net.uas.dialog.remote_cseq == 2
    assert net.uas.acks == 2
    assert net.uac.statuses == [180, 200, 200]
