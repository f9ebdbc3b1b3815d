"""Dialogs (RFC 3261 §12) and the UAS 2xx retransmission (§13.3.1.4)."""

from __future__ import annotations

import pytest

from hotline.sip.address import Peer
from hotline.sip.dialog import (
    AckTimedOut,
    Dialog,
    DialogId,
    DialogState,
    RetransmissionState,
    SuccessRetransmitter,
    next_hop,
)
from hotline.sip.errors import LocalProtocolError
from hotline.sip.headers import Via
from hotline.sip.message import Request, Response, make_response
from hotline.sip.parser import parse_message
from hotline.sip.uri import SipUri

VIA = Via.parse("SIP/2.0/UDP 10.0.0.5:5062")
CALL_ID = "dialog-1@10.0.0.5"


def invite(*, record_route: tuple[str, ...] = ()) -> Request:
    lines = [
        "INVITE sip:bob@example.com SIP/2.0",
        "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-d1",
        "Max-Forwards: 70",
        'From: "Alice" <sip:alice@example.com>;tag=alice-1',
        "To: <sip:bob@example.com>",
        "Call-ID: dialog-1@10.0.0.5",
        "CSeq: 314 INVITE",
        "Contact: <sip:alice@10.0.0.5:5062>",
        *(f"Record-Route: {value}" for value in record_route),
        "Content-Length: 0",
    ]
    message = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert isinstance(message, Request)
    return message


def answer(
    request: Request,
    status: int,
    *,
    contact: str = "<sip:bob@192.0.2.30:5070>",
    record_route: tuple[str, ...] = (),
) -> Response:
    response = make_response(request, status, to_tag="bob-1")
    response.headers.add("Contact", contact)
    for value in record_route:
        response.headers.add("Record-Route", value)
    return response


ROUTES = ("<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>")


def uac_dialog(status: int = 200) -> Dialog:
    request = invite()
    return Dialog.as_uac(request, answer(request, status, record_route=ROUTES))


def uas_dialog() -> Dialog:
    request = invite(record_route=ROUTES)
    return Dialog.as_uas(request, answer(request, 200))


# -- creation (§12.1) ----------------------------------------------------------------------


def test_uac_dialog_from_a_2xx() -> None:
    dialog = uac_dialog()
    assert dialog.id == DialogId(
        call_id="dialog-1@10.0.0.5", local_tag="alice-1", remote_tag="bob-1"
    )
    assert dialog.state is DialogState.CONFIRMED
    assert dialog.remote_target == SipUri.parse("sip:bob@192.0.2.30:5070")
    assert [r.uri.host for r in dialog.route_set] == ["p2.example.com", "p1.example.com"]
    assert (dialog.local_cseq, dialog.remote_cseq) == (314, None)


def test_uac_dialog_from_a_1xx_with_tag_is_early() -> None:
    assert uac_dialog(180).state is DialogState.EARLY


@pytest.mark.parametrize("status", [100, 486])
def test_no_dialog_from_100_or_a_failure(status: int) -> None:
    request = invite()
    with pytest.raises(LocalProtocolError):
        Dialog.as_uac(request, answer(request, status))


def test_no_dialog_from_a_response_without_to_tag() -> None:
    request = invite()
    response = make_response(request, 180)
    with pytest.raises(LocalProtocolError):
        Dialog.as_uac(request, response)


def test_uas_dialog_keeps_the_record_route_order() -> None:
    dialog = uas_dialog()
    assert dialog.id == DialogId(
        call_id="dialog-1@10.0.0.5", local_tag="bob-1", remote_tag="alice-1"
    )
    assert [r.uri.host for r in dialog.route_set] == ["p1.example.com", "p2.example.com"]
    assert dialog.remote_target == SipUri.parse("sip:alice@10.0.0.5:5062")
    assert (dialog.local_cseq, dialog.remote_cseq) == (None, 314)


@pytest.mark.parametrize(("status", "state"), [(200, "CONFIRMED"), (486, "TERMINATED")])
def test_uas_early_dialog_follows_its_final_answer(status: int, state: str) -> None:
    request = invite()
    dialog = Dialog.as_uas(request, answer(request, 180))
    assert dialog.state is DialogState.EARLY
    dialog.record_response(answer(request, status))
    assert dialog.state is DialogState[state]


def test_the_ids_seen_from_both_sides_agree() -> None:
    request = invite()
    response = answer(request, 200)
    uac = Dialog.as_uac(request, response)
    uas = Dialog.as_uas(request, response)
    assert DialogId.of_response(response) == uac.id
    bye = uac.create_request("BYE", via=VIA)
    assert DialogId.of_incoming_request(bye) == uas.id
    assert DialogId.of_incoming_request(request) is None


# -- requests within the dialog (§12.2.1.1) ------------------------------------------------


def test_in_dialog_request_with_loose_routes() -> None:
    dialog = uac_dialog()
    bye = dialog.create_request("BYE", via=VIA)
    assert bye.uri == SipUri.parse("sip:bob@192.0.2.30:5070")
    assert [str(r) for r in bye.headers.get_all("Route")] == [str(r) for r in dialog.route_set]
    assert (bye.cseq.number, bye.cseq.method) == (315, "BYE")
    assert bye.from_address.tag == "alice-1" and bye.from_address.display_name == "Alice"
    assert bye.to_address.tag == "bob-1"
    assert bye.call_id == "dialog-1@10.0.0.5"
    assert next_hop(bye).host == "p2.example.com"
    assert dialog.create_request("INFO", via=VIA).cseq.number == 316


def test_uas_numbers_its_first_request_from_scratch() -> None:
    dialog = uas_dialog()
    bye = dialog.create_request("BYE", via=VIA)
    assert bye.cseq.number == 1 and bye.to_address.tag == "alice-1"


def test_a_strict_router_becomes_the_request_uri() -> None:
    request = invite()
    response = answer(request, 200, record_route=("<sip:strict.example.com;method=INVITE>",))
    dialog = Dialog.as_uac(request, response)
    bye = dialog.create_request("BYE", via=VIA)
    assert bye.uri == SipUri.parse("sip:strict.example.com")
    routes = bye.headers.get_all("Route")
    assert len(routes) == 1 and "sip:bob@192.0.2.30:5070" in routes[0]


def test_reinvite_carries_contact_and_the_in_dialog_target() -> None:
    request = invite()
    dialog = Dialog.as_uac(request, answer(request, 200))
    reinvite = dialog.create_request(
        "INVITE", via=VIA, body=b"v=0\r\n", content_type="application/sdp"
    )
    assert reinvite.contacts[0].uri == SipUri.parse("sip:alice@10.0.0.5:5062")
    assert reinvite.headers.get_all("Route") == []
    assert reinvite.body == b"v=0\r\n"


def test_ack_for_2xx_reuses_the_invite_cseq_and_is_cached() -> None:
    dialog = uac_dialog()
    request = invite()
    ok = answer(request, 200)
    ack = dialog.create_ack(ok, via=VIA)
    assert (ack.method, ack.cseq.number, ack.cseq.method) == ("ACK", 314, "ACK")
    assert ack.top_via.branch is not None and ack.top_via.branch.startswith("z9hG4bK")
    assert dialog.create_ack(ok, via=VIA) is ack
    assert dialog.local_cseq == 314


def test_no_requests_in_a_terminated_dialog() -> None:
    dialog = uac_dialog()
    dialog.terminate()
    with pytest.raises(LocalProtocolError):
        dialog.create_request("BYE", via=VIA)


# -- what the dialog receives (§12.2.2, §12.2.1.2) -----------------------------------------


def in_dialog(method: str, cseq: int, *, contact: str | None = None) -> Request:
    lines = [
        f"{method} sip:bob@192.0.2.30:5070 SIP/2.0",
        "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-in",
        "Max-Forwards: 70",
        "From: <sip:alice@example.com>;tag=alice-1",
        "To: <sip:bob@example.com>;tag=bob-1",
        "Call-ID: dialog-1@10.0.0.5",
        f"CSeq: {cseq} {method}",
        *([f"Contact: {contact}"] if contact else []),
        "Content-Length: 0",
    ]
    message = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert isinstance(message, Request)
    return message


def test_a_lower_cseq_is_answered_500() -> None:
    dialog = uas_dialog()
    assert dialog.receive_request(in_dialog("INFO", 400)) is None
    rejected = dialog.receive_request(in_dialog("INFO", 399))
    assert rejected is not None and rejected.status == 500
    assert dialog.remote_cseq == 400


def test_ack_and_cancel_do_not_move_the_remote_cseq() -> None:
    dialog = uas_dialog()
    assert dialog.receive_request(in_dialog("INFO", 400)) is None
    assert dialog.receive_request(in_dialog("ACK", 314)) is None
    assert dialog.remote_cseq == 400


def test_reinvite_refreshes_the_remote_target() -> None:
    dialog = uas_dialog()
    assert dialog.receive_request(in_dialog("INVITE", 315, contact="<sip:alice@10.0.0.99>")) is None
    assert dialog.remote_target == SipUri.parse("sip:alice@10.0.0.99")
    dialog.receive_request(in_dialog("INFO", 316, contact="<sip:alice@10.0.0.1>"))
    assert dialog.remote_target == SipUri.parse("sip:alice@10.0.0.99")


def test_bye_terminates_the_dialog() -> None:
    dialog = uas_dialog()
    dialog.receive_request(in_dialog("BYE", 315))
    assert dialog.state is DialogState.TERMINATED


def test_early_dialog_confirmed_by_2xx_takes_its_route_set_and_target() -> None:
    dialog = uac_dialog(180)
    request = invite()
    ok = answer(request, 200, contact="<sip:bob@192.0.2.31>", record_route=ROUTES[:1])
    dialog.receive_response(ok)
    assert dialog.state is DialogState.CONFIRMED
    assert [r.uri.host for r in dialog.route_set] == ["p1.example.com"]
    assert dialog.remote_target == SipUri.parse("sip:bob@192.0.2.31")


@pytest.mark.parametrize(("status", "early"), [(481, False), (408, False), (486, True)])
def test_responses_that_end_the_dialog(status: int, early: bool) -> None:
    dialog = uac_dialog(180 if early else 200)
    request = invite() if early else dialog.create_request("INFO", via=VIA)
    dialog.receive_response(answer(request, status))
    assert dialog.state is DialogState.TERMINATED


def test_a_failed_reinvite_keeps_a_confirmed_dialog() -> None:
    dialog = uac_dialog()
    reinvite = dialog.create_request("INVITE", via=VIA)
    dialog.receive_response(answer(reinvite, 488))
    assert dialog.state is DialogState.CONFIRMED


# -- 2xx retransmission until ACK (§13.3.1.4) ----------------------------------------------

PHONE = Peer(transport="UDP", host="10.0.0.5", port=5062)


def test_2xx_is_retransmitted_doubling_to_t2_then_given_up() -> None:
    ok = answer(invite(), 200)
    retransmitter = SuccessRetransmitter(response=ok, destination=PHONE, now=0.0)
    times = []
    while (deadline := retransmitter.get_timer()) is not None:
        retransmitter.handle_timer(deadline)
        times += [deadline for _ in retransmitter.messages_to_send()]
    assert times == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert retransmitter.state is RetransmissionState.TIMED_OUT
    assert retransmitter.next_event() == AckTimedOut(response=ok)


def test_the_matching_ack_stops_2xx_retransmission() -> None:
    request = invite()
    ok = answer(request, 200)
    retransmitter = SuccessRetransmitter(response=ok, destination=PHONE, now=0.0)
    retransmitter.handle_timer(0.5)
    assert retransmitter.messages_to_send() == [(ok, PHONE)]
    assert not retransmitter.acknowledge(in_dialog("ACK", 999))
    assert retransmitter.acknowledge(Dialog.as_uac(request, ok).create_ack(ok, via=VIA))
    assert retransmitter.state is RetransmissionState.ACKNOWLEDGED
    assert retransmitter.get_timer() is None


def test_an_rfc_2543_peer_without_contact_or_from_tag_is_reached_at_its_from_address() -> None:
    """RFC 4475 §3.4.1: no Contact, no From tag. The dialog's remote tag is empty (§12.1.1),
    its requests go to the From URI, and the peer's own BYE (still without a From tag) finds
    the dialog."""
    request = invite()
    request.headers.remove("Contact")
    request.headers.set("From", '"Alice" <sip:alice@example.com>')
    response = make_response(request, 200, to_tag="bob-1")
    dialog = Dialog.as_uas(request, response)
    assert dialog.id.remote_tag == ""
    bye = dialog.create_request("BYE", via=VIA)
    assert str(bye.uri) == "sip:alice@example.com"
    assert bye.headers.get("To") == '"Alice" <sip:alice@example.com>'
    theirs = make_response(request, 200, to_tag="bob-1")  # To with our tag, From without one
    their_bye = parse_message(
        Request(method="BYE", uri=request.uri, headers=theirs.headers).to_bytes()
        .replace(b"CSeq: 314 INVITE", b"CSeq: 315 BYE")
    )  # fmt: skip
    assert isinstance(their_bye, Request)
    assert DialogId.of_incoming_request(their_bye) == dialog.id


def test_a_contact_that_is_no_sip_uri_never_becomes_the_remote_target() -> None:
    """A Contact may hold any URI and still parse (RFC 4475 §3.3.4), but requests can only go
    to a SIP one: a target refresh or an answer naming a mailto: keeps the target it had."""
    dialog = uas_dialog()
    before = dialog.remote_target
    dialog.receive_request(in_dialog("INVITE", 315, contact="<mailto:alice@example.com>"))
    assert dialog.remote_target == before
    assert dialog.create_request("BYE", via=VIA).uri == before
    request = invite()
    uac = Dialog.as_uac(request, answer(request, 180, contact="<mailto:bob@example.com>"))
    assert uac.remote_target == request.uri  # as without a Contact
    uac.receive_response(answer(request, 200, contact="<urn:service:sos>"))
    assert uac.remote_target == request.uri
