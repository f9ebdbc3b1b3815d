"""A small jitter buffer that re-frames G.711 payloads into 20 ms frames.

G.711 has one byte per sample, so re-framing packets of 10 to 60 ms is byte arithmetic: each
payload is written at its RTP timestamp into a window of codes pre-filled with silence, and
each tick takes the next 160 bytes. A timestamp far outside the window (a new SSRC, a replayed
capture, a peer that restarted) resynchronizes the window instead of discarding audio, which is
the receiver behaviour RFC 3550 §8.2 asks for when a source changes.
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

    ``push`` is called per packet, ``pop`` once per 20 ms tick.
    """

    __slots__ = (
        "_base",
        "_buffer",
        "_depth",
        "_end",
        "_late_run",
        "_silence",
        "_window",
        "late",
        "resyncs",
    )

    def __init__(self, *, silence: int, depth: int = 320, window: int = 1600) -> None:
        self._silence = bytes([silence]) * FRAME_SAMPLES
        self._depth = depth
        self._window = window
        self._buffer = bytearray(bytes([silence]) * window)
        self._base: int | None = None
        self._end = 0
        self._late_run = 0
        self.late = 0
        self.resyncs = 0

    def push(self, timestamp: int, payload: bytes) -> None:
        """Place one payload at its RTP timestamp."""
        if self._base is None:
            self._resync(timestamp)
        offset = (timestamp - self._base) & _MASK  # type: ignore[operator]
        size = len(payload)
        if offset >= _MASK + 1 - _LATE_LIMIT:
            self.late += 1
            self._late_run += 1
            if self._late_run < _LATE_BEFORE_RESYNC:
                return
            self._resync(timestamp)
            offset = self._depth
        elif offset + size > self._window or offset >= _HALF:
            self._resync(timestamp)
            offset = self._depth
        self._late_run = 0
        self._buffer[offset : offset + size] = payload
        if offset + size > self._end:
            self._end = offset + size

    def _resync(self, timestamp: int) -> None:
        if self._base is not None:
            self.resyncs += 1
        self._base = (timestamp - self._depth) & _MASK
        self._buffer[:] = self._silence * (self._window // FRAME_SAMPLES)
        self._end = 0

    def pop(self) -> bytes | None:
        """The next 20 ms of codes, or None when nothing was received for it."""
        if self._base is None:
            return None
        buffer = self._buffer
        frame = bytes(buffer[:FRAME_SAMPLES])
        del buffer[:FRAME_SAMPLES]
        buffer += self._silence
        self._base = (self._base + FRAME_SAMPLES) & _MASK
        had_audio = self._end > 0
        self._end = max(0, self._end - FRAME_SAMPLES)
        return frame if had_audio else None
