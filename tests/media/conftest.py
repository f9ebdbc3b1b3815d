"""Loopback fixtures: a MediaServer on 127.0.0.1 and RTP peers that are real UDP sockets."""

from __future__ import annotations

import asyncio
import re
import struct
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np
import pytest

from hotline.media import MediaServer
from hotline.media.g711 import Law, decode, encode
from hotline.media.rtp import build_rtp, parse_header


@dataclass
class Received:
    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    arrival: float


@dataclass
class RtpPeer(asyncio.DatagramProtocol):
    """A phone's RTP side: sends what the test tells it, keeps everything it receives."""

    law: Law = Law.PCMU
    received: list[Received] = field(default_factory=list)
    rtcp: list[bytes] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None
    port: int = 0
    remote: tuple[str, int] | None = None
    ssrc: int = 0x1234
    sequence: int = 100
    timestamp: int = 5000

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        header = parse_header(data)
        self.received.append(
            Received(
                header.payload_type,
                header.marker,
                header.sequence,
                header.timestamp,
                header.ssrc,
                data[header.payload_start : header.payload_end],
                time.monotonic(),
            )
        )

    def offer(self, *, laws: str = "0 8", direction: str = "sendrecv") -> str:
        return (
            f"v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {self.port} RTP/AVP {laws} 101\r\na=rtpmap:101 telephone-event/8000\r\n"
            f"a=fmtp:101 0-16\r\na={direction}\r\n"
        )

    def answered(self, answer: str) -> None:
        port = int(re.search(r"m=audio (\d+)", answer).group(1))
        self.remote = ("127.0.0.1", port)

    def send_raw(self, data: bytes) -> None:
        assert self.transport is not None and self.remote is not None
        self.transport.sendto(data, self.remote)

    def send_codes(self, codes: bytes, *, payload_type: int | None = None, marker: bool = False):
        self.sequence = (self.sequence + 1) & 0xFFFF
        self.send_raw(
            build_rtp(
                payload_type=self.law.value if payload_type is None else payload_type,
                sequence=self.sequence,
                timestamp=self.timestamp,
                ssrc=self.ssrc,
                payload=codes,
                marker=marker,
            )
        )
        self.timestamp = (self.timestamp + len(codes)) & 0xFFFFFFFF

    async def stream(self, samples: np.ndarray, *, frame: int = 160, pace: float = 0.02) -> None:
        """Send samples in packets of ``frame`` samples, paced like a phone."""
        start = time.monotonic()
        for index in range(0, len(samples) - frame + 1, frame):
            self.send_codes(encode(samples[index : index + frame], self.law))
            delay = start + (index // frame + 1) * pace - time.monotonic()
            await asyncio.sleep(max(delay, 0))

    def audio(self, law: Law | None = None) -> np.ndarray:
        codes = b"".join(r.payload for r in self.received if r.payload_type in (0, 8))
        return decode(codes, law or self.law)


@dataclass
class RtcpSink(asyncio.DatagramProtocol):
    packets: list[bytes] = field(default_factory=list)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.packets.append(data)


_OPEN: list[asyncio.BaseTransport] = []


async def make_peer(law: Law = Law.PCMU) -> RtpPeer:
    loop = asyncio.get_running_loop()
    for _ in range(50):
        transport, peer = await loop.create_datagram_endpoint(
            lambda: RtpPeer(law=law), local_addr=("127.0.0.1", 0)
        )
        peer.transport = transport
        peer.port = transport.get_extra_info("sockname")[1]
        if peer.port % 2 == 0:
            try:  # the RTCP port next to it, as RFC 3550 §11 expects
                rtcp_transport, sink = await loop.create_datagram_endpoint(
                    RtcpSink, local_addr=("127.0.0.1", peer.port + 1)
                )
            except OSError:
                transport.close()
                continue
            peer.rtcp = sink.packets
            _OPEN.extend([transport, rtcp_transport])
            return peer
        transport.close()
    raise RuntimeError("no even port pair for a test peer")


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
    """A leg answered from a peer's offer, and the peer pointed at the leg."""
    peer = await make_peer(law)
    laws = "0" if law is Law.PCMU else "8"
    leg, answer = await server.open_leg(peer.offer(laws=laws), **options)
    peer.answered(answer)
    return leg, peer


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
