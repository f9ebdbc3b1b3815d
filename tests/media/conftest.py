"""Loopback fixtures: a MediaServer on 127.0.0.1 and RTP peers that are real UDP sockets."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator

import numpy as np
import pytest

from hotline.media import MediaServer
from hotline.media.g711 import Law
from hotline.testing import rtp
from hotline.testing.rtp import Received, RtpPeer, open_rtp_peer

__all__ = [
    "Received",
    "RtpPeer",
    "connect",
    "make_peer",
    "pcap_udp_payloads",
    "steady_vowel",
    "tone_power",
]


_OPEN: list[RtpPeer] = []


async def make_peer(law: Law = Law.PCMU) -> RtpPeer:
    """A peer closed at the end of the test."""
    peer = await open_rtp_peer(law)
    _OPEN.append(peer)
    return peer


@pytest.fixture
async def server(tmp_path) -> AsyncIterator[MediaServer]:
    media = MediaServer(
        rtp_address="127.0.0.1",
        port_range=(41000, 41999),
        recordings_dir=tmp_path / "recordings",
        rtp_timeout=0.6,
    )
    await media.start()
    yield media
    await media.close()


@pytest.fixture
def seen(server: MediaServer) -> list:
    """Every event the server emits, collected by a subscribed callback."""
    events: list = []
    server.subscribe(events.append)
    return events


@pytest.fixture(autouse=True)
async def close_peers() -> AsyncIterator[None]:
    """Close every test peer's sockets at the end of its test, on the test's own loop."""
    yield
    while _OPEN:
        _OPEN.pop().close()


async def connect(server: MediaServer, law: Law = Law.PCMU, **options) -> tuple[int, RtpPeer]:
    """``hotline.testing.rtp.connect``: its peer closed at the end of the test."""
    leg, peer = await rtp.connect(server, law, **options)
    _OPEN.append(peer)
    return leg, peer


def steady_vowel(frames: int) -> np.ndarray:
    """A steady voiced sound: harmonics of 125 Hz, falling by 6 dB an octave, at 8 kHz."""
    time = np.arange(frames * 160) / 8000
    harmonics = np.sum([np.sin(2 * np.pi * 125 * k * time + k) / k for k in range(1, 20)], 0)
    return np.rint(harmonics * 6000).astype(np.int16)


def tone_power(samples: np.ndarray, frequency: float) -> float:
    """Normalized power of one frequency (1.0 for a full-scale-relative pure tone)."""
    if len(samples) == 0:
        return 0.0
    n = np.arange(len(samples))
    phasor = np.exp(-2j * np.pi * frequency * n / 8000)
    return float(abs(np.dot(samples.astype(float), phasor)) / len(samples) * 2)


def pcap_udp_payloads(data: bytes) -> list[bytes]:
    """UDP payloads of a classic pcap with Ethernet or Linux-cooked framing."""
    magic = struct.unpack_from("<I", data)[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack_from(endian + "I", data, 20)[0]
    offset, payloads = 24, []
    while offset + 16 <= len(data):
        captured = struct.unpack_from(endian + "I", data, offset + 8)[0]
        frame = data[offset + 16 : offset + 16 + captured]
        offset += 16 + captured
        ip = frame[14:] if link == 1 else frame[16:]
        if not ip or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        header = (ip[0] & 0x0F) * 4
        length = struct.unpack_from("!H", ip, header + 4)[0]
        payloads.append(bytes(ip[header + 8 : header + length]))
    return payloads
