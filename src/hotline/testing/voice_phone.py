"""Phones for voice tests over SIP: Hotline's own user agent for the signalling, the test's own
UDP socket for the RTP, so the test decides every packet a phone sends and keeps every packet
it receives with its arrival time.

* ``VoicePhone`` registers an extension and places or answers a call; its media is an
  :class:`~hotline.testing.rtp.RtpPeer` (``SocketMedia`` answers the SDP for it).
* ``Speaker`` sends from one phone at a phone's pace (20 ms G.711 packets on a steady clock):
  silence, speech, a key as RFC 4733 telephone-events (the audio muted meanwhile), and a
  source stream that stops and a moment later starts over (a new SSRC, a sequence and
  timestamp jump), as a phone replaying a prompt or a border controller switching streams
  does; ``sentences`` cuts speech in two at a pause between words, for such a change.
* What the phone plays out is its peer's (``RtpPeer.played``); ``presses`` counts the keys it
  was sent, one a telephone-event (RFC 4733 §2.5.1: one event keeps one timestamp).
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from hotline.media.dtmf import DIGITS
from hotline.media.g711 import decode, encode
from hotline.sip.address import Peer
from hotline.sip.aio.user_agent import IncomingCall, OutgoingCall, UserAgent
from hotline.testing.rtp import RtpPeer, open_rtp_peer

__all__ = ["SocketMedia", "Speaker", "VoicePhone", "presses", "sentences"]

Samples = npt.NDArray[np.int16]
_FRAME = 160  # samples in a 20 ms packet
_PACE = 0.02
_QUIET = 300  # a frame's peak below this is a pause in the speech (about -40 dBFS)
_EVENT = re.compile(r"a=rtpmap:(\d+) telephone-event/8000", re.IGNORECASE)


@dataclass(eq=False)
class SocketMedia:
    """The user agent's ``CallMedia`` for one call, on a test's RTP peer (RFC 3264 offer and
    answer with PCMU and telephone-event)."""

    peer: RtpPeer
    event_type: int = 101  # the telephone-event payload type the far end uses

    async def offer(self) -> str:
        return self.peer.offer(laws="0")

    async def answer(self, offer: str) -> str:
        self._remote(offer)
        return self.peer.offer(laws="0")

    async def apply_answer(self, answer: str) -> None:
        self._remote(answer)

    async def close(self) -> None:
        """The call ended: the socket stays open for the test to read and close."""

    def _remote(self, sdp: str) -> None:
        self.peer.answered(sdp)
        found = _EVENT.search(sdp)
        if found is not None:
            self.event_type = int(found.group(1))


@dataclass(eq=False)
class VoicePhone:
    """One extension's phone for one call at a time (its one RTP socket serves every call)."""

    ua: UserAgent
    media: SocketMedia

    @classmethod
    async def register(
        cls, server: Peer, number: str, password: str, domain: str = "hotline.local"
    ) -> VoicePhone:
        media = SocketMedia(await open_rtp_peer())
        ua = UserAgent(
            "127.0.0.1", username=number, password=password, domain=domain, registrar=server,
            media=lambda: media, name="Hotline voice test phone",
        )  # fmt: skip
        await ua.start()
        await ua.register(expires=300)
        return cls(ua, media)

    @property
    def peer(self) -> RtpPeer:
        return self.media.peer

    async def call(self, number: str) -> OutgoingCall:
        return await self.ua.invite(number)

    async def next_incoming(self) -> IncomingCall:
        return await self.ua.next_incoming()

    async def close(self) -> None:
        await self.ua.close()
        self.peer.close()


@dataclass(eq=False)
class Speaker:
    """Sends a phone's RTP in 20 ms packets on a steady clock: a packet late because the test's
    loop was busy goes out at once, with the timestamp it was due with, as a phone's would.

    ``said`` is what the far end should hear from the first speech on: the speech, and
    silence for the pauses, the keys and the time the stream stopped.
    """

    media: SocketMedia
    _said: list[Samples] = field(default_factory=list)
    _due: float = field(default_factory=time.monotonic)

    @property
    def peer(self) -> RtpPeer:
        return self.media.peer

    @property
    def said(self) -> Samples:
        return np.concatenate(self._said) if self._said else np.zeros(0, np.int16)

    async def _next(self, packets: int = 1) -> None:
        """Wait for the time of the packet ``packets`` after the one just sent."""
        self._due += packets * _PACE
        await asyncio.sleep(max(self._due - time.monotonic(), 0))

    def _quiet(self, packets: int) -> None:
        if self._said:
            self._said.append(np.zeros(packets * _FRAME, np.int16))

    async def speech(self, samples: Samples) -> None:
        samples = samples[: len(samples) // _FRAME * _FRAME]
        self._said.append(decode(encode(samples, self.peer.law), self.peer.law))
        await self.peer.stream(samples, wait=self._next)

    async def silence(self, seconds: float) -> None:
        packets = round(seconds / _PACE)
        await self.peer.stream(np.zeros(packets * _FRAME, np.int16), wait=self._next)
        self._quiet(packets)

    async def silence_until(self, done: asyncio.Event) -> None:
        """Silence until ``done`` is set (a phone keeps sending while the caller waits)."""
        while not done.is_set():
            await self.silence(_PACE)

    async def key(self, digit: str, *, duration_ms: int = 100) -> None:
        """One key press as RFC 4733 telephone-events (``RtpPeer.press``), the audio muted
        meanwhile; the stream's clock runs on, so the audio after it jumps ahead."""
        event_type = self.media.event_type
        packets = await self.peer.press(digit, event_type, duration_ms=duration_ms, wait=self._next)
        self._quiet(packets)

    async def change_stream(self, *, after: float) -> None:
        """The source stream stops and ``after`` seconds later starts over: another SSRC,
        sequence numbers and timestamps far away (``RtpPeer.restart_stream``)."""
        packets = round(after / _PACE)
        await self._next(packets)
        self._quiet(packets)
        self.peer.restart_stream()


def sentences(samples: Samples) -> tuple[Samples, Samples]:
    """``samples`` cut in two at the pause between words nearest half-way (the 20 ms frame
    nearest the middle with a quiet frame on each side)."""
    frames = len(samples) // _FRAME
    peaks = np.abs(samples[: frames * _FRAME].astype(np.int32)).reshape(frames, _FRAME).max(1)
    quiet = peaks < _QUIET
    pauses = [i for i in range(1, frames - 1) if quiet[i - 1] and quiet[i] and quiet[i + 1]]
    middle = min(pauses, key=lambda i: abs(i - frames // 2), default=frames // 2) * _FRAME
    return samples[:middle], samples[middle:]


def presses(media: SocketMedia) -> list[str]:
    """The keys the phone was sent: one a telephone-event (one source and timestamp), in the
    order they came, however many packets each took."""
    keys: dict[tuple[int, int], str] = {}
    for packet in media.peer.received:
        if packet.payload_type == media.event_type and len(packet.payload) >= 4:
            code = packet.payload[0]
            if code < len(DIGITS):
                keys.setdefault((packet.ssrc, packet.timestamp), DIGITS[code])
    return list(keys.values())
