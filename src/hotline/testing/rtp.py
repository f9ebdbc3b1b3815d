"""A phone's RTP side for tests: real UDP sockets on loopback, every packet kept as it arrived.

``open_rtp_peer`` binds an even port with a sink for RTCP on the port above it (RFC 3550 §11),
so the server's reports reach a socket instead of drawing ICMP errors. The test sends what it
wants (``send_codes`` moves the peer's own SSRC, sequence number and timestamp along,
``restart_stream`` starts the stream over, ``press`` sends a key as RFC 4733 telephone-events)
and reads ``received``, each packet with its arrival, or ``played``, what a phone plays out of
it. ``connect`` opens a peer and a media service's leg answering its offer.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from hotline.media import LegId, MediaService
from hotline.media.dtmf import TelephoneEventSender
from hotline.media.g711 import Law, decode, encode
from hotline.media.rtp import build_rtp, parse_header

from .voice import Heard, Packet, playout

__all__ = ["Received", "RtcpSink", "RtpPeer", "Wait", "connect", "open_rtp_peer", "paced"]

Wait = Callable[[], Awaitable[None]]  # waits for the time of the next packet
_FRAME = 160  # samples in a 20 ms packet


def paced(pace: float = 0.02) -> Wait:
    """A steady clock from now: each call waits for the next ``pace``; a call made late (the
    loop was busy) returns at once, as a phone sends a late packet at once."""
    due = time.monotonic()

    async def wait() -> None:
        nonlocal due
        due += pace
        await asyncio.sleep(max(due - time.monotonic(), 0))

    return wait


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

    def _send(self, payload: bytes, payload_type: int, timestamp: int, marker: bool) -> None:
        self.sequence = (self.sequence + 1) & 0xFFFF
        self.send_raw(
            build_rtp(
                payload_type=payload_type,
                sequence=self.sequence,
                timestamp=timestamp,
                ssrc=self.ssrc,
                payload=payload,
                marker=marker,
            )
        )

    def send_codes(
        self, codes: bytes, *, payload_type: int | None = None, marker: bool = False
    ) -> None:
        payload_type = self.law.value if payload_type is None else payload_type
        self._send(codes, payload_type, self.timestamp, marker)
        self.timestamp = (self.timestamp + len(codes)) & 0xFFFFFFFF

    async def stream(
        self,
        samples: npt.NDArray[np.int16],
        *,
        frame: int = _FRAME,
        pace: float = 0.02,
        wait: Wait | None = None,
    ) -> None:
        """Send samples in packets of ``frame`` samples, paced like a phone (every ``pace``
        on a steady clock from now, or on the caller's clock ``wait``)."""
        wait = wait or paced(pace)
        for index in range(0, len(samples) - frame + 1, frame):
            self.send_codes(encode(samples[index : index + frame], self.law))
            await wait()

    async def press(
        self,
        key: str,
        event_type: int = 101,
        *,
        duration_ms: int = 100,
        wait: Wait | None = None,
    ) -> int:
        """One key press as RFC 4733 telephone-events (``TelephoneEventSender``), the audio
        muted meanwhile as phones do: a packet every 20 ms, all with the event's timestamp
        and its duration growing, the first with the marker, then the end packet three times
        (§2.5.1). The stream's clock runs on, so the audio after it jumps ahead. Returns how
        many packets (20 ms each) the press took."""
        sender = TelephoneEventSender(duration_ms=duration_ms)
        sender.send(key)
        wait = wait or paced()
        start, packets = self.timestamp, 0
        while (packet := sender.next_packet()) is not None:
            self._send(packet.payload, event_type, start, packet.marker)
            self.timestamp = (self.timestamp + _FRAME) & 0xFFFFFFFF
            packets += 1
            await wait()
        return packets

    def restart_stream(self) -> None:
        """Start the stream over: another SSRC, sequence numbers and timestamps far away (a
        phone replaying a prompt, a border controller switching streams)."""
        self.ssrc ^= 0x5A5A
        self.sequence = (self.sequence + 30_000) & 0xFFFF
        self.timestamp = (self.timestamp + 1_234_567) & 0xFFFFFFFF

    def audio(self, law: Law | None = None) -> npt.NDArray[np.int16]:
        codes = b"".join(r.payload for r in self.received if r.payload_type in (0, 8))
        return decode(codes, law or self.law)

    def played(self, since: float = 0.0) -> Heard:
        """What a phone plays out (by RTP timestamp, ``voice.playout``) of the audio that
        arrived from ``since`` (monotonic) on, and how many of those packets came too late."""
        return playout(
            Packet(r.timestamp, r.arrival, decode(r.payload, self.law))
            for r in self.received
            if r.payload_type == self.law.value and r.arrival >= since
        )

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


async def connect(
    media: MediaService, law: Law = Law.PCMU, *, inband_dtmf: bool = False
) -> tuple[LegId, RtpPeer]:
    """A new peer and a leg answering its offer (``law`` and telephone-events), the peer
    pointed at the leg; the peer is closed if the leg cannot be opened."""
    peer = await open_rtp_peer(law)
    try:
        laws = "0" if law is Law.PCMU else "8"
        leg, answer = await media.open_leg(peer.offer(laws=laws), inband_dtmf=inband_dtmf)
        peer.answered(answer)
    except BaseException:
        peer.close()
        raise
    return leg, peer
