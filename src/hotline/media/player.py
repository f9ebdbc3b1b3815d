"""Players: prompt sequences and looped music, as 20 ms frames of 16-bit samples at 8 kHz.

Prompts are converted to 8 kHz mono once and cached by path, so a thousand callers hearing the
same welcome share one array, and its G.711 codes are encoded once per law on first use: a
waiting caller's music costs a byte slice a tick, not an encoding.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .g711 import ENCODE_TABLES, Law
from .jitter import FRAME_SAMPLES
from .say import Language
from .wav import read_wav

__all__ = ["PROMPTS_DIR", "Clip", "Player", "PromptLibrary", "StopReason"]

PROMPTS_DIR = Path(__file__).parent / "prompts"
Samples = npt.NDArray[np.int16]


class StopReason(enum.Enum):
    """Why a playback ended."""

    FINISHED = "finished"
    INTERRUPTED = "interrupted"  # by a DTMF digit
    STOPPED = "stopped"  # by call control, or the leg closed


class Clip:
    """Samples to play, with their G.711 codes for each law, encoded on first use."""

    __slots__ = ("_codes", "samples")

    def __init__(self, samples: Samples) -> None:
        self.samples = samples
        self._codes: dict[Law, bytes] = {}

    def __len__(self) -> int:
        return len(self.samples)

    def codes(self, law: Law) -> bytes:
        codes = self._codes.get(law)
        if codes is None:
            index = self.samples.astype(np.int32) + 32768
            codes = self._codes[law] = ENCODE_TABLES[law][index].tobytes()
        return codes


class PromptLibrary:
    """Resolves prompt names in a language's directory (or file paths) to cached samples."""

    def __init__(self, root: Path = PROMPTS_DIR) -> None:
        self.root = root
        self._cache: dict[Path, Clip] = {}

    def path(self, item: str | Path, language: Language) -> Path:
        """A prompt name like ``welcome`` or ``7`` in ``language``, or a file path as given."""
        if isinstance(item, Path):
            return item
        return self.root / language / f"{item}.wav"

    def load(self, item: str | Path, language: Language = "en") -> Samples:
        """The samples of a prompt, read and converted on first use; FileNotFoundError if absent."""
        return self.clip(item, language).samples

    def clip(self, item: str | Path, language: Language = "en") -> Clip:
        """The prompt as a shared clip (samples and codes), cached like :meth:`load`."""
        path = self.path(item, language)
        cached = self._cache.get(path)
        if cached is None:
            cached = self._cache[path] = Clip(read_wav(path))
        return cached


@dataclass(slots=True, kw_only=True)
class Player:
    """Plays clips one after another, optionally looping, one frame per tick.

    ``clips`` may be given as plain sample arrays; they are wrapped in (unshared) clips.
    """

    playback_id: int
    clips: Sequence[Clip | Samples]
    loop: bool = False
    interrupt_digits: str = ""
    _clip: int = 0
    _position: int = 0

    def __post_init__(self) -> None:
        self.clips = [clip if isinstance(clip, Clip) else Clip(clip) for clip in self.clips]

    def next_frame(self) -> Samples | None:
        """The next 160 samples, zero-padded at the very end; None once finished."""
        pieces = self._advance()
        if pieces is None:
            return None
        frame = np.zeros(FRAME_SAMPLES, np.int16)
        filled = 0
        for clip, start, end in pieces:
            frame[filled : filled + end - start] = clip.samples[start:end]
            filled += end - start
        return frame

    def next_payload(self, law: Law) -> bytes | None:
        """The next frame as 160 G.711 codes of ``law`` (what next_frame would encode to)."""
        pieces = self._advance()
        if pieces is None:
            return None
        if len(pieces) == 1:
            clip, start, end = pieces[0]
            if end - start == FRAME_SAMPLES:
                return clip.codes(law)[start:end]
        payload = b"".join(clip.codes(law)[start:end] for clip, start, end in pieces)
        return payload + bytes([law.silence]) * (FRAME_SAMPLES - len(payload))

    def _advance(self) -> list[tuple[Clip, int, int]] | None:
        """The clip slices that make the next frame (short at the very end); None once done."""
        pieces: list[tuple[Clip, int, int]] = []
        filled = 0
        clips = self.clips
        while filled < FRAME_SAMPLES:
            if self._clip >= len(clips):
                if not self.loop or not any(len(clip) for clip in clips):
                    return pieces if filled else None
                self._clip = 0
            clip = clips[self._clip]
            assert isinstance(clip, Clip)
            take = min(FRAME_SAMPLES - filled, len(clip) - self._position)
            if take:
                pieces.append((clip, self._position, self._position + take))
            filled += take
            self._position += take
            if self._position >= len(clip):
                self._clip, self._position = self._clip + 1, 0
        return pieces
