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
import re
import time
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hotline.media import LegId, MediaService, Role
from hotline.media.dtmf import encode_event
from hotline.media.g711 import Law, decode, encode
from hotline.media.rtp import build_rtp, parse_header

from .voice import ImpairedLink, Packet, Samples, added_delays, playout, speech

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
_EVENT_PAYLOAD_TYPE = 101
_PRESS_PACKETS = 5  # a 100 ms press: five packets of growing duration, then three end packets


@dataclass(frozen=True)
class Impairment:
    """Loss and jitter on the speaking phone's way to Hotline; ``seed`` fixes the pattern."""

    loss: float = 0.0
    jitter: float = 0.0
    seed: int = 1


@dataclass(eq=False)
class Phone(asyncio.DatagramProtocol):
    """A test phone's RTP side: speaks ``voice``, presses a key, keeps what it hears."""

    voice: Samples = field(default_factory=lambda: np.zeros(0, np.int16))
    law: Law = Law.PCMU
    restarts: bool = True  # starts its stream over half-way through ``talk``
    received: list[tuple[int, float, bytes]] = field(default_factory=list)  # audio heard
    transport: asyncio.DatagramTransport | None = None
    remote: tuple[str, int] | None = None
    link: ImpairedLink | None = None
    ssrc: int = 0x1234
    sequence: int = 100
    timestamp: int = 5000

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        header = parse_header(data)
        if header.payload_type == self.law.value:
            payload = data[header.payload_start : header.payload_end]
            self.received.append((header.timestamp, time.monotonic(), payload))

    @property
    def sent(self) -> Samples:
        """What the phone said, as the far end decodes it: the reference to score against."""
        return decode(encode(self.voice, self.law), self.law)

    def heard(self) -> Samples:
        packets = [Packet(t, arrival, decode(p, self.law)) for t, arrival, p in self.received]
        return playout(packets).samples

    def send(
        self, payload: bytes, *, payload_type: int | None = None, marker: bool = False
    ) -> None:
        assert self.transport is not None and self.remote is not None
        packet = build_rtp(
            payload_type=self.law.value if payload_type is None else payload_type,
            sequence=self.sequence, timestamp=self.timestamp, ssrc=self.ssrc,
            payload=payload, marker=marker,
        )  # fmt: skip
        self.transport.sendto(packet, self.remote)
        self.sequence = (self.sequence + 1) & 0xFFFF

    async def press(self, key: str = KEY) -> None:
        """One key press as RFC 4733 events (§2.5.1): a packet every 20 ms with the event's
        duration so far, the first with the marker, then the end packet sent three times."""
        code = "0123456789*#".index(key)
        for count in range(1, _PRESS_PACKETS + 4):
            duration, end = min(count, _PRESS_PACKETS) * 160, count > _PRESS_PACKETS
            payload = encode_event(code, end=end, volume=10, duration=duration)
            self.send(payload, payload_type=_EVENT_PAYLOAD_TYPE, marker=count == 1)
            await asyncio.sleep(0.02)
        self.timestamp = (self.timestamp + _PRESS_PACKETS * 160 + 160) & 0xFFFFFFFF

    async def talk(self) -> None:
        codes = encode(self.voice, self.law)
        due = time.monotonic()
        for index, start in enumerate(range(0, len(codes) - 159, 160)):
            if self.restarts and index == len(codes) // 320:  # half-way: the stream restarts
                self.ssrc ^= 0x5A5A
                self.sequence = (self.sequence + 30_000) & 0xFFFF
                self.timestamp = (self.timestamp + 1_234_567) & 0xFFFFFFFF
            self.send(codes[start : start + 160])
            self.timestamp = (self.timestamp + 160) & 0xFFFFFFFF
            due += 0.02
            await asyncio.sleep(max(due - time.monotonic(), 0))

    def close(self) -> None:
        for transport in (self.transport, self.link):
            if transport is not None:
                transport.close()


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
    loop = asyncio.get_running_loop()
    transport, phone = await loop.create_datagram_endpoint(
        lambda: Phone(voice), local_addr=("127.0.0.1", 0)
    )
    phone.transport = transport
    port = transport.get_extra_info("sockname")[1]
    offer = (
        f"v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0 {_EVENT_PAYLOAD_TYPE}\r\n"
        f"a=rtpmap:{_EVENT_PAYLOAD_TYPE} telephone-event/8000\r\na=fmtp:101 0-16\r\n"
    )
    leg, answer = await media.open_leg(offer)
    match = re.search(r"m=audio (\d+)", answer)
    assert match is not None
    phone.remote = ("127.0.0.1", int(match.group(1)))
    if impairment is not None and (impairment.loss or impairment.jitter):
        phone.link = await ImpairedLink.open(
            phone.remote, loss=impairment.loss, jitter=impairment.jitter, seed=impairment.seed
        )
        phone.remote = phone.link.address
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


async def echo_test(media: MediaService, impairment: Impairment, seconds: float) -> Call:
    caller_leg, caller = await open_phone(media, "en", impairment, seconds=seconds)
    loop_leg, offer = await media.create_leg()
    await media.apply_answer(loop_leg, offer)
    await media.bridge(caller_leg, loop_leg)
    await _speak(media, caller_leg, caller)
    caller.close()
    return Call({"echo test": (caller.sent, caller.heard())}, caller_leg)


async def queue_call(media: MediaService, impairment: Impairment, seconds: float) -> Call:
    caller_leg, caller = await open_phone(media, "en", impairment, seconds=seconds)
    agent_leg, agent = await open_phone(media, "ru", seconds=seconds)
    await media.bridge(caller_leg, agent_leg)
    await _speak(media, agent_leg, caller, agent)
    _close(caller, agent)
    heard = {
        "queue call, agent hears": (caller.sent, agent.heard()),
        "queue call, caller hears": (agent.sent, caller.heard()),
    }
    return Call(heard, caller_leg)


async def recorded_call(media: MediaService, impairment: Impairment, seconds: float) -> Call:
    caller_leg, caller = await open_phone(media, "en", impairment, seconds=seconds)
    agent_leg, agent = await open_phone(media)
    bridge = await media.bridge(caller_leg, agent_leg)
    recording = await media.record(bridge, Path(f"quality-{caller_leg}.wav"))
    await _speak(media, agent_leg, caller)
    path = await media.stop_recording(recording)
    await asyncio.sleep(0.1)  # the media worker wrote it
    _close(caller, agent)
    with wave.open(str(path)) as read:
        stereo = np.frombuffer(read.readframes(read.getnframes()), "<i2").reshape(-1, 2)
    return Call({"recording, caller channel": (caller.sent, stereo[:, 0].copy())}, caller_leg)


async def whisper(media: MediaService, impairment: Impairment, seconds: float) -> Call:
    caller_leg, caller = await open_phone(media, "en", impairment, seconds=seconds)
    agent_leg, agent = await open_phone(media)
    supervisor_leg, supervisor = await open_phone(media)
    bridge = await media.bridge(caller_leg, agent_leg)
    await media.add_participant(bridge, supervisor_leg, Role.WHISPER)
    await _speak(media, agent_leg, caller)
    _close(caller, agent, supervisor)
    heard = {"whisper, supervisor hears the caller": (caller.sent, supervisor.heard())}
    return Call(heard, caller_leg, delays_added(caller, supervisor))


async def barge(media: MediaService, impairment: Impairment, seconds: float) -> Call:
    caller_leg, caller = await open_phone(media)
    agent_leg, agent = await open_phone(media)
    supervisor_leg, supervisor = await open_phone(media, "ru", impairment, seconds=seconds)
    bridge = await media.bridge(caller_leg, agent_leg)
    await media.add_participant(bridge, supervisor_leg, Role.BARGE)
    await _speak(media, agent_leg, supervisor)
    _close(caller, agent, supervisor)
    heard = {"barge, caller hears the supervisor": (supervisor.sent, caller.heard())}
    return Call(heard, supervisor_leg)


def delays_added(speaker: Phone, listener: Phone) -> list[float]:
    """The delays Hotline added between ``speaker``'s link and ``listener`` (``added_delays``)."""
    if speaker.link is None:
        return []
    heard = [(arrival, payload) for _, arrival, payload in listener.received]
    return added_delays(encode(speaker.voice, speaker.law), speaker.link.forwarded, heard)


def _close(*phones: Phone) -> None:
    for phone in phones:
        phone.close()


Scenario = Callable[[MediaService, Impairment, float], Awaitable[Call]]
CALLS: tuple[Scenario, ...] = (echo_test, queue_call, recorded_call, whisper, barge)
