"""The engine and the clock with explicit times: no sockets, no sleeping."""

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from hotline.media.aio.clock import MediaClock
from hotline.media.dtmf import DtmfDigit, DtmfSource
from hotline.media.engine import Leg, MediaEngine
from hotline.media.events import DtmfReceived, LegId, PlaybackFinished, PlaybackId, RtpTimeout
from hotline.media.g711 import Law, decode, encode
from hotline.media.negotiation import NegotiatedAudio
from hotline.media.player import Player, StopReason
from hotline.media.recorder import Recording
from hotline.media.rtcp import build_report
from hotline.media.rtp import build_rtp, parse_header
from hotline.media.sdp import Direction
from hotline.media.session import RtpSession
from hotline.media.wav import WavWriter, read_wav


class Wire:
    """Collects what a leg sends."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent.append(data)


def _leg(engine: MediaEngine, leg_id: int, law: Law = Law.PCMU) -> tuple[Leg, Wire]:
    audio = NegotiatedAudio(
        law=law,
        payload_type=law.value,
        telephone_event=101,
        remote_host="192.0.2.1",
        remote_port=4000,
        ptime=20,
        direction=Direction.SENDRECV,
    )
    wire = Wire()
    leg = Leg(
        leg_id=LegId(leg_id),
        session=RtpSession(ssrc=leg_id, sequence=0, timestamp=0, audio=audio),
        created=0.0,
        transport=wire,
    )
    engine.legs[leg.leg_id] = leg
    engine.refresh(leg)
    return leg, wire


def test_player_frames_go_out_one_per_tick_then_finish() -> None:
    events: list = []
    engine = MediaEngine(emit=events.append)
    leg, wire = _leg(engine, 1, Law.PCMA)
    clip = np.full(400, 1000, np.int16)
    leg.player = Player(playback_id=7, clips=[clip])
    engine.refresh(leg)
    for tick in range(4):
        engine.tick(tick * 0.02)
    assert len(wire.sent) == 3  # 400 samples: two full frames and a padded one
    headers = [parse_header(packet) for packet in wire.sent]
    assert [h.payload_type for h in headers] == [8, 8, 8] and headers[0].marker
    assert [h.timestamp for h in headers] == [0, 160, 320]
    assert decode(wire.sent[0][12:], Law.PCMA).tolist() == [1008] * 160
    assert events == [
        PlaybackFinished(leg_id=LegId(1), playback_id=PlaybackId(7), reason=StopReason.FINISHED)
    ]


def test_timeout_fires_once_at_the_configured_silence() -> None:
    events: list = []
    engine = MediaEngine(emit=events.append, rtp_timeout=5.0)
    leg, _ = _leg(engine, 1)
    leg.session.receive(
        build_rtp(
            payload_type=0, sequence=1, timestamp=0, ssrc=9, payload=b"\xff" * 160, marker=False
        ),
        ("192.0.2.1", 4000),
        1.0,
    )
    engine.housekeeping(5.9)
    assert events == []
    engine.housekeeping(6.1)
    engine.housekeeping(7.0)
    (timeout,) = events
    assert isinstance(timeout, RtpTimeout) and timeout.silent_for == pytest.approx(5.1)


def test_event_digits_interrupt_only_with_an_allowed_digit() -> None:
    events: list = []
    engine = MediaEngine(emit=events.append)
    leg, _ = _leg(engine, 1)
    leg.player = Player(playback_id=3, clips=[np.zeros(8000, np.int16)], interrupt_digits="#")
    engine.refresh(leg)
    end = bytes([1, 0x80 | 10, 0, 160])
    leg.session.receive(
        build_rtp(payload_type=101, sequence=1, timestamp=50, ssrc=9, payload=end, marker=True),
        ("192.0.2.1", 4000),
        0.0,
    )
    engine.digits_received(leg, leg.session.digits, DtmfSource.RFC4733, 0.0)
    assert leg.player is not None  # "1" is not an interrupt digit
    engine.digits_received(leg, [DtmfDigit(digit="#", duration_ms=80)], DtmfSource.INFO, 0.1)
    assert leg.player is None
    assert [type(e) for e in events] == [DtmfReceived, DtmfReceived, PlaybackFinished]


async def test_clock_counts_late_ticks_and_catches_up() -> None:
    ticks: list[float] = []
    clock = MediaClock(ticks.append, interval=0.02, max_catch_up=3)
    clock.start()
    await asyncio.sleep(0.1)
    time.sleep(0.07)  # the loop is blocked for three and a half frames
    await asyncio.sleep(0.1)
    clock.stop()
    metrics = clock.metrics
    assert metrics.late_ticks >= 2
    assert 12 <= metrics.ticks + metrics.skipped_ticks <= 16  # the timeline is kept


async def test_the_last_minutes_late_ticks_are_counted_by_whole_seconds() -> None:
    clock = MediaClock(lambda now: None, interval=0.01, max_catch_up=3)  # 100 ticks a second
    clock.start()
    await asyncio.sleep(0.3)
    time.sleep(0.5)  # the loop is blocked: 50 ticks due, most of them skipped
    await asyncio.sleep(0.9)
    clock.stop()
    metrics = clock.metrics
    # Whole seconds only: 1.7 s of ticks make one second of the window (the skipped ticks
    # come in one piece, so it may hold a few more than 100).
    assert 100 <= metrics.recent_ticks < 170
    assert metrics.recent_late_ticks >= 40 and metrics.recent_late_ratio >= 0.3
    clock.reset_metrics()
    assert (clock.metrics.recent_ticks, clock.metrics.recent_late_ticks) == (0, 0)


def test_tick_timestamps_follow_real_time_and_a_gap_marks_a_talk_spurt() -> None:
    engine = MediaEngine(emit=lambda event: None)
    leg, _ = _leg(engine, 1)
    session = leg.session
    # Ticks pass their due times: contiguous; then two ticks skipped (the loop was blocked).
    sent = [session.packet(b"\xff" * 160, now) for now in (1.0, 1.02, 1.04, 1.10, 1.12)]
    assert [parse_header(p).timestamp for p in sent] == [0, 160, 320, 800, 960]
    assert [parse_header(p).marker for p in sent] == [True, False, False, True, False]
    after_pause = parse_header(session.packet(b"\xff" * 160, 2.12))
    assert after_pause.marker and after_pause.timestamp == 960 + 8000
    event = [
        parse_header(session.packet(b"\x01\x0a\x00\xa0", now, event=True, timestamp=99))
        for now in (2.14, 2.5)
    ]  # the tick runs very late in the middle of an event
    assert [h.marker for h in event] == [False, False] and {h.timestamp for h in event} == {99}


def test_rtcp_reports_of_many_legs_are_spread_over_the_ticks() -> None:
    engine = MediaEngine(emit=lambda event: None)
    wires = []
    for leg_id in range(1, 101):
        leg, _ = _leg(engine, leg_id)
        leg.rtcp_transport = wire = Wire()
        wires.append(wire)
    per_tick = []
    for tick in range(1, 751):  # 15 s: every leg reports about three times
        before = sum(len(wire.sent) for wire in wires)
        engine.tick(tick * 0.02)
        per_tick.append(sum(len(wire.sent) for wire in wires) - before)
    assert all(len(wire.sent) >= 2 for wire in wires)
    # A 25th of the legs is looked at per tick, and report intervals are randomized: no tick
    # builds every leg's report (100 legs at once before).
    assert max(per_tick) <= 10


def test_session_latches_the_first_valid_source_and_counts_strangers() -> None:
    leg, _ = _leg(MediaEngine(emit=lambda event: None), 1)
    session = leg.session
    sdp_address, natted, stranger = ("192.0.2.1", 4000), ("198.51.100.7", 5000), ("203.0.113.9", 6)

    session.receive(b"\x80", stranger, 0.0)  # garbage latches nothing
    assert session.remote == sdp_address and not session.latched
    session.receive(_packet(1), natted, 0.0)  # symmetric RTP: answer where packets come from
    assert session.remote == natted and session.latched
    assert session.remote_rtcp == ("198.51.100.7", 5001)  # RTCP too, until its own is heard
    session.receive(_packet(2, ssrc=8), stranger, 0.02)  # another stream: dropped, counted
    session.receive(_packet(3), None, 0.04)  # the socket filtered it already
    assert (session.counters.strangers, session.counters.packets_received) == (1, 2)
    assert session.counters.bad_packets == 1
    session.configure(session.audio)  # renegotiated: learn the address again
    assert session.remote == sdp_address and not session.latched
    session.receive(_packet(4, ssrc=8), stranger, 0.06)
    assert session.remote == stranger and session.counters.packets_received == 3


def _packet(sequence: int, ssrc: int = 7) -> bytes:
    return build_rtp(
        payload_type=0,
        sequence=sequence,
        timestamp=160 * sequence,
        ssrc=ssrc,
        payload=bytes(160),
        marker=False,
    )


@pytest.mark.parametrize(
    ("latest", "packet", "followed"),
    [
        (1, _packet(2), True),  # the next packet of the stream: its NAT mapping changed
        (1, _packet(400), True),  # packets lost on the way while the mapping changed
        (65535, _packet(3), True),  # across the sequence number's wrap
        (1, _packet(2, ssrc=8), False),  # another stream (a stale call)
        (10, _packet(10), False),  # a copy of a packet already received (a replay)
        (10, _packet(9), False),  # an older one, still in flight from the old address
        (1, _packet(5000), False),  # the SSRC without the sequence: blind injection
        (1, _packet(2)[:11], False),  # too short for a header
        (1, b"\x40" + _packet(2)[1:], False),  # not RTP version 2
    ],
)
def test_the_peers_stream_from_a_new_address_is_followed_and_nothing_else(
    latest: int, packet: bytes, followed: bool
) -> None:
    leg, _ = _leg(MediaEngine(emit=lambda event: None), 1)
    session = leg.session
    peer, elsewhere = ("198.51.100.7", 5000), ("198.51.100.7", 5002)
    session.receive(_packet(latest), peer, 0.0)
    session.receive(packet, elsewhere, 0.02)
    counters = session.counters
    if followed:
        assert session.remote == elsewhere and session.remote_rtcp == ("198.51.100.7", 5003)
        assert (counters.peer_moves, counters.strangers, counters.packets_received) == (1, 0, 2)
    else:
        assert session.remote == peer
        assert (counters.peer_moves, counters.strangers, counters.packets_received) == (0, 1, 1)


def test_rtcp_from_another_host_than_the_latched_peers_is_dropped() -> None:
    leg, _ = _leg(MediaEngine(emit=lambda event: None), 1)
    session = leg.session
    report = build_report(
        ssrc=9, unix_time=0.0, rtp_timestamp=0, packets_sent=0, octets_sent=0, block=None,
        cname="phone",
    )  # fmt: skip
    session.receive(_packet(1), ("198.51.100.7", 5000), 0.0)  # latched
    before = session.remote_rtcp
    session.receive_rtcp(report, ("203.0.113.9", 5001), 1.0)  # a stranger's
    assert (session.remote_rtcp, session.last_received) == (before, 0.0)
    assert session.counters.strangers == 1
    session.receive_rtcp(report, ("198.51.100.7", 6001), 2.0)  # the peer's NAT: its own port
    assert (session.remote_rtcp, session.last_received) == (("198.51.100.7", 6001), 2.0)


def test_a_lost_frame_is_concealed_in_what_a_leg_hears_and_only_it_is_counted(
    tmp_path: Path,
) -> None:
    """A leg's ear (a mono recording) with the fifth of ten packets lost: no 20 ms of silence
    where it was, and its statistics count that frame, not the jitter buffer's delay."""
    engine = MediaEngine(emit=lambda event: None)
    leg, _ = _leg(engine, 1)
    leg.recording = Recording(recording_id=1, writer=WavWriter(tmp_path / "ear.wav", channels=1))
    engine.refresh(leg)
    tone = (np.sin(np.arange(1600) * 2 * np.pi * 200 / 8000) * 8000).astype(np.int16)
    codes = encode(tone, Law.PCMU)
    for number in range(14):
        if number < 10 and number != 4:
            payload = codes[number * 160 : (number + 1) * 160]
            data = build_rtp(
                payload_type=0, sequence=number, timestamp=number * 160, ssrc=9,
                payload=payload, marker=False,
            )  # fmt: skip
            leg.session.receive(data, ("192.0.2.1", 4000), number * 0.02)
        engine.tick(number * 0.02 + 0.01)
    assert engine.statistics(leg).concealed_frames == 1
    leg.recording.writer.close()
    heard = read_wav(tmp_path / "ear.wav")
    start = int(np.flatnonzero(heard)[0])
    periods = heard[start : start + 1600].reshape(-1, 40)  # the tone's 5 ms periods
    assert np.abs(periods).max(axis=1).min() > 4000  # the lost frame made up, not silence
