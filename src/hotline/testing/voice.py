"""What people hear, measured: speech to send, a phone's play-out, PESQ, an impaired link.

* ``speech`` is real speech of the given length, cut from the shipped prompt sets.
* ``playout`` turns received RTP into what a phone plays: each packet at its timestamp, a
  fixed delay after the first one; a packet that arrives after its play-out time is lost, as
  it is in a phone's jitter buffer, so timestamps that drift from real time are heard.
* ``score`` aligns the degraded audio with the reference by cross-correlation and scores it
  with PESQ narrow band (ITU-T P.862, the ``pesq`` package, a dev dependency).
* ``ImpairedLink`` is a UDP relay on loopback that loses and delays (jitters) the packets one
  way, seeded, so a test hears the same impairment every run.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hotline.media.player import PROMPTS_DIR
from hotline.media.wav import read_wav

__all__ = [
    "ImpairedLink",
    "Packet",
    "added_delays",
    "align",
    "percentile",
    "playout",
    "score",
    "speech",
]

Samples = npt.NDArray[np.int16]
RATE = 8000
_PROMPTS = {
    "en": ["welcome", "enter_number", "estimated_wait", "press_1_callback", "your_number_is"],
    "ru": ["welcome", "estimated_wait", "enter_number", "press_1_callback", "caller_number"],
}


def speech(seconds: float, language: str = "en", prompts_dir: Path = PROMPTS_DIR) -> Samples:
    """``seconds`` of speech at 8 kHz: the language's prompts one after the other, looped."""
    clips = [read_wav(prompts_dir / language / f"{name}.wav") for name in _PROMPTS[language]]
    needed = int(seconds * RATE)
    joined = np.concatenate(clips * (needed // sum(map(len, clips)) + 1))
    return joined[:needed]


@dataclass(frozen=True, slots=True)
class Packet:
    """One received audio packet: RTP timestamp, arrival time (seconds), decoded samples."""

    timestamp: int
    arrival: float
    samples: Samples


@dataclass(frozen=True, slots=True)
class Heard:
    """What a phone played, and how many packets came too late to be played."""

    samples: Samples
    late: int


def playout(packets: Iterable[Packet], *, delay: float = 0.1) -> Heard:
    """Play packets as a phone with a fixed ``delay`` jitter buffer does: by RTP timestamp,
    from the first packet's arrival on; packets that come after their time are dropped."""
    ordered = list(packets)
    if not ordered:
        return Heard(np.zeros(0, np.int16), 0)
    first = ordered[0]
    places, late = [], 0
    for packet in ordered:
        place = ((packet.timestamp - first.timestamp + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)
        if packet.arrival > first.arrival + delay + place / RATE or place < 0:
            late += 1
            continue
        places.append((place, packet.samples))
    end = max(place + len(samples) for place, samples in places)
    heard = np.zeros(end, np.int16)
    for place, samples in places:
        heard[place : place + len(samples)] = samples
    return Heard(heard, late)


def align(reference: Samples, degraded: Samples) -> tuple[Samples, int]:
    """``degraded`` shifted to line up with ``reference`` (by the lag of the cross-correlation's
    peak) and cut or padded to its length; and that lag in samples."""
    size = 1 << int(np.ceil(np.log2(len(reference) + len(degraded))))
    spectrum = np.fft.rfft(degraded.astype(np.float64), size) * np.conj(
        np.fft.rfft(reference.astype(np.float64), size)
    )
    correlation = np.fft.irfft(spectrum, size)
    lag = int(np.argmax(correlation))
    if lag > size // 2:
        lag -= size
    shifted = np.zeros(len(reference), np.int16)
    source = degraded[max(lag, 0) :]
    target = shifted[max(-lag, 0) :]
    count = min(len(source), len(target))
    target[:count] = source[:count]
    return shifted, lag


def score(reference: Samples, degraded: Samples) -> float:
    """PESQ narrow band (MOS-LQO) of ``degraded`` against ``reference``, aligned first."""
    from pesq import pesq  # type: ignore[import-untyped]  # dev dependency, tests only

    aligned, _ = align(reference, degraded)
    return float(pesq(RATE, reference.astype(np.float32), aligned.astype(np.float32), "nb"))


@dataclass(eq=False)
class _Forwarder(asyncio.DatagramProtocol):
    link: ImpairedLink

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.link.forward(data, addr)


@dataclass(eq=False)
class ImpairedLink:
    """A UDP relay between a phone and a server: packets from the phone lose ``loss`` of
    their number at random and are each held 0 to ``jitter`` seconds (so they may overtake
    one another); packets back to the phone pass untouched. The phone sends to ``address``."""

    target: tuple[str, int]
    loss: float = 0.0
    jitter: float = 0.0
    seed: int = 1
    sent: int = 0
    dropped: int = 0
    # When each packet went on to the target (after its delay), and the packet.
    forwarded: list[tuple[float, bytes]] = field(default_factory=list)
    _random: random.Random = field(init=False)
    _transport: asyncio.DatagramTransport | None = None
    _phone: tuple[str, int] | None = None

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    @classmethod
    async def open(
        cls, target: tuple[str, int], *, loss: float = 0.0, jitter: float = 0.0, seed: int = 1
    ) -> ImpairedLink:
        link = cls(target, loss, jitter, seed)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Forwarder(link), local_addr=("127.0.0.1", 0)
        )
        link._transport = transport
        return link

    @property
    def address(self) -> tuple[str, int]:
        assert self._transport is not None
        address: tuple[str, int] = self._transport.get_extra_info("sockname")
        return address

    def forward(self, data: bytes, source: tuple[str, int]) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if source != self.target:
            self._phone = source
            self.sent += 1
            if self._random.random() < self.loss:
                self.dropped += 1
                return
            delay = self._random.uniform(0, self.jitter)
            asyncio.get_running_loop().call_later(delay, self._send, data, self.target)
        elif self._phone is not None:
            transport.sendto(data, self._phone)

    def _send(self, data: bytes, destination: tuple[str, int]) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(data, destination)
            self.forwarded.append((time.monotonic(), data))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def added_delays(
    sent: bytes, reached: Iterable[tuple[float, bytes]], heard: Iterable[tuple[float, bytes]]
) -> list[float]:
    """The delay a server added to speech: for each packet ``heard`` (arrival, payload), its
    arrival minus the arrival at the server of the ``sent`` packet holding its last sample
    (``reached``: arrival, RTP packet, as ``ImpairedLink.forwarded`` has them). Packets are
    found by their codes in ``sent``, when they appear there once (speech, not silence)."""
    arrivals: dict[int, float] = {}
    for when, data in reached:
        place = sent.find(data[12:])
        if place >= 0 and sent.rfind(data[12:]) == place:
            arrivals[place // 160] = when
    delays = []
    for arrival, payload in heard:
        place = sent.find(payload)
        if place < 0 or sent.rfind(payload) != place:
            continue
        last = (place + len(payload) - 1) // 160
        if last in arrivals:
            delays.append(arrival - arrivals[last])
    return delays


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` (0 to 1) percentile of ``values``, for delay figures."""
    return float(np.percentile(np.asarray(values, np.float64), share * 100))
