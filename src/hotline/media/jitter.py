"""A small jitter buffer that re-frames G.711 payloads into 20 ms frames.

G.711 has one byte per sample, so re-framing packets of 10 to 60 ms is byte arithmetic: each
payload is written at its RTP timestamp into a window of codes pre-filled with silence, and
each tick takes the next 160 bytes. A timestamp far outside the window (a new SSRC, a replayed
capture, a peer that restarted) resynchronizes the window instead of discarding audio, which is
the receiver behaviour RFC 3550 §8.2 asks for when a source changes.

The RTP session writes in-window payloads into ``buffer`` itself (the per-packet hot path,
see :meth:`~hotline.media.session.RtpSession.receive`) and calls :meth:`push` otherwise.
"""

from __future__ import annotations

__all__ = ["FRAME_SAMPLES", "JitterBuffer"]

FRAME_SAMPLES = 160
_HALF = 1 << 31
_MASK = 0xFFFFFFFF
_LATE_BEFORE_RESYNC = 3
# Packets up to one second behind the play-out point are late; further back is a new stream.
_LATE_LIMIT = 8000


class JitterBuffer:
    """Holds ``depth`` samples of incoming audio before playing it out.

    ``push`` is called per packet, ``pop`` once per 20 ms tick. Until the first packet,
    ``window`` is 0 so that every in-window test fails and ``push`` starts the stream.
    """

    __slots__ = (
        "_depth",
        "_late_run",
        "_silence",
        "_size",
        "base",
        "buffer",
        "end",
        "late",
        "resyncs",
        "window",
    )

    def __init__(self, *, silence: int, depth: int = 320, window: int = 1600) -> None:
        self._silence = bytes([silence]) * FRAME_SAMPLES
        self._depth = depth
        self._size = window
        self.window = 0
        self.buffer = bytearray(bytes([silence]) * window)
        self.base = 0
        self.end = 0
        self._late_run = 0
        self.late = 0
        self.resyncs = 0

    def push(self, timestamp: int, payload: bytes) -> None:
        """Place one payload at its RTP timestamp."""
        if not self.window:
            self._resync(timestamp)
            self.resyncs = 0
        offset = (timestamp - self.base) & _MASK
        size = len(payload)
        if offset >= _MASK + 1 - _LATE_LIMIT:
            self.late += 1
            # Late packets while fresh audio still arrives are jitter; late packets with
            # nothing fresh ahead mean the stream moved back in time, so follow it.
            self._late_run = self._late_run + 1 if self.end <= 0 else 0
            if self._late_run < _LATE_BEFORE_RESYNC:
                return
            self._resync(timestamp)
            offset = self._depth
        elif offset + size > self.window or offset >= _HALF:
            self._resync(timestamp)
            offset = self._depth
        self._late_run = 0
        self.buffer[offset : offset + size] = payload
        if offset + size > self.end:
            self.end = offset + size

    def _resync(self, timestamp: int) -> None:
        self.resyncs += 1
        self.window = self._size
        self.base = (timestamp - self._depth) & _MASK
        self.buffer[:] = self._silence * (self._size // FRAME_SAMPLES)
        self.end = 0

    def pop(self) -> bytearray | None:
        """The next 20 ms of codes, or None when nothing was received for it."""
        if not self.window:
            return None
        buffer = self.buffer
        frame = buffer[:FRAME_SAMPLES]
        del buffer[:FRAME_SAMPLES]
        buffer += self._silence
        self.base = (self.base + FRAME_SAMPLES) & _MASK
        end = self.end
        if end <= 0:
            return None
        self.end = end - FRAME_SAMPLES
        return frame
