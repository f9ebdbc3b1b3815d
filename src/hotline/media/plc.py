"""Packet loss concealment for decoded G.711 speech, after ITU-T G.711 Appendix I.

Where we decode (mixing, recording, whisper and barge), a 20 ms frame that never arrived is
made up from the speech around it instead of left silent. The speech before a loss is carried
on by linear prediction: its spectral envelope is kept and the last pitch period of its
prediction residual (the period found by normalized cross-correlation, 5 to 15 ms, Appendix I
§I.2.2) drives the synthesis filter, whose memory is the real speech, so the made-up samples
continue it without a seam (Appendix I's quarter-period overlap-add, and its 3.75 ms delay,
are not needed). It fades as Appendix I's does: full for 10 ms, then down 20 % per 10 ms, to
silence 60 ms into the loss (§I.2.3); real speech that comes back is blended in over a span
that grows with the loss (§I.2.4).

Where a frame after the loss is already here (a jitter buffer or a recording's tape holds it),
the whole gap is interpolated instead: the speech after it is carried back in time the same
way, and the two are crossfaded over the gap, so the real speech continues it. This goes
beyond Appendix I, which only extrapolates, and measures better (PESQ).
The relay path never decodes, so losses there pass through to the phone, which conceals them.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

__all__ = ["AHEAD_FRAMES", "Concealer", "conceal_frames"]

Samples = npt.NDArray[np.int16]
# Part of a frame that came: its samples, and which of them came.
Part = tuple[Samples, npt.NDArray[np.bool_]]
_Float = npt.NDArray[np.float64]
_FRAME = 160
_PITCH_MIN = 40  # 200 Hz
_PITCH_MAX = 120  # 66.7 Hz
_CORRELATION = 160  # 20 ms of speech matched against the same one period earlier
_FULL = 80  # samples concealed at full level (10 ms) ...
_FADE = 400  # ... then faded to silence over 50 ms
_RECOVERY_STEP = 32  # the blend into real speech grows 4 ms per 10 ms lost ...
_RECOVERY_MIN = 40
_RECOVERY_MAX = 80  # ... up to 10 ms
# Frames after a lost one looked at for speech that came (a gap longer than this is made up
# from the speech before it, and faded).
AHEAD_FRAMES = 3
_EMPTY: _Float = np.zeros(0)


class Concealer:
    """One stream's concealment: feed every frame in order, ``good`` or ``lost``.

    Both return 160 samples; ``lost`` returns None once the loss is long enough that only
    silence is left (so a leg that stopped sending is quiet).
    """

    __slots__ = ("_erased", "_heard", "_leads_in", "_plan", "_recent")

    def __init__(self) -> None:
        # The last frames given out: the history a loss is made up from.
        self._recent: deque[Samples] = deque([np.zeros(_FRAME, np.int16)] * 3, maxlen=3)
        self._erased = 0  # samples made up since the last real frame
        self._heard = False  # any real frame yet (before it, a loss is silence)
        self._plan = _EMPTY  # made-up samples still to give out (and to blend from)
        self._leads_in = False  # whether the plan ends where the real speech resumes

    def good(self, frame: Samples) -> Samples:
        """A frame that arrived: blended with the made-up speech if it ends a loss."""
        if not self._erased:  # the common case, kept cheap: no arithmetic
            return self._played(frame)
        plan, erased = self._plan, self._erased
        self._plan, self._erased, self._leads_in = _EMPTY, 0, False
        if not len(plan):  # the gap was bridged into this frame: it continues as it is
            return self._played(frame)
        span = min(max(_RECOVERY_STEP * erased // _FULL, _RECOVERY_MIN), _RECOVERY_MAX)
        made_up = np.zeros(span)
        made_up[: min(span, len(plan))] = plan[:span]
        samples = frame.astype(np.float64)
        ramp = _ramp(span)
        samples[:span] = made_up * (1 - ramp) + samples[:span] * ramp
        return self._played(_to_samples(samples))

    def lost(
        self, following: Samples | None = None, ahead: int = 0, came: Part | None = None
    ) -> Samples | None:
        """A frame that never arrived: the speech before it carried on, fading.

        ``following`` is speech that did come after the loss (a jitter buffer or a tape
        holds it), starting ``ahead`` frames after this one: the gap up to it is then
        interpolated from both sides, and leads into it. ``came`` is the part of this frame
        that did arrive (its samples, and where they are), put back over what is made up.
        """
        if not self._heard or (self.quiet and following is None):
            if came is None:
                return None  # the stream has not begun, or its loss has faded to silence
            return self._played(np.where(came[1], came[0], 0).astype(np.int16))
        if following is not None and not self._leads_in:
            gap = (ahead + 1) * _FRAME
            self._plan = _interpolate(self._history(), following.astype(np.float64), gap)
            self._plan *= _bridged_fade(self._erased, gap)
            self._leads_in = True
        elif len(self._plan) < _FRAME:  # the loss begins (or outlasted the speech after it)
            self._plan = _extrapolate(self._history(), _FULL + _FADE + _RECOVERY_MAX)
            self._plan *= _fade(self._erased, len(self._plan))
            self._leads_in = False
        samples, self._plan = self._plan[:_FRAME], self._plan[_FRAME:]
        self._erased += _FRAME
        made_up = _to_samples(samples)
        if came is not None:
            np.copyto(made_up, came[0], where=came[1])
        return self._played(made_up)

    @property
    def quiet(self) -> bool:
        """Whether a loss now makes up nothing: no speech heard yet, or faded out already."""
        return not self._heard or (self._erased >= _FULL + _FADE and not self._leads_in)

    def resume(self) -> None:
        """Real frames came that were not fed through ``good``: a loss is over."""
        self._heard = True
        self._erased, self._plan, self._leads_in = 0, _EMPTY, False

    def remember(self, samples: Samples) -> None:
        """Take ``samples`` as what was played last (without playing them): the history of
        a loss to come, for a stream fed only around its losses."""
        if not len(samples):
            return
        self._heard = self._heard or bool(samples.any())
        if len(samples) < 3 * _FRAME:
            samples = np.concatenate((*self._recent, samples))
        self._recent.extend(samples[-3 * _FRAME :].reshape(3, _FRAME).copy())

    def _history(self) -> _Float:
        return np.concatenate(self._recent).astype(np.float64)

    def _played(self, frame: Samples) -> Samples:
        self._heard = True
        self._recent.append(frame)
        return frame


def conceal_frames(
    concealer: Concealer,
    samples: Samples,
    received: npt.NDArray[np.bool_],
    before: Samples,
    *,
    ahead: int = 0,
) -> None:
    """Conceal, in place, the 160-sample frames of ``samples`` not ``received`` (a recording
    written after the fact), ``before`` being the samples that preceded them, and the last
    ``ahead`` frames only looked at (the speech after a loss at the end): the gaps between
    frames that came, each interpolated into the frames after it; after the last frame that
    came the stream stopped, and silence stays."""
    frames = len(received) - ahead
    first = int(np.argmin(received))
    if first >= frames or not received[first:].any():
        return  # nothing missing, or nothing came after: the stream has stopped or not begun
    last = len(received) - 1 - int(np.argmax(received[::-1]))
    # Gaps before the stream began are no loss, nor is the end after it stopped (hold,
    # silence suppressed): only frames missing between frames that came are made up.
    begun = int(np.argmax(received)) if concealer.quiet else first
    gaps = np.flatnonzero(~received[begun : min(last + 1, frames)]) + begun
    if not len(gaps):
        return
    start = int(gaps[0])
    concealer.remember(np.concatenate((before, samples[: start * _FRAME])))
    for index in range(start, min(int(gaps[-1]) + 2, frames)):
        span = slice(index * _FRAME, (index + 1) * _FRAME)
        if received[index]:
            samples[span] = concealer.good(np.ascontiguousarray(samples[span]))
            continue
        following, ahead = _following(samples, received, index)
        made_up = concealer.lost(following, ahead)
        if made_up is not None:  # else the silence written stays
            samples[span] = made_up


def _following(
    samples: Samples, received: npt.NDArray[np.bool_], index: int
) -> tuple[Samples | None, int]:
    """The speech that came after lost frame ``index`` (up to three frames of it), and how
    many frames after it that begins; (None, 0) if none came within ``AHEAD_FRAMES`` frames."""
    after = received[index + 1 : index + 1 + AHEAD_FRAMES]
    if not after.any():
        return None, 0
    ahead = int(np.argmax(after))
    begin = index + 1 + ahead
    run = received[begin : begin + 3]
    count = int(np.argmin(run)) if not run.all() else len(run)
    return np.ascontiguousarray(samples[begin * _FRAME : (begin + count) * _FRAME]), ahead


def _to_samples(values: _Float) -> Samples:
    return np.clip(np.rint(values), -32768, 32767).astype(np.int16)


def _ramp(count: int) -> _Float:
    return (np.arange(count) + 0.5) / count


def _fade(erased: int, count: int) -> _Float:
    """Gains for ``count`` made-up samples, ``erased`` into a loss: full, then down 20 %
    per 10 ms (Appendix I §I.2.3)."""
    position = erased + np.arange(count)
    return np.clip(1.0 - (position - _FULL) / _FADE, 0.0, 1.0)


def _bridged_fade(erased: int, gap: int) -> _Float:
    """Gains for a gap of ``gap`` samples bridged from both sides: each end at full level,
    faded in the middle as far as either side's speech would have faded."""
    from_before = _fade(erased, gap)
    from_after = _fade(0, gap)[::-1]
    return np.maximum(from_before, from_after)


def _interpolate(history: _Float, following: _Float, count: int) -> _Float:
    """``count`` samples between ``history`` and ``following``: the speech before carried
    on and the speech after carried back, each by linear prediction, crossfaded."""
    forwards = _extrapolate(history, count)
    backwards = _extrapolate(following[::-1], count)[::-1]
    ramp = (1 - np.cos(np.pi * _ramp(count))) / 2
    result: _Float = forwards * (1 - ramp) + backwards * ramp
    return result


def _pitch(signal: _Float) -> int:
    """The period (in samples) at which the last 20 ms of ``signal`` best matches the speech
    before it (normalized cross-correlation); of a shorter signal, its autocorrelation."""
    if len(signal) < _CORRELATION + _PITCH_MAX:
        return _pitch_within(signal)
    recent = signal[-_CORRELATION:]
    span = signal[-(_CORRELATION + _PITCH_MAX) : -_PITCH_MIN]
    windows = np.lib.stride_tricks.sliding_window_view(span, _CORRELATION)
    energy = np.einsum("ij,ij->i", windows, windows)
    score = (windows @ recent) / np.sqrt(energy + 1.0)
    # Window i starts _PITCH_MAX - i samples before the recent one: its lag.
    return int(_PITCH_MAX - int(np.argmax(score)))


def _pitch_within(frame: _Float) -> int:
    """The period at which ``frame`` best matches itself shifted: normalized
    autocorrelation."""
    size = len(frame)
    products = np.correlate(frame, frame, "full")[size - 1 :]  # [lag]: sum of f[n + lag] f[n]
    squares = np.cumsum(frame * frame)
    lags = np.arange(_PITCH_MIN, _PITCH_MAX + 1)
    later = squares[-1] - squares[lags - 1]
    earlier = squares[size - 1 - lags]
    match = products[lags] / np.sqrt(later * earlier + 1.0)
    return int(lags[int(np.argmax(match))])


_ORDER = 8  # linear prediction order: the spectral envelope of 8 kHz speech
# Samples the envelope is measured over: 15 ms, the speech right before (or after) the loss
# (PESQ: +0.04 at 10 % loss over 30 ms; an order of 8 over 10 likewise).
_ANALYSIS = 120
_SPECTRUM = 1024  # points of the synthesis filter's frequency response: 128 ms
_WINDOW = np.hanning(_ANALYSIS)
_LAGS = np.abs(np.arange(_ORDER)[:, None] - np.arange(_ORDER)[None, :])  # the Toeplitz matrix


def _extrapolate(signal: _Float, count: int) -> _Float:
    """The next ``count`` samples of ``signal``: the last pitch period of its linear
    prediction residual repeated, through the synthesis filter whose memory is the signal's
    own end (so a steady sound goes on as it was, and nothing jumps where it begins)."""
    period = _pitch(signal)
    inverse = _inverse_filter(signal[-_ANALYSIS:])
    recent = signal[-(period + _ORDER) :]
    residual = np.convolve(recent, inverse, "valid")[-period:]
    excitation = residual[np.arange(count) % period]
    # The filter's memory: what the last _ORDER samples add to the first new ones, taken
    # off as an excitation of its own (s[n] = e[n] - sum a_k s[n - k] reaches back for k > n).
    memory = np.concatenate((signal[-_ORDER:], np.zeros(_ORDER)))
    excitation[:_ORDER] -= np.convolve(memory, inverse)[_ORDER : 2 * _ORDER][:count]
    # Through 1/A(z) by FFT (the impulse response is negligible long before it wraps around).
    spectrum = np.fft.rfft(excitation, _SPECTRUM) / np.fft.rfft(inverse, _SPECTRUM)
    synthesized: _Float = np.fft.irfft(spectrum, _SPECTRUM)[:count]
    return synthesized


def _inverse_filter(segment: _Float) -> _Float:
    """A(z) = 1 - sum a_k z^-k of ``segment`` by the autocorrelation method (stable)."""
    windowed = segment * (_WINDOW if len(segment) == _ANALYSIS else np.hanning(len(segment)))
    size = len(windowed)
    correlation = np.correlate(windowed, windowed, "full")[size - 1 : size + _ORDER]
    correlation[0] = correlation[0] * 1.0001 + 1e-3  # white noise correction: well posed
    coefficients = np.linalg.solve(correlation[_LAGS], correlation[1:])
    return np.concatenate(([1.0], -coefficients))
