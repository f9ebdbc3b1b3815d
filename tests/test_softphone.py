"""Two softphones calling each other directly over loopback, media through one MediaServer:
RTP flows both ways, DTMF arrives, hold and resume renegotiate the leg, a recording holds the
far end's tone and not our own."""

from __future__ import annotations

import asyncio
import os
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from hotline.demo.softphone import PhoneCall, Softphone, write_tone
from hotline.media import MediaServer
from hotline.sip.aio.user_agent import CallState

_LOW = 44000 + (os.getpid() % 50) * 20


@pytest.fixture
async def phones() -> AsyncIterator[tuple[Softphone, Softphone]]:
    async with MediaServer(rtp_address="127.0.0.1", port_range=(_LOW, _LOW + 19)) as media:
        alice, bob = (
            Softphone(media, "127.0.0.1", username=name, password="secret", domain="example.test")
            for name in ("alice", "bob")
        )
        await alice.start()
        await bob.start()
        yield alice, bob
        await alice.close()
        await bob.close()


async def _connect(alice: Softphone, bob: Softphone) -> tuple[PhoneCall, PhoneCall]:
    call = await alice.call("bob", destination=bob.ua.address)
    incoming = await asyncio.wait_for(bob.next_incoming(), 2)
    await incoming.answer()
    await asyncio.wait_for(call.wait_answered(), 2)
    return call, incoming


def test_write_tone_is_a_mono_8khz_sine(tmp_path: Path) -> None:
    path = write_tone(tmp_path / "tone.wav", 500.0, 0.5)
    with wave.open(str(path)) as tone:
        assert (tone.getnchannels(), tone.getframerate(), tone.getnframes()) == (1, 8000, 4000)
        samples = np.frombuffer(tone.readframes(4000), "<i2")
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.fft.rfftfreq(4000, 1 / 8000)[spectrum.argmax()] == pytest.approx(500.0)


async def test_audio_flows_both_ways(phones: tuple[Softphone, Softphone]) -> None:
    alice, bob = phones
    call, incoming = await _connect(alice, bob)
    await call.play_tone(440.0)
    await incoming.play(["welcome"])
    await asyncio.sleep(0.5)
    for one in (call, incoming):
        assert one.media.leg is not None
        figures = alice.media.statistics(one.media.leg)
        assert figures.packets_received > 15 and figures.packets_sent > 15, figures
    await incoming.hangup()
    await asyncio.wait_for(call.wait_ended(), 2)
    assert call.state is CallState.ENDED and call.media.closed and incoming.media.closed


async def test_dtmf_arrives_at_the_other_phone(phones: tuple[Softphone, Softphone]) -> None:
    alice, bob = phones
    call, incoming = await _connect(alice, bob)
    await call.send_dtmf("5*0")
    received = [await asyncio.wait_for(incoming.digits.get(), 3) for _ in range(3)]
    assert received == ["5", "*", "0"]
    assert call.digits.empty()
    await call.hangup()


async def test_hold_and_resume(phones: tuple[Softphone, Softphone]) -> None:
    alice, bob = phones
    call, incoming = await _connect(alice, bob)
    assert await call.sip.hold() == 200
    assert incoming.sip.remote_hold
    assert incoming.sip.local_sdp is not None and "a=recvonly" in incoming.sip.local_sdp
    assert await call.sip.resume() == 200
    assert not incoming.sip.remote_hold
    await call.play_tone(440.0)
    await asyncio.sleep(0.3)
    assert incoming.media.leg is not None
    assert alice.media.statistics(incoming.media.leg).packets_received > 5
    await call.hangup()


async def test_recording_holds_what_the_phone_hears(
    phones: tuple[Softphone, Softphone], tmp_path: Path
) -> None:
    alice, bob = phones
    call, incoming = await _connect(alice, bob)
    await call.play_tone(440.0)
    await incoming.play_tone(1200.0)
    await call.record(tmp_path / "heard.wav")
    await asyncio.sleep(1.0)
    await call.hangup()  # the recording is completed with the call
    with wave.open(str(tmp_path / "heard.wav")) as heard:
        samples = np.frombuffer(heard.readframes(heard.getnframes()), "<i2").astype(float)
    assert len(samples) > 4000
    power = np.abs(np.fft.rfft(samples)) ** 2
    bins = np.fft.rfftfreq(len(samples), 1 / 8000)
    assert power[np.abs(bins - 1200) < 20].sum() > 0.5 * power.sum()
    assert power[np.abs(bins - 440) < 20].sum() < 0.05 * power.sum()
