"""The media service's calls as the voice quality test and benchmark make them.

Test phones over loopback speak prompt-set speech in 20 ms G.711 packets on a steady clock,
press one RFC 4733 key first, start their stream over (new SSRC, sequence numbers and
timestamps) half-way, and hear by RTP timestamp as a phone does (``voice.playout``). The
speaking phone's packets to Hotline can pass an ``ImpairedLink`` that loses and jitters them.
Each call (echo test, queue call, recorded call, whisper, barge) returns what was said and
what was heard for each ear, and the leg whose phone pressed the key.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hotline.media import LegId, MediaService, Role
from hotline.media.g711 import decode, encode

from .rtp import RtpPeer, connect, paced
from .voice import ImpairedLink, Samples, added_delays, speech

__all__ = [
    "CALLS",
    "KEY",
    "Call",
    "Impairment",
    "Phone",
    "Scenario",
    "barge",
    "delays_added",
    "echo_test",
    "open_phone",
    "queue_call",
    "recorded_call",
    "whisper",
]

KEY = "1"  # the key each speaking phone presses before it talks


@dataclass(frozen=True)
class Impairment:
    """Loss and jitter on the speaking phone's way to Hotline; ``seed`` fixes the pattern."""

    loss: float = 0.0
    jitter: float = 0.0
    seed: int = 1


@dataclass(eq=False)
class Phone:
    """A test phone: its RTP peer speaks ``voice``, presses a key and keeps what it hears;
    its packets to Hotline go through ``link`` when one impairs them."""

    peer: RtpPeer
    voice: Samples = field(default_factory=lambda: np.zeros(0, np.int16))
    restarts: bool = True  # starts its stream over half-way through ``talk``
    link: ImpairedLink | None = None

    @property
    def sent(self) -> Samples:
        """What the phone said, as the far end decodes it: the reference to score against."""
        return decode(encode(self.voice, self.peer.law), self.peer.law)

    def heard(self) -> Samples:
        return self.peer.played().samples

    async def press(self, key: str = KEY) -> None:
        await self.peer.press(key)

    async def talk(self) -> None:
        """Speak ``voice`` in 20 ms packets on a steady clock, starting the stream over
        half-way when the phone ``restarts``."""
        if not self.restarts:
            await self.peer.stream(self.voice)
            return
        wait = paced()
        half = len(self.voice) // 320 * 160
        await self.peer.stream(self.voice[:half], wait=wait)
        self.peer.restart_stream()
        await self.peer.stream(self.voice[half:], wait=wait)

    def close(self) -> None:
        self.peer.close()
        if self.link is not None:
            self.link.close()


async def open_phone(
    media: MediaService,
    language: str | None = None,
    impairment: Impairment | None = None,
    *,
    seconds: float = 6.0,
) -> tuple[LegId, Phone]:
    """A phone answered by a new leg, speaking ``seconds`` of ``language`` (or silent), its
    packets to Hotline through an impaired link when ``impairment`` impairs."""
    voice = speech(seconds, language) if language else np.zeros(0, np.int16)
    leg, peer = await connect(media)
    phone = Phone(peer, voice)
    if impairment is not None and (impairment.loss or impairment.jitter):
        assert peer.remote is not None
        try:
            phone.link = await ImpairedLink.open(
                peer.remote, loss=impairment.loss, jitter=impairment.jitter, seed=impairment.seed
            )
        except BaseException:
            phone.close()
            raise
        peer.remote = phone.link.address
    return leg, phone


@dataclass
class Call:
    """What a call's ears heard: for each, what was said and what was heard; the leg whose
    phone pressed ``KEY``; and the delays Hotline added where it decodes (whisper)."""

    heard: dict[str, tuple[Samples, Samples]]
    pressed: LegId
    delays: list[float] = field(default_factory=list)


async def _speak(media: MediaService, far_leg: LegId, *phones: Phone) -> None:
    """Hotline sends a key to the far phone (as call control relays one), the first phone
    presses its key, then the phones talk."""
    await media.send_dtmf(far_leg, KEY)
    await phones[0].press()
    await asyncio.sleep(0.2)
    await asyncio.gather(*(phone.talk() for phone in phones))
    await asyncio.sleep(0.3)


async def _open(
    phones: ExitStack,
    media: MediaService,
    language: str | None = None,
    impairment: Impairment | None = None,
    *,
    seconds: float = 6.0,
) -> tuple[LegId, Phone]:
    """``open_phone``, the phone closed when ``phones`` closes (the call ends or fails)."""
    leg, phone = await open_phone(media, language, impairment, seconds=seconds)
    phones.callback(phone.close)
    return leg, phone


async def echo_test(media: MediaService, impairment: Impairment, seconds: float) -> Call:
    with ExitStack() as phones:
        caller_leg, caller = await _open(phones, media, "en", impairment, seconds=seconds)
        loop_leg, offer = await media.create_leg()
        await media.apply_answer(loop_leg, offer)
        await media.bridge(caller_leg, loop_leg)
        await _speak(media, caller_leg, caller)
    return Call({"echo test": (caller.sent, caller.heard())}, caller_leg)


async def queue_call(media: MediaService, impairment: Impairment, seconds: float) -> Call:
    with ExitStack() as phones:
        caller_leg, caller = await _open(phones, media, "en", impairment, seconds=seconds)
        agent_leg, agent = await _open(phones, media, "ru", seconds=seconds)
        await media.bridge(caller_leg, agent_leg)
        await _speak(media, agent_leg, caller, agent)
    heard = {
        "queue call, agent hears": (caller.sent, agent.heard()),
        "queue call, caller hears": (agent.sent, caller.heard()),
    }
    return Call(heard, caller_leg)


async def recorded_call(media: MediaService, impairment: Impairment, seconds: float) -> Call:
    with ExitStack() as phones:
        caller_leg, caller = await _open(phones, media, "en", impairment, seconds=seconds)
        agent_leg, _ = await _open(phones, media)
        bridge = await media.bridge(caller_leg, agent_leg)
        recording = await media.record(bridge, Path(f"quality-{caller_leg}.wav"))
        await _speak(media, agent_leg, caller)
        path = await media.stop_recording(recording)
        await asyncio.sleep(0.1)  # the media worker wrote it
    with wave.open(str(path)) as read:
        stereo = np.frombuffer(read.readframes(read.getnframes()), "<i2").reshape(-1, 2)
    return Call({"recording, caller channel": (caller.sent, stereo[:, 0].copy())}, caller_leg)


async def whisper(media: MediaService, impairment: Impairment, seconds: float) -> Call:
    with ExitStack() as phones:
        caller_leg, caller = await _open(phones, media, "en", impairment, seconds=seconds)
        agent_leg, _ = await _open(phones, media)
        supervisor_leg, supervisor = await _open(phones, media)
        bridge = await media.bridge(caller_leg, agent_leg)
        await media.add_participant(bridge, supervisor_leg, Role.WHISPER)
        await _speak(media, agent_leg, caller)
    heard = {"whisper, supervisor hears the caller": (caller.sent, supervisor.heard())}
    return Call(heard, caller_leg, delays_added(caller, supervisor))


async def barge(media: MediaService, impairment: Impairment, seconds: float) -> Call:
    with ExitStack() as phones:
        caller_leg, caller = await _open(phones, media)
        agent_leg, _ = await _open(phones, media)
        supervisor_leg, supervisor = await _open(phones, media, "ru", impairment, seconds=seconds)
        bridge = await media.bridge(caller_leg, agent_leg)
        await media.add_participant(bridge, supervisor_leg, Role.BARGE)
        await _speak(media, agent_leg, supervisor)
    heard = {"barge, caller hears the supervisor": (supervisor.sent, caller.heard())}
    return Call(heard, supervisor_leg)


def delays_added(speaker: Phone, listener: Phone) -> list[float]:
    """The delays Hotline added between ``speaker``'s link and ``listener`` (``added_delays``)."""
    if speaker.link is None:
        return []
    law = speaker.peer.law
    heard = [(r.arrival, r.payload) for r in listener.peer.received if r.payload_type == law.value]
    return added_delays(encode(speaker.voice, law), speaker.link.forwarded, heard)


Scenario = Callable[[MediaService, Impairment, float], Awaitable[Call]]
CALLS: tuple[Scenario, ...] = (echo_test, queue_call, recorded_call, whisper, barge)
