"""Recording on the relay path: packets go out as they arrive and land in the tape by timestamp."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from hotline.media import Law, Role
from hotline.media.g711 import decode, encode, transcode_table
from hotline.media.negotiation import NegotiatedAudio
from hotline.media.recorder import DEPTH, WIDTH, Recorder, Recording
from hotline.media.rtp import build_rtp
from hotline.media.sdp import Direction
from hotline.media.session import RtpSession
from hotline.media.wav import WavWriter

from .conftest import connect, steady_vowel


def _channels(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with wave.open(str(path)) as read:
        assert (read.getnchannels(), read.getsampwidth(), read.getframerate()) == (2, 2, 8000)
        stereo = np.frombuffer(read.readframes(read.getnframes()), "<i2").reshape(-1, 2)
    return stereo[:, 0], stereo[:, 1]


def _contains(channel: np.ndarray, expected: np.ndarray) -> bool:
    """Whether ``expected`` appears in ``channel`` sample for sample, in one piece."""
    starts = np.flatnonzero(channel == expected[0])
    return any(np.array_equal(channel[s : s + len(expected)], expected) for s in starts)


def _find(channel: np.ndarray, expected: np.ndarray) -> int:
    """Where ``expected`` starts in ``channel``."""
    starts = np.flatnonzero(channel == expected[0])
    return next(s for s in starts if np.array_equal(channel[s : s + len(expected)], expected))


async def _settle(predicate, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_recorded_bridge_relays_at_once_and_records_both_directions_exactly(server):
    caller_leg, caller = await connect(server, Law.PCMU)
    agent_leg, agent = await connect(server, Law.PCMA)
    bridge = await server.bridge(caller_leg, agent_leg)
    recording = await server.record(bridge, Path("exact.wav"))
    # Random codes avoid the silence code, so every sample must be found where it belongs.
    said = [bytes(os.urandom(160).replace(b"\xff", b"\x7f")) for _ in range(30)]
    answered = [bytes(os.urandom(160).replace(b"\xd5", b"\x55")) for _ in range(20)]
    sent_at: list[float] = []
    start = time.monotonic()
    for index in range(30):  # paced like a phone: one packet each 20 ms
        sent_at.append(time.monotonic())
        caller.send_codes(said[index])
        if index < 20:
            agent.send_codes(answered[index])
        await asyncio.sleep(max(start + (index + 1) * 0.02 - time.monotonic(), 0))
    await _settle(lambda: len(agent.received) == 30 and len(caller.received) == 20)
    delays = [r.arrival - sent for r, sent in zip(agent.received, sent_at, strict=True)]
    # Forwarded on arrival, not on the 20 ms tick: the median trip is far below a frame.
    assert sorted(delays)[len(delays) // 2] < 0.005
    to_agent = agent.received
    assert [r.sequence for r in to_agent] == [
        (to_agent[0].sequence + i) & 0xFFFF for i in range(30)
    ]
    assert all(
        (b.timestamp - a.timestamp) & 0xFFFFFFFF == 160 for a, b in itertools.pairwise(to_agent)
    )
    table = transcode_table(Law.PCMA, Law.PCMU)  # the caller speaks mu-law
    assert [r.payload for r in caller.received] == [codes.translate(table) for codes in answered]
    await asyncio.sleep(0.1)
    left, right = _channels(await server.stop_recording(recording))
    assert _contains(left, decode(b"".join(said), Law.PCMU))
    assert _contains(right, decode(b"".join(answered), Law.PCMA))


async def test_supervisor_joining_and_leaving_keeps_the_agents_stream_continuous(server):
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    supervisor_leg, supervisor = await connect(server)
    bridge = await server.bridge(caller_leg, agent_leg)
    recording = await server.record(bridge, Path("supervised.wav"))
    phases = [b"\x11", b"\x22", b"\x33"]  # relayed, mixed with a listener, relayed again
    for phase, code in enumerate(phases):
        if phase == 1:
            await server.add_participant(bridge, supervisor_leg, Role.LISTEN)
        if phase == 2:
            await server.remove_participant(bridge, supervisor_leg)
        start = time.monotonic()
        for index in range(15):
            caller.send_codes(code * 160)
            await asyncio.sleep(max(start + (index + 1) * 0.02 - time.monotonic(), 0))
    await asyncio.sleep(0.15)
    stream = agent.received
    assert all((b.sequence - a.sequence) & 0xFFFF == 1 for a, b in itertools.pairwise(stream))
    steps = [(b.timestamp - a.timestamp) & 0xFFFFFFFF for a, b in itertools.pairwise(stream)]
    assert all(0 < step <= 1600 for step in steps)  # forward only, no wild jump
    assert len({r.ssrc for r in stream}) == 1
    heard = {r.payload[:1] for r in stream}
    assert set(phases) <= heard  # each phase reached the agent
    assert any(r.payload[:1] == b"\x11" for r in supervisor.received) is False
    assert supervisor.received  # the listener heard the mixed phase
    left, _ = _channels(await server.stop_recording(recording))
    value = decode(b"\x22", Law.PCMU)[0]
    assert np.count_nonzero(left == value) >= 10 * 160  # recorded in the mixed phase too


def _arrive(
    session: RtpSession,
    sequence: int,
    payload: bytes,
    at: float,
    *,
    timestamp: int | None = None,
    ssrc: int = 5,
) -> None:
    """A PCMU packet ``sequence`` (its timestamp: the payload's length per packet unless
    given) arriving at ``session`` at ``at``."""
    stamp = sequence * len(payload) if timestamp is None else timestamp
    data = build_rtp(payload_type=0, sequence=sequence, timestamp=stamp, ssrc=ssrc,
                     payload=payload, marker=False)  # fmt: skip
    session.receive(data, ("192.0.2.1", 4000), at)


def _session(ssrc: int, law: Law = Law.PCMU) -> RtpSession:
    audio = NegotiatedAudio(
        law=law,
        payload_type=law.value,
        telephone_event=None,
        remote_host="192.0.2.1",
        remote_port=4000,
        ptime=20,
        direction=Direction.SENDRECV,
    )
    return RtpSession(ssrc=ssrc, sequence=0, timestamp=0, audio=audio)


def _taped(
    path: Path, *, flush_ticks: int = 25, agent_law: Law = Law.PCMU
) -> tuple[Recorder, Recording, RtpSession, RtpSession]:
    """A recorder taping a call between two sessions (caller 1 and agent 2) to ``path``."""
    recorder = Recorder(flush_ticks=flush_ticks)
    caller, agent = _session(1), _session(2, agent_law)
    recording = Recording(recording_id=1, writer=WavWriter(path))
    recorder.attach(recording, caller, agent)
    return recorder, recording, caller, agent


def _untaped(recorder: Recorder, recording: Recording) -> tuple[np.ndarray, np.ndarray]:
    """The recording stopped and its file closed: its two channels."""
    recorder.detach(recording)
    recording.writer.close()
    return _channels(recording.path)


def test_tape_wraps_reorders_and_follows_a_jump(tmp_path) -> None:
    recorder, recording, caller, agent = _taped(tmp_path / "tape.wav", agent_law=Law.PCMA)
    rng = np.random.default_rng(7)
    spoken = rng.integers(0, 0xFF, 160 * 200, dtype=np.uint8).tobytes()  # 4 s, codes < 0xFF
    jump = 240 * 67  # a new stream from here on (a re-INVITE): the tape must follow it
    packets = [
        (index, (0xFFFFFFFF - 20 * 160 + index) & 0xFFFFFFFF if index < jump else 77 + index)
        for index in range(0, len(spoken), 240)  # 30 ms packets against 20 ms ticks
    ]  # the first stream's timestamps wrap around 2**32 on the way
    order, sent = packets[:], 0
    for i in range(0, len(order) - 1, 4):  # swap neighbours: reordering within the jitter
        order[i], order[i + 1] = order[i + 1], order[i]
    for tick in range(300):
        now = tick * 0.02
        while sent < len(order) and order[sent][0] < (tick + 1) * 160:
            index, timestamp = order[sent]
            payload = spoken[index : index + 240]
            _arrive(caller, sent, payload, now, timestamp=timestamp)
            sent += 1
        recorder.tick()
    left, right = _untaped(recorder, recording)
    expected = decode(spoken, Law.PCMU)
    # The jump costs one re-placement; each side of it is recorded sample for sample.
    assert _contains(left, expected[: jump - 240 * 2])
    assert _contains(left, expected[jump : 160 * 199])
    assert len(left) >= 290 * 160 and len(left) > WIDTH  # the ring went round several times
    assert set(right.tolist()) == {int(decode(b"\xd5", Law.PCMA)[0])}  # A-law silence
    assert caller.tape_row is None and agent.tape_start is None


def test_stopping_keeps_the_last_packets(tmp_path) -> None:
    """Packets are placed DEPTH ahead of the timeline; a recording stopped right after the last
    one arrived (the caller hung up) still holds all of it."""
    recorder, recording, caller, _ = _taped(tmp_path / "end.wav")
    spoken = np.random.default_rng(3).integers(0, 0xFF, 160 * 40, dtype=np.uint8).tobytes()
    for index in range(40):
        packet = spoken[index * 160 : (index + 1) * 160]
        _arrive(caller, index, packet, index * 0.02)
        recorder.tick()
    left, _ = _untaped(recorder, recording)
    assert _contains(left, decode(spoken, Law.PCMU))


def test_pause_drops_exactly_what_arrives_while_paused(tmp_path) -> None:
    recorder, recording, caller, _ = _taped(tmp_path / "paused.wav")
    codes = {range(0, 20): b"\x10", range(20, 40): b"\x20", range(40, 60): b"\x30"}
    for tick in range(70):
        for span, code in codes.items():
            if tick in span:
                _arrive(caller, tick, code * 160, tick * 0.02)
        recorder.tick()
        if tick == 21:  # the tape trails arrival by its depth (2 frames)
            recorder.set_paused(recording, True)
        if tick == 41:
            recorder.set_paused(recording, False)
    left, _ = _untaped(recorder, recording)
    values = {code: int(decode(code, Law.PCMU)[0]) for code in codes.values()}
    assert np.count_nonzero(left == values[b"\x10"]) == 20 * 160
    assert np.count_nonzero(left == values[b"\x20"]) == 0
    assert np.count_nonzero(left == values[b"\x30"]) == 20 * 160


async def test_a_law_change_mid_recording_decodes_each_part_with_its_law(server) -> None:
    caller_leg, caller = await connect(server, Law.PCMU)
    agent_leg, _ = await connect(server)
    bridge = await server.bridge(caller_leg, agent_leg)
    recording = await server.record(bridge, Path("relaw.wav"))
    level = np.full(160, 1000, np.int16)
    heard = {}
    for law in (Law.PCMU, Law.PCMA):
        if law is Law.PCMA:  # a re-INVITE moves the caller to A-law
            await server.update_leg(caller_leg, caller.offer(laws="8"))
            caller.law = law
        codes = encode(level, law)
        heard[law] = int(decode(codes, law)[0])
        wrong = Law.PCMA if law is Law.PCMU else Law.PCMU
        heard[wrong, law] = int(decode(codes, wrong)[0])  # the same codes read the wrong way
        await caller.stream(np.tile(level, 12))
    await asyncio.sleep(0.1)
    left, _ = _channels(await server.stop_recording(recording))
    assert np.count_nonzero(left == heard[Law.PCMU]) >= 8 * 160
    assert np.count_nonzero(left == heard[Law.PCMA]) >= 8 * 160
    assert np.count_nonzero(left == heard[Law.PCMA, Law.PCMU]) == 0
    assert np.count_nonzero(left == heard[Law.PCMU, Law.PCMA]) == 0


def _random_frames(count: int, seed: int) -> list[bytes]:
    """Random mu-law frames: codes below 0xFF (the silence code), so none could be made up."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 0xFF, 160, dtype=np.uint8).tobytes() for _ in range(count)]


def _deliver(
    recorder: Recorder,
    session: RtpSession,
    packets: list[tuple[int, bytes]],
    ticks: int,
    arrivals: dict[int, int],
) -> None:
    """Packet ``number`` (its timestamp and payload) arrives at tick ``number``, or at
    ``arrivals[number]`` (before that tick's own); the recorder ticks after each tick."""
    due: dict[int, list[int]] = {}
    for number in range(len(packets)):
        due.setdefault(arrivals.get(number, number), []).append(number)
    for tick in range(ticks):
        for number in due.get(tick, []):
            timestamp, payload = packets[number]
            _arrive(session, number, payload, tick * 0.02, timestamp=timestamp)
        recorder.tick()


def _in_place(channel: np.ndarray, frames: list[bytes]) -> list[bool]:
    """For each frame (all of a length), whether the channel holds it where it belongs after
    the first one."""
    decoded = [decode(frame, Law.PCMU) for frame in frames]
    start, size = _find(channel, decoded[0]), len(decoded[0])
    return [
        np.array_equal(channel[start + n * size : start + (n + 1) * size], frame)
        for n, frame in enumerate(decoded)
    ]


def test_a_late_packet_whose_place_is_not_yet_written_is_recorded(tmp_path) -> None:
    """Packets are placed 40 ms ahead of the timeline and written half a second at a time:
    one 140 ms late (100 ms behind the timeline) still finds its place unwritten."""
    recorder, recording, caller, _ = _taped(tmp_path / "kept.wav")
    frames = _random_frames(100, 4)
    late = {n: n + 7 for n in (10, 35, 60, 85)}  # each after a write, before the next
    _deliver(recorder, caller, [(n * 160, f) for n, f in enumerate(frames)], 110, late)
    left, _ = _untaped(recorder, recording)
    assert all(_in_place(left, frames))  # the late ones' own samples, not concealment
    assert caller.tape_late == caller.tape_late_kept == len(late)


def test_late_packets_whose_place_is_written_are_dropped_without_moving_the_stream(
    tmp_path,
) -> None:
    recorder, recording, caller, _ = _taped(tmp_path / "late.wav", flush_ticks=5)
    frames = _random_frames(100, 3)
    # 160 ms late, 120 behind the timeline: a write every 100 ms has passed their places.
    late = {number: number + 8 for number in range(5, 100, 10)}
    _deliver(recorder, caller, [(n * 160, f) for n, f in enumerate(frames)], 110, late)
    left, _ = _untaped(recorder, recording)
    # Ten late ones, never a re-placement: every other frame in its place, and the late
    # ones' places concealed (made up from the frames around them, not silence).
    start = _find(left, decode(frames[0], Law.PCMU))
    for number, kept in enumerate(_in_place(left, frames)):
        assert kept is (number not in late)
        if number in late:
            assert np.any(left[start + number * 160 : start + (number + 1) * 160] != 0)
    assert caller.tape_late == len(late) and caller.tape_late_kept == 0


def test_a_stream_moved_back_in_time_overwrites_nothing_and_is_followed(tmp_path) -> None:
    """From packet 40 on, timestamps run 100 ms behind: the places they map to hold packets
    not yet written, which stay; the third such packet in a row places the stream anew."""
    recorder, recording, caller, _ = _taped(tmp_path / "back.wav")
    frames = _random_frames(80, 8)
    packets = [(n * 160 if n < 40 else (n - 5) * 160, f) for n, f in enumerate(frames)]
    _deliver(recorder, caller, packets, 90, {})
    left, _ = _untaped(recorder, recording)
    assert all(_in_place(left, frames[:40]))
    assert all(_in_place(left, frames[42:]))  # the third late one and on, placed anew
    assert caller.tape_late == 3 and caller.tape_late_kept == 0


def test_late_packets_across_the_rings_wrap(tmp_path) -> None:
    """Packet 49's place straddles the end of the ring: late, it is written there in two
    parts; a late 5 ms packet just past the wrap, inside packet 49, finds it looking back
    across the wrap and is dropped."""
    recorder, recording, caller, _ = _taped(tmp_path / "wrap.wav")
    frames = _random_frames(80, 9)
    intruder = b"\x42" * 40
    packets = [(n * 160, f) for n, f in enumerate(frames)] + [(49 * 160 + 80, intruder)]
    place = 49 * 160 + DEPTH  # where the first packet's DEPTH ahead puts packet 49
    assert place < WIDTH < place + 160
    _deliver(recorder, caller, packets, 90, {49: 54, 80: 55})
    left, _ = _untaped(recorder, recording)
    assert all(_in_place(left, frames))
    assert caller.tape_late == 2 and caller.tape_late_kept == 1


def test_a_late_packet_over_the_tail_of_one_written_is_dropped(tmp_path) -> None:
    """30 ms packets against writes of 100 ms: packet 5 (tape 1520 to 1760) is written up to
    1600, its mark with it. A late 5 ms packet at 1640 is past the write, and no mark covers
    it, but packet 5's tail does: it is dropped."""
    recorder, recording, caller, _ = _taped(tmp_path / "tail.wav", flush_ticks=5)
    rng = np.random.default_rng(6)
    frames = [rng.integers(0, 0xFF, 240, dtype=np.uint8).tobytes() for _ in range(40)]
    packets = [(n * 240, f) for n, f in enumerate(frames)] + [(5 * 240 + 120, b"\x42" * 40)]
    # Three ticks per two packets; the intruder comes at tick 11, behind the timeline (1760).
    arrivals = {n: 3 * n // 2 for n in range(40)} | {40: 11}
    _deliver(recorder, caller, packets, 70, arrivals)
    left, _ = _untaped(recorder, recording)
    assert all(_in_place(left, frames))
    assert caller.tape_late == 1 and caller.tape_late_kept == 0


@pytest.mark.parametrize("first_packet", ["a tick late", "a tick early"])
def test_a_new_stream_goes_on_right_after_the_old_ones_audio(tmp_path, first_packet) -> None:
    """A stream that replaces another (a new SSRC and timestamps: a restart, a transfer) and
    whose first packet comes a tick later or earlier than the timeline foresaw goes on right
    after the old stream's audio on the tape: no frame cut, no gap."""
    recorder, recording, caller, _ = _taped(tmp_path / "restart.wav")
    frames = _random_frames(20, 9)
    for number in range(10):
        _arrive(caller, number, frames[number], number * 0.02)
        if number < 9 or first_packet == "a tick late":
            recorder.tick()
    if first_packet == "a tick late":
        recorder.tick()
    _new_stream(recorder, caller, frames, 3_000_000_000)
    left, _ = _untaped(recorder, recording)
    assert all(_in_place(left, frames))


def test_a_new_stream_whose_timestamps_fall_on_the_old_ones_place_in_the_ring_is_placed_anew(
    tmp_path,
) -> None:
    """The tape is a ring of 8192 samples, but RTP timestamps are 32 bits: a new stream whose
    timestamps happen to fall, modulo the ring, on the old stream's last frames must not
    overwrite them (a random new timestamp did so about one time in three)."""
    recorder, recording, caller, _ = _taped(tmp_path / "alias.wav")
    frames = _random_frames(20, 10)
    for number in range(10):
        _arrive(caller, number, frames[number], number * 0.02)
        recorder.tick()
    # Frame 10's timestamp is frame 8's, plus 1000 rings: it falls on frame 8's place.
    _new_stream(recorder, caller, frames, 8 * 160 + 1000 * WIDTH)
    left, _ = _untaped(recorder, recording)
    assert all(_in_place(left, frames))


def _new_stream(recorder: Recorder, caller: RtpSession, frames: list[bytes], first: int) -> None:
    """Frames 10 on arrive as another stream (SSRC 6) whose timestamps begin at ``first``,
    one a tick."""
    for number in range(10, len(frames)):
        timestamp = first + (number - 10) * 160
        _arrive(caller, number, frames[number], number * 0.02, timestamp=timestamp, ssrc=6)
        recorder.tick()


def test_packets_not_aligned_with_frames_are_written_exactly_and_a_lost_one_concealed(
    tmp_path,
) -> None:
    """30 ms packets straddle the recorder's 20 ms frames and its writes: the marks (one per
    packet) still tell every frame filled from the ones a lost packet left empty."""
    recorder, recording, caller, _ = _taped(tmp_path / "30ms.wav", flush_ticks=5)
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 0xFF, 240 * 60, dtype=np.uint8).tobytes()
    lost = 40
    for number in range(60):
        if number != lost:
            _arrive(caller, number, codes[number * 240 : (number + 1) * 240], number * 0.03, ssrc=7)
        # Ticks every 20 ms of the packets' 30: three ticks per two packets.
        for _ in range(3 * (number + 1) // 2 - 3 * number // 2):
            recorder.tick()
    left, _ = _untaped(recorder, recording)
    sent = decode(codes, Law.PCMU)
    start = _find(left, sent[:240])
    written = left[start : start + len(sent)]
    gap = slice(lost * 240, (lost + 1) * 240)
    assert np.array_equal(written[: gap.start], sent[: gap.start])
    assert np.array_equal(written[gap.stop :], sent[gap.stop :])
    assert np.count_nonzero(written[gap]) > 220  # made up, not the silence written


def test_a_packet_lost_at_the_end_of_a_write_is_concealed_from_the_frames_after_it(
    tmp_path,
) -> None:
    """The frames just past a write are on the tape already (packets are placed ahead of the
    timeline): a lost last frame of a write is made up like any other, not left silent."""
    recorder, recording, caller, _ = _taped(tmp_path / "end.wav", flush_ticks=5)
    codes = encode(steady_vowel(50), Law.PCMU)
    lost = {7, 13, 19, 25, 31}  # one in each place of a five-frame write: one is its last
    for number in range(50):
        if number not in lost:
            _arrive(caller, number, codes[number * 160 : (number + 1) * 160], number * 0.02)
        recorder.tick()
    left, _ = _untaped(recorder, recording)
    sent = decode(codes, Law.PCMU).astype(float)
    start = _find(left, decode(codes[:160], Law.PCMU))
    for number in sorted(lost):
        real = sent[number * 160 : (number + 1) * 160]
        made_up = left[start + number * 160 : start + (number + 1) * 160]
        error = np.sum((made_up - real) ** 2) / np.sum(real**2)
        assert error < 0.1, (number, error)  # silence would be 1.0
