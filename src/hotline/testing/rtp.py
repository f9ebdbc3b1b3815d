"""A phone's RTP side for tests: real UDP sockets on loopback, every packet kept as it arrived.

``open_rtp_peer`` binds an even port with a sink for RTCP on the port above it (RFC 3550 §11),
so the server's reports reach a socket instead of drawing ICMP errors. The test sends what it
wants (``send_codes`` moves the peer's own SSRC, sequence number and timestamp along; the test
may change them to start the stream over) and reads ``received``, each packet with its arrival.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from hotline.media.g711 import Law, decode, encode
from hotline.media.rtp import build_rtp, parse_header

__all__ = ["Received", "RtcpSink", "RtpPeer", "open_rtp_peer"]


@dataclass
class Received:
    """One RTP packet a peer received, with its arrival time (``time.monotonic``)."""

    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    arrival: float


@dataclass(eq=False)
class RtcpSink(asyncio.DatagramProtocol):
    packets: list[bytes] = field(default_factory=list)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.packets.append(data)


@dataclass(eq=False)
class RtpPeer(asyncio.DatagramProtocol):
    """A phone's RTP side: sends what the test tells it, keeps everything it receives."""

    law: Law = Law.PCMU
    received: list[Received] = field(default_factory=list)
    rtcp: list[bytes] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None
    rtcp_transport: asyncio.BaseTransport | None = None
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
        found = re.search(r"m=audio (\d+)", answer)
        assert found is not None, f"no audio in {answer!r}"
        self.remote = ("127.0.0.1", int(found.group(1)))

    def send_raw(self, data: bytes) -> None:
        assert self.transport is not None and self.remote is not None
        self.transport.sendto(data, self.remote)

    def send_codes(
        self, codes: bytes, *, payload_type: int | None = None, marker: bool = False
    ) -> None:
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

    async def stream(
        self, samples: npt.NDArray[np.int16], *, frame: int = 160, pace: float = 0.02
    ) -> None:
        """Send samples in packets of ``frame`` samples, paced like a phone."""
        start = time.monotonic()
        for index in range(0, len(samples) - frame + 1, frame):
            self.send_codes(encode(samples[index : index + frame], self.law))
            delay = start + (index // frame + 1) * pace - time.monotonic()
            await asyncio.sleep(max(delay, 0))

    def audio(self, law: Law | None = None) -> npt.NDArray[np.int16]:
        codes = b"".join(r.payload for r in self.received if r.payload_type in (0, 8))
        return decode(codes, law or self.law)

    def close(self) -> None:
        for transport in (self.transport, self.rtcp_transport):
            if transport is not None:
                transport.close()


async def open_rtp_peer(law: Law = Law.PCMU) -> RtpPeer:
    """A peer on an even loopback port, its RTCP sink on the port above."""
    loop = asyncio.get_running_loop()
    for _ in range(50):
        transport, peer = await loop.create_datagram_endpoint(
            lambda: RtpPeer(law=law), local_addr=("127.0.0.1", 0)
        )
        peer.transport = transport
        peer.port = transport.get_extra_info("sockname")[1]
        if peer.port % 2 == 0:
            try:
                peer.rtcp_transport, sink = await loop.create_datagram_endpoint(
                    RtcpSink, local_addr=("127.0.0.1", peer.port + 1)
                )
            except OSError:
                transport.close()
                continue
            peer.rtcp = sink.packets
            return peer
        transport.close()
    raise RuntimeError("no even port pair for a test peer")
