"""Matching, CANCEL, merged requests, received/rport and timers of the whole layer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.sip.address import Peer
from hotline.sip.errors import LocalProtocolError
from hotline.sip.headers import Via
from hotline.sip.message import Request, Response, make_response
from hotline.sip.parser import parse_message
from hotline.sip.transaction import (
    AckReceived,
    CancelReceived,
    RequestReceived,
    ResponseReceived,
    TransactionEvent,
    TransactionTerminated,
    TransactionTimedOut,
    cancel_for,
)
from hotline.sip.transaction_layer import (
    TransactionLayer,
    client_transaction_id,
    response_destination,
    server_transaction_id,
)

PHONE = Peer(transport="UDP", host="198.51.100.7", port=40000)
PHONE_TCP = Peer(transport="TCP", host="198.51.100.7", port=40001, connection_id=9)
NEXT_HOP = Peer(transport="UDP", host="192.0.2.20", port=5060)


def request(
    method: str = "INVITE",
    *,
    branch: str | None = "z9hG4bK-a1",
    via: str = "SIP/2.0/UDP 10.0.0.5:5062",
    to_tag: str | None = None,
    cseq: int = 1,
    cseq_method: str | None = None,
) -> Request:
    via_value = via + (f";branch={branch}" if branch else "")
    to = "<sip:101@hotline.local>" + (f";tag={to_tag}" if to_tag else "")
    text = (
        f"{method} sip:101@hotline.local SIP/2.0\r\n"
        f"Via: {via_value}\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:alice@example.com>;tag=alice-1\r\n"
        f"To: {to}\r\n"
        "Call-ID: call-77@10.0.0.5\r\n"
        f"CSeq: {cseq} {cseq_method or method}\r\n"
        "Contact: <sip:alice@10.0.0.5:5062>\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    message = parse_message(text.encode())
    assert isinstance(message, Request)
    return message


def events(layer: TransactionLayer) -> list[TransactionEvent]:
    out = []
    while (event := layer.next_event()) is not None:
        out.append(event)
    return out


def statuses(layer: TransactionLayer) -> list[int]:
    return [m.status for m, _ in layer.messages_to_send() if isinstance(m, Response)]


def received(layer: TransactionLayer, message: Request, source: Peer = PHONE) -> Request:
    layer.receive(message, source, 0.0)
    (event,) = events(layer)
    assert isinstance(event, RequestReceived)
    return event.request


# -- received and rport (RFC 3261 §18.2.1, RFC 3581) ---------------------------------------


def test_received_is_added_when_the_source_differs_from_sent_by() -> None:
    via = received(TransactionLayer(), request("OPTIONS")).top_via
    assert via.received == "198.51.100.7"
    assert via.rport is None
    assert response_destination(via, PHONE) == Peer(transport="UDP", host="198.51.100.7", port=5062)


def test_an_empty_rport_gets_the_source_port_and_received() -> None:
    source = Peer(transport="UDP", host="10.0.0.5", port=40000)
    msg = request("OPTIONS", via="SIP/2.0/UDP 10.0.0.5:5062;rport")
    via = received(TransactionLayer(), msg, source).top_via
    assert (via.received, via.rport) == ("10.0.0.5", "40000")
    assert response_destination(via, source) == source


def test_nothing_is_added_for_a_source_that_matches_sent_by() -> None:
    source = Peer(transport="UDP", host="10.0.0.5", port=5062)
    via = received(TransactionLayer(), request("OPTIONS"), source).top_via
    assert via.received is None and via.rport is None


def test_the_default_response_port_is_5060_and_tcp_uses_the_connection() -> None:
    via = Via.parse("SIP/2.0/UDP phone.example.com;branch=z9hG4bK-x;received=198.51.100.7")
    assert response_destination(via, PHONE) == Peer(transport="UDP", host="198.51.100.7", port=5060)
    # §18.2.2: the request's connection while it is open, else a new one to the sent-by port
    # (where the phone listens), not to the ephemeral port the connection came from.
    assert response_destination(via, PHONE_TCP) == Peer(
        transport="TCP", host="198.51.100.7", port=5060, connection_id=9
    )
    via = Via.parse("SIP/2.0/TCP phone.example.com:5070;branch=z9hG4bK-x")
    assert response_destination(via, PHONE_TCP).port == 5070


def test_only_the_top_via_is_stamped_and_others_are_kept() -> None:
    msg = request("OPTIONS")
    msg.headers.add("Via", "SIP/2.0/UDP proxy.example.com;branch=z9hG4bK-p")
    vias = received(TransactionLayer(), msg).vias
    assert [v.host for v in vias] == ["10.0.0.5", "proxy.example.com"]
    assert vias[1].received is None


# -- server transactions through the layer -------------------------------------------------


def test_a_retransmitted_request_is_absorbed_and_the_last_response_resent() -> None:
    layer = TransactionLayer()
    original = received(layer, request("REGISTER"))
    layer.send_response(make_response(original, 200, to_tag="t1"), 0.1)
    assert layer.messages_to_send()[0][1] == Peer(transport="UDP", host="198.51.100.7", port=5062)
    layer.receive(request("REGISTER"), PHONE, 1.0)
    assert events(layer) == []
    assert statuses(layer) == [200]


def test_rport_sends_responses_to_the_source_port() -> None:
    layer = TransactionLayer()
    original = received(layer, request("OPTIONS", via="SIP/2.0/UDP 10.0.0.5:5062;rport"))
    layer.send_response(make_response(original, 200, to_tag="t1"), 0.0)
    ((_, destination),) = layer.messages_to_send()
    assert destination == PHONE


def test_a_response_over_tcp_goes_back_over_the_connection() -> None:
    layer = TransactionLayer()
    original = received(layer, request("OPTIONS", via="SIP/2.0/TCP 10.0.0.5:5062"), PHONE_TCP)
    layer.send_response(make_response(original, 200, to_tag="t1"), 0.0)
    ((_, destination),) = layer.messages_to_send()
    assert destination.connection_id == PHONE_TCP.connection_id
    assert (destination.host, destination.port) == (PHONE_TCP.host, 5062)  # if it closed
    assert [type(e) for e in events(layer)] == [TransactionTerminated]


def test_ack_for_a_failure_is_absorbed_and_ack_for_2xx_goes_up() -> None:
    layer = TransactionLayer()
    invite = received(layer, request())
    layer.send_response(make_response(invite, 486, to_tag="t1"), 0.1)
    layer.receive(request("ACK", to_tag="t1", cseq_method="ACK"), PHONE, 0.2)
    assert events(layer) == []
    ack_2xx = request("ACK", branch="z9hG4bK-other", to_tag="t9", cseq=2)
    layer.receive(ack_2xx, PHONE, 0.3)
    assert events(layer) == [AckReceived(request=ack_2xx, source=PHONE)]


def test_invite_server_answers_100_trying_after_200_ms() -> None:
    layer = TransactionLayer()
    received(layer, request())
    assert layer.get_timer() == pytest.approx(0.2)
    layer.handle_timer(0.2)
    assert statuses(layer) == [100]


def test_invite_failure_is_retransmitted_until_timer_h() -> None:
    layer = TransactionLayer()
    invite = received(layer, request())
    layer.send_response(make_response(invite, 486, to_tag="t1"), 0.0)
    assert statuses(layer) == [486]
    times = []
    while (deadline := layer.get_timer()) is not None:
        layer.handle_timer(deadline)
        times += [deadline for _ in layer.messages_to_send()]
    assert times == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert [type(e) for e in events(layer)] == [TransactionTimedOut, TransactionTerminated]


def test_2xx_leaves_the_invite_accepted_absorbing_retransmissions() -> None:
    """RFC 6026 §7.1: the retransmitted INVITE is not a new call; the TU may retransmit its
    2xx through the transaction; a CANCEL now gets 200 but changes nothing."""
    layer = TransactionLayer()
    invite = received(layer, request())
    ok = make_response(invite, 200, to_tag="t1")
    layer.send_response(ok, 0.1)
    layer.receive(request(), PHONE, 0.5)
    assert events(layer) == [] and layer.messages_to_send() == [(ok, invite_destination())]
    layer.send_response(ok, 0.6)
    assert statuses(layer) == [200]
    layer.receive(request("CANCEL"), PHONE, 0.7)
    assert events(layer) == [] and statuses(layer) == [200]
    layer.handle_timer(32.1)
    assert server_transaction_id(invite) in [
        e.transaction_id for e in events(layer) if isinstance(e, TransactionTerminated)
    ]


def invite_destination() -> Peer:
    return Peer(transport="UDP", host="198.51.100.7", port=5062)


def test_an_ack_reusing_the_invite_branch_after_2xx_reaches_the_tu() -> None:
    layer = TransactionLayer()
    invite = received(layer, request())
    layer.send_response(make_response(invite, 200, to_tag="t1"), 0.1)
    ack = request("ACK", to_tag="t1")
    layer.receive(ack, PHONE, 0.2)
    assert events(layer) == [AckReceived(request=ack, source=PHONE)]


def test_invite_failure_over_tcp_is_not_retransmitted_and_h_still_runs() -> None:
    layer = TransactionLayer()
    invite = received(layer, request(via="SIP/2.0/TCP 10.0.0.5:5062"), PHONE_TCP)
    layer.send_response(make_response(invite, 486, to_tag="t1"), 0.0)
    assert statuses(layer) == [486]
    assert layer.get_timer() == 32.0
    layer.handle_timer(32.0)
    assert layer.messages_to_send() == []
    assert [type(e) for e in events(layer)] == [TransactionTimedOut, TransactionTerminated]


def test_ipv6_sources_are_compared_without_brackets() -> None:
    source = Peer(transport="UDP", host="2001:db8::5", port=5062)
    msg = request("OPTIONS", via="SIP/2.0/UDP [2001:db8::5]:5062")
    assert received(TransactionLayer(), msg, source).top_via.received is None
    other = Peer(transport="UDP", host="2001:db8::9", port=5062)
    msg = request("OPTIONS", via="SIP/2.0/UDP [2001:db8::5]:5062")
    via = received(TransactionLayer(), msg, other).top_via
    assert via.received == "2001:db8::9"  # RFC 3261 §18.2.1, written without brackets
    assert received(TransactionLayer(), parse_message(msg.to_bytes()), other).top_via == via
    assert response_destination(via, other) == other
    rport = request("OPTIONS", via="SIP/2.0/UDP [2001:db8::5]:5062;rport")
    via = received(TransactionLayer(), rport, other).top_via
    assert (via.received, via.rport) == ("2001:db8::9", "5062")


def test_send_response_without_a_transaction_is_our_mistake() -> None:
    with pytest.raises(LocalProtocolError):
        TransactionLayer().send_response(make_response(request(), 200, to_tag="x"), 0.0)


# -- CANCEL (§9.2) -------------------------------------------------------------------------


def test_cancel_is_answered_200_and_reported_then_487_is_acked() -> None:
    layer = TransactionLayer()
    invite = received(layer, request())
    layer.send_response(make_response(invite, 180, to_tag="t1"), 0.05)
    layer.messages_to_send()
    cancel = request("CANCEL", cseq=1)
    layer.receive(cancel, PHONE, 1.0)
    (event,) = events(layer)
    assert isinstance(event, CancelReceived)
    assert event.transaction_id == server_transaction_id(invite)
    ((ok, _),) = layer.messages_to_send()
    assert isinstance(ok, Response) and (ok.status, ok.cseq.method) == (200, "CANCEL")
    assert ok.to_address.tag == "t1"
    layer.send_response(make_response(invite, 487, to_tag="t1"), 1.0)
    assert statuses(layer) == [487]
    layer.receive(request("ACK", to_tag="t1"), PHONE, 1.1)
    assert events(layer) == []


def test_cancel_matching_nothing_gets_481() -> None:
    layer = TransactionLayer()
    layer.receive(request("CANCEL"), PHONE, 0.0)
    assert events(layer) == []
    assert statuses(layer) == [481]


def test_cancel_after_the_final_response_gets_200_but_no_event() -> None:
    layer = TransactionLayer()
    invite = received(layer, request())
    layer.send_response(make_response(invite, 486, to_tag="t1"), 0.0)
    layer.messages_to_send()
    layer.receive(request("CANCEL"), PHONE, 0.1)
    assert events(layer) == []
    assert statuses(layer) == [200]


def test_a_retransmitted_cancel_is_absorbed() -> None:
    layer = TransactionLayer()
    received(layer, request())
    layer.receive(request("CANCEL"), PHONE, 0.1)
    assert len(events(layer)) == 1
    layer.messages_to_send()
    layer.receive(request("CANCEL"), PHONE, 0.6)
    assert events(layer) == []
    assert statuses(layer) == [200]


# -- merged requests (§8.2.2.2) -------------------------------------------------------------


def test_a_merged_request_gets_482_and_never_reaches_the_tu() -> None:
    layer = TransactionLayer()
    received(layer, request())
    layer.receive(request(branch="z9hG4bK-via-second-proxy"), PHONE, 0.1)
    assert events(layer) == []
    assert statuses(layer) == [482]


def test_same_cseq_after_the_first_transaction_ended_is_not_merged() -> None:
    layer = TransactionLayer()
    original = received(layer, request("OPTIONS", via="SIP/2.0/TCP 10.0.0.5"), PHONE_TCP)
    layer.send_response(make_response(original, 200, to_tag="t1"), 0.0)
    events(layer)
    layer.receive(request("OPTIONS", branch="z9hG4bK-b2"), PHONE, 0.1)
    assert [type(e) for e in events(layer)] == [RequestReceived]


# -- RFC 2543 matching (no magic cookie) ---------------------------------------------------


def test_rfc2543_retransmission_and_ack_are_matched_without_a_cookie() -> None:
    layer = TransactionLayer()
    invite = received(layer, request(branch=None))
    layer.send_response(make_response(invite, 404, to_tag="t1"), 0.0)
    layer.messages_to_send()
    layer.receive(request(branch=None), PHONE, 0.2)
    assert statuses(layer) == [404]
    layer.receive(request("ACK", branch=None, to_tag="t1", cseq_method="ACK"), PHONE, 0.3)
    assert events(layer) == []
    transaction = layer.transaction(server_transaction_id(invite))
    assert transaction is not None and transaction.state.name == "CONFIRMED"


# -- client transactions through the layer -------------------------------------------------


def test_invite_is_retransmitted_at_exact_times_over_udp() -> None:
    layer = TransactionLayer()
    tid = layer.send_request(request(), NEXT_HOP, 0.0)
    assert layer.messages_to_send()[0][1] == NEXT_HOP
    assert layer.get_timer() == 0.5
    layer.handle_timer(0.5)
    assert len(layer.messages_to_send()) == 1
    assert layer.get_timer() == 1.5
    layer.handle_timer(1.4)
    assert layer.messages_to_send() == []
    ringing = make_response(request(), 180, to_tag="b1")
    layer.receive(ringing, NEXT_HOP, 1.45)
    assert events(layer) == [ResponseReceived(response=ringing, transaction_id=tid)]
    assert layer.get_timer() is None


def test_a_cancelled_invite_without_final_response_is_given_up_after_64_t1() -> None:
    """§9.1: the callee rang, then vanished; 64*T1 after our CANCEL the INVITE is over."""
    layer = TransactionLayer()
    invite = request()
    tid = layer.send_request(invite, NEXT_HOP, 0.0)
    layer.receive(make_response(invite, 180, to_tag="b1"), NEXT_HOP, 0.1)
    assert layer.get_timer() is None  # ringing may last: no timer B in Proceeding
    layer.send_request(cancel_for(invite), NEXT_HOP, 10.0)
    layer.receive(make_response(cancel_for(invite), 200, to_tag="b1"), NEXT_HOP, 10.1)
    layer.handle_timer(15.1)  # the CANCEL's timer K
    events(layer)
    assert layer.transaction(tid) is not None
    assert layer.get_timer() == 10.0 + 32.0
    layer.handle_timer(42.0)
    assert events(layer) == [
        TransactionTimedOut(transaction_id=tid),
        TransactionTerminated(transaction_id=tid),
    ]
    assert layer.transaction(tid) is None and layer.get_timer() is None


def test_a_final_response_after_cancel_stops_the_64_t1_wait() -> None:
    layer = TransactionLayer()
    invite = request()
    tid = layer.send_request(invite, NEXT_HOP, 0.0)
    layer.receive(make_response(invite, 180, to_tag="b1"), NEXT_HOP, 0.1)
    layer.send_request(cancel_for(invite), NEXT_HOP, 10.0)
    layer.receive(make_response(invite, 487, to_tag="b1"), NEXT_HOP, 10.2)
    tx = layer.transaction(tid)
    assert tx is not None and tx.get_timer() == 10.2 + 32.0  # timer D only
    layer.handle_timer(42.2)
    assert layer.transaction(tid) is None
    assert TransactionTimedOut(transaction_id=tid) not in events(layer)


def test_a_missing_branch_is_added_and_names_the_transaction() -> None:
    layer = TransactionLayer()
    msg = request("OPTIONS", branch=None)
    tid = layer.send_request(msg, NEXT_HOP, 0.0)
    branch = msg.top_via.branch
    assert branch is not None and branch.startswith("z9hG4bK")
    assert branch in tid


def test_2xx_retransmissions_after_the_invite_ended_still_go_up() -> None:
    layer = TransactionLayer()
    tid = layer.send_request(request(), NEXT_HOP, 0.0)
    ok = make_response(request(), 200, to_tag="b1")
    layer.receive(ok, NEXT_HOP, 0.1)
    assert [type(e) for e in events(layer)] == [ResponseReceived, TransactionTerminated]
    layer.receive(ok, NEXT_HOP, 0.6)
    assert events(layer) == [ResponseReceived(response=ok, transaction_id=tid)]
    layer.receive(make_response(request(), 486, to_tag="b1"), NEXT_HOP, 0.7)
    assert events(layer) == []


def test_a_response_to_no_transaction_is_dropped() -> None:
    layer = TransactionLayer()
    layer.receive(make_response(request("OPTIONS"), 200, to_tag="x"), NEXT_HOP, 0.0)
    assert events(layer) == [] and layer.messages_to_send() == []


def test_a_non_invite_over_tcp_is_never_retransmitted_and_times_out() -> None:
    layer = TransactionLayer()
    tcp = Peer(transport="TCP", host="192.0.2.20", port=5060, connection_id=1)
    tid = layer.send_request(request("OPTIONS", via="SIP/2.0/TCP 10.0.0.5"), tcp, 0.0)
    layer.messages_to_send()
    assert layer.get_timer() == 32.0
    layer.handle_timer(32.0)
    assert layer.messages_to_send() == []
    assert events(layer) == [
        TransactionTimedOut(transaction_id=tid),
        TransactionTerminated(transaction_id=tid),
    ]


def test_get_timer_is_the_earliest_over_all_transactions() -> None:
    layer = TransactionLayer()
    layer.send_request(request("OPTIONS", branch="z9hG4bK-1"), NEXT_HOP, 0.0)
    layer.send_request(request("OPTIONS", branch="z9hG4bK-2"), NEXT_HOP, 0.3)
    assert layer.get_timer() == 0.5
    layer.handle_timer(0.5)
    assert layer.get_timer() == 0.8
    layer.handle_timer(0.8)
    assert len(layer.messages_to_send()) == 4
    assert layer.get_timer() == 1.5


def test_a_transport_error_fails_the_client_transaction() -> None:
    layer = TransactionLayer()
    tid = layer.send_request(request(), NEXT_HOP, 0.0)
    layer.transport_error(tid, 0.1)
    assert events(layer)[0] == TransactionTimedOut(transaction_id=tid, transport_error=True)
    assert layer.get_timer() is None
    layer.transport_error(tid, 0.2)  # already gone: ignored
    assert events(layer) == []


def test_ack_cannot_start_a_transaction() -> None:
    with pytest.raises(LocalProtocolError):
        TransactionLayer().send_request(request("ACK"), NEXT_HOP, 0.0)


def test_a_response_with_two_vias_is_dropped() -> None:
    layer = TransactionLayer()
    layer.send_request(request("OPTIONS"), NEXT_HOP, 0.0)
    response = make_response(request("OPTIONS"), 200, to_tag="x")
    response.headers.add("Via", "SIP/2.0/UDP 192.0.2.99;branch=z9hG4bK-extra")
    layer.receive(response, NEXT_HOP, 0.1)
    assert events(layer) == []


# -- any sequence of inputs ----------------------------------------------------------------

BRANCHES = ["z9hG4bK-a1", "z9hG4bK-a2", "rfc2543-branch", None]
METHODS = ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE"]
Operation = tuple[str, str, str | None, int, int]
operations = st.tuples(
    st.sampled_from(["receive request", "receive response", "send request", "answer", "time"]),
    st.sampled_from(METHODS),
    st.sampled_from(BRANCHES),
    st.sampled_from([100, 180, 200, 486]),
    st.integers(min_value=1, max_value=2),
)


class Fuzzer:
    """Applies operations and checks what must hold after each one."""

    def __init__(self) -> None:
        self.layer = TransactionLayer()
        self.now = 0.0
        self.pending: list[Request] = []  # requests the TU may still answer
        self.alive: set[str] = set()

    def apply(self, operation: Operation) -> None:
        kind, method, branch, status, cseq = operation
        if kind == "receive request":
            self.layer.receive(request(method, branch=branch, cseq=cseq), PHONE, self.now)
        elif kind == "receive response":
            answered = request(method, branch=branch, cseq=cseq)
            self.layer.receive(make_response(answered, status, to_tag="t1"), NEXT_HOP, self.now)
        elif kind == "send request" and method != "ACK":
            outgoing = request(method, branch=branch or "z9hG4bK-c", cseq=cseq)
            tid = client_transaction_id(outgoing)
            if tid is not None and self.layer.transaction(tid) is None:
                self.layer.send_request(outgoing, NEXT_HOP, self.now)
        elif kind == "answer" and self.pending:
            answered = self.pending.pop(0)
            if status == 100 or status == 180:
                self.pending.append(answered)
            self.layer.send_response(make_response(answered, status, to_tag="t1"), self.now)
        elif kind == "time":
            self.now += 0.25 * status
            self.layer.handle_timer(self.now)
        self.check()

    def check(self) -> None:
        while (event := self.layer.next_event()) is not None:
            if isinstance(event, RequestReceived):
                assert event.transaction_id not in self.alive, "a request reached the TU twice"
                self.alive.add(event.transaction_id)
                if event.request.method != "ACK":
                    self.pending.append(event.request)
            elif isinstance(event, TransactionTerminated):
                self.alive.discard(event.transaction_id)
                self.pending = [
                    r for r in self.pending if server_transaction_id(r) != event.transaction_id
                ]
        deadline = self.layer.get_timer()
        assert deadline is None or deadline > self.now - 1e-9
        self.layer.messages_to_send()


@settings(max_examples=200, deadline=None)
@given(st.lists(operations, max_size=25))
def test_any_sequence_of_inputs_keeps_the_layer_consistent(ops: list[Operation]) -> None:
    fuzzer = Fuzzer()
    for operation in ops:
        fuzzer.apply(operation)
