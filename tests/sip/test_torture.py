"""RFC 4475 torture messages: each one parses, or is refused, as its expectation says."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from hotline.sip.errors import SipParseError
from hotline.sip.message import Request, Response, make_response
from hotline.sip.parser import StreamFramer, parse_message
from hotline.sip.uas import refusal

VECTORS = Path(__file__).parent / "vectors" / "rfc4475"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads((VECTORS / "expected.toml").read_text())


def load(name: str) -> bytes:
    return (VECTORS / f"{name}.dat").read_bytes()


def test_every_message_has_an_expectation() -> None:
    assert sorted(p.stem for p in VECTORS.glob("*.dat")) == sorted(EXPECTED)
    assert len(EXPECTED) == 49


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_message_behaves_as_expected(name: str) -> None:
    expected = EXPECTED[name]
    outcome = expected["outcome"]
    if outcome in ("request", "response"):
        message = parse_message(load(name))
        assert isinstance(message, Request if outcome == "request" else Response)
        return
    with pytest.raises(SipParseError) as caught:
        parse_message(load(name))
    error = caught.value
    assert expected["reason"] in error.reason
    if outcome == "drop":
        assert error.partial is None or error.status_hint is None
        return
    assert error.status_hint == expected["status"]
    assert isinstance(error.partial, Request)
    response = make_response(error.partial, expected["status"], error.reason, to_tag="x1")
    # Values are copied as received, even the ones that made the request bad (§8.2.6.2).
    assert response.to_bytes().startswith(f"SIP/2.0 {expected['status']} ".encode())
    assert response.headers.get_all("Via") == error.partial.headers.get_all("Via")
    assert response.headers.get("CSeq") == error.partial.headers.get("CSeq")


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if e["outcome"] != "drop"])
def test_valid_messages_survive_a_round_trip(name: str) -> None:
    try:
        message = parse_message(load(name))
    except SipParseError:
        return
    again = parse_message(message.to_bytes())
    assert again.to_bytes() == message.to_bytes()
    assert again.body == message.body


def test_framer_cuts_the_stream_into_the_same_messages() -> None:
    framer = StreamFramer()
    data = b"".join(load(n) for n in ("wsinv", "esc01", "escnull", "unreason"))
    assert framer.feed(data) == [load(n) for n in ("wsinv", "esc01", "escnull", "unreason")]


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if e["outcome"] == "request"])
def test_a_uas_refuses_what_it_cannot_honour_and_nothing_else(name: str) -> None:
    """RFC 3261 §8.2.2.3 and §8.2.3: unknown Require tags, body types and Accept lists."""
    request = parse_message(load(name))
    assert isinstance(request, Request)
    refused = refusal(request)
    assert (refused and refused.status) == EXPECTED[name].get("uas")
    if name == "bext01":
        assert refused is not None
        assert (
            refused.headers.get("Unsupported") == "nothingSupportsThis, nothingSupportsThisEither"
        )
    if name == "invut":
        assert refused is not None and refused.headers.get("Accept") == "application/sdp"


def test_an_invite_requiring_an_extension_gets_420_before_its_body_is_looked_at() -> None:
    invite = parse_message(
        load("invut").replace(b"Max-Forwards", b"Require: timer\r\nMax-Forwards")
    )
    assert isinstance(invite, Request)
    refused = refusal(invite)
    assert refused is not None and refused.status == 420
    assert refused.headers.get("Unsupported") == "timer"


def test_a_comma_inside_a_quoted_accept_parameter_does_not_let_sdp_in() -> None:
    """sdp01 accepts text/nobodyKnowsThis only; a quoted parameter that happens to hold
    "application/sdp" between commas is one value, not three (RFC 3261 §7.3.1)."""
    message = load("sdp01")
    start = message.index(b"Accept:")
    end = message.index(b"\r\n", start)
    quoted = b'Accept: text/nonsense;note="x,application/sdp,y"'
    invite = parse_message(message[:start] + quoted + message[end:])
    assert isinstance(invite, Request)
    refused = refusal(invite)
    assert refused is not None and refused.status == 406
