"""Whole media flows over loopback: SIPp's DTMF capture, in-band tones, recording, roles."""

from __future__ import annotations

import asyncio
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from hotline.media import DtmfReceived, DtmfSource, MediaServer, RecordingFinished, Role
from hotline.media.g711 import encode
from hotline.media.tone import tone

from .conftest import connect, pcap_udp_payloads, tone_power

SIPP_CAPTURES = Path("/usr/share/sip-tester")
CAPTURE_ORDER = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "star", "pound"]


async def _digits(server, count: int, timeout: float = 3.0) -> list[DtmfReceived]:
    found: list[DtmfReceived] = []
    async with asyncio.timeout(timeout):
        while len(found) < count:
            event = await server.next_event()
            if isinstance(event, DtmfReceived):
                found.append(event)
    return found


@pytest.mark.skipif(
    not (SIPP_CAPTURES / "dtmf_2833_1.pcap").exists(),
    reason="SIPp's RFC 2833 DTMF captures are missing: install Debian's sip-tester package",
)
async def test_sipp_rfc2833_capture_digits_detected_in_order_once_each(server, seen) -> None:
    _leg, peer = await connect(server)
    for name in CAPTURE_ORDER:
        # Every capture reuses the same SSRC, sequence numbers and timestamp: a replay.
        for payload in pcap_udp_payloads((SIPP_CAPTURES / f"dtmf_2833_{name}.pcap").read_bytes()):
            peer.send_raw(payload)
            await asyncio.sleep(0.002)
    digits = await _digits(server, 12)
    assert "".join(d.digit for d in digits) == "1234567890*#"
    assert {d.source for d in digits} == {DtmfSource.RFC4733}
    await asyncio.sleep(0.4)  # the DTMF timers run; nothing more may come
    assert [e.digit for e in seen if isinstance(e, DtmfReceived)] == list("1234567890*#")


async def test_inband_tones_are_detected(server) -> None:
    _leg, peer = await connect(server, inband_dtmf=True)
    gap = np.zeros(800, np.int16)
    keys = {"5": (770, 1336), "#": (941, 1477), "9": (852, 1477)}
    signal = np.concatenate(
        [
            part
            for low, high in keys.values()
            for part in ((tone(low, 0.1, 5000) + tone(high, 0.1, 5000)).astype(np.int16), gap)
        ]
    )
    await peer.stream(signal)
    digits = await _digits(server, 3)
    assert [d.digit for d in digits] == list(keys)
    assert all(d.source is DtmfSource.INBAND and 60 <= d.duration_ms <= 120 for d in digits)


async def test_recording_puts_caller_left_and_agent_right(server) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    bridge = await server.bridge(caller_leg, agent_leg)
    recording = await server.record(bridge, Path("call.wav"))
    caller_signal, agent_signal = tone(440, 0.6, 6000), tone(1100, 0.6, 6000)
    # 10 ms packets from the caller, 60 ms from the agent: the jitter buffers re-frame both.
    await asyncio.gather(
        caller.stream(caller_signal, frame=80, pace=0.01),
        agent.stream(agent_signal, frame=480, pace=0.06),
    )
    await asyncio.sleep(0.1)
    path = await server.stop_recording(recording)
    with wave.open(str(path)) as read:
        assert (read.getnchannels(), read.getsampwidth(), read.getframerate()) == (2, 2, 8000)
        stereo = np.frombuffer(read.readframes(read.getnframes()), "<i2").reshape(-1, 2)
    left, right = stereo[:, 0].astype(float), stereo[:, 1].astype(float)

    def correlation(channel: np.ndarray, reference: np.ndarray) -> float:
        full = np.correlate(channel, reference[:2000].astype(float), mode="valid")
        return float(full.max() / (np.linalg.norm(reference[:2000]) * np.linalg.norm(channel)))

    assert correlation(left, caller_signal) > 5 * abs(correlation(left, agent_signal))
    assert correlation(right, agent_signal) > 5 * abs(correlation(right, caller_signal))
    assert tone_power(left, 440) > 10 * tone_power(left, 1100)
    assert tone_power(right, 1100) > 10 * tone_power(right, 440)


async def test_paused_recording_skips_audio_and_finishes_with_an_event(server) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, _ = await connect(server)
    bridge = await server.bridge(caller_leg, agent_leg)
    recording = await server.record(bridge, Path("paused.wav"))
    await caller.stream(tone(440, 0.2, 6000))
    await server.pause_recording(recording)
    await caller.stream(tone(1500, 0.3, 6000))  # a card number: must not be recorded
    await server.resume_recording(recording)
    await caller.stream(tone(440, 0.2, 6000))
    await asyncio.sleep(0.1)
    await server.unbridge(bridge)  # completes the recording too
    event = None
    while not isinstance(event, RecordingFinished):
        event = await asyncio.wait_for(server.next_event(), 1)
    with wave.open(str(event.path)) as read:
        left = np.frombuffer(read.readframes(read.getnframes()), "<i2")[::2]
    assert 0.3 < len(left) / 8000 < 0.8
    # The pause takes effect at the play-out point, which trails arrival by the 40 ms jitter
    # buffer: at most that much of the paused audio may reach the file, never the 300 ms.
    frames = left[: len(left) // 160 * 160].reshape(-1, 160)
    paused_frames = sum(tone_power(f, 1500) > tone_power(f, 440) for f in frames)
    assert paused_frames <= 3


ROLE_CASES = {
    # role: (caller hears supervisor, agent hears supervisor)
    Role.LISTEN: (False, False),
    Role.WHISPER: (False, True),
    Role.BARGE: (True, True),
}


async def test_listen_whisper_barge_each_hear_what_the_role_allows(server) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    supervisor_leg, supervisor = await connect(server)
    bridge = await server.bridge(caller_leg, agent_leg)
    frequencies = {"caller": 500.0, "agent": 1000.0, "supervisor": 1700.0}
    peers = {"caller": caller, "agent": agent, "supervisor": supervisor}
    await server.add_participant(bridge, supervisor_leg, Role.LISTEN)
    for role, (caller_hears, agent_hears) in ROLE_CASES.items():
        await server.set_role(bridge, supervisor_leg, role)
        await asyncio.sleep(0.06)
        for peer in peers.values():
            peer.received.clear()
        await asyncio.gather(
            *(
                peers[name].stream(tone(frequency, 0.4, 4000))
                for name, frequency in frequencies.items()
            )
        )
        await asyncio.sleep(0.08)
        heard = {
            name: {other: tone_power(peer.audio()[800:], f) for other, f in frequencies.items()}
            for name, peer in peers.items()
        }
        loud = 400.0
        assert heard["supervisor"]["caller"] > loud and heard["supervisor"]["agent"] > loud
        assert heard["caller"]["agent"] > loud and heard["agent"]["caller"] > loud
        assert (heard["caller"]["supervisor"] > loud) is caller_hears, role
        assert (heard["agent"]["supervisor"] > loud) is agent_hears, role
        assert heard["caller"]["caller"] < loud and heard["agent"]["agent"] < loud
        assert heard["supervisor"]["supervisor"] < loud
    await server.remove_participant(bridge, supervisor_leg)
    caller.received.clear()
    agent.send_codes(encode(tone(1000, 0.02), agent.law))
    await asyncio.sleep(0.05)
    assert caller.received  # the two parties go on talking after the supervisor leaves


async def test_truncated_recording_is_repaired_on_start(tmp_path) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    samples = tone(440, 0.5, 6000)
    stereo = np.repeat(samples, 2).astype("<i2").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        0xFFFFFFFF,
        b"WAVE",
        b"fmt ",
        16,
        1,
        2,
        8000,
        32000,
        4,
        16,
        b"data",
        0xFFFFFFFF,
    )
    killed = folder / "day" / "killed.wav"
    killed.parent.mkdir()
    killed.write_bytes(header + stereo + b"\x07")  # cut in the middle of a frame
    media = MediaServer(rtp_address="127.0.0.1", port_range=(41000, 41999), recordings_dir=folder)
    repaired = await media.start()
    await media.close()
    assert repaired == [killed]
    with wave.open(str(killed)) as read:
        assert read.getnframes() == len(samples)
        played = np.frombuffer(read.readframes(read.getnframes()), "<i2")[::2]
    assert np.array_equal(played, samples)
