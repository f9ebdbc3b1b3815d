"""Calls through a real ``hotline serve`` between our own softphones, checked on what each
phone hears: extension to extension with a different tone each way, the echo test returning
our own tone and our DTMF, an unknown number refused, a queue call reaching its agent."""

from __future__ import annotations

import asyncio
import os
import time
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest

from hotline.demo.softphone import PhoneCall, Softphone
from hotline.media import MediaServer
from hotline.sip.address import Peer
from hotline.sip.aio.user_agent import CallFailed
from hotline.testing.harness import HotlineProcess, start_hotline

_LOW = 46000 + (os.getpid() % 50) * 40


# A queue with one static agent, 103, beside the harness's extensions 101 and 102, and 104,
# whose calls ring for 5 s only.
_QUEUE = """
[[extensions]]
number = "104"
password = "s3cret-104"
ring_timeout = 5

[[extensions]]
number = "103"
password = "s3cret-103"
agent = true
always_logged_in = true

[[queues]]
number = "800"
agents = ["103"]
wrap_up = 0
"""


@pytest.fixture(scope="module", params=["media in process", "media worker process"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[HotlineProcess]:
    """One server for the module: each test's calls end before the next starts. Every test
    runs twice: with media in the server's process and in a media process of its own."""
    folder = tmp_path_factory.mktemp("hotline")
    worker = "true" if request.param == "media worker process" else "false"
    hotline = start_hotline(
        folder,
        extra=_QUEUE
        + f'[media]\nrtp_ports = "{_LOW + 2000}-{_LOW + 2039}"\nworker_process = {worker}\n',
    )
    if worker == "true":
        assert "media runs in process" in hotline.log_text()
    yield hotline
    assert hotline.stop() == 0, hotline.log_text()


@pytest.fixture
async def media() -> AsyncIterator[MediaServer]:
    async with MediaServer(rtp_address="127.0.0.1", port_range=(_LOW, _LOW + 39)) as server:
        yield server


async def _phone(server: HotlineProcess, media: MediaServer, number: str) -> Softphone:
    registrar = Peer(transport="UDP", host="127.0.0.1", port=server.sip_port)
    phone = Softphone(
        media, "127.0.0.1", username=number, password=f"s3cret-{number}",
        domain="hotline.local", registrar=registrar,
    )  # fmt: skip
    await phone.start()
    await phone.register(expires=300)
    return phone


def tone_level(path: Path, frequency: float) -> float:
    """Share of the recording's energy at ``frequency`` (FFT power within 20 Hz)."""
    with wave.open(str(path)) as recording:
        assert recording.getnchannels() == 1 and recording.getframerate() == 8000
        samples = np.frombuffer(recording.readframes(recording.getnframes()), "<i2")
    samples = samples.astype(np.float64)
    if not samples.any():
        return 0.0
    power = np.abs(np.fft.rfft(samples)) ** 2
    bins = np.fft.rfftfreq(len(samples), 1 / 8000)
    return float(power[np.abs(bins - frequency) < 20].sum() / power.sum())


async def _answered_pair(
    caller: Softphone, callee: Softphone, number: str
) -> tuple[PhoneCall, PhoneCall]:
    call = await caller.call(number)
    incoming = await asyncio.wait_for(callee.next_incoming(), 5)
    await incoming.ring()
    await incoming.answer()
    await asyncio.wait_for(call.wait_answered(), 5)
    return call, incoming


async def tones_both_ways(call: PhoneCall, incoming: PhoneCall, folder: Path) -> tuple[Path, Path]:
    """The caller plays 440 Hz and the callee 1000 Hz for 1.5 s, then the caller hangs up:
    what each phone heard, as recordings."""
    await call.play_tone(440.0)
    await incoming.play_tone(1000.0)
    await call.record(folder / "caller-heard.wav")
    await incoming.record(folder / "callee-heard.wav")
    await asyncio.sleep(1.5)
    heard_by_caller = await call.stop_recording()
    heard_by_callee = await incoming.stop_recording()
    await call.hangup()
    await asyncio.wait_for(incoming.wait_ended(), 5)
    assert heard_by_caller is not None and heard_by_callee is not None
    return heard_by_caller, heard_by_callee


async def test_extension_to_extension_audio_both_ways(
    server: HotlineProcess, media: MediaServer, tmp_path: Path
) -> None:
    alice, bob = await _phone(server, media, "101"), await _phone(server, media, "102")
    try:
        call, incoming = await _answered_pair(alice, bob, "102")
        assert incoming.caller == "101"
        heard_by_alice, heard_by_bob = await tones_both_ways(call, incoming, tmp_path)
    finally:
        await alice.close()
        await bob.close()
    assert tone_level(heard_by_alice, 1000.0) > 0.5, "Alice should hear Bob's 1000 Hz"
    assert tone_level(heard_by_alice, 440.0) < 0.05
    assert tone_level(heard_by_bob, 440.0) > 0.5, "Bob should hear Alice's 440 Hz"
    assert tone_level(heard_by_bob, 1000.0) < 0.05


async def test_echo_test_returns_our_audio(
    server: HotlineProcess, media: MediaServer, tmp_path: Path
) -> None:
    alice = await _phone(server, media, "101")
    try:
        call = await alice.call("*43")
        await asyncio.wait_for(call.wait_answered(), 5)
        await call.play_tone(700.0)
        await call.record(tmp_path / "echo.wav")
        await asyncio.sleep(1.5)
        heard = await call.stop_recording()
        await call.hangup()
    finally:
        await alice.close()
    assert heard is not None and tone_level(heard, 700.0) > 0.5


async def test_dtmf_comes_back_from_the_echo_test(
    server: HotlineProcess, media: MediaServer
) -> None:
    alice = await _phone(server, media, "101")
    try:
        call = await alice.call("*43")
        await asyncio.wait_for(call.wait_answered(), 5)
        await asyncio.sleep(0.3)
        await call.send_dtmf("19#")
        received = [await asyncio.wait_for(call.digits.get(), 5) for _ in range(3)]
        await call.hangup()
    finally:
        await alice.close()
    assert received == ["1", "9", "#"]
    server.wait_for_log("DTMF # (rfc4733)", 2)


async def test_dtmf_by_sip_info_is_taken(server: HotlineProcess, media: MediaServer) -> None:
    alice = await _phone(server, media, "101")
    try:
        call = await alice.call("*43")
        await asyncio.wait_for(call.wait_answered(), 5)
        await asyncio.sleep(0.3)  # Hotline drops digits until its echo is set up
        assert await call.send_dtmf_info("7*") == [200, 200]
        received = [await asyncio.wait_for(call.digits.get(), 5) for _ in range(2)]
        await call.hangup()
    finally:
        await alice.close()
    assert received == ["7", "*"]  # the echo test sends them back as RFC 4733 events


async def test_bridged_extensions_hear_each_others_digits(
    server: HotlineProcess, media: MediaServer
) -> None:
    alice, bob = await _phone(server, media, "101"), await _phone(server, media, "102")
    try:
        call, incoming = await _answered_pair(alice, bob, "102")
        await asyncio.sleep(0.3)  # the bridge is made just after the answer
        await call.send_dtmf("19#")
        to_bob = [await asyncio.wait_for(incoming.digits.get(), 5) for _ in range(3)]
        assert await incoming.send_dtmf_info("5") == [200]
        to_alice = await asyncio.wait_for(call.digits.get(), 5)
        await call.hangup()
        await asyncio.wait_for(incoming.wait_ended(), 5)
    finally:
        await alice.close()
        await bob.close()
    assert (to_bob, to_alice) == (["1", "9", "#"], "5")


async def test_unanswered_extension_stops_ringing_after_its_ring_timeout(
    server: HotlineProcess, media: MediaServer
) -> None:
    alice, dan = await _phone(server, media, "101"), await _phone(server, media, "104")
    try:
        call = await alice.call("104")
        incoming = await asyncio.wait_for(dan.next_incoming(), 5)
        await incoming.ring()
        started = time.monotonic()
        with pytest.raises(CallFailed) as failed:
            await asyncio.wait_for(call.wait_answered(), 15)
        rang = time.monotonic() - started
        await asyncio.wait_for(incoming.wait_ended(), 5)  # Dan's phone got the CANCEL
    finally:
        await alice.close()
        await dan.close()
    assert failed.value.status == 480
    assert 4.0 < rang < 8.0, rang


async def test_unknown_number_fails_with_404(server: HotlineProcess, media: MediaServer) -> None:
    alice = await _phone(server, media, "101")
    try:
        with pytest.raises(CallFailed) as failure:
            await alice.call("999")  # the first response is final: invite() raises it
    finally:
        await alice.close()
    assert failure.value.status == 404


async def test_queue_call_reaches_the_agent_with_audio_both_ways(
    server: HotlineProcess, media: MediaServer, tmp_path: Path
) -> None:
    caller, agent = await _phone(server, media, "101"), await _phone(server, media, "103")
    try:
        call = await caller.call("800")
        await asyncio.wait_for(call.wait_answered(), 5)  # the queue answers: welcome, music
        await call.play_tone(500.0)
        offer = await asyncio.wait_for(agent.next_incoming(), 10)
        assert offer.caller == "101"
        await offer.ring()
        await offer.answer()
        await offer.play_tone(1300.0)
        await asyncio.sleep(0.3)  # the bridge replaces the music
        await call.record(tmp_path / "caller-heard.wav")
        await offer.record(tmp_path / "agent-heard.wav")
        await asyncio.sleep(1.5)
        heard_by_caller = await call.stop_recording()
        heard_by_agent = await offer.stop_recording()
        await offer.hangup()
        await asyncio.wait_for(call.wait_ended(), 5)
    finally:
        await caller.close()
        await agent.close()
    assert heard_by_caller is not None and heard_by_agent is not None
    assert tone_level(heard_by_caller, 1300.0) > 0.5, "the caller should hear the agent"
    assert tone_level(heard_by_agent, 500.0) > 0.5, "the agent should hear the caller"
