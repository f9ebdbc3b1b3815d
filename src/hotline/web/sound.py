"""The notification sound the pages play: a short two-note chime, made here rather than
downloaded, and kept as ``static/notification.wav`` (a test checks the file is this)."""

from __future__ import annotations

import io
import math
import struct
import wave

__all__ = ["chime"]

RATE = 16_000
NOTES = ((880.0, 0.12), (1318.5, 0.18))  # A5 then E6, in seconds
VOLUME = 0.35


def chime() -> bytes:
    """The chime as a 16-bit mono WAV file."""
    samples = [sample for frequency, length in NOTES for sample in _note(frequency, length)]
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()


def _note(frequency: float, length: float) -> list[int]:
    count = int(RATE * length)
    fade = int(RATE * 0.01)  # 10 ms in and out, so the note starts and ends without a click
    samples = []
    for index in range(count):
        envelope = min(1.0, index / fade, (count - index) / fade)
        value = VOLUME * envelope * math.sin(2 * math.pi * frequency * index / RATE)
        samples.append(round(value * 32767))
    return samples
