"""In-band DTMF detection with Goertzel filters (ITU-T Q.23/Q.24 frequencies).

Each frequency's power is the Goertzel single-bin DFT evaluated at the exact tone frequency;
evaluated as a matrix product it detects every leg of a tick in one numpy call.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .dtmf import DtmfDigit

__all__ = ["DTMF_FREQUENCIES", "InbandDetector", "dtmf_tones", "tone", "tone_power"]

DTMF_FREQUENCIES = (697.0, 770.0, 852.0, 941.0, 1209.0, 1336.0, 1477.0, 1633.0)
_KEYPAD = ("123A", "456B", "789C", "*0#D")
_RATE = 8000
_FRAME = 160
# Share of the frame energy that the two strongest tones must hold (1.0 for a pure pair).
_PURITY = 0.6
_MIN_RMS = 60.0
_MAX_TWIST = 8.0  # about 9 dB between the two groups (Q.24 allows 8 dB forward twist)


def _basis(frequencies: tuple[float, ...], length: int) -> npt.NDArray[np.float64]:
    n = np.arange(length)[:, None]
    omega = 2 * np.pi * np.asarray(frequencies)[None, :] / _RATE
    return np.concatenate([np.cos(omega * n), np.sin(omega * n)], axis=1)


_DTMF_BASIS = _basis(DTMF_FREQUENCIES, _FRAME)


def tone_power(
    frames: npt.NDArray[np.int16], frequencies: tuple[float, ...]
) -> npt.NDArray[np.float64]:
    """Power at each frequency for each row of ``frames`` (shape rows x frequencies)."""
    data = np.atleast_2d(frames).astype(np.float64)
    basis = _basis(frequencies, data.shape[1])
    projected = data @ basis
    count = len(frequencies)
    power: npt.NDArray[np.float64] = projected[:, :count] ** 2 + projected[:, count:] ** 2
    return power


def tone(
    frequency: float, seconds: float, amplitude: float = 8000.0, *, phase: float = 0.0
) -> npt.NDArray[np.int16]:
    """A sine tone at 8 kHz (for tests, the DTMF sender's in-band fallback and the prompts)."""
    n = np.arange(int(seconds * _RATE))
    return (amplitude * np.sin(2 * np.pi * frequency * n / _RATE + phase)).astype(np.int16)


def dtmf_tones(digits: str, *, on: float = 0.1, off: float = 0.06) -> npt.NDArray[np.int16]:
    """Dual tones for ``digits`` (Q.23 frequencies), ``on`` seconds each, ``off`` apart."""
    parts = []
    for digit in digits.upper():
        row = next((index for index, keys in enumerate(_KEYPAD) if digit in keys), None)
        if row is None:
            raise ValueError(f"not a DTMF digit: {digit!r}")
        column = _KEYPAD[row].index(digit)
        pair = tone(DTMF_FREQUENCIES[row], on, 7000) + tone(DTMF_FREQUENCIES[4 + column], on, 7000)
        parts += [pair.astype(np.int16), np.zeros(int(off * _RATE), np.int16)]
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def classify(frames: npt.NDArray[np.int16]) -> list[str | None]:
    """The DTMF digit present in each 20 ms frame of ``frames`` (rows x 160), or None."""
    data = np.atleast_2d(frames).astype(np.float64)
    projected = data @ _DTMF_BASIS
    power = projected[:, :8] ** 2 + projected[:, 8:] ** 2
    energy = np.einsum("ij,ij->i", data, data) * (_FRAME / 2)
    low, high = np.argmax(power[:, :4], axis=1), np.argmax(power[:, 4:], axis=1)
    rows = np.arange(len(data))
    low_power, high_power = power[rows, low], power[rows, 4 + high]
    loud = energy > (_MIN_RMS**2) * _FRAME * (_FRAME / 2)
    pure = (low_power + high_power) > _PURITY * np.maximum(energy, 1.0)
    balanced = (low_power < _MAX_TWIST * high_power) & (high_power < _MAX_TWIST * low_power)
    found = loud & pure & balanced
    return [_KEYPAD[lo][hi] if ok else None for lo, hi, ok in zip(low, high, found, strict=True)]


class InbandDetector:
    """Debounces per-frame classifications into key presses for one leg.

    A digit must be seen in two consecutive frames (40 ms, Q.24's minimum) and is reported once,
    when the tone stops, with its duration.
    """

    def __init__(self) -> None:
        self._candidate: str | None = None
        self._frames = 0

    def feed(self, digit: str | None) -> DtmfDigit | None:
        """Feed the classification of one frame; returns a press when one has just ended."""
        if digit == self._candidate:
            self._frames += 1
            return None
        finished = self._candidate if self._frames >= 2 else None
        duration = self._frames * 20
        self._candidate, self._frames = digit, 1
        if finished is None:
            return None
        return DtmfDigit(digit=finished, duration_ms=duration)
