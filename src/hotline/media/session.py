"""The sans-IO state of one RTP leg (RFC 3550): what it receives, what it sends, its counters.

``receive`` is called for every datagram and is kept lean: one header parse, statistics, the
jitter buffer (when the tick needs this leg's frames), the recording's tape (when the leg is
recorded), and, when the leg is relayed to a partner, the rewritten packet for that partner
(the partner's SSRC, sequence and timestamps, so each side sees one continuous stream), handed
to the partner's ``output`` (its socket's send: the one piece of IO, set by the socket). The
first valid packet latches the peer's address (symmetric RTP); packets from elsewhere are then
dropped until a renegotiation unlatches it, but for the peer's own stream arriving from a new
address (its NAT mapping changed), which is followed (:meth:`RtpSession.stranger`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .dtmf import DtmfDigit, TelephoneEventReceiver
from .g711 import Law
from .jitter import JitterBuffer
from .negotiation import NegotiatedAudio
from .recorder import AHEAD, WIDTH, Recorder, Tape
from .rtcp import ReportBlock, RtcpError, build_report, ntp_timestamp, parse_compound
from .rtp import RTP_HEADER, ReceptionStatistics, RtpError, parse_header

__all__ = ["Address", "RtpSession", "SessionCounters"]

Address = tuple[str, int]
_MASK = 0xFFFFFFFF
_HALF = 1 << 31
_RATE = 8000
# A packet whose timestamp is further than this from where real time puts it (arrival jitter
# on the way in) starts a new source stream, as do a new SSRC and a sequence jump.
_TOLERANCE = 480
# Our stream behind real time by more than this (nothing was sent for a while) jumps ahead.
_BEHIND = 80
# Sequence numbers up to this far ahead continue the stream (packets lost on the way), up to
# this far back are reordered (RFC 3550 A.1).
_MAX_DROPOUT = 3000
_MAX_MISORDER = 100
# A reordered packet at most this far behind what we sent keeps its place; further back, the
# source went back in time.
_MAX_LATE = _RATE
# A packet from a new address with the latched stream's SSRC at most this many sequence numbers
# ahead of the newest one is the same stream (20 s of 20 ms packets lost on the way at most).
_MOVE_WINDOW = 1000
_WIDTH_MASK = WIDTH - 1
_PRESENT = b"\x01" * 160  # a 20 ms packet's flags (the common size, built once)
_PACK = RTP_HEADER.pack
_UNPACK = RTP_HEADER.unpack_from


@dataclass(slots=True, kw_only=True)
class SessionCounters:
    """Counters kept per leg and reported as leg statistics."""

    packets_received: int = 0
    packets_sent: int = 0
    octets_sent: int = 0
    bad_packets: int = 0
    strangers: int = 0  # packets from another address than the latched peer's, dropped
    peer_moves: int = 0  # times the peer's stream came from a new address and was followed
    other_payloads: int = 0
    remote_fraction_lost: float = 0.0
    remote_jitter_ms: float = 0.0
    round_trip_ms: float | None = None


class RtpSession:
    """One leg's RTP and RTCP state, driven by datagrams and explicit times."""

    # Slots: read and written for every packet, and more attributes than an instance
    # dictionary's shared keys hold (30), past which every attribute access is a lookup.
    __slots__ = (
        "_audio_pt",
        "_epoch",
        "_event_pt",
        "_jitter_depth",
        "_last_sr",
        "_relay_offset",
        "_relay_sequence",
        "_relay_size",
        "_relay_ssrc",
        "accepts_relay",
        "alaw",
        "audio",
        "buffering",
        "clock_offset",
        "counters",
        "digits",
        "dtmf",
        "jitter",
        "last_received",
        "last_sent",
        "latched",
        "next_timestamp",
        "on_digits",
        "output",
        "relay_to",
        "relayed_octets",
        "relayed_packets",
        "remote",
        "remote_rtcp",
        "remote_ssrc",
        "sequence",
        "silence",
        "ssrc",
        "statistics",
        "tape",
        "tape_late",
        "tape_late_at",
        "tape_late_kept",
        "tape_late_run",
        "tape_marks",
        "tape_recorder",
        "tape_row",
        "tape_shift",
        "tape_start",
        "translate",
    )

    def __init__(
        self,
        *,
        ssrc: int,
        sequence: int,
        timestamp: int,
        audio: NegotiatedAudio | None,
        jitter_depth: int = 320,
    ) -> None:
        self.ssrc = ssrc
        self.sequence = sequence
        self.next_timestamp = timestamp
        # The time and timestamp of our first packet: with the time since, where real time puts
        # our stream (RFC 3550 §5.1: timestamps advance with the sampling clock).
        self._epoch: tuple[float, int] | None = None
        self.counters = SessionCounters()
        self.statistics = ReceptionStatistics()
        self.dtmf = TelephoneEventReceiver()
        self.digits: list[DtmfDigit] = []
        self.remote: Address | None = None
        # Whether ``remote`` was learnt from a packet (symmetric RTP): from then on packets
        # from other addresses are dropped, until a renegotiation unlatches it.
        self.latched = False
        self.remote_rtcp: Address | None = None
        self.last_received: float | None = None
        self.remote_ssrc = 0
        # Whether incoming audio goes into the jitter buffer: only legs whose audio is
        # recorded, mixed or scanned for tones need it; plain relays skip the work.
        self.buffering = True
        self.relayed_packets = 0
        self.relayed_octets = 0
        # Wall-clock time minus the ``now`` values we are given, for RTCP's NTP timestamps.
        self.clock_offset = 0.0
        self.last_sent = 0.0
        self.relay_to: RtpSession | None = None
        # Where packets relayed to this leg go (its socket's send), and who hears of RFC 4733
        # digits as they complete (both set by the leg's socket).
        self.output: Callable[[bytes], object] | None = None
        self.on_digits: Callable[[], None] | None = None
        self.translate: bytes | None = None
        self.accepts_relay = False
        # A recorded leg's row of its recording's tape (see recorder.py): ``tape_start``
        # until the first packet places the stream, then ``tape_row`` with ``tape_shift``
        # mapping RTP timestamps to places in the row.
        self.tape: Tape | None = None  # read by the recorder's slow path only
        self.tape_recorder: Recorder | None = None
        self.tape_start: memoryview | None = None
        self.tape_row: memoryview | None = None
        self.tape_marks: memoryview | None = None  # where packets start on the row (recorder.py)
        self.tape_shift = 0
        self.tape_late = 0  # packets behind the timeline ...
        self.tape_late_kept = 0  # ... of which these were still written in their place
        self.tape_late_run = 0
        self.tape_late_at = 0
        self._relay_ssrc: int | None = None
        self._relay_offset = 0
        self._relay_sequence = 0
        self._relay_size = 160
        self._jitter_depth = jitter_depth
        self._last_sr: tuple[int, float] | None = None
        self.audio: NegotiatedAudio | None = None
        self.jitter = JitterBuffer(silence=0xFF, depth=jitter_depth)
        self.configure(audio)

    def configure(self, audio: NegotiatedAudio | None) -> None:
        """Apply a (re)negotiated stream: law, payload types, where to send, direction."""
        law_changed = self.audio is None or audio is None or audio.law is not self.audio.law
        self.audio = audio
        law = audio.law if audio is not None else Law.PCMU
        # Kept as plain attributes for the tick, which reads them for every recorded leg.
        self.alaw = law is Law.PCMA
        self.silence = bytes([law.silence]) * 160
        if audio is not None and law_changed:
            self.jitter = JitterBuffer(silence=law.silence, depth=self._jitter_depth)
        self.remote = audio.remote if audio is not None else None
        self.latched = False
        if self.remote is not None:
            self.remote_rtcp = (self.remote[0], self.remote[1] + 1)
        self._audio_pt = audio.payload_type if audio else -1
        self._event_pt = audio.telephone_event if audio and audio.telephone_event else -1

    @property
    def packets_sent(self) -> int:
        """Packets we built on the tick plus packets we relayed from the partner."""
        return self.counters.packets_sent + self.relayed_packets

    @property
    def sending(self) -> bool:
        """Whether media may be sent: negotiated, a known address, and not on hold."""
        audio = self.audio
        return audio is not None and self.remote is not None and audio.direction.sends

    def receive(self, data: bytes, source: Address | None, now: float) -> None:
        """Take one RTP datagram; what it relays goes to ``relay_to``'s ``output``.

        ``source`` is where it came from, or None when the socket already passes only the
        latched peer's packets. The first valid packet latches its source as the peer's
        address (symmetric RTP, RFC 4961); later packets from other sources are dropped.

        This runs for every packet of every call, so the common case (a plain header, the
        negotiated audio format, an in-order packet, a partner already relayed to) is written
        out inline; unusual packets take the general paths (:meth:`_receive_other`,
        ``ReceptionStatistics.update``, ``JitterBuffer.push``, :meth:`relayed`).
        """
        if (
            source is not None
            and self.latched
            and source != self.remote
            and not self.stranger(data, source)
        ):
            return
        size = len(data) - 12
        if size <= 0:
            self._receive_other(data, source, now)
            return
        first, second, sequence, timestamp, ssrc = _UNPACK(data)
        # Version 2 without padding, extension or CSRC, carrying the negotiated audio.
        if first != 0x80 or second & 0x7F != self._audio_pt:
            self._receive_other(data, source, now)
            return
        self.last_received = now
        if source is not None and not self.latched:
            self._latch(source)
        payload = data[12:]
        self.remote_ssrc = ssrc
        self.counters.packets_received += 1
        # RFC 3550 A.1 and A.8 for the next packet in order, inline (a wrap of the sequence
        # number is no such packet); anything else takes update(). Transit times are floats
        # in timestamp units.
        stats = self.statistics
        transit = now * _RATE - timestamp
        last = stats.transit
        if sequence == stats.max_seq + 1 and last is not None:
            difference = transit - last
            if difference < 0:
                difference = -difference
            if difference > _HALF:  # the timestamp wrapped around 2**32 between packets
                difference = _MASK + 1 - difference
            stats.max_seq = sequence
            stats.received += 1
            stats.jitter += (difference - stats.jitter) * 0.0625
            stats.transit = transit
        else:
            stats.update(sequence, timestamp, transit + timestamp)
        if self.buffering:
            jitter = self.jitter
            offset = (timestamp - jitter.base) & _MASK
            if offset + size <= jitter.window:
                jitter.buffer[offset : offset + size] = payload
                jitter.present[offset : offset + size] = _PRESENT if size == 160 else b"\x01" * size
                # The packet's wait before play-out (JitterBuffer.arrived, inline).
                wait = offset + 160 - (now - jitter.popped_at) * _RATE
                if wait < jitter.low:
                    jitter.low = wait
                if offset + size > jitter.end:
                    jitter.end = offset + size
            else:
                jitter.push(timestamp, payload, now)
        recorder = self.tape_recorder
        if recorder is not None:  # recorded: tape_start, then tape_row, are set with it
            row = self.tape_row
            if row is not None:
                # The packet's place on the timeline (32 bits, as RTP timestamps: a stream
                # that jumped lands far from the timeline, not somewhere in the ring), then
                # in the ring.
                timeline = (timestamp + self.tape_shift) & _MASK
                place = timeline & _WIDTH_MASK
                ahead = (timeline - recorder.position) & _MASK
                if ahead + size <= AHEAD and place + size <= WIDTH:
                    row[place : place + size] = payload
                    # One mark where the packet starts: its length in 8-sample units.
                    self.tape_marks[place] = (size + 7) >> 3  # type: ignore[index]
                else:
                    recorder.place(self, timestamp, payload)
            elif self.tape_start is not None:
                recorder.begin(self, timestamp, payload)
        target = self.relay_to
        if target is None or not target.accepts_relay:
            return
        out = (timestamp + target._relay_offset) & _MASK
        if ssrc != target._relay_ssrc or out != target.next_timestamp:
            # Not the next packet of the same stream: lost or reordered packets, a talk-spurt
            # after silence, or a new source stream (relayed() tells them apart).
            packet = target.relayed(ssrc, sequence, timestamp, second > 0x7F, payload, now)
        else:
            if target.translate is not None:
                payload = payload.translate(target.translate)
            target._relay_sequence = sequence
            target.sequence = sequence = (target.sequence + 1) & 0xFFFF
            target.next_timestamp = (out + size) & _MASK
            target.last_sent = now
            target.relayed_packets += 1
            target.relayed_octets += size
            packet = _PACK(0x80, target._audio_pt | second & 0x80, sequence, out, target.ssrc)
            packet += payload
        output = target.output
        if output is not None:
            try:
                output(packet)
            except OSError:  # the partner's peer went away (ICMP port unreachable) or is slow
                return

    def _latch(self, source: Address) -> None:
        """Answer where the packets come from (symmetric RTP, RFC 4961), RTCP included: the
        port above until the peer's own RTCP says where it comes from (behind a NAT the SDP's
        address reaches nobody)."""
        self.remote = source
        self.remote_rtcp = (source[0], source[1] + 1)
        self.latched = True

    def stranger(self, data: bytes, source: Address) -> bool:
        """A packet from ``source`` while another address is latched: True if it is the peer's.

        The peer's stream arriving from a new address is the same phone whose NAT mapping
        changed (a router restarted, a carrier's NAT moved it, an idle mapping expired while
        the call was on hold): ``remote`` moves there and the call goes on, where a strict
        receiver would drop the phone's packets until the call timed out. The same stream
        means its SSRC and a sequence number just ahead of the newest received, which only
        the path between the phone and us sees: RTP injection and a stale call's bleed
        cannot take a leg over (following any new source is how RTP bleed hit Asterisk).
        Anything else is counted as a stranger and dropped.
        """
        if source == self.remote:
            return True  # already followed (read from the strangers' socket after the move)
        if len(data) >= 12 and self.counters.packets_received:
            first, _, sequence, _, ssrc = _UNPACK(data)
            ahead = (sequence - self.statistics.max_seq) & 0xFFFF
            if first & 0xC0 == 0x80 and ssrc == self.remote_ssrc and 0 < ahead <= _MOVE_WINDOW:
                self._latch(source)
                self.counters.peer_moves += 1
                return True
        self.counters.strangers += 1
        return False

    def _receive_other(self, data: bytes, source: Address | None, now: float) -> None:
        """Any packet but plain audio: a header with extras, an event, another format."""
        try:
            payload_type, _, _, _, _, start, end = parse_header(data)
        except RtpError:
            self.counters.bad_packets += 1
            return
        self.last_received = now
        if source is not None and not self.latched:
            self._latch(source)
        if payload_type == self._audio_pt and end > start:
            # Padding, an extension or CSRCs: the same audio behind a plain header.
            header = _PACK(0x80, data[1], *_UNPACK(data)[2:])
            self.receive(header + data[start:end], None, now)
        elif payload_type in (self._audio_pt, self._event_pt):
            _, _, sequence, timestamp, _ = _UNPACK(data)
            self.counters.packets_received += 1
            self.statistics.update(sequence, timestamp, now * _RATE)
            if payload_type == self._event_pt:
                self.digits += self.dtmf.receive(data[start:end], timestamp=timestamp, now=now)
                if self.digits and self.on_digits is not None:
                    self.on_digits()
        else:
            self.counters.other_payloads += 1  # comfort noise or a format we did not negotiate

    def take_frame(self, now: float) -> bytearray | None:
        """Once per tick: the next 20 ms of received codes (None if nothing arrived for it)."""
        return self.jitter.pop(now)

    def relayed(
        self, ssrc: int, sequence: int, timestamp: int, marker: bool, payload: bytes, now: float
    ) -> bytes:
        """Rewrite a partner's packet as ours, our timestamps advancing with real time.

        This is a translator's job (RFC 3550 §7.2, RFC 7667 §3.2.1): whatever the source does
        (a new SSRC, a sequence or timestamp jump either way, a pause), the stream we send
        goes on with our SSRC, our next sequence number and the timestamp real time gives it,
        and the marker bit flags the change; the source's own timing is kept within a stream.
        """
        out = (timestamp + self._relay_offset) & _MASK
        late = (self.next_timestamp - out) & _MASK
        if ssrc != self._relay_ssrc or not self._continues(sequence, out, now):
            out = self.position(now)
            self._relay_ssrc = ssrc
            self._relay_offset = (out - timestamp) & _MASK
            marker = True
            late = 0
        if self.translate is not None:
            payload = payload.translate(self.translate)
        self.sequence = (self.sequence + 1) & 0xFFFF
        if not 0 < late <= _MAX_LATE:  # a reordered packet keeps its place, not our clock
            self._relay_sequence = sequence
            self._relay_size = len(payload)
            self.next_timestamp = (out + len(payload)) & _MASK
            self.last_sent = now
            if self._epoch is None:
                self._epoch = (now, out)
        counters = self.counters
        counters.packets_sent += 1
        counters.octets_sent += len(payload)
        return (
            _PACK(0x80, self._audio_pt | (0x80 if marker else 0), self.sequence, out, self.ssrc)
            + payload
        )

    def _continues(self, sequence: int, out: int, now: float) -> bool:
        """Whether a packet that is not the next in line still belongs to the relayed stream."""
        ahead = (sequence - self._relay_sequence) & 0xFFFF
        step = ((out - self.next_timestamp + _HALF) & _MASK) - _HALF  # samples past contiguous
        if ahead == 0 or ahead >= 0x10000 - _MAX_MISORDER:  # a copy, or overtaken on the way
            return -_MAX_LATE <= step < 0
        if ahead > _MAX_DROPOUT:
            return False
        if step == (ahead - 1) * self._relay_size:  # packets lost, the source's clock kept
            return True
        # A talk-spurt after silence suppression skips the silence: as much as real time did.
        expected = ((self.position(now) - self.next_timestamp + _HALF) & _MASK) - _HALF
        return abs(step - expected) <= _TOLERANCE

    def position(self, now: float) -> int:
        """Our stream's timestamp for a packet sent ``now``: the next one in line, unless
        real time has run further ahead (nothing was sent for a while). Measured from our
        first packet, so that many changes of what we send add up to no drift."""
        epoch = self._epoch
        if epoch is None:
            return self.next_timestamp
        position = (epoch[1] + int((now - epoch[0]) * _RATE)) & _MASK
        behind = ((position - self.next_timestamp + _HALF) & _MASK) - _HALF
        return position if behind > _BEHIND else self.next_timestamp

    def restart_relay(self) -> None:
        """Forget the relayed stream's timestamp mapping (the partner or the mode changed)."""
        self._relay_ssrc = None

    def packet(
        self,
        payload: bytes,
        now: float,
        *,
        event: bool = False,
        marker: bool = False,
        timestamp: int | None = None,
    ) -> bytes:
        """Our next RTP packet carrying ``payload`` (audio, or a telephone-event when ``event``).

        ``now`` is the tick's due time, so ticks that run late keep contiguous timestamps.
        After a pause in sending, the timestamp jumps by the time elapsed and the marker bit
        flags the start of a talk-spurt (RFC 3551 §4.1).
        """
        if not self.last_sent:
            marker = not event or marker
        else:
            position = self.position(now)
            if position != self.next_timestamp:
                # Nothing was sent for a while (hold, silence, a relay that stopped, skipped
                # ticks): the timestamp jumps as far as real time did.
                self.next_timestamp = position
                marker = not event or marker  # an event's marker belongs to its first packet
        self.last_sent = now
        if self._epoch is None:
            self._epoch = (now, self.next_timestamp)
        stamp = self.next_timestamp if timestamp is None else timestamp
        payload_type = self._event_pt if event else self._audio_pt
        self.sequence = (self.sequence + 1) & 0xFFFF
        # Events keep one timestamp for their whole duration (RFC 4733 §2.5.1.1), while the
        # stream's own clock runs on, so audio after the event does not overlap it.
        advance = 160 if event else len(payload)
        self.next_timestamp = (self.next_timestamp + advance) & _MASK
        self.counters.packets_sent += 1
        self.counters.octets_sent += len(payload)
        second = payload_type | (0x80 if marker else 0)
        return _PACK(0x80, second, self.sequence, stamp, self.ssrc) + payload

    def receive_rtcp(self, data: bytes, source: Address, now: float) -> None:
        """Take a compound RTCP packet: remember SR times, read the peer's view of our stream.

        Once RTP has latched the peer, RTCP from another host is a stranger's, dropped: it
        would steer our reports away and, counting as activity, keep a dead call from timing
        out. The port may differ (a NAT maps RTCP on its own).
        """
        remote = self.remote
        if self.latched and remote is not None and source[0] != remote[0]:
            self.counters.strangers += 1
            return
        try:
            reports = parse_compound(data)
        except RtcpError:
            self.counters.bad_packets += 1
            return
        self.remote_rtcp = source
        self.last_received = now
        for report in reports:
            if report.ntp_middle is not None:
                self._last_sr = (report.ntp_middle, now)
            for block in report.blocks:
                if block.ssrc == self.ssrc:
                    self._read_block(block, now)

    def _read_block(self, block: ReportBlock, now: float) -> None:
        counters = self.counters
        counters.remote_fraction_lost = block.fraction_lost / 256
        counters.remote_jitter_ms = block.jitter / 8
        if block.last_sr:
            # RFC 3550 §6.4.1: RTT = A - LSR - DLSR, in 1/65536 s units of the NTP middle word.
            arrival = _ntp_middle(now + self.clock_offset)
            delta = (arrival - block.last_sr - block.delay_since_last_sr) & _MASK
            if delta < 65536 * 10:
                counters.round_trip_ms = delta / 65.536

    def rtcp_report(self, now: float, cname: str) -> bytes:
        """Our SR (or RR when we have not sent) with one report block (RFC 3550 §6.4)."""
        block = None
        stats = self.statistics
        if stats.received:
            last_sr, delay = 0, 0
            if self._last_sr is not None:
                last_sr = self._last_sr[0]
                delay = int((now - self._last_sr[1]) * 65536)
            block = ReportBlock(
                ssrc=self.remote_ssrc,
                fraction_lost=stats.fraction_lost(),
                cumulative_lost=max(stats.lost, 0),
                extended_max=stats.extended_max,
                jitter=int(stats.jitter),
                last_sr=last_sr,
                delay_since_last_sr=delay,
            )
        return build_report(
            ssrc=self.ssrc,
            unix_time=now + self.clock_offset,
            rtp_timestamp=self.next_timestamp,
            packets_sent=self.packets_sent,
            octets_sent=self.counters.octets_sent + self.relayed_octets,
            block=block,
            cname=cname,
        )


def _ntp_middle(unix_time: float) -> int:
    """The middle 32 bits of the NTP timestamp of a Unix time (RFC 3550 §4)."""
    seconds, fraction = ntp_timestamp(unix_time)
    return ((seconds & 0xFFFF) << 16) | (fraction >> 16)
