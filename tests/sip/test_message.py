"""Parsing, validating and writing whole messages (RFC 3261 §7, §8.2, §18.3, §20)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.sip.errors import SipParseError
from hotline.sip.headers import CSeq, Headers
from hotline.sip.message import (
    MAX_MESSAGE_SIZE,
    Request,
    Response,
    make_response,
    new_branch,
    new_call_id,
    new_tag,
)
from hotline.sip.parser import StreamFramer, parse_message
from hotline.sip.uri import SipUri

VECTORS = Path(__file__).parent / "vectors" / "rfc4475"

OPTIONS = (
    b"OPTIONS sip:hotline.local SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK776asdhds;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: <sip:hotline.local>\r\n"
    b'From: "Desk 1" <sip:101@hotline.local>;tag=1928301774\r\n'
    b"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
    b"CSeq: 63104 OPTIONS\r\n"
    b"Contact: <sip:101@192.0.2.10:5062>\r\n"
    b"Accept: application/sdp\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)


def load(name: str) -> bytes:
    return (VECTORS / f"{name}.dat").read_bytes()


def request(data: bytes) -> Request:
    message = parse_message(data)
    assert isinstance(message, Request)
    return message


def test_a_typical_request_is_read_field_by_field() -> None:
    message = request(OPTIONS)
    assert (message.method, str(message.uri), message.version) == (
        "OPTIONS",
        "sip:hotline.local",
        "SIP/2.0",
    )
    assert message.call_id == "a84b4c76e66710@pc33.example.com"
    assert message.cseq == CSeq(63104, "OPTIONS")
    assert message.top_via.branch == "z9hG4bK776asdhds" and message.top_via.rport == ""
    assert message.from_address.display_name == "Desk 1"
    assert message.from_address.tag == "1928301774"
    assert message.to_address.tag is None
    assert [str(c.uri) for c in message.contacts] == ["sip:101@192.0.2.10:5062"]
    assert message.max_forwards == 70 and message.expires is None
    assert message.content_type is None and message.body == b""


def test_route_and_record_route_are_read_in_order() -> None:
    message = request(
        OPTIONS.replace(
            b"Accept: application/sdp",
            b"Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
            b"Record-Route: <sip:p3.example.com;lr>",
        )
    )
    assert [str(r.uri) for r in message.route] == ["sip:p1.example.com;lr", "sip:p2.example.com;lr"]
    assert [str(r.uri) for r in message.record_route] == ["sip:p3.example.com;lr"]
    assert request(OPTIONS).route == []
    with pytest.raises(SipParseError, match="Bad Route header"):
        parse_message(OPTIONS.replace(b"Accept: application/sdp", b"Route: sip:p1;lr, <x"))
    # A hop is a SIP URI, though a name-addr elsewhere may hold any URI (RFC 3261 §20.34).
    with pytest.raises(SipParseError, match="Bad Record-Route header: http is not a SIP URI"):
        parse_message(OPTIONS.replace(b"Accept: application/sdp", b"Record-Route: <http://p>"))


def test_writing_gives_back_the_same_message() -> None:
    assert request(OPTIONS).to_bytes() == OPTIONS
    assert bytes(request(OPTIONS)) == OPTIONS


def test_the_short_tortuous_invite_reads_as_rfc_4475_says() -> None:
    message = request(load("wsinv"))
    assert message.uri.param("unknownparam") == ""
    assert message.to_address.tag == "1918181833n"
    assert message.from_address.display_name == 'J Rosenberg \\"'
    assert message.max_forwards == 68
    assert message.cseq == CSeq(9, "INVITE")
    assert [(v.transport, v.host, v.branch) for v in message.vias] == [
        ("UDP", "192.0.2.2", "390skdjuw"),
        ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239"),
    ]
    assert message.headers.get("Subject") == ""
    assert message.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert message.headers.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    (contact,) = message.contacts
    assert contact.display_name == 'Quoted string ""'
    assert contact.parameters == (("newparam", "newvalue"), ("secondparam", None), ("q", "0.33"))
    assert message.content_type == "application/sdp" and len(message.body) == 150


def test_wide_range_of_valid_characters() -> None:
    message = request(load("intmeth"))
    assert message.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert message.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert message.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert message.to_address.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert message.from_address.display_name == "token1~` token2'+_ token3*%!.-"
    assert message.from_address.param("fromparam''~+*_!.-%") == '"работающий"'
    assert message.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert message.headers.get("extensionHeader-!.%*+_`'~") == "\ufeff大停電"


def test_escapes_and_unknown_look_alike_names() -> None:
    esc01 = request(load("esc01"))
    assert esc01.uri.user == "sips:user@example.com"
    assert esc01.to_address.uri.user == "user"
    assert esc01.contacts[0].uri.parameters == (("lr", None), ("name", "value%41"))
    esc02 = request(load("esc02"))
    assert esc02.method == "RE%47IST%45R"
    assert [str(c.uri) for c in esc02.contacts] == [
        "sip:alias1@host1.example.com",
        "sip:alias3@host3.example.com",
    ]
    assert esc02.headers.get("C%6Fntact") == "<sip:alias2@host2.example.com>"


def test_compact_forms_are_written_in_full() -> None:
    written = request(load("escnull")).to_bytes()
    assert b"\r\nContent-Length: 0\r\n\r\n" in written and b"\r\nL:" not in written
    assert b"\r\nCall-ID: escnull." in written


def test_datagram_octets_past_content_length_are_discarded() -> None:
    # RFC 4475 §3.1.1.8 and RFC 3261 §18.3.
    message = request(load("dblreq"))
    assert message.method == "REGISTER" and message.body == b""


def test_without_content_length_a_datagram_body_runs_to_the_end() -> None:
    message = request(load("inv2543"))
    assert message.body.endswith(b"m=audio 49217 RTP/AVP 0\r\n")
    assert message.max_forwards is None
    assert f"Content-Length: {len(message.body)}\r\n".encode() in message.to_bytes()


def test_binary_bodies_are_kept_octet_for_octet() -> None:
    message = request(load("mpart01"))
    assert len(message.body) == 553 and b"\x30\x82\x01\x52" in message.body
    assert request(message.to_bytes()).body == message.body


def test_responses_with_unusual_reason_phrases() -> None:
    unreason = parse_message(load("unreason"))
    assert isinstance(unreason, Response)
    assert unreason.status == 200 and unreason.reason.startswith("= 2**3 * 5**2 но сто")
    noreason = parse_message(load("noreason"))
    assert isinstance(noreason, Response)
    assert (noreason.status, noreason.reason) == (100, "")
    assert noreason.to_bytes().startswith(b"SIP/2.0 100 \r\n")


def test_serializing_writes_a_content_length_that_matches_the_body() -> None:
    message = Request(
        method="MESSAGE", uri=SipUri.parse("sip:102@h"), headers=Headers([("Content-Length", "99")])
    )
    message.body = "héllo".encode()
    assert message.to_bytes().endswith(b"Content-Length: 6\r\n\r\nh\xc3\xa9llo")


def replace_line(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data
    return data.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "status", "reason"),
    [
        (b"Call-ID: a84b4c76e66710@pc33.example.com\r\n", b"", None, "Missing Call-ID header"),
        (
            b"CSeq: 63104 OPTIONS",
            b"CSeq: 63104 INVITE",
            400,
            "does not match request method OPTIONS",
        ),
        (b"Content-Length: 0", b"Content-Length: x", 400, "Bad Content-Length"),
        (
            b"Content-Length: 0",
            b"Content-Length: 5",
            400,
            "Content-Length 5 is larger than the body",
        ),
        (b"OPTIONS sip:hotline.local SIP", b"OPTIONS sip:hotline local SIP", 400, "Request-URI"),
        (b"Max-Forwards: 70", b"Max-Forwards: 256", 400, "Max-Forwards"),
        (b"To: <sip:hotline.local>", b"To: <sip:hotline.local", 400, "Bad To header"),
        (b"Accept: application/sdp\r\n", b"Accept\r\n", 400, "Bad header"),
        (b"Call-ID: a84b", b"Call-ID: a 84b", 400, "Bad Call-ID"),
        (b"SIP/2.0\r\nVia", b"SIP/3.0\r\nVia", 505, "version 3.0"),
    ],
)
def test_bad_requests_are_answered_with_a_precise_reason(
    old: bytes, new: bytes, status: int | None, reason: str
) -> None:
    with pytest.raises(SipParseError) as caught:
        parse_message(replace_line(OPTIONS, old, new))
    error = caught.value
    assert reason in error.reason
    if status is None:
        assert error.partial is None
    else:
        assert error.status_hint == status and isinstance(error.partial, Request)


def test_a_bad_response_is_dropped_never_answered() -> None:
    response = OPTIONS.replace(b"OPTIONS sip:hotline.local SIP/2.0", b"SIP/2.0 200 OK")
    assert isinstance(parse_message(response), Response)
    with pytest.raises(SipParseError) as caught:
        parse_message(response.replace(b"CSeq: 63104 OPTIONS", b"CSeq: x"))
    assert caught.value.status_hint is None and caught.value.partial is None


@pytest.mark.parametrize(
    "data", [b"", b"\r\n\r\n", b"hello", b"GET / HTTP/1.1\r\n\r\n", b"\x00" * 40]
)
def test_garbage_is_dropped(data: bytes) -> None:
    with pytest.raises(SipParseError) as caught:
        parse_message(data)
    assert caught.value.partial is None


def test_messages_over_the_size_limit_are_refused() -> None:
    big = OPTIONS.replace(b"Accept: application/sdp", b"Accept: " + b"a" * MAX_MESSAGE_SIZE)
    with pytest.raises(SipParseError) as caught:
        parse_message(big)
    assert caught.value.status_hint == 513


def test_make_response_copies_what_rfc_3261_section_8_2_6_says() -> None:
    message = request(load("wsinv"))
    response = make_response(message, 486, to_tag="abc")
    assert (response.status, response.reason) == (486, "Busy Here")
    assert response.headers.get_all("Via") == message.headers.get_all("Via")
    assert [name for name, _ in response.headers] == ["Via"] * 3 + ["From", "To", "Call-ID", "CSeq"]
    assert response.to_address.tag == "1918181833n"  # already tagged: kept
    assert response.cseq == message.cseq and response.call_id == message.call_id
    fresh = make_response(request(OPTIONS), 200, "Fine", to_tag="abc")
    assert fresh.reason == "Fine" and fresh.to_address.tag == "abc"
    assert isinstance(parse_message(fresh.to_bytes()), Response)


def test_make_response_copies_timestamp_and_the_record_route_of_a_dialog() -> None:
    invite = request(
        OPTIONS.replace(b"OPTIONS", b"INVITE").replace(
            b"Accept: application/sdp\r\n",
            b"Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
            b"Record-Route: <sip:p3.example.com;lr>\r\nTimestamp: 54.5 0.2\r\n",
        )
    )
    routes = ["<sip:p1.example.com;lr>, <sip:p2.example.com;lr>", "<sip:p3.example.com;lr>"]
    for status in (180, 200):  # §12.1.1: responses that establish a dialog
        response = make_response(invite, status, to_tag="t")
        assert response.headers.get_all("Record-Route") == invite.headers.get_all("Record-Route")
        assert [v for n, v in response.headers if n == "Record-Route"] == routes
        assert response.headers.get("Timestamp") == "54.5 0.2"  # §8.2.6.1
    for status in (100, 486):
        response = make_response(invite, status, to_tag="t")
        assert "Record-Route" not in response.headers
        assert response.headers.get("Timestamp") == "54.5 0.2"
    options = request(OPTIONS.replace(b"Accept:", b"Record-Route: <sip:p1;lr>\r\nAccept:"))
    assert "Record-Route" not in make_response(options, 200).headers


def test_make_response_adds_the_to_tag_to_the_to_as_received() -> None:
    message = request(OPTIONS.replace(b"To: <sip:hotline.local>", b"To: Desk <sip:hotline.local>"))
    response = make_response(message, 200, to_tag="abc")
    assert response.headers.get("To") == "Desk <sip:hotline.local>;tag=abc"
    assert response.to_address.tag == "abc" and response.to_address.display_name == "Desk"


def test_make_response_on_a_partial_request_copies_values_as_received() -> None:
    with pytest.raises(SipParseError) as caught:
        parse_message(load("quotbal"))
    assert isinstance(caught.value.partial, Request)
    response = make_response(caught.value.partial, 400, caught.value.reason, to_tag="t1")
    assert response.headers.get("To") == '"Mr. J. User <sip:j.user@example.com>'
    assert response.to_bytes().startswith(b"SIP/2.0 400 Bad To header")


def test_a_reason_phrase_stays_one_printable_line() -> None:
    response = make_response(request(OPTIONS), 400, "Bad To header: 'a\r\nb\x00'" + "x" * 500)
    assert response.reason.startswith("Bad To header: 'a??b?'")
    assert len(response.reason) == 200
    assert parse_message(response.to_bytes()).to_bytes() == response.to_bytes()


def test_identifiers_are_random_and_branches_carry_the_magic_cookie() -> None:
    branches = {new_branch() for _ in range(100)}
    assert len(branches) == 100 and all(b.startswith("z9hG4bK") and len(b) > 16 for b in branches)
    assert len({new_tag() for _ in range(100)}) == 100
    assert len({new_call_id() for _ in range(100)}) == 100


def test_a_forked_child_does_not_repeat_its_parents_identifiers() -> None:
    new_tag()  # random bytes are read a block at a time: the block is now half used
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        os.write(write, (new_tag() + new_call_id()).encode())
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 100).decode() != new_tag() + new_call_id()
    os.close(read)
    os.close(write)
    tags = {new_tag() for _ in range(2000)}  # several blocks
    assert len(tags) == 2000 and all(len(tag) == 16 for tag in tags)


def test_typed_properties_follow_header_changes() -> None:
    message = request(OPTIONS)
    assert message.to_address.tag is None
    message.headers.set("To", "<sip:hotline.local>;tag=xyz")
    assert message.to_address.tag == "xyz"
    message.headers.remove("Contact")
    message.headers.add("Contact", "*")
    assert message.contacts == [] and message.is_wildcard_contact
    message.headers.remove("Call-ID")
    with pytest.raises(SipParseError, match="Missing Call-ID"):
        _ = message.call_id


# -- stream framing (TCP) -------------------------------------------------------------------


def test_framer_takes_a_stream_byte_by_byte() -> None:
    framer = StreamFramer()
    stream = OPTIONS + load("wsinv")
    messages = [m for i in range(len(stream)) for m in framer.feed(stream[i : i + 1])]
    assert messages == [OPTIONS, load("wsinv")]


def test_framer_skips_keep_alives_and_keeps_trailing_data() -> None:
    framer = StreamFramer()
    assert framer.feed(b"\r\n\r\n" + OPTIONS + b"\r\n" + OPTIONS[:50]) == [OPTIONS]
    assert framer.feed(OPTIONS[50:]) == [OPTIONS]
    assert framer.feed(b"") == []


def test_framer_counts_crlfcrlf_pings_even_split_across_reads() -> None:
    framer = StreamFramer()  # RFC 5626 §3.5.1: CRLFCRLF is a ping, one CRLF is not
    assert framer.feed(b"\r\n") == [] and framer.pings == 0
    assert framer.feed(b"\r\n" + OPTIONS + b"\r\n" + OPTIONS) == [OPTIONS, OPTIONS]
    assert framer.pings == 1
    assert framer.feed(b"\r\n\r\n\r\n\r\n") == [] and framer.pings == 3


def test_framer_reads_content_length_as_the_parser_does() -> None:
    folded = OPTIONS.replace(b"Accept: application/sdp", b"Subject: x\r\n l: 5").replace(
        b"Content-Length: 0", b"Content-Length:\r\n 0"
    )
    assert StreamFramer().feed(folded) == [folded]
    assert request(folded).headers.get("Subject") == "x l: 5"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (OPTIONS.replace(b"Content-Length: 0\r\n", b""), "Missing Content-Length"),
        (OPTIONS.replace(b"Content-Length: 0", b"Content-Length: -1"), "Bad Content-Length"),
        (OPTIONS.replace(b"Content-Length: 0", b"l: 1\r\nContent-Length: 0"), "More than one"),
        (OPTIONS.replace(b"Content-Length: 0", b"Content-Length: 99999"), "larger than"),
        (b"INVITE sip:a@b SIP/2.0\r\n" + b"X: y\r\n" * 20000, "longer than"),
    ],
)
def test_framer_refuses_a_stream_whose_framing_is_lost(data: bytes, reason: str) -> None:
    with pytest.raises(SipParseError, match=reason):
        StreamFramer().feed(data)


def test_framer_hands_over_the_messages_before_broken_framing_then_fails() -> None:
    framer = StreamFramer()
    broken = OPTIONS.replace(b"Content-Length: 0\r\n", b"")
    assert framer.feed(OPTIONS + OPTIONS + broken) == [OPTIONS, OPTIONS]
    assert framer.failure is not None and "Missing Content-Length" in framer.failure.reason
    with pytest.raises(SipParseError, match="Missing Content-Length"):
        framer.feed(OPTIONS)


def test_a_request_with_broken_framing_can_still_be_answered_before_closing() -> None:
    with pytest.raises(SipParseError) as caught:
        StreamFramer().feed(load("ncl"))
    assert isinstance(caught.value.partial, Request) and caught.value.status_hint == 400
    response = make_response(caught.value.partial, 400, caught.value.reason)
    assert response.call_id == "ncl.0ha0isndaksdj2193423r542w35"
    with pytest.raises(SipParseError) as garbage:
        StreamFramer().feed(b"hello\r\nl: x\r\n\r\n")
    assert garbage.value.partial is None


# -- fuzzing: the parser only ever raises SipParseError ---------------------------------------

CORPUS = [OPTIONS] + [p.read_bytes() for p in sorted(VECTORS.glob("*.dat"))]


def check_robust(data: bytes) -> None:
    try:
        message = parse_message(data)
    except SipParseError:
        return
    again = parse_message(message.to_bytes())
    assert again.to_bytes() == message.to_bytes()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_break_the_parser(data: bytes) -> None:
    check_robust(data)
    check_robust(b"INVITE sip:a@b SIP/2.0\r\n" + data)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(CORPUS),
    st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 5), st.binary(max_size=6)), max_size=4),
)
def test_mutated_messages_never_break_the_parser(
    base: bytes, edits: list[tuple[int, int, bytes]]
) -> None:
    data = base
    for position, removed, inserted in edits:
        at = position % (len(data) + 1)
        data = data[:at] + inserted + data[at + removed :]
    check_robust(data)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 300), min_size=1, max_size=40))
def test_any_chunking_gives_the_same_messages(sizes: list[int]) -> None:
    stream = OPTIONS + load("wsinv") + load("esc01")
    framer = StreamFramer()
    messages: list[bytes] = []
    position = 0
    while position < len(stream):
        for size in sizes:
            messages += framer.feed(stream[position : position + size])
            position += size
    assert messages == [OPTIONS, load("wsinv"), load("esc01")]
