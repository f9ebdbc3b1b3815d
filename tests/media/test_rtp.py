"""RTP header codec and reception statistics (RFC 3550)."""

import struct

import pytest

from hotline.media.rtcp import ReportBlock, RtcpError, build_report, parse_compound
from hotline.media.rtp import ReceptionStatistics, RtpError, build_rtp, parse_header


def test_round_trip_of_a_packet() -> None:
    packet = build_rtp(
        payload_type=8,
        sequence=65535,
        timestamp=2**32 - 1,
        ssrc=0xDEADBEEF,
        payload=b"ab",
        marker=True,
    )
    header = parse_header(packet)
    assert header == (8, True, 65535, 2**32 - 1, 0xDEADBEEF, 12, 14)
    assert packet[header.payload_start : header.payload_end] == b"ab"


def test_csrc_extension_and_padding_are_skipped() -> None:
    packet = bytearray(
        build_rtp(payload_type=0, sequence=1, timestamp=2, ssrc=3, payload=b"", marker=False)
    )
    packet[0] = 0x80 | 0x20 | 0x10 | 1  # padding, extension, one CSRC
    packet += b"CSRC" + struct.pack("!HH", 0xBEDE, 1) + b"EXTN" + b"audio" + b"\x00\x00\x03"
    header = parse_header(bytes(packet))
    assert bytes(packet[header.payload_start : header.payload_end]) == b"audio"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80\x00\x00",
        b"\x40" + bytes(11),  # version 1
        b"\x8f" + bytes(11),  # 15 CSRCs announced, none present
        b"\x90" + bytes(11),  # extension announced, absent
        b"\xa0" + bytes(11) + b"\x00",  # zero padding length
        b"\xa0" + bytes(11) + b"\xff",  # padding longer than the packet
        b"\x80\xc8" + bytes(10),  # an RTCP SR sent to the RTP port
    ],
)
def test_garbage_is_rejected(data: bytes) -> None:
    with pytest.raises(RtpError):
        parse_header(data)


def test_statistics_count_loss_wrap_and_restart() -> None:
    stats = ReceptionStatistics()
    for sequence in [65530, 65531, 65533, 65535, 0, 1, 2]:  # 65532 and 65534 lost
        stats.update(sequence, sequence * 160, sequence * 160)
    assert stats.received == 7
    assert stats.lost == 2
    assert stats.fraction_lost() == (2 << 8) // 9
    stats.update(30000, 0, 0)  # a replayed capture: restart, not 30,000 lost packets
    stats.update(30001, 160, 160)
    assert (stats.received, stats.lost, stats.restarts) == (2, 0, 1)


def test_jitter_grows_with_irregular_arrival() -> None:
    steady, bumpy = ReceptionStatistics(), ReceptionStatistics()
    for index in range(50):
        steady.update(index, index * 160, index * 160 + 1000)
        bumpy.update(index, index * 160, index * 160 + (80 if index % 2 else 0))
    assert steady.jitter == 0
    assert 40 < bumpy.jitter <= 80


def test_rtcp_sender_report_round_trip() -> None:
    block = ReportBlock(
        ssrc=7,
        fraction_lost=12,
        cumulative_lost=-1,
        extended_max=70000,
        jitter=33,
        last_sr=0x12345678,
        delay_since_last_sr=65536,
    )
    data = build_report(
        ssrc=5,
        unix_time=1_700_000_000.5,
        rtp_timestamp=160,
        packets_sent=10,
        octets_sent=1600,
        block=block,
        cname="hotline",
    )
    (report,) = parse_compound(data)
    assert report.ssrc == 5 and report.packets_sent == 10 and report.octets_sent == 1600
    assert report.blocks == (block,)
    assert report.ntp_middle is not None


def test_rtcp_receiver_report_without_blocks_and_garbage() -> None:
    data = build_report(
        ssrc=5, unix_time=0.0, rtp_timestamp=0, packets_sent=0, octets_sent=0, block=None, cname="x"
    )
    (report,) = parse_compound(data)
    assert report.ntp_middle is None and report.blocks == ()
    with pytest.raises(RtcpError):
        parse_compound(b"\x81\xc9\x00\x07" + bytes(8))
