"""Each key press is one digit, however its packets arrive: SIPp's RFC 2833 captures played
over loopback with the caller's audio restarting around them, re-stamped events, repeated end
packets, and the same key sent again as SIP INFO."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.media import DtmfReceived, MediaServer, PlaybackFinished, StopReason
from hotline.media.rtp import RTP_HEADER

from .conftest import RtpPeer, connect, pcap_udp_payloads

SIPP_CAPTURES = Path("/usr/share/sip-tester")
pytestmark = pytest.mark.skipif(
    not (SIPP_CAPTURES / "dtmf_2833_1.pcap").exists(),
    reason="SIPp's RFC 2833 DTMF captures are missing: install Debian's sip-tester package",
)


def _capture(name: str, *, restamp_from: int | None = None, ends: int = 3) -> list[bytes]:
    """A SIPp capture's event packets; from packet ``restamp_from`` on, their timestamp moved
    as a translator re-stamping the stream would; ``ends`` end packets."""
    packets = pcap_udp_payloads((SIPP_CAPTURES / f"dtmf_2833_{name}.pcap").read_bytes())
    packets = packets[:-3] + packets[-1:] * ends
    if restamp_from is not None:
        for index in range(restamp_from, len(packets)):
            first, second, sequence, timestamp, ssrc = RTP_HEADER.unpack_from(packets[index])
            header = RTP_HEADER.pack(first, second, sequence, timestamp + 48_000, ssrc)
            packets[index] = header + packets[index][12:]
    return packets


async def _press(peer: RtpPeer, events: list[bytes], *, restart_audio_at: int) -> None:
    """Send a press's event packets 20 ms apart with the caller's audio between them; the
    audio stream starts over (new sequence numbers and timestamps) in the middle."""
    for index, event in enumerate(events):
        if index == restart_audio_at:
            peer.sequence, peer.timestamp = peer.sequence + 20_000, peer.timestamp + 3_000_000
        peer.send_codes(b"\x55" * 160)
        peer.send_raw(event)
        await asyncio.sleep(0.02)
    for _ in range(5):  # the gap between presses
        peer.send_codes(b"\x55" * 160)
        await asyncio.sleep(0.02)


def _digits(seen: list[object]) -> str:
    return "".join(event.digit for event in seen if isinstance(event, DtmfReceived))


async def test_bridged_callers_keys_are_each_detected_once(server: MediaServer, seen) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    await server.bridge(caller_leg, agent_leg)
    await _press(caller, _capture("1", restamp_from=4), restart_audio_at=3)
    server.feed_info_digit(caller_leg, "1")  # the same press, sent again in a SIP INFO
    await _press(caller, _capture("pound", ends=6), restart_audio_at=5)
    await asyncio.sleep(0.4)  # the event timers run out: nothing more may come
    assert _digits(seen) == "1#"
    assert len([r for r in agent.received if r.payload == b"\x55" * 160]) > 30  # relayed


async def test_collected_digits_come_once_each_and_interrupt_the_prompt(
    server: MediaServer, seen
) -> None:
    leg, caller = await connect(server)
    await server.play(leg, ["0"], interrupt_digits="123#")  # an IVR asking for a number
    server.feed_info_digit(leg, "1")  # this phone sends INFO first, then the events
    await _press(caller, _capture("1"), restart_audio_at=2)
    await _press(caller, _capture("2", restamp_from=7, ends=5), restart_audio_at=7)
    await _press(caller, _capture("2"), restart_audio_at=0)  # the key again: a second 2
    await _press(caller, _capture("pound"), restart_audio_at=9)
    server.feed_info_digit(leg, "#")
    await asyncio.sleep(0.4)
    assert _digits(seen) == "122#"
    finished = [event for event in seen if isinstance(event, PlaybackFinished)]
    assert [(f.reason, f.digit) for f in finished] == [(StopReason.INTERRUPTED, "1")]
