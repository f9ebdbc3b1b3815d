"""The four transaction machines of RFC 3261 §17, driven with explicit time."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.sip.address import Peer
from hotline.sip.errors import LocalProtocolError
from hotline.sip.message import Request, Response, make_response
from hotline.sip.parser import parse_message
from hotline.sip.timers import Timer, TimerSettings
from hotline.sip.transaction import (
    MessageInput,
    ResponseReceived,
    Stimulus,
    Transaction,
    TransactionId,
    TransactionKind,
    TransactionState,
    TransactionTerminated,
    TransactionTimedOut,
    Transmit,
    table_for,
)

UDP = Peer(transport="UDP", host="192.0.2.20", port=5060)
TCP = Peer(transport="TCP", host="192.0.2.20", port=5060, connection_id=3)
S = TransactionState
M = MessageInput
K = TransactionKind


def make_request(method: str = "INVITE", *, transport: str = "UDP") -> Request:
    text = (
        f"{method} sip:bob@example.com SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} 192.0.2.10:5060;branch=z9hG4bK-tx-1\r\n"
        "Route: <sip:proxy.example.com;lr>\r\n"
        "Max-Forwards: 70\r\n"
        "From: Alice <sip:alice@example.com>;tag=alice-1\r\n"
        "To: <sip:bob@example.com>\r\n"
        "Call-ID: call-1@192.0.2.10\r\n"
        f"CSeq: 7 {method}\r\n"
        "Contact: <sip:alice@192.0.2.10:5060>\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    message = parse_message(text.encode())
    assert isinstance(message, Request)
    return message


def respond(request: Request, status: int) -> Response:
    return make_response(request, status, to_tag=None if status == 100 else "bob-1")


def new(kind: TransactionKind, peer: Peer = UDP, *, t1: float = 0.5) -> Transaction:
    method = "INVITE" if kind in (K.INVITE_CLIENT, K.INVITE_SERVER) else "OPTIONS"
    return Transaction(
        kind=kind,
        transaction_id=TransactionId("tx"),
        request=make_request(method, transport=peer.transport),
        peer=peer,
        settings=TimerSettings(t1=t1),
    )


def run_timers(tx: Transaction, until: float) -> list[tuple[float, object]]:
    """Fire the transaction's timers in order up to ``until``; (time, output) pairs."""
    seen: list[tuple[float, object]] = []
    while (deadline := tx.get_timer()) is not None and deadline <= until:
        seen += [(deadline, output) for output in tx.handle_timer(deadline)]
    return seen


def transmit_times(seen: list[tuple[float, object]]) -> list[float]:
    return [time for time, output in seen if isinstance(output, Transmit)]


# -- timer values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timer", "udp", "tcp"),
    [
        (Timer.TIMER_A, 0.5, 0.5),
        (Timer.TIMER_B, 32.0, 32.0),
        (Timer.TIMER_D, 32.0, 0.0),
        (Timer.TIMER_E, 0.5, 0.5),
        (Timer.TIMER_F, 32.0, 32.0),
        (Timer.TIMER_G, 0.5, 0.5),
        (Timer.TIMER_H, 32.0, 32.0),
        (Timer.TIMER_I, 5.0, 0.0),
        (Timer.TIMER_J, 32.0, 0.0),
        (Timer.TIMER_K, 5.0, 0.0),
        (Timer.TIMER_L, 32.0, 32.0),
    ],
)
def test_rfc3261_table_4_values(timer: Timer, udp: float, tcp: float) -> None:
    assert TimerSettings().initial(timer, reliable=False) == udp
    assert TimerSettings().initial(timer, reliable=True) == tcp


# -- INVITE client (Figure 5) ----------------------------------------------------------------


def test_invite_client_retransmits_with_timer_a_then_times_out_with_b() -> None:
    tx = new(K.INVITE_CLIENT)
    assert [type(o) for o in tx.start(0.0)] == [Transmit]
    assert tx.get_timer() == 0.5
    seen = run_timers(tx, 100.0)
    assert transmit_times(seen) == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert seen[-2:] == [
        (32.0, TransactionTimedOut(transaction_id=TransactionId("tx"))),
        (32.0, TransactionTerminated(transaction_id=TransactionId("tx"))),
    ]
    assert tx.state is S.TERMINATED and tx.get_timer() is None


def test_invite_client_over_tcp_sends_once_and_times_out_at_64_t1() -> None:
    tx = new(K.INVITE_CLIENT, TCP)
    tx.start(0.0)
    assert tx.get_timer() == 32.0
    seen = run_timers(tx, 100.0)
    assert transmit_times(seen) == []
    assert isinstance(seen[0][1], TransactionTimedOut)


def test_invite_client_provisional_stops_retransmissions_and_timer_b() -> None:
    tx = new(K.INVITE_CLIENT)
    tx.start(0.0)
    ringing = respond(tx.request, 180)
    assert tx.receive_response(ringing, 0.7) == [
        ResponseReceived(response=ringing, transaction_id=tx.id)
    ]
    assert tx.state is S.PROCEEDING and tx.get_timer() is None


def test_invite_client_2xx_goes_up_and_terminates() -> None:
    tx = new(K.INVITE_CLIENT)
    tx.start(0.0)
    ok = respond(tx.request, 200)
    outputs = tx.receive_response(ok, 0.2)
    assert outputs == [
        ResponseReceived(response=ok, transaction_id=tx.id),
        TransactionTerminated(transaction_id=tx.id),
    ]


def test_invite_client_acks_a_failure_and_absorbs_its_retransmissions() -> None:
    tx = new(K.INVITE_CLIENT)
    tx.start(0.0)
    busy = respond(tx.request, 486)
    passed_up, sent = tx.receive_response(busy, 0.3)
    assert passed_up == ResponseReceived(response=busy, transaction_id=tx.id)
    assert isinstance(sent, Transmit) and sent.destination == UDP
    ack = sent.message
    assert isinstance(ack, Request) and ack.method == "ACK"
    assert ack.uri == tx.request.uri
    assert (ack.cseq.number, ack.cseq.method) == (7, "ACK")
    assert ack.to_address.tag == "bob-1"
    assert ack.from_address.tag == "alice-1"
    assert ack.call_id == tx.request.call_id
    assert [str(v) for v in ack.vias] == [str(tx.request.top_via)]
    assert ack.headers.get_all("Route") == tx.request.headers.get_all("Route")
    assert tx.state is S.COMPLETED and tx.get_timer() == 0.3 + 32
    assert tx.receive_response(busy, 1.0) == [Transmit(message=ack, destination=UDP)]
    seen = run_timers(tx, 100.0)
    assert seen == [(32.3, TransactionTerminated(transaction_id=tx.id))]


def test_invite_client_over_tcp_ends_at_once_after_acking_a_failure() -> None:
    tx = new(K.INVITE_CLIENT, TCP)
    tx.start(0.0)
    outputs = tx.receive_response(respond(tx.request, 603), 1.0)
    assert [type(o) for o in outputs] == [ResponseReceived, Transmit, TransactionTerminated]
    assert tx.state is S.TERMINATED


# -- non-INVITE client (Figure 6) ------------------------------------------------------------


def test_non_invite_client_timer_e_doubles_up_to_t2_then_f_fires() -> None:
    tx = new(K.NON_INVITE_CLIENT)
    tx.start(0.0)
    assert tx.get_timer() == 0.5
    seen = run_timers(tx, 100.0)
    expected = [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert transmit_times(seen) == expected
    assert seen[-2][1] == TransactionTimedOut(transaction_id=tx.id)
    assert seen[-2][0] == 32.0


def test_non_invite_client_retransmits_every_t2_once_proceeding() -> None:
    tx = new(K.NON_INVITE_CLIENT)
    tx.start(0.0)
    tx.receive_response(respond(tx.request, 100), 0.2)
    assert tx.state is S.PROCEEDING
    seen = run_timers(tx, 10.0)
    assert transmit_times(seen) == [0.5, 4.5, 8.5]


def test_non_invite_client_waits_timer_k_then_terminates() -> None:
    tx = new(K.NON_INVITE_CLIENT)
    tx.start(0.0)
    ok = respond(tx.request, 200)
    assert tx.receive_response(ok, 1.0) == [ResponseReceived(response=ok, transaction_id=tx.id)]
    assert tx.get_timer() == 6.0
    assert tx.receive_response(ok, 2.0) == []
    assert run_timers(tx, 100.0) == [(6.0, TransactionTerminated(transaction_id=tx.id))]


def test_non_invite_client_over_tcp_ends_on_the_final_response() -> None:
    tx = new(K.NON_INVITE_CLIENT, TCP)
    tx.start(0.0)
    assert tx.get_timer() == 32.0
    outputs = tx.receive_response(respond(tx.request, 404), 0.1)
    assert [type(o) for o in outputs] == [ResponseReceived, TransactionTerminated]


# -- INVITE server (Figure 7) ----------------------------------------------------------------


def test_invite_server_sends_100_trying_when_the_tu_is_slow() -> None:
    tx = new(K.INVITE_SERVER)
    assert tx.start(0.0) == []
    assert tx.get_timer() == 0.2
    ((time, sent),) = run_timers(tx, 1.0)
    assert time == 0.2 and isinstance(sent, Transmit)
    assert isinstance(sent.message, Response) and sent.message.status == 100
    assert tx.receive_request(tx.request, 0.5) == [sent]


def test_invite_server_skips_100_trying_when_the_tu_answers_quickly() -> None:
    tx = new(K.INVITE_SERVER)
    tx.start(0.0)
    ringing = respond(tx.request, 180)
    assert tx.send_response(ringing, 0.1) == [Transmit(message=ringing, destination=UDP)]
    assert tx.get_timer() is None


def test_invite_server_absorbs_a_retransmission_before_any_response() -> None:
    tx = new(K.INVITE_SERVER)
    tx.start(0.0)
    assert tx.receive_request(tx.request, 0.1) == []


def test_invite_server_2xx_waits_in_accepted_for_timer_l() -> None:
    """RFC 6026 §7.1: INVITE retransmissions after the 2xx are absorbed, not handed to the
    TU as new requests; a 2xx retransmission from the TU still goes out."""
    tx = new(K.INVITE_SERVER)
    tx.start(0.0)
    ok = respond(tx.request, 200)
    assert tx.send_response(ok, 0.1) == [Transmit(message=ok, destination=UDP)]
    assert tx.state is S.ACCEPTED and tx.get_timer() == 32.1
    assert tx.receive_request(tx.request, 0.6) == []
    assert tx.send_response(ok, 0.6) == [Transmit(message=ok, destination=UDP)]
    assert run_timers(tx, 100.0) == [(32.1, TransactionTerminated(transaction_id=tx.id))]


def test_invite_server_retransmits_a_failure_with_timer_g_until_h() -> None:
    tx = new(K.INVITE_SERVER)
    tx.start(0.0)
    busy = respond(tx.request, 486)
    tx.send_response(busy, 0.0)
    seen = run_timers(tx, 100.0)
    expected = [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert transmit_times(seen) == expected
    assert seen[-2:] == [
        (32.0, TransactionTimedOut(transaction_id=tx.id)),
        (32.0, TransactionTerminated(transaction_id=tx.id)),
    ]


def test_invite_server_ack_confirms_then_timer_i_terminates() -> None:
    tx = new(K.INVITE_SERVER)
    tx.start(0.0)
    busy = respond(tx.request, 486)
    tx.send_response(busy, 0.0)
    assert tx.receive_request(tx.request, 0.2) == [Transmit(message=busy, destination=UDP)]
    assert tx.receive_request(_ack(tx.request), 0.7) == []
    assert tx.state is S.CONFIRMED and tx.get_timer() == 5.7
    assert tx.receive_request(_ack(tx.request), 1.0) == []
    assert run_timers(tx, 100.0) == [(5.7, TransactionTerminated(transaction_id=tx.id))]


def test_invite_server_over_tcp_ends_at_the_ack_without_retransmitting() -> None:
    tx = new(K.INVITE_SERVER, TCP)
    tx.start(0.0)
    tx.send_response(respond(tx.request, 486), 0.0)
    assert tx.get_timer() == 32.0  # timer H only
    outputs = tx.receive_request(_ack(tx.request), 0.1)
    assert outputs == [TransactionTerminated(transaction_id=tx.id)]


def test_a_second_final_response_is_refused_and_changes_nothing() -> None:
    tx = new(K.INVITE_SERVER)
    tx.start(0.0)
    tx.send_response(respond(tx.request, 486), 0.0)
    with pytest.raises(LocalProtocolError, match=r"COMPLETED.*SEND_FAILURE"):
        tx.send_response(respond(tx.request, 500), 0.1)
    assert tx.state is S.COMPLETED
    assert tx.last_response is not None and tx.last_response.status == 486


# -- non-INVITE server (Figure 8) ------------------------------------------------------------


def test_non_invite_server_absorbs_then_repeats_its_final_until_timer_j() -> None:
    tx = new(K.NON_INVITE_SERVER)
    tx.start(0.0)
    assert tx.receive_request(tx.request, 0.1) == []
    ok = respond(tx.request, 200)
    assert tx.send_response(ok, 0.2) == [Transmit(message=ok, destination=UDP)]
    assert tx.receive_request(tx.request, 3.0) == [Transmit(message=ok, destination=UDP)]
    assert tx.get_timer() == 32.2
    assert run_timers(tx, 100.0) == [(32.2, TransactionTerminated(transaction_id=tx.id))]


def test_non_invite_server_repeats_its_last_provisional() -> None:
    tx = new(K.NON_INVITE_SERVER)
    tx.start(0.0)
    trying = respond(tx.request, 100)
    tx.send_response(trying, 0.0)
    assert tx.state is S.PROCEEDING
    assert tx.receive_request(tx.request, 0.5) == [Transmit(message=trying, destination=UDP)]


def test_non_invite_server_over_tcp_ends_with_its_final_response() -> None:
    tx = new(K.NON_INVITE_SERVER, TCP)
    tx.start(0.0)
    outputs = tx.send_response(respond(tx.request, 200), 0.0)
    assert [type(o) for o in outputs] == [Transmit, TransactionTerminated]


# -- transport errors (§17.1.4, §17.2.4) -----------------------------------------------------


@pytest.mark.parametrize("kind", list(K))
def test_a_transport_error_fails_the_transaction(kind: TransactionKind) -> None:
    tx = new(kind)
    tx.start(0.0)
    assert tx.transport_error(0.1) == [
        TransactionTimedOut(transaction_id=tx.id, transport_error=True),
        TransactionTerminated(transaction_id=tx.id),
    ]
    assert tx.state is S.TERMINATED


# -- every (state, stimulus) pair against the tables -----------------------------------------


def _ack(request: Request) -> Request:
    ack = make_request("ACK")
    ack.headers.set("To", "<sip:bob@example.com>;tag=bob-1")
    return ack


def _message_for(stimulus: Stimulus, request: Request) -> Request | Response | None:
    match stimulus:
        case M.PROVISIONAL | M.SEND_PROVISIONAL:
            return respond(request, 180)
        case M.SUCCESS | M.SEND_SUCCESS:
            return respond(request, 200)
        case M.FAILURE | M.SEND_FAILURE:
            return respond(request, 486)
        case M.REQUEST:
            return request
        case M.ACK:
            return _ack(request)
        case _:
            return None


STIMULI: list[Stimulus] = [*MessageInput, *Timer]


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(list(K)), stimuli=st.lists(st.sampled_from(STIMULI), max_size=8))
def test_every_state_and_stimulus_follows_the_table(
    kind: TransactionKind, stimuli: list[Stimulus]
) -> None:
    """Each stimulus either takes the table's transition or raises naming state and
    stimulus, leaving the state as it was (h2 test_state_machines idea)."""
    table = table_for(kind)
    tx = new(kind)
    tx.start(0.0)
    for stimulus in stimuli:
        before = tx.state
        expected = table.get((before, stimulus))
        message = _message_for(stimulus, tx.request)
        if expected is None:
            with pytest.raises(LocalProtocolError) as error:
                tx.handle(stimulus, message, 0.0)
            assert before.name in error.value.reason and stimulus.name in error.value.reason
            assert tx.state is before
        else:
            tx.handle(stimulus, message, 0.0)
            assert tx.state is expected


# How to reach each state from a fresh transaction (UDP).
PATHS: dict[TransactionKind, dict[TransactionState, list[Stimulus]]] = {
    K.INVITE_CLIENT: {S.CALLING: [], S.PROCEEDING: [M.PROVISIONAL], S.COMPLETED: [M.FAILURE]},
    K.NON_INVITE_CLIENT: {
        S.TRYING: [],
        S.PROCEEDING: [M.PROVISIONAL],
        S.COMPLETED: [M.SUCCESS],
    },
    K.INVITE_SERVER: {
        S.PROCEEDING: [],
        S.COMPLETED: [M.SEND_FAILURE],
        S.ACCEPTED: [M.SEND_SUCCESS],
        S.CONFIRMED: [M.SEND_FAILURE, M.ACK],
    },
    K.NON_INVITE_SERVER: {
        S.TRYING: [],
        S.PROCEEDING: [M.SEND_PROVISIONAL],
        S.COMPLETED: [M.SEND_SUCCESS],
    },
}


@pytest.mark.parametrize("kind", list(K))
def test_each_pair_exhaustively(kind: TransactionKind) -> None:
    """Every live state of the machine against every stimulus, one fresh machine each."""
    table = table_for(kind)
    assert set(PATHS[kind]) == {state for state, _ in table}
    for state, path in PATHS[kind].items():
        for stimulus in STIMULI:
            tx = new(kind)
            tx.start(0.0)
            for step in path:
                tx.handle(step, _message_for(step, tx.request), 0.0)
            assert tx.state is state
            expected = table.get((state, stimulus))
            message = _message_for(stimulus, tx.request)
            if expected is None:
                with pytest.raises(LocalProtocolError):
                    tx.handle(stimulus, message, 0.0)
                assert tx.state is state
            else:
                tx.handle(stimulus, message, 0.0)
                assert tx.state is expected, (state, stimulus)


@pytest.mark.parametrize("kind", list(K))
def test_every_stimulus_the_peer_can_cause_has_an_entry(kind: TransactionKind) -> None:
    """Only our own mistakes may raise: messages from the wire never do, in any live state."""
    table = table_for(kind)
    live = {state for state, _ in table}
    client = kind in (K.INVITE_CLIENT, K.NON_INVITE_CLIENT)
    remote = [M.PROVISIONAL, M.SUCCESS, M.FAILURE] if client else [M.REQUEST]
    if kind is K.INVITE_SERVER:
        remote.append(M.ACK)
    for state in live:
        for stimulus in [*remote, M.TRANSPORT_ERROR]:
            assert (state, stimulus) in table, (state, stimulus)
