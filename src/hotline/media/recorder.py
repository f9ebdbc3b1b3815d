"""Recording a bridge to a stereo WAV: caller on the left channel, agent on the right.

Every tick the frames of all recorded bridges are decoded and interleaved in one numpy
operation, then each file gets its 640 bytes; the per-call cost is one buffered write.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .g711 import DECODE_BOTH
from .wav import RATE, WavWriter

__all__ = ["Recording", "RecordingBatch"]


@dataclass(eq=False, slots=True, kw_only=True)
class Recording:
    """One recording (a bridge's stereo, or a leg's mono); while ``paused`` nothing is
    written (card numbers stay out)."""

    recording_id: int
    writer: WavWriter
    paused: bool = False

    @property
    def path(self) -> Path:
        return self.writer.path

    @property
    def seconds(self) -> float:
        return self.writer.data_size / (2 * self.writer.channels * RATE)


class RecordingBatch:
    """Decodes and interleaves every recording's frame each tick; writes every few ticks.

    Writing 640 bytes per call per tick would cost one Python call per call per tick, so the
    frames gather in one array and each file gets ``flush_ticks`` frames at once (0.5 s by
    default: what a kill can lose, on top of what the OS has not written).
    """

    def __init__(self, flush_ticks: int = 25) -> None:
        self.flush_ticks = flush_ticks
        self._order: list[Recording] = []
        self._buffer = np.zeros((0, flush_ticks, 2, 160), np.int16)
        self._filled = 0

    def write(
        self, recordings: list[Recording], codes: list[bytes | bytearray], alaw: list[bool]
    ) -> None:
        """Add one 20 ms stereo frame per recording.

        ``codes`` holds two frames per recording (caller then agent) and ``alaw`` says, for
        each of those frames, whether it is A-law (else mu-law).
        """
        if recordings != self._order:
            self.flush()
            self._order = recordings
            self._buffer = np.zeros((len(recordings), self.flush_ticks, 2, 160), np.int16)
        if not recordings:
            return
        count = len(recordings)
        array = np.frombuffer(b"".join(codes), dtype=np.uint8).reshape(count, 2, 160)
        rows = np.array(alaw, np.intp).reshape(count, 2, 1)
        # Channels stay apart here and are interleaved once per flush, not once per tick.
        self._buffer[:, self._filled] = DECODE_BOTH[rows, array]
        self._filled += 1
        if self._filled == self.flush_ticks:
            self.flush()

    def flush(self) -> None:
        """Append the gathered frames to each file."""
        filled, self._filled = self._filled, 0
        if not filled:
            return
        for index, recording in enumerate(self._order):
            frames = self._buffer[index, :filled].transpose(0, 2, 1)
            recording.writer.write(frames.astype("<i2").tobytes())
