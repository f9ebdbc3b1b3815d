"""RTCP sender and receiver reports (RFC 3550 §6.4) and their parsing.

Only what leg statistics need: SR and RR with report blocks. Other packet types in a compound
packet (SDES, BYE, APP) are skipped by length.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "ReportBlock",
    "RtcpError",
    "RtcpReport",
    "build_report",
    "ntp_timestamp",
    "parse_compound",
]

_HEADER = struct.Struct("!BBH")
_SENDER_INFO = struct.Struct("!IIIII")
_BLOCK = struct.Struct("!IIIIII")
_SR, _RR, _SDES = 200, 201, 202
_NTP_EPOCH_OFFSET = 2208988800


class RtcpError(ValueError):
    """A datagram on the RTCP port that is not a valid compound RTCP packet."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportBlock:
    """One reception report block (RFC 3550 §6.4.1)."""

    ssrc: int
    fraction_lost: int
    cumulative_lost: int
    extended_max: int
    jitter: int
    last_sr: int
    delay_since_last_sr: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RtcpReport:
    """A parsed SR or RR: ``ntp`` is the middle 32 bits of the NTP time for SRs, else None."""

    ssrc: int
    ntp_middle: int | None
    packets_sent: int | None
    octets_sent: int | None
    blocks: tuple[ReportBlock, ...]


def ntp_timestamp(unix_time: float) -> tuple[int, int]:
    """Seconds and fraction of an NTP timestamp (RFC 3550 §4) for a Unix time."""
    seconds = int(unix_time) + _NTP_EPOCH_OFFSET
    fraction = int((unix_time % 1.0) * (1 << 32))
    return seconds & 0xFFFFFFFF, fraction & 0xFFFFFFFF


def build_report(
    *,
    ssrc: int,
    unix_time: float,
    rtp_timestamp: int,
    packets_sent: int,
    octets_sent: int,
    block: ReportBlock | None,
    cname: str,
) -> bytes:
    """A compound RTCP packet: SR (when we sent media) or RR, then SDES CNAME (RFC 3550 §6.1)."""
    blocks = b""
    if block is not None:
        lost = block.cumulative_lost & 0xFFFFFF
        blocks = _BLOCK.pack(
            block.ssrc,
            (block.fraction_lost << 24) | lost,
            block.extended_max & 0xFFFFFFFF,
            block.jitter & 0xFFFFFFFF,
            block.last_sr,
            block.delay_since_last_sr,
        )
    count = 1 if block is not None else 0
    if packets_sent:
        seconds, fraction = ntp_timestamp(unix_time)
        body = struct.pack("!I", ssrc) + _SENDER_INFO.pack(
            seconds, fraction, rtp_timestamp & 0xFFFFFFFF, packets_sent, octets_sent
        )
        kind = _SR
    else:
        body = struct.pack("!I", ssrc)
        kind = _RR
    body += blocks
    report = _HEADER.pack(0x80 | count, kind, len(body) // 4) + body
    return report + _sdes(ssrc, cname)


def _sdes(ssrc: int, cname: str) -> bytes:
    text = cname.encode()[:255]
    item = bytes([1, len(text)]) + text + b"\x00"
    item += b"\x00" * (-len(item) % 4)
    body = struct.pack("!I", ssrc) + item
    return _HEADER.pack(0x81, _SDES, len(body) // 4) + body


def parse_compound(data: bytes) -> list[RtcpReport]:
    """Parse the SR and RR packets of a compound RTCP packet (RFC 3550 §6.1)."""
    reports: list[RtcpReport] = []
    offset = 0
    if len(data) < 4:
        raise RtcpError("shorter than an RTCP header")
    while offset + 4 <= len(data):
        first, kind, words = _HEADER.unpack_from(data, offset)
        if first >> 6 != 2:
            raise RtcpError("version is not 2")
        end = offset + 4 + 4 * words
        if end > len(data):
            raise RtcpError("packet length overruns the datagram")
        if kind in (_SR, _RR):
            reports.append(_parse_report(data[offset + 4 : end], kind, first & 0x1F))
        offset = end
    return reports


def _parse_report(body: bytes, kind: int, count: int) -> RtcpReport:
    need = 4 + (20 if kind == _SR else 0) + 24 * count
    if len(body) < need:
        raise RtcpError("report shorter than its block count")
    (ssrc,) = struct.unpack_from("!I", body)
    ntp_middle = packets = octets = None
    position = 4
    if kind == _SR:
        seconds, fraction, _, packets, octets = _SENDER_INFO.unpack_from(body, 4)
        ntp_middle = ((seconds & 0xFFFF) << 16) | (fraction >> 16)
        position = 24
    blocks = []
    for _ in range(count):
        source, lost_word, highest, jitter, last_sr, delay = _BLOCK.unpack_from(body, position)
        lost = lost_word & 0xFFFFFF
        if lost & 0x800000:
            lost -= 1 << 24
        blocks.append(
            ReportBlock(
                ssrc=source,
                fraction_lost=lost_word >> 24,
                cumulative_lost=lost,
                extended_max=highest,
                jitter=jitter,
                last_sr=last_sr,
                delay_since_last_sr=delay,
            )
        )
        position += 24
    return RtcpReport(
        ssrc=ssrc,
        ntp_middle=ntp_middle,
        packets_sent=packets,
        octets_sent=octets,
        blocks=tuple(blocks),
    )
