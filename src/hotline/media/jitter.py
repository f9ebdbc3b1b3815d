"""An adaptive jitter buffer that re-frames G.711 payloads into 20 ms frames.

G.711 has one byte per sample, so re-framing packets of 10 to 60 ms is byte arithmetic: each
payload is written at its RTP timestamp into a window of codes, and each tick takes the next
160 bytes; a parallel window of flags says which codes arrived, so that a frame that never came
is concealed (``plc``) rather than played as silence.

The play-out delay adapts to the jitter measured (the approach of most phones' adaptive
buffers): every packet's *wait* (how long before its play-out it arrived) is noted; a packet
that arrives after its time (its frame was concealed) is late: it is played next and the delay
grows at once by the whole frames it missed by (a packet far later is dropped); when the
shortest wait of the last second leaves more than a margin spare, the delay shrinks by 10 ms
at the next quiet moment (or after a few seconds anyway), down to the configured delay, so a
calm network gets its low delay back.

Losses are bridged best from both sides (``plc``), which needs the frame after a lost one to be
here when the lost one is due. So a loss that had to be carried on blind (the next frame came,
in time for the tick after) makes the buffer wait a frame longer, the gap growing by a frame
bridged to the speech after it; and while the stream keeps losing packets (a loss in the last
ten seconds) the delay shrinks only as far as keeps that frame of look-ahead. A clean stream
pays nothing for it.

A timestamp far outside the window (a new SSRC, a replayed capture, a peer that restarted)
starts the new stream right after the audio still buffered (or in the slot due next, if that
ran out a moment ago), so that nothing is cut, nothing overlaps and no gap opens: on the way
in, the translator behaviour RFC 3550 §8.2 asks for when a source changes.

The RTP session writes in-window payloads into ``buffer`` and ``present`` itself and notes the
packet's wait (the per-packet hot path, see :meth:`~hotline.media.session.RtpSession.receive`)
and calls :meth:`push` otherwise.
"""

from __future__ import annotations

import numpy as np

from .g711 import DECODE_BOTH
from .plc import AHEAD_FRAMES

__all__ = ["FRAME_SAMPLES", "JitterBuffer"]

FRAME_SAMPLES = 160
RATE = 8000
_HALF = 1 << 31
_MASK = 0xFFFFFFFF
_LATE_BEFORE_RESYNC = 3
# Packets up to one second behind the play-out point are late; further back is a new stream.
_LATE_LIMIT = 8000
# The wait kept in reserve beyond the worst one measured (8 ms), the longest delay, and the
# most a packet may miss its turn by for the delay to grow to play it.
MARGIN = 64
_MAX_DEPTH = 1600
_GROW_LIMIT = 480
# The delay is looked at every second and shrinks this many samples at a time, at a quiet
# moment (peak under _QUIET), or at any moment after _FORCE_TICKS of waiting for one.
_REVIEW_TICKS = 50
_SHRINK_STEP = 80
_QUIET = 600
_FORCE_TICKS = 250
# A stream that lost a packet this recently (ticks) keeps a frame of look-ahead.
_LOSS_MEMORY = 500
# A new stream whose first packet comes within this long (samples) of the old one's last
# audio running out follows on from it.
_FOLLOW_ON = 3 * FRAME_SAMPLES
# What the frame taken last was, when it never came: a gap before audio that is here, or a
# blind one (nothing after it was here); settled at the next tick.
_GAP = 1
_BLIND = 2
_PRESENT = b"\x01" * 8000


class JitterBuffer:
    """Holds incoming audio for an adaptive play-out delay (``depth`` samples to start).

    ``push`` is called per packet, ``pop`` once per 20 ms tick with the tick's time. Until
    the first packet, ``window`` is 0 so that every in-window test fails and ``push`` starts
    the stream.
    """

    __slots__ = (
        "_began",
        "_floor",
        "_late_run",
        "_lost_at",
        "_missing_run",
        "_shrink",
        "_silence",
        "_size",
        "_suspect",
        "_ticks",
        "_waited",
        "alaw",
        "base",
        "buffer",
        "concealed",
        "depth",
        "discarded",
        "end",
        "late",
        "low",
        "partial",
        "popped_at",
        "present",
        "resyncs",
        "window",
    )

    def __init__(self, *, silence: int, depth: int = 320, window: int = 3200) -> None:
        self._silence = bytes([silence]) * FRAME_SAMPLES
        self.alaw = silence == 0xD5
        self.depth = depth
        self._floor = depth  # the configured delay: grown beyond on jitter, never shrunk below
        self._size = window
        self.window = 0
        self.buffer = bytearray(bytes([silence]) * window)
        self.present = bytearray(window)
        self.base = 0
        self.end = 0
        self._late_run = 0
        self.late = 0  # arrived after their play-out time: the delay grew to play them
        self.discarded = 0  # arrived too late to be played at all
        self.resyncs = 0
        self.concealed = 0  # frames missing between frames that came (to be concealed)
        # The frame popped last, when only part of it came: its codes and which of them came.
        self.partial: tuple[bytearray, bytes] | None = None
        # Whether a frame that came was taken since the stream started afresh: the frames of
        # the delay before it are no loss.
        self._began = False
        self._suspect = 0  # _GAP or _BLIND: the frame taken last never came (see _settle)
        self._missing_run = 0  # frames taken in a row that never came
        self._lost_at = -_LOSS_MEMORY  # the tick of the last loss
        # The shortest wait (samples) of a packet since the last look, and when the last
        # frame was taken (the tick's time).
        self.low = float(_MAX_DEPTH)
        self.popped_at = 0.0
        self._ticks = 0
        self._shrink = 0  # samples to play less at the next quiet moment
        self._waited = 0

    @property
    def delay_ms(self) -> float:
        """The play-out delay now: what the buffer holds ahead of the play-out point."""
        return max(self.end, 0) / 8

    def push(self, timestamp: int, payload: bytes, now: float = 0.0) -> None:
        """Place one payload at its RTP timestamp (``now``: when it arrived)."""
        if not self.window:
            self._resync(timestamp, self.depth - FRAME_SAMPLES)
            self.resyncs = 0
        offset = (timestamp - self.base) & _MASK
        size = len(payload)
        if offset >= _MASK + 1 - _LATE_LIMIT:
            self.late += 1
            self._suspect = 0  # a frame that never came came late: no loss
            behind = _MASK + 1 - offset
            if behind <= _GROW_LIMIT and self.depth + behind <= _MAX_DEPTH:
                # It just missed its turn (its frame was concealed): play it next, and from
                # now on wait that much longer for every packet.
                offset = self._grow(behind)
            else:
                # Late packets while fresh audio still arrives are jitter; late packets with
                # nothing fresh ahead mean the stream moved back in time, so follow it.
                self._late_run = self._late_run + 1 if self.end <= 0 else 0
                if self._late_run < _LATE_BEFORE_RESYNC:
                    self.discarded += 1
                    return
                offset = self._resync(timestamp, self.depth - FRAME_SAMPLES)
        elif offset + size > self.window or offset >= _HALF:
            offset = self._resync(timestamp, self._follow_on())
        self._late_run = 0
        self.arrived(offset, size, now)
        self.buffer[offset : offset + size] = payload
        self.present[offset : offset + size] = _PRESENT[:size]
        if offset + size > self.end:
            self.end = offset + size

    def arrived(self, offset: int, size: int, now: float) -> None:
        """Note a packet's wait: it is played once the frames before ``offset`` are."""
        wait = offset + FRAME_SAMPLES - (now - self.popped_at) * RATE
        if wait < self.low:
            self.low = wait

    def _follow_on(self) -> int:
        """Where a new stream starts: right after the audio still buffered, or in the slot
        due next if that ran out a moment ago (it goes on the old one's rhythm); after a
        longer silence, with the delay a stream starts with."""
        if self.end > -_FOLLOW_ON:
            return max(self.end, 0)
        return self.depth - FRAME_SAMPLES

    def _resync(self, timestamp: int, offset: int) -> int:
        """Map a new stream's timestamps so that ``timestamp`` lands at ``offset``."""
        self.resyncs += 1
        self.window = self._size - FRAME_SAMPLES
        self.base = (timestamp - offset) & _MASK
        if offset >= self.window:  # nothing buffered to keep: start afresh
            offset = self.depth - FRAME_SAMPLES
            self.base = (timestamp - offset) & _MASK
            self._blank(0)
        self._blank(max(self.end, 0))
        return offset

    def _blank(self, start: int) -> None:
        self.buffer[start:] = (self._silence * (self._size // FRAME_SAMPLES + 1))[
            : self._size - start
        ]
        self.present[start:] = bytes(self._size - start)
        if start == 0:
            self.end = 0
            self._began = False
            self._suspect = self._missing_run = 0

    def pop(self, now: float = 0.0) -> bytearray | None:
        """The next 20 ms of codes, or None when they did not all arrive (see ``missing``;
        ``partial`` then holds what came of them)."""
        if not self.window:
            return None
        self._ticks += 1
        if self._ticks % _REVIEW_TICKS == 0:
            self._review()
        if self._shrink and (self._waited >= _FORCE_TICKS or self._quiet()):
            self._drop(self._shrink)
        self._waited += 1
        if self._suspect:
            self._settle()
        frame, received = self._take(now)
        return frame if received else None

    @property
    def missing(self) -> bool:
        """Whether a None from ``pop`` is audio lost in a stream (to conceal), not no stream."""
        return bool(self.window)

    def peek(self, frames: int = 1) -> tuple[bytearray, int] | None:
        """The first of the next ``frames`` frames that is here already (for concealment),
        and how many frames after the next one it is; None if none is."""
        present = self.present
        for ahead in range(frames if self.window else 0):
            start = ahead * FRAME_SAMPLES
            if start >= self.end:
                break
            if present.count(1, start, start + FRAME_SAMPLES) == FRAME_SAMPLES:
                return self.buffer[start : start + FRAME_SAMPLES], ahead
        return None

    def _take(self, now: float) -> tuple[bytearray, bool]:
        buffer, present = self.buffer, self.present
        frame = buffer[:FRAME_SAMPLES]
        count = present.count(1, 0, FRAME_SAMPLES)
        received = count == FRAME_SAMPLES
        # Part of a frame: packets not aligned with the frames (30 ms ones, or a delay that
        # shrank by half a frame) of which one never came. The frame is made up and the part
        # that came put back: silence in its place would be heard.
        part = 0 < count < FRAME_SAMPLES
        self.partial = (frame, bytes(present[:FRAME_SAMPLES])) if part else None
        del buffer[:FRAME_SAMPLES]
        del present[:FRAME_SAMPLES]
        buffer += self._silence
        present += bytes(FRAME_SAMPLES)
        self.base = (self.base + FRAME_SAMPLES) & _MASK
        self.end -= FRAME_SAMPLES
        self.popped_at = now
        if received:
            self._began = True
            self._missing_run = 0
        elif self._began:
            self._missing_run += 1
            if self.end > 0:  # a gap: later audio is here, this never came
                self.concealed += 1
                self._suspect = _GAP
            else:
                self._suspect = _BLIND
        return frame, received

    def _settle(self) -> None:
        """The frame taken last never came: if no late packet brought it since, it is lost.

        A blind loss whose next frame came in time for this tick would have been bridged
        from both sides one frame later: wait that much longer from now on (a missing frame
        goes before this one, and the gap, one frame longer, is bridged to it). A long run of
        missing frames is a pause or an outage, which no look-ahead bridges.
        """
        kind, self._suspect = self._suspect, 0
        if kind == _GAP:
            self._lost_at = self._ticks
        elif self.present[0] and self._missing_run <= AHEAD_FRAMES:
            if self.depth + FRAME_SAMPLES <= _MAX_DEPTH:
                self._grow(FRAME_SAMPLES)  # its frame is taken now: a gap, settled next tick
            else:
                self.concealed += 1
                self._lost_at = self._ticks

    def _grow(self, behind: int) -> int:
        """Wait ``behind`` samples longer (in whole frames) from now on: frames not here yet
        go before the play-out point. Returns where a packet ``behind`` the point goes now."""
        count = -(-behind // FRAME_SAMPLES) * FRAME_SAMPLES
        self.base = (self.base - count) & _MASK
        self.buffer[:0] = self._silence * (count // FRAME_SAMPLES)
        self.present[:0] = bytes(count)
        del self.buffer[-count:]
        del self.present[-count:]
        self.end += count
        self.depth += count
        self.low = float(_MAX_DEPTH)
        self._shrink = 0
        return count - behind

    def _review(self) -> None:
        """Every second: shrink the delay if even the most delayed packet waited long
        (a frame longer than that while the stream loses packets)."""
        spare = self.low - MARGIN
        if self._ticks - self._lost_at <= _LOSS_MEMORY:
            spare -= FRAME_SAMPLES
        self.low = float(_MAX_DEPTH)
        if spare > _SHRINK_STEP - 1 and self.depth >= self._floor + _SHRINK_STEP:
            if not self._shrink:
                self._shrink, self._waited = _SHRINK_STEP, 0
        else:
            self._shrink = 0

    def _quiet(self) -> bool:
        codes = np.frombuffer(self.buffer, np.uint8, self._shrink)
        return int(np.abs(DECODE_BOTH[int(self.alaw), codes]).max()) < _QUIET

    def _drop(self, count: int) -> None:
        """Play ``count`` samples less: the delay shrinks by as much."""
        del self.buffer[:count]
        del self.present[:count]
        self.buffer += self._silence[:count]
        self.present += bytes(count)
        self.base = (self.base + count) & _MASK
        self.end -= count
        self.depth -= count
        self._shrink = 0
