"""Header lists, Via and CSeq (RFC 3261 §7.3, §20.16, §20.42; RFC 3581)."""

from __future__ import annotations

import pytest

from hotline.sip.errors import SipParseError
from hotline.sip.headers import CSeq, Headers, Via, canonical_name


def test_names_are_case_insensitive_and_compact_forms_expand() -> None:
    headers = Headers(
        [("v", "SIP/2.0/UDP a"), ("i", "abc"), ("CALL-id", "ignored"), ("X-Mine", "1")]
    )
    assert [name for name, _ in headers] == ["Via", "Call-ID", "Call-ID", "X-Mine"]
    assert headers.get("call-id") == "abc"
    assert headers.get("I") == "abc"
    assert headers.get("x-mine") == "1"
    assert "VIA" in headers and "Route" not in headers
    assert headers.count("Call-ID") == 2
    assert canonical_name("l") == "Content-Length"
    assert canonical_name("www-authenticate") == "WWW-Authenticate"


def test_list_headers_split_on_top_level_commas_only() -> None:
    headers = Headers(
        [
            ("Contact", '"Watson, Thomas" <sip:t@h;a=1,2>, <sip:u@h>'),
            ("Contact", "<sip:v@h>"),
            ("Allow", "INVITE, ACK,BYE"),
            ("Authorization", 'Digest username="101", realm="h"'),
            ("Date", "Sat, 15 Oct 2005 04:44:56 GMT"),
        ]
    )
    assert headers.get_all("Contact") == [
        '"Watson, Thomas" <sip:t@h;a=1,2>',
        "<sip:u@h>",
        "<sip:v@h>",
    ]
    assert headers.get_all("Allow") == ["INVITE", "ACK", "BYE"]
    assert headers.get_all("Authorization") == ['Digest username="101", realm="h"']
    assert headers.get_all("Date") == ["Sat, 15 Oct 2005 04:44:56 GMT"]
    assert headers.get_all("Route") == []


def test_set_replaces_every_line_in_place_and_remove_drops_them() -> None:
    headers = Headers([("Via", "a"), ("Route", "<sip:r1>"), ("To", "t"), ("Route", "<sip:r2>")])
    headers.set("route", "<sip:r3>")
    assert list(headers) == [("Via", "a"), ("Route", "<sip:r3>"), ("To", "t")]
    headers.set("Server", "Hotline")
    assert list(headers)[-1] == ("Server", "Hotline")
    headers.remove("ROUTE")
    assert list(headers) == [("Via", "a"), ("To", "t"), ("Server", "Hotline")]
    assert len(headers) == 3


def test_a_copy_is_independent() -> None:
    headers = Headers([("To", "<sip:a@h>")])
    clone = headers.copy()
    clone.add("To", "<sip:b@h>")
    assert headers.get_all("To") == ["<sip:a@h>"]
    assert clone.get_all("To") == ["<sip:a@h>", "<sip:b@h>"]
    assert clone != headers and headers.copy() == headers


def test_parsed_values_are_cached_until_the_headers_change() -> None:
    headers = Headers([("CSeq", "1 INVITE")])
    first = headers.parsed("CSeq", lambda h: CSeq.parse(h.get("CSeq") or ""))
    assert headers.parsed("CSeq", lambda h: CSeq(99, "X")) is first
    headers.set("CSeq", "2 INVITE")
    assert headers.parsed("CSeq", lambda h: CSeq.parse(h.get("CSeq") or "")).number == 2


def test_via_with_lws_everywhere() -> None:
    # RFC 4475 §3.1.1.1 (after unfolding).
    via = Via.parse("SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239")
    assert (via.transport, via.host, via.port, via.branch) == (
        "UDP",
        "192.168.255.111",
        None,
        "z9hG4bK30239",
    )
    assert str(via) == "SIP/2.0/UDP 192.168.255.111;branch=z9hG4bK30239"


def test_via_received_and_rport() -> None:
    via = Via.parse("SIP/2.0/tcp [2001:db8::9]:5062;branch=z9hG4bKx;rport")
    assert (via.transport, via.host, via.port) == ("TCP", "2001:db8::9", 5062)
    assert via.rport == "" and via.received is None
    answered = via.with_params(received="2001:db8::10", rport="40000")
    assert (answered.received, answered.rport) == ("2001:db8::10", "40000")
    assert (
        str(answered)
        == "SIP/2.0/TCP [2001:db8::9]:5062;branch=z9hG4bKx;rport=40000;received=2001:db8::10"
    )
    assert Via.parse("SIP/2.0/UDP h").rport is None
    for text in (str(answered), str(answered).replace(";", " ; ").replace("=", " = ")):
        assert Via.parse(text).received == "2001:db8::10"  # §20.42: IPv6 without brackets
    for bad in ("SIP/2.0/UDP h;branch=z9hG4bK:1", "SIP/2.0/UDP h ; branch = a:b"):
        with pytest.raises(SipParseError):
            Via.parse(bad)


@pytest.mark.parametrize(
    "text",
    [
        "SIP/2.0 h",
        "SIP/2.0/UDP",
        "HTTP/1.1/TCP h",
        "SIP/2.0/UDP h:70000",
        "SIP/2.0/UDP h;branch",
        "SIP/2.0/UDP h;received=nowhere",
        "SIP/2.0/UDP h;rport=abc",
        "SIP/2.0/UDP 192.0.2.15;;",
        "SIP/2.0/UDP h junk",
    ],
)
def test_malformed_via_values_are_refused(text: str) -> None:
    with pytest.raises(SipParseError):
        Via.parse(text)


def test_cseq_accepts_leading_zeros_and_lws() -> None:
    cseq = CSeq.parse("0009 INVITE")
    assert (cseq.number, cseq.method, str(cseq)) == (9, "INVITE", "9 INVITE")
    assert CSeq.parse(f"{2**31 - 1} ACK").number == 2**31 - 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "INVITE",
        "1",
        "-1 INVITE",
        f"{2**31} INVITE",
        "36893488147419103232 REGISTER",
        "1 IN VITE",
    ],
)
def test_malformed_cseq_values_are_refused(text: str) -> None:
    with pytest.raises(SipParseError):
        CSeq.parse(text)
