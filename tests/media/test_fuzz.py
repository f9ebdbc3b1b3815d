"""Bad input never crashes: parsers raise their own error or return, nothing else."""

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.media.dtmf import TelephoneEventReceiver
from hotline.media.g711 import Law
from hotline.media.negotiation import NegotiatedAudio, OfferRefused, answer_offer
from hotline.media.rtcp import RtcpError, parse_compound
from hotline.media.rtp import RtpError, parse_header
from hotline.media.sdp import Direction, SdpError, parse_sdp
from hotline.media.session import RtpSession

SDP_LINES = st.sampled_from(
    [
        "v=0",
        "o=- 1 1 IN IP4 127.0.0.1",
        "o=x",
        "s=-",
        "c=IN IP4 10.0.0.1",
        "c=IN IP6 ::1",
        "c=bogus",
        "t=0 0",
        "m=audio 4000 RTP/AVP 0 8 101",
        "m=audio x RTP/AVP 0",
        "m=video 0 RTP/AVP",
        "a=rtpmap:101 telephone-event/8000",
        "a=rtpmap:0",
        "a=rtpmap:x PCMU/8000",
        "a=sendonly",
        "a=ptime:999",
        "a=ptime:",
        "m=audio 5000 RTP/SAVP 0",
        "junk",
        "",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_rtp_and_rtcp_parsers_only_raise_their_errors(data: bytes) -> None:
    with contextlib.suppress(RtpError):
        header = parse_header(data)
        assert 12 <= header.payload_start <= header.payload_end <= len(data)
    with contextlib.suppress(RtcpError):
        parse_compound(data)


@settings(max_examples=300, deadline=None)
@given(st.lists(SDP_LINES, max_size=14))
def test_sdp_parser_and_answer_only_raise_their_errors(lines: list[str]) -> None:
    with contextlib.suppress(SdpError, OfferRefused):
        answer_offer(parse_sdp("\r\n".join(lines)), address="127.0.0.1", port=2, session_id=1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=40), max_size=30))
def test_a_leg_survives_any_datagrams(datagrams: list[bytes]) -> None:
    audio = NegotiatedAudio(
        law=Law.PCMU,
        payload_type=0,
        telephone_event=101,
        remote_host="127.0.0.1",
        remote_port=9,
        ptime=20,
        direction=Direction.SENDRECV,
    )
    session = RtpSession(ssrc=1, sequence=0, timestamp=0, audio=audio)
    for index, data in enumerate(datagrams):
        session.receive(b"\x80" + data if index % 2 else data, ("127.0.0.1", 9), index * 0.01)
        session.receive_rtcp(data, ("127.0.0.1", 10), index * 0.01)
        session.take_frame(0.0)
    TelephoneEventReceiver().receive(b"".join(datagrams)[:4], timestamp=0, now=0.0)
