"""SDP parse/build (RFC 4566) and offer/answer (RFC 3264)."""

import pytest

from hotline.media.g711 import Law
from hotline.media.negotiation import OfferRefused, answer_offer, apply_answer, build_offer
from hotline.media.sdp import Direction, SdpError, parse_sdp

SIPP_OFFER = (
    "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n"
    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 0 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-11,16\r\n"
)


def test_answer_picks_the_offerers_first_law_and_echoes_telephone_event() -> None:
    answer, audio = answer_offer(
        parse_sdp(SIPP_OFFER), address="10.0.0.1", port=20000, session_id=7
    )
    assert audio.law is Law.PCMA and audio.telephone_event == 101
    assert audio.remote == ("127.0.0.1", 6000) and audio.direction is Direction.SENDRECV
    text = answer.to_text()
    assert "m=audio 20000 RTP/AVP 8 101\r\n" in text
    assert "c=IN IP4 10.0.0.1\r\n" in text and "a=rtpmap:101 telephone-event/8000" in text
    assert parse_sdp(text) == answer


def test_media_level_ipv6_connection_and_hold_directions() -> None:
    offer = SIPP_OFFER.replace("t=0 0", "t=0 0\r\na=sendonly").replace(
        "a=rtpmap:8", "c=IN IP6 2001:db8::1\r\na=rtpmap:8"
    )
    answer, audio = answer_offer(parse_sdp(offer), address="::1", port=20002, session_id=1)
    assert audio.remote == ("2001:db8::1", 6000)
    assert audio.direction is Direction.RECVONLY
    assert "a=recvonly" in answer.to_text() and "c=IN IP6 ::1" in answer.to_text()
    held = parse_sdp(SIPP_OFFER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0"))
    assert answer_offer(held, address="::1", port=1, session_id=1)[1].remote is None


def test_unsupported_streams_are_refused_with_port_zero() -> None:
    offer = SIPP_OFFER + "m=video 6002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
    answer, _ = answer_offer(parse_sdp(offer), address="127.0.0.1", port=20000, session_id=1)
    assert [m.port for m in answer.media] == [20000, 0]


@pytest.mark.parametrize(
    "offer",
    [
        SIPP_OFFER.replace("RTP/AVP 8 0 101", "RTP/AVP 18 101"),  # G.729 only
        SIPP_OFFER.replace("RTP/AVP", "RTP/SAVP"),  # SRTP
        SIPP_OFFER.replace("m=audio 6000", "m=audio 0"),  # stream disabled
        SIPP_OFFER.replace("m=audio", "m=video"),
    ],
)
def test_nothing_acceptable_raises_for_488(offer: str) -> None:
    with pytest.raises(OfferRefused) as error:
        answer_offer(parse_sdp(offer), address="127.0.0.1", port=20000, session_id=1)
    assert error.value.status_hint == 488


def test_dynamic_payload_type_mapped_to_pcmu() -> None:
    offer = SIPP_OFFER.replace("RTP/AVP 8 0 101", "RTP/AVP 97").replace(
        "a=rtpmap:8 PCMA/8000", "a=rtpmap:97 pcmu/8000"
    )
    _, audio = answer_offer(
        parse_sdp(offer), address="127.0.0.1", port=1, session_id=1, laws=(Law.PCMU,)
    )
    assert audio.law is Law.PCMU and audio.telephone_event is None


def test_our_offer_and_their_answer() -> None:
    offer = build_offer(address="127.0.0.1", port=20004, session_id=3, laws=(Law.PCMU, Law.PCMA))
    reparsed = parse_sdp(offer.to_text())
    answer, theirs = answer_offer(
        reparsed, address="127.0.0.2", port=7000, session_id=9, laws=(Law.PCMA,)
    )
    ours = apply_answer(offer, parse_sdp(answer.to_text()))
    assert ours.law is theirs.law is Law.PCMA
    assert ours.remote == ("127.0.0.2", 7000) and ours.telephone_event == 101
    refused = answer.with_media(
        (answer.media[0].__class__(media="audio", port=0, protocol="RTP/AVP", formats=("0",)),)
    )
    with pytest.raises(OfferRefused):
        apply_answer(offer, refused)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "v=0\r\nbogus\r\n",
        "v=0\r\no=x y z\r\n",
        SIPP_OFFER.replace("6000", "99999"),
        SIPP_OFFER.replace("IN IP4 127", "IN XX 127"),
    ],
)
def test_malformed_descriptions_raise(text: str) -> None:
    with pytest.raises(SdpError):
        parse_sdp(text)
