"""The parser's shortcuts for what phones usually send read exactly what the general rules
read: values parsed once per phone and reused, and the checks made without an expression."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.sip.errors import SipParseError
from hotline.sip.headers import CSeq, Via
from hotline.sip.parser import parse_message
from hotline.sip.uri import NameAddress


def outcome(parse: object, text: str) -> object:
    """What ``parse(text)`` gives, or the error's reason."""
    try:
        return parse(text)  # type: ignore[operator]
    except SipParseError as error:
        return error.reason


def test_a_phones_next_via_differs_only_in_its_branch() -> None:
    first = Via.parse("SIP/2.0/UDP 10.0.0.7:5062;x=1;branch=z9hG4bK-1-aa;rport;y")
    second = Via.parse("SIP/2.0/UDP 10.0.0.7:5062;x=1;branch=z9hG4bK-1-bb;rport;y")
    assert first.branch == "z9hG4bK-1-aa"
    assert second == Via(
        "UDP",
        "10.0.0.7",
        5062,
        (("x", "1"), ("branch", "z9hG4bK-1-bb"), ("rport", None), ("y", None)),
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # An earlier parameter also named branch, in capitals.
        ("SIP/2.0/UDP h;Branch=abc;branch=def", "SIP/2.0/UDP h;Branch=abc;branch=xyz"),
        # ";branch=" inside a quoted value: the real branch comes later.
        (
            'SIP/2.0/UDP h;q=";branch=zz;x=";branch=real',
            'SIP/2.0/UDP h;q=";branch=QQ;x=";branch=real',
        ),
        # A branch that is no token, then one that is empty.
        ("SIP/2.0/UDP h;branch=a", "SIP/2.0/UDP h;branch=a:b"),
        ("SIP/2.0/UDP h;branch=a;rport", "SIP/2.0/UDP h;branch=;rport"),
        ("SIP/2.0/UDP h;branch=a;rport", "SIP/2.0/UDP h;branch=b;rport=x"),
        ("SIP/2.0/UDP h;branch=a", "SIP/2.0/UDP h;branch=b;"),
    ],
)
def test_a_via_seen_before_is_read_as_if_new(first: str, second: str) -> None:
    Via.parse(first)
    assert outcome(Via.parse, second) == outcome(Via._parse, second)


_PARAMETER = st.sampled_from(
    ["", ";rport", ";rport=5", ";Branch=q", ";branch=", ";received=10.0.0.1", ";x", ';x="a;b"',
     ";branch=z9hG4bK1", " ;y=2", ";a:b", ";branch=b c", ";received=h"]
)  # fmt: skip
_TOKEN = st.text("ab9-.!%*_+`'~:;\" ", min_size=0, max_size=6)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(_PARAMETER, max_size=3),
    _TOKEN,
    _TOKEN,
    st.lists(_PARAMETER, max_size=3),
)
def test_a_via_reads_the_same_whatever_was_read_before(
    before: list[str], branch: str, other: str, after: list[str]
) -> None:
    head = "SIP/2.0/UDP 192.0.2.1:5060" + "".join(before)
    tail = "".join(after)
    for text in (f"{head};branch={branch}{tail}", f"{head};branch={other}{tail}"):
        assert outcome(Via.parse, text) == outcome(Via._parse, text)


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("2 REGISTER", (2, "REGISTER")),
        ("0002 INVITE", (2, "INVITE")),
        ("2147483647 BYE", (2147483647, "BYE")),
        ("12 X-Y", (12, "X-Y")),
        (" 3 \t ACK ", (3, "ACK")),
        ("2147483648 BYE", "Bad CSeq: number 2147483648 is larger than 2**31 - 1"),
        ("²3 INVITE", "Bad CSeq '²3 INVITE'"),
        ("3 INVITÉ", "Bad CSeq '3 INVITÉ'"),
        ("3", "Bad CSeq '3'"),
        ("3 ", "Bad CSeq '3'"),
        ("3 INVITE x", "Bad CSeq '3 INVITE x'"),
    ],
)
def test_cseq_values_read_as_the_grammar_says(text: str, read: object) -> None:
    got = outcome(CSeq.parse, text)
    assert (got.number, got.method) == read if isinstance(got, CSeq) else got == read


def test_a_new_tag_on_an_address_seen_before() -> None:
    base = NameAddress.parse('"Desk" <sip:7@h>;x=1')
    tagged = NameAddress.parse('"Desk" <sip:7@h>;x=1;tag=9f-A.b')
    assert tagged.uri is base.uri and tagged.display_name == "Desk"
    assert tagged.parameters == (("x", "1"), ("tag", "9f-A.b"))
    # Two tags, or a tag that is no token: read (and refused) as the grammar says.
    assert NameAddress.parse("<sip:7@h>;tag=a;tag=b").parameters == (("tag", "a"), ("tag", "b"))
    with pytest.raises(SipParseError):
        NameAddress.parse("<sip:7@h>;tag=a b")


REGISTER = (
    "REGISTER sip:h SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
    "From: <sip:1@h>;tag=1\r\n"
    "To: <sip:1@h>\r\n"
    "Call-ID: {call_id}\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Max-Forwards: {hops}\r\n"
    "{extra}"
    "Content-Length: 0\r\n\r\n"
)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"hops": "256"}, "Bad Max-Forwards header '256': 0 to 255"),
        ({"hops": "070"}, None),
        ({"hops": "٣"}, "Bad Max-Forwards header '٣': 0 to 255"),
        ({"call_id": "abc@host-1.example"}, None),
        ({"call_id": "abcé"}, "Bad Call-ID header 'abcé'"),
        ({"call_id": "a@b@c"}, "Bad Call-ID header 'a@b@c'"),
        ({"extra": "Via\r\n"}, "Bad header line 'Via'"),
        ({"extra": "Via : SIP/2.0/UDP 192.0.2.2\r\n"}, None),
        ({"extra": "Bad Name: x\r\n"}, "Bad header line 'Bad Name: x'"),
        ({"extra": "Subject: a\r\n  folded\r\n"}, None),
        ({"extra": "CSeq: 1 REGISTER\r\n"}, "More than one CSeq header"),
        ({"extra": "Contact: *\r\n"}, None),
        ({"extra": "Content-Type: application/sdp\r\n"}, None),
        ({"extra": "Content-Type: application\r\n"}, "Bad Content-Type header 'application'"),
    ],
)
def test_header_checks_answer_as_before(fields: dict[str, str], reason: str | None) -> None:
    values = {"call_id": "a1", "hops": "70", "extra": ""} | fields
    data = REGISTER.format(**values).encode()
    if reason is None:
        message = parse_message(data)
        assert message.max_forwards == int(values["hops"])
        assert message.call_id == values["call_id"]
    else:
        with pytest.raises(SipParseError) as caught:
            parse_message(data)
        assert caught.value.reason == reason


def test_folded_lines_are_unfolded_wherever_they_are() -> None:
    data = REGISTER.format(call_id="a1", hops="70", extra="Subject: a\r\n\t b\r\n").encode()
    assert parse_message(data).headers.get("Subject") == "a b"
    # Folding reaches the start line too: it is then no longer a Request-Line.
    with pytest.raises(SipParseError):
        parse_message(data.replace(b"\r\nVia", b"\r\n Via", 1))


def test_values_made_by_the_shortcuts_are_ordinary_frozen_values() -> None:
    via = Via.parse("SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK7")
    cseq = CSeq.parse("7 INVITE")
    address = NameAddress.parse("<sip:9@h>;tag=7")
    for value, twin in ((via, Via._parse(str(via))), (cseq, CSeq(7, "INVITE"))):
        assert type(value) is type(twin) and value == twin and hash(value) == hash(twin)
    assert type(address) is NameAddress and address.uri is NameAddress.parse("<sip:9@h>").uri
    with pytest.raises(AttributeError):
        via.host = "elsewhere"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "read"),
    [("3600", 3600), ("0", 0), ("007", 7), ("99999999999", 2**32 - 1), ("4294967296", 2**32 - 1)],
)
def test_expires_reads_as_delta_seconds(value: str, read: int) -> None:
    data = REGISTER.format(call_id="a1", hops="70", extra=f"Expires: {value}\r\n").encode()
    assert parse_message(data).expires == read
    with pytest.raises(SipParseError, match="Bad Expires header"):
        parse_message(data.replace(f"Expires: {value}".encode(), "Expires: ٣".encode()))
