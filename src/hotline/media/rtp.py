"""RTP packets and reception statistics (RFC 3550).

``parse_header`` is the hot path: one ``struct`` unpack and a few checks per packet, returning a
plain tuple so the leg can relay or buffer the payload without building objects.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

__all__ = [
    "RTP_HEADER",
    "ReceptionStatistics",
    "RtpError",
    "RtpHeader",
    "build_rtp",
    "parse_header",
]

RTP_HEADER = struct.Struct("!BBHII")
_EXTENSION = struct.Struct("!HH")


class RtpError(ValueError):
    """A datagram that is not a valid RTP packet (RFC 3550 §5.1, appendix A.1 checks)."""


class RtpHeader(NamedTuple):
    """The fields of an RTP fixed header that a leg uses (RFC 3550 §5.1)."""

    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    payload_start: int
    payload_end: int


def parse_header(data: bytes) -> RtpHeader:
    """Validate and parse an RTP header, skipping CSRCs, the extension and padding.

    Raises :class:`RtpError` for a wrong version, a packet shorter than its own header, an
    extension or padding that overruns the packet, or RTCP sent to the RTP port (RFC 5761 §4
    payload types 64-95 with the marker set cover SR/RR).
    """
    if len(data) < 12:
        raise RtpError("shorter than the fixed header")
    first, second, sequence, timestamp, ssrc = RTP_HEADER.unpack_from(data)
    if first >> 6 != 2:
        raise RtpError("version is not 2")
    payload_type = second & 0x7F
    if 72 <= payload_type <= 76:
        raise RtpError("RTCP packet on the RTP port")
    start = 12 + 4 * (first & 0x0F)
    end = len(data)
    if first & 0x10:
        if end < start + 4:
            raise RtpError("extension header overruns the packet")
        _, words = _EXTENSION.unpack_from(data, start)
        start += 4 + 4 * words
    if first & 0x20:
        padding = data[-1]
        if padding == 0:
            raise RtpError("padding length of zero")
        end -= padding
    if start > end:
        raise RtpError("header, extension or padding overrun the packet")
    return RtpHeader(payload_type, second > 0x7F, sequence, timestamp, ssrc, start, end)


def build_rtp(
    *, payload_type: int, sequence: int, timestamp: int, ssrc: int, payload: bytes, marker: bool
) -> bytes:
    """Build an RTP packet with no CSRC, extension or padding (RFC 3550 §5.1)."""
    second = payload_type | (0x80 if marker else 0)
    header = RTP_HEADER.pack(0x80, second, sequence & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc)
    return header + payload


_MAX_DROPOUT = 3000
_MAX_MISORDER = 100
_SEQ_MOD = 1 << 16


class ReceptionStatistics:
    """Sequence tracking, loss and interarrival jitter of one source (RFC 3550 A.1, A.3, A.8).

    A sequence jump beyond the dropout window (a replayed capture, a new SSRC after a
    re-INVITE) restarts the counts instead of reporting thousands of lost packets.
    """

    __slots__ = (
        "_expected_prior",
        "_received_prior",
        "base_seq",
        "cycles",
        "jitter",
        "max_seq",
        "received",
        "restarts",
        "transit",
    )

    def __init__(self) -> None:
        self.max_seq = -1
        self.base_seq = 0
        self.cycles = 0
        self.received = 0
        self.restarts = 0
        self.jitter = 0.0
        self.transit: float | None = None
        self._expected_prior = 0
        self._received_prior = 0

    def update(self, sequence: int, timestamp: int, arrival: float) -> None:
        """Count one packet; ``arrival`` is the arrival time in RTP timestamp units."""
        if self.max_seq < 0:
            self._restart(sequence)
        else:
            delta = (sequence - self.max_seq) % _SEQ_MOD
            if 0 < delta < _MAX_DROPOUT:
                if sequence < self.max_seq:
                    self.cycles += _SEQ_MOD
                self.max_seq = sequence
            elif delta >= _SEQ_MOD - _MAX_MISORDER or delta == 0:
                pass  # duplicate or reordered: counted, not a new maximum
            else:
                self.restarts += 1
                self._restart(sequence)
        self.received += 1
        transit = arrival - timestamp
        if self.transit is not None:
            difference = abs(((transit - self.transit) + (1 << 31)) % (1 << 32) - (1 << 31))
            self.jitter += (difference - self.jitter) / 16.0
        self.transit = transit

    def _restart(self, sequence: int) -> None:
        self.base_seq = sequence
        self.max_seq = sequence
        self.cycles = 0
        self.received = 0
        self._expected_prior = 0
        self._received_prior = 0
        self.transit = None

    @property
    def extended_max(self) -> int:
        """The extended highest sequence number received (RFC 3550 §6.4.1)."""
        return self.cycles + max(self.max_seq, 0)

    @property
    def expected(self) -> int:
        return self.extended_max - self.base_seq + 1 if self.max_seq >= 0 else 0

    @property
    def lost(self) -> int:
        """Cumulative packets lost; negative when duplicates arrived (RFC 3550 A.3)."""
        return self.expected - self.received

    def fraction_lost(self) -> int:
        """Loss since the previous report as a fixed-point fraction of 256 (RFC 3550 A.3)."""
        expected_interval = self.expected - self._expected_prior
        received_interval = self.received - self._received_prior
        self._expected_prior = self.expected
        self._received_prior = self.received
        lost_interval = expected_interval - received_interval
        if expected_interval <= 0 or lost_interval <= 0:
            return 0
        return min(255, (lost_interval << 8) // expected_interval)
