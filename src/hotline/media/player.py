"""Players: prompt sequences and looped music, as 20 ms frames of 16-bit samples at 8 kHz.

Prompts are converted to 8 kHz mono once and cached by path, so a thousand callers hearing the
same welcome share one array.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .jitter import FRAME_SAMPLES
from .say import Language
from .wav import read_wav

__all__ = ["PROMPTS_DIR", "Player", "PromptLibrary", "StopReason"]

PROMPTS_DIR = Path(__file__).parent / "prompts"
Samples = npt.NDArray[np.int16]


class StopReason(enum.Enum):
    """Why a playback ended."""

    FINISHED = "finished"
    INTERRUPTED = "interrupted"  # by a DTMF digit
    STOPPED = "stopped"  # by call control, or the leg closed


class PromptLibrary:
    """Resolves prompt names in a language's directory (or file paths) to cached samples."""

    def __init__(self, root: Path = PROMPTS_DIR) -> None:
        self.root = root
        self._cache: dict[Path, Samples] = {}

    def path(self, item: str | Path, language: Language) -> Path:
        """A prompt name like ``welcome`` or ``7`` in ``language``, or a file path as given."""
        if isinstance(item, Path):
            return item
        return self.root / language / f"{item}.wav"

    def load(self, item: str | Path, language: Language = "en") -> Samples:
        """The samples of a prompt, read and converted on first use; FileNotFoundError if absent."""
        path = self.path(item, language)
        cached = self._cache.get(path)
        if cached is None:
            cached = self._cache[path] = read_wav(path)
        return cached


@dataclass(slots=True, kw_only=True)
class Player:
    """Plays clips one after another, optionally looping, one frame per tick."""

    playback_id: int
    clips: Sequence[Samples]
    loop: bool = False
    interrupt_digits: str = ""
    _clip: int = 0
    _position: int = 0

    def next_frame(self) -> Samples | None:
        """The next 160 samples, zero-padded at the very end; None once finished."""
        frame = np.zeros(FRAME_SAMPLES, np.int16)
        filled = 0
        while filled < FRAME_SAMPLES:
            if self._clip >= len(self.clips):
                if not self.loop or not any(len(clip) for clip in self.clips):
                    return frame if filled else None
                self._clip = 0
            clip = self.clips[self._clip]
            take = min(FRAME_SAMPLES - filled, len(clip) - self._position)
            frame[filled : filled + take] = clip[self._position : self._position + take]
            filled += take
            self._position += take
            if self._position >= len(clip):
                self._clip, self._position = self._clip + 1, 0
        return frame
