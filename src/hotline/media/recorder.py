"""Recording a bridge to a stereo WAV: caller on the left channel, agent on the right.

Every tick the frames of all recorded bridges are decoded and interleaved in one numpy
operation, then each file gets its 640 bytes; the per-call cost is one buffered write.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .g711 import DECODE_BOTH, Law
from .wav import RATE, WavWriter

__all__ = ["Recording", "write_frames"]

_FRAME_BYTES = 160 * 2 * 2


@dataclass(eq=False, slots=True, kw_only=True)
class Recording:
    """One bridge recording; while ``paused`` nothing is written (card numbers stay out)."""

    recording_id: int
    writer: WavWriter
    paused: bool = False

    @property
    def path(self) -> Path:
        return self.writer.path

    @property
    def seconds(self) -> float:
        return self.writer.data_size / (4 * RATE)


def write_frames(batch: list[tuple[Recording, bytes, Law, bytes, Law]]) -> None:
    """Decode, interleave and append one 20 ms stereo frame per recording."""
    if not batch:
        return
    codes = np.frombuffer(
        b"".join(left + right for _, left, _, right, _ in batch), dtype=np.uint8
    ).reshape(len(batch), 2, 160)
    rows = np.array(
        [(left_law is Law.PCMA, right_law is Law.PCMA) for _, _, left_law, _, right_law in batch],
        dtype=np.intp,
    )
    linear = DECODE_BOTH[rows[:, :, None], codes]
    data = memoryview(np.ascontiguousarray(linear.transpose(0, 2, 1)).astype("<i2").tobytes())
    for index, (recording, *_) in enumerate(batch):
        recording.writer.write(data[index * _FRAME_BYTES : (index + 1) * _FRAME_BYTES])
