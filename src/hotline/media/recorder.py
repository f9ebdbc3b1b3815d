"""Recording a bridge to a stereo WAV: caller on the left channel, agent on the right.

A bridge's recording holds a *tape*: one row of G.711 codes per recorded leg, a second long,
used as a ring. Each received packet's payload is copied straight into its leg's row at the
place its RTP timestamp maps to on the media clock's timeline (one slice assignment on the
per-packet path, see :meth:`~hotline.media.session.RtpSession.receive`), so the 20 ms tick does
no work per recorded call at all: it only advances the timeline. Every ``flush_ticks`` ticks
each recording decodes what the timeline has passed since its last write, interleaves the
channels and appends it to its file in one write; recordings are spread over those ticks so
that no tick writes them all. The first packet of a leg (and a stream that jumped) is placed
``DEPTH`` samples ahead of the timeline, which absorbs that much network jitter (a stream that
replaces another goes on right after the old one's audio still ahead, if any). A packet
later than that, up to ``_LATE`` behind the timeline, is still written in its place if the file
has not had that place yet (writes trail the timeline by up to ``flush_ticks`` frames) and no
packet of the stream covers any of it already; other late packets are dropped, and a run of
them is a stream that moved back in time, placed anew. A frame that never came between frames
that did is concealed (``plc``) when it is written: a packet marks only where it starts (and
how long it is), so that a write of 20 ms packets with none missing, the common case, costs
a count of marks per leg.

A kill loses at most one flush interval (0.5 s by default) plus what the OS has not written;
the WAV header is repaired on the next start (:func:`~hotline.media.wav.repair_folder`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from .g711 import ALAW_SILENCE, DECODE_BOTH, ULAW_SILENCE
from .plc import AHEAD_FRAMES, Concealer, conceal_frames
from .wav import RATE, WavWriter

__all__ = ["AHEAD", "DEPTH", "WIDTH", "Recorder", "Recording", "Tape"]

# About a second of codes per recorded leg: half a second waiting for its write, the rest
# ahead. A power of two divides 2**32, so RTP timestamps wrapping around stay contiguous.
WIDTH = 8192
# Packets up to this far ahead of the timeline are placed; further is a new stream (resync).
AHEAD = 1600
# RTP timestamps map to the timeline modulo 2**32: a new stream or a jump lands far from it.
_MASK = 0xFFFFFFFF
# Where a new stream starts, ahead of the timeline: the network jitter a recording absorbs.
DEPTH = 320
# Packets this far behind the timeline are late: written if their place is not yet (and free),
# else dropped; a run of dropped ones is a stream that moved back in time, which is followed.
_LATE = 1600
# The longest packet a mark tells (its length in 8-sample units is a byte): how far before a
# place the marks of packets that may cover it start.
_LONGEST_MARK = 255 * 8
_LATE_BEFORE_RESYNC = 3
_LATE_RUN_SPAN = 5 * 160
_FRAME = 160
_MARK_20MS = (_FRAME + 7) >> 3  # a 20 ms packet's mark: its length in 8-sample units
_NO_MARKS = memoryview(bytes(WIDTH))


@functools.cache
def _stereo_table(left_alaw: bool, right_alaw: bool) -> npt.NDArray[np.uint32]:
    """For ``left | right << 8`` (two G.711 codes), the stereo frame of their samples as
    little-endian int16 pairs."""
    codes = np.arange(1 << 16)
    left = DECODE_BOTH[int(left_alaw)][codes & 0xFF].astype(np.uint32) & 0xFFFF
    right = DECODE_BOTH[int(right_alaw)][codes >> 8].astype(np.uint32) & 0xFFFF
    table: npt.NDArray[np.uint32] = (left | right << 16).astype("<u4")
    return table


class TapedSession(Protocol):
    """What the recorder reads and sets on a leg's RTP session (``session.RtpSession``):
    declared here so the session may import the recorder and not the other way round."""

    alaw: bool
    tape: Tape | None
    tape_recorder: Recorder | None
    tape_start: memoryview | None
    tape_row: memoryview | None
    tape_shift: int
    tape_late: int
    tape_late_kept: int
    tape_late_run: int
    tape_late_at: int
    tape_marks: memoryview | None


@dataclass(eq=False, slots=True)
class Tape:
    """A recording's rows of codes, one per leg, placed by RTP timestamp; ``marks`` holds,
    where a packet starts, its length in 8-sample units (see ``_mark``), so that the frames
    between that never came are concealed."""

    sessions: tuple[TapedSession, TapedSession]
    codes: npt.NDArray[np.uint8]
    written: int  # the timeline position (in samples) up to which the file is written
    marks: tuple[bytearray, bytearray] = field(
        default_factory=lambda: (bytearray(WIDTH), bytearray(WIDTH))
    )
    # How far each row's last packet written reaches past the write (samples): packets of a
    # stream not aligned with the 20 ms frames overhang, the next write starts covered.
    overhang: list[int] = field(default_factory=lambda: [0, 0])
    concealers: tuple[Concealer, Concealer] = field(
        default_factory=lambda: (Concealer(), Concealer())
    )
    # The stereo samples last written: the history a loss at the start of the next write needs.
    written_samples: npt.NDArray[np.int16] = field(
        default_factory=lambda: np.zeros((3 * _FRAME, 2), np.int16)
    )

    def silence(self) -> npt.NDArray[np.uint8]:
        """Each row's silence code (a column, to broadcast along the row)."""
        values = [ALAW_SILENCE if s.alaw else ULAW_SILENCE for s in self.sessions]
        return np.array(values, np.uint8).reshape(-1, 1)


@dataclass(eq=False, slots=True, kw_only=True)
class Recording:
    """One recording (a bridge's stereo, or a leg's mono); while ``paused`` nothing is
    written (card numbers stay out)."""

    recording_id: int
    writer: WavWriter
    paused: bool = False
    tape: Tape | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return self.writer.path

    @property
    def seconds(self) -> float:
        return self.writer.data_size / (2 * self.writer.channels * RATE)


class Recorder:
    """The recordings' timeline and their staggered writes.

    ``position`` counts the samples the media clock has passed (160 a tick): the timeline
    sessions place packets on (in 32 bits, as RTP timestamps; ``position % WIDTH`` in a tape's
    ring).
    """

    def __init__(self, flush_ticks: int = 25) -> None:
        self.flush_ticks = flush_ticks
        self.position = 0
        self._ticks = 0
        self._slots: list[list[Recording]] = [[] for _ in range(flush_ticks)]

    # -- recordings --------------------------------------------------------------------------

    def attach(self, recording: Recording, left: TapedSession, right: TapedSession) -> None:
        """Start taping what ``left`` and ``right`` receive into ``recording``'s channels."""
        sessions = (left, right)
        codes = np.empty((2, WIDTH), np.uint8)
        tape = Tape(sessions, codes, self.position)
        codes[:] = tape.silence()
        recording.tape = tape
        for row, session in enumerate(sessions):
            session.tape = tape
            session.tape_recorder = self
            session.tape_start = memoryview(codes[row])  # placed by its first packet
            session.tape_row = None
            session.tape_marks = memoryview(tape.marks[row])
        min(self._slots, key=len).append(recording)

    def detach(self, recording: Recording) -> None:
        """Write what is left and stop taping (the file stays open).

        What is left runs past the timeline as far as the last packets were placed (``DEPTH``
        at least): a recording stopped at the hang-up must keep the last words.
        """
        tape = recording.tape
        if tape is None:
            return
        reach = max(DEPTH, *(self._audio_ahead(marks) for marks in tape.marks))
        self.flush(recording, self.position + reach)
        for slot in self._slots:
            if recording in slot:
                slot.remove(recording)
        for session in tape.sessions:
            session.tape_row = session.tape_start = session.tape_recorder = None
            session.tape_marks = session.tape = None
        recording.tape = None

    def set_paused(self, recording: Recording, paused: bool) -> None:
        """Pause or resume at this tick: what came before is written (or dropped) first."""
        self.flush(recording)
        recording.paused = paused

    def blank(self, recording: Recording) -> None:
        """Refill the tape with silence (after a leg's law changed, so that its codes do
        not mean other samples now)."""
        if recording.tape is not None:
            recording.tape.codes[:] = recording.tape.silence()

    # -- the tick ----------------------------------------------------------------------------

    def tick(self) -> None:
        """Advance the timeline by one frame and write this tick's share of recordings."""
        self.position += _FRAME
        self._ticks += 1
        for recording in self._slots[self._ticks % self.flush_ticks]:
            self.flush(recording)

    def flush(self, recording: Recording, until: int | None = None) -> None:
        """Append the audio the timeline passed since the last write (or up to ``until``),
        then blank it."""
        tape = recording.tape
        if tape is None:
            return
        start, stop = tape.written, self.position if until is None else until
        if stop <= start:
            return
        tape.written = stop
        count = min(stop - start, WIDTH)
        first = (stop - count) % WIDTH
        pieces = [(first, min(first + count, WIDTH))]
        if first + count > WIDTH:
            pieces.append((0, first + count - WIDTH))
        codes = tape.codes
        if not recording.paused:
            caller, agent = tape.sessions
            # Both channels' codes of a sample as one 16-bit index into a table of both
            # channels' samples: decoding and interleaving in one lookup.
            index = np.empty(count, np.uint16)
            done = 0
            for a, b in pieces:
                part = index[done : done + b - a]
                part[:] = codes[1, a:b]
                part <<= 8
                part |= codes[0, a:b]
                done += b - a
            table = _stereo_table(caller.alaw, agent.alaw)
            stereo = table.take(index)
            _conceal(tape, pieces, stereo)
            recording.writer.write(stereo.tobytes())
        silence = tape.silence()
        for a, b in pieces:
            codes[:, a:b] = silence
            for marks in tape.marks:
                marks[a:b] = _NO_MARKS[: b - a]

    # -- placing packets (the per-packet path's slow cases) ----------------------------------

    def begin(self, session: TapedSession, timestamp: int, payload: bytes) -> None:
        """A taped leg's first packet: map its timestamps to ``DEPTH`` ahead of the timeline."""
        session.tape_row, session.tape_start = session.tape_start, None
        self._resync(session, timestamp, payload)

    def place(self, session: TapedSession, timestamp: int, payload: bytes) -> None:
        """A packet the inline path could not place: it wraps around the ring, it is late,
        or its stream jumped."""
        size = len(payload)
        timeline = (timestamp + session.tape_shift) & _MASK
        position = timeline % WIDTH
        ahead = (timeline - self.position) & _MASK
        if ahead + size <= AHEAD:
            self._write(session, position, payload)
            session.tape_late_run = 0
        elif ahead >= _MASK + 1 - _LATE:
            session.tape_late += 1
            if _unwritten_and_free(session, self.position + ahead - (_MASK + 1), size):
                # Jitter past the depth: the next write plays it instead of concealing it.
                # It does not count towards a run: it went where its stream still is.
                session.tape_late_kept += 1
                self._write(session, position, payload)
                return
            # Late packets far apart are jitter; a run of them within a few frames is a
            # stream that moved back in time (or a phone whose clock runs slow), followed.
            if self.position - session.tape_late_at > _LATE_RUN_SPAN:
                session.tape_late_run = 0
            session.tape_late_at = self.position
            session.tape_late_run += 1
            if session.tape_late_run >= _LATE_BEFORE_RESYNC:
                self._resync(session, timestamp, payload)
        else:
            self._resync(session, timestamp, payload)

    def _resync(self, session: TapedSession, timestamp: int, payload: bytes) -> None:
        timeline = (self.position + self._follow_on(session)) & _MASK
        session.tape_shift = (timeline - timestamp) & _MASK
        session.tape_late_run = 0
        self._write(session, timeline % WIDTH, payload)

    def _follow_on(self, session: TapedSession) -> int:
        """How far ahead of the timeline a stream placed anew starts: right after the audio of
        the stream before it still on the tape ahead, so that nothing is cut and no gap opens
        (its packets came a tick earlier or later than the timeline foresaw); ``DEPTH`` if
        there is none, or too little to absorb any jitter."""
        marks = session.tape_marks
        end = 0 if marks is None else self._audio_ahead(marks)
        return end if _FRAME <= end <= AHEAD - _FRAME else DEPTH

    def _audio_ahead(self, marks: memoryview | bytearray) -> int:
        """How far ahead of the timeline a row's packets reach (samples; 0: none)."""
        ahead = np.frombuffer(marks, np.uint8)[(self.position + np.arange(AHEAD)) % WIDTH]
        starts = np.flatnonzero(ahead)
        return int((starts + ahead[starts].astype(np.int64) * 8).max(initial=0))

    @staticmethod
    def _write(session: TapedSession, position: int, payload: bytes) -> None:
        row, marks = session.tape_row, session.tape_marks
        assert row is not None and marks is not None
        size = len(payload)
        first = min(size, WIDTH - position)
        row[position : position + first] = payload[:first]
        marks[position] = min((size + 7) >> 3, 255)  # as the inline path (session.py) marks
        if first < size:
            row[: size - first] = payload[first:]


def _unwritten_and_free(session: TapedSession, start: int, size: int) -> bool:
    """Whether ``size`` samples of ``session``'s row from timeline position ``start`` on are
    still to be written and no packet placed already covers any of them (a packet of a
    stream that moved back in time must not overwrite what is there)."""
    tape = session.tape
    assert tape is not None
    row = 0 if tape.sessions[0] is session else 1
    # The last packet written may reach past the write: its mark went with the write.
    if start < tape.written + tape.overhang[row]:
        return False
    # A packet that starts before it covers it if its mark reaches that far (the write cleared
    # the marks before ``written``). Positions are taken modulo the ring, which may wrap here.
    first = max(tape.written, start - _LONGEST_MARK)
    marks = np.frombuffer(tape.marks[row], np.uint8)[np.arange(first, start + size) % WIDTH]
    starts = np.flatnonzero(marks)
    return not np.any(starts + marks[starts].astype(np.int64) * 8 > start - first)


def _conceal(tape: Tape, pieces: list[tuple[int, int]], stereo: npt.NDArray[np.uint32]) -> None:
    """Conceal each channel's frames that never came (G.711 Appendix I, ``plc``), in place.

    Only the marks are looked at where nothing is missing: 20 ms packets that fill the write,
    a stream that sent nothing (it has not begun, or is on hold) and one that begins in the
    write and then sends every packet.
    """
    samples = stereo.view("<i2").reshape(-1, 2)
    before, count = tape.written_samples, len(samples)
    for channel, concealer in enumerate(tape.concealers):
        row = tape.marks[channel]
        full = sum(row.count(_MARK_20MS, a, b) for a, b in pieces) * _FRAME
        if full == count:  # contiguous packets, nothing missing
            concealer.resume()  # its history is in ``written_samples`` for the next loss
            continue
        marks = b"".join(row[a:b] for a, b in pieces)
        begins = len(marks) - len(marks.lstrip(b"\x00"))
        if begins == len(marks) or (concealer.quiet and full == count - begins):
            continue  # nothing came (stopped, on hold), or the stream began and lost nothing
        covered = _covered(np.frombuffer(marks, np.uint8), tape.overhang[channel])
        tape.overhang[channel] = overhang = max(len(covered) - count, 0)
        covered = covered[:count]
        # The frames just after the write are on the tape already (packets are placed ahead
        # of the timeline): a loss at the write's end is bridged into them.
        after, after_covered = _ahead(tape, channel, pieces[-1][1] % WIDTH, overhang)
        frames = count // _FRAME
        # A frame missing any part is made up whole, then what did come is put back (packets
        # that are not 20 ms long end within frames).
        both = np.concatenate((covered[: frames * _FRAME], after_covered))
        received = np.logical_and.reduce(both.reshape(-1, _FRAME), axis=1)
        channel_samples = samples[:, channel]
        came = channel_samples.copy()
        extended = np.concatenate((channel_samples[: frames * _FRAME], after))
        conceal_frames(concealer, extended, received, before[:, channel], ahead=AHEAD_FRAMES)
        channel_samples[: frames * _FRAME] = extended[: frames * _FRAME]
        np.copyto(channel_samples, came, where=covered)
    # A copy of the last frames only (after concealment: the history of a loss to come):
    # holding on to the whole write would keep its buffer alive until the next one.
    tape.written_samples = samples[-3 * _FRAME :].copy()


def _ahead(
    tape: Tape, channel: int, start: int, overhang: int
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.bool_]]:
    """The ``AHEAD_FRAMES`` frames of a channel's tape from ring position ``start`` on
    (decoded), and which of their samples came."""
    places = (start + np.arange(AHEAD_FRAMES * _FRAME)) % WIDTH
    alaw = int(tape.sessions[channel].alaw)
    samples = DECODE_BOTH[alaw][tape.codes[channel, places]]
    marks = np.frombuffer(tape.marks[channel], np.uint8)[places]
    return samples, _covered(marks, overhang)[: len(places)]


def _covered(marks: npt.NDArray[np.uint8], overhang: int) -> npt.NDArray[np.bool_]:
    """Which samples of a write its packets filled (and how far past it, the array's length
    beyond the write's): each mark covers its packet's length from where it stands."""
    starts = np.flatnonzero(marks)
    ends = starts + marks[starts].astype(np.int64) * 8
    covered = np.zeros(max(len(marks), int(ends.max(initial=0))), np.bool_)
    covered[:overhang] = True
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        covered[start:end] = True
    return covered
