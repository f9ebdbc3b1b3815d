"""Packet loss concealment for decoded G.711 speech, after ITU-T G.711 Appendix I.

Where we decode (mixing, recording, whisper and barge), a 20 ms frame that never arrived is
made up from the speech before it instead of left silent: the last pitch period, found by
normalized cross-correlation (5 to 15 ms, Appendix I §I.2.2), is repeated, fading out by 20 %
every 10 ms after the first 10 ms, to silence after 60 ms (§I.2.3). The seams are overlap-added
over a quarter period: where the repetition starts and wraps (which is why the output runs a
quarter of the longest period, 3.75 ms, behind the input, as in the Appendix), and where real
speech comes back, blended over a span that grows with the length of the loss (§I.2.4).
Where the frame after a loss is already here (a jitter buffer or a recording's tape holds it),
a single lost frame is interpolated from both sides by linear prediction instead, and the
last frame of a longer loss leads into the real speech the same way (``_bridge``).
The relay path never decodes, so losses there pass through to the phone, which conceals them.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

__all__ = ["Concealer", "conceal_frames"]

Samples = npt.NDArray[np.int16]
_Float = npt.NDArray[np.float64]
_FRAME = 160
_PITCH_MIN = 40  # 200 Hz
_PITCH_MAX = 120  # 66.7 Hz
_DELAY = _PITCH_MAX // 4  # the longest quarter period: how far the output runs behind
_HISTORY = 3 * _PITCH_MAX + _DELAY
_CORRELATION = 160  # 20 ms of speech matched against the same one period earlier
_FULL = 80  # samples concealed at full level (10 ms) ...
_FADE = 400  # ... then faded to silence over 50 ms
_RECOVERY_STEP = 32  # the blend into real speech grows 4 ms per 10 ms lost ...
_RECOVERY_MAX = 80  # ... up to 10 ms


class Concealer:
    """One stream's concealment: feed every frame in order, ``good`` or ``lost``.

    Both return 160 samples, delayed by ``delay`` samples (``DELAY`` for a live stream, whose
    last quarter period before a loss must still be unplayed to smooth the seam; 0 for a
    recording, written after the fact); ``lost`` returns None once the loss is long enough
    that only silence is left (so a leg that stopped sending is quiet).
    """

    DELAY = _DELAY
    __slots__ = (
        "_erased",
        "_heard",
        "_period",
        "_periods",
        "_phase",
        "_pitch",
        "_recent",
        "_source",
        "_tail",
    )

    def __init__(self, *, delay: int = _DELAY) -> None:
        # The last frames given out (enough for the history a loss needs), and the samples
        # of the last one not yet played (the delay).
        self._recent: deque[Samples] = deque([np.zeros(_FRAME, np.int16)] * 3, maxlen=3)
        self._tail: Samples = np.zeros(delay, np.int16)
        self._erased = 0  # samples made up since the last real frame
        self._heard = False  # any real frame yet (before it, a loss is silence)
        self._source: _Float = np.zeros(_HISTORY)  # the history as it was when the loss began
        self._pitch = _PITCH_MAX
        self._periods = 1
        self._period: _Float = np.zeros(_PITCH_MAX)
        self._phase = 0

    @property
    def _quarter(self) -> int:
        return max(self._pitch // 4, 1)

    def good(self, frame: Samples) -> Samples:
        """A frame that arrived: blended with the made-up speech if it ends a loss."""
        if not self._erased:  # the common case, kept cheap: no arithmetic, only the delay
            return self._played(frame)
        samples = frame.astype(np.float64)
        grown = self._quarter + (self._erased // _FULL - 1) * _RECOVERY_STEP
        span = max(min(grown, _RECOVERY_MAX), self._quarter)
        made_up = self._repeat(span) * self._fade(span)
        ramp = _ramp(span)
        samples[:span] = made_up * (1 - ramp) + samples[:span] * ramp
        self._erased = 0
        return self._push(samples)

    def lost(self, following: Samples | None = None) -> Samples | None:
        """A frame that never arrived: the speech before it, repeated and fading.

        When the frame after it is already here (``following``: a jitter buffer or a tape
        holds it), the gap is bridged from both sides instead: a single lost frame is
        interpolated by linear prediction (``_bridge``), and the last frame of a longer loss
        crossfades into the following frame predicted backwards in time, so the real speech
        continues it without a seam. This goes beyond Appendix I, which only extrapolates,
        and measures better (PESQ).
        """
        if not self._heard or (self.quiet and following is None):
            return None  # the stream has not begun, or its loss has faded to silence
        if not self._erased and following is not None:
            # One frame lost between two that came: interpolated from both sides.
            history = np.concatenate(self._recent)[-_HISTORY:].astype(np.float64)
            return self._push(_bridge(history, following.astype(np.float64)))
        if not self._erased:
            self._start()
        halves = []
        for _ in range(_FRAME // _FULL):
            # 10 ms into the loss repeat two periods, after 20 ms three (less buzz).
            periods = min(1 + self._erased // _FULL, 3)
            part = self._widen(periods) if periods != self._periods else self._repeat(_FULL)
            halves.append(part * self._fade(_FULL))
            self._erased += _FULL
            self._phase = (self._phase + _FULL) % len(self._period)
        samples = np.concatenate(halves)
        if following is not None:
            backwards = _backwards(following.astype(np.float64))
            ramp = _ramp(_FRAME)
            samples = samples * (1 - ramp) + backwards * ramp
            self._erased = 0  # the following frame continues this one as it is
        return self._push(samples)

    @property
    def quiet(self) -> bool:
        """Whether a loss now makes up nothing: no speech heard yet, or faded out already."""
        return not self._heard or self._erased >= _FULL + _FADE + _DELAY

    def _start(self) -> None:
        """Find the pitch and smooth the seam between the history's end and its repetition:
        the last quarter period (not yet played, thanks to the delay) crossfades into the
        samples one period before it, whose natural successor is where the repetition starts."""
        self._source = np.concatenate(self._recent)[-_HISTORY:].astype(np.float64)
        self._pitch = _pitch(self._source)
        self._build(1)
        quarter = self._quarter
        if len(self._tail) >= quarter:
            self._tail[-quarter:] = _to_samples(self._period[-quarter:])
        self._phase = 0

    def _build(self, periods: int) -> None:
        """The last ``periods`` pitch periods, their end crossfaded into what preceded them."""
        source, quarter, length = self._source.copy(), self._quarter, periods * self._pitch
        ramp = _ramp(quarter)
        before = source[-length - quarter : -length]
        source[-quarter:] = source[-quarter:] * (1 - ramp) + before * ramp
        self._period = source[-length:]
        self._periods = periods

    def _widen(self, periods: int) -> _Float:
        """Repeat more periods from here on, crossfading from the fewer ones."""
        quarter = self._quarter
        old = self._repeat(quarter)
        phase = self._phase % self._pitch
        self._build(periods)
        self._phase = phase
        new = self._repeat(_FULL)
        ramp = _ramp(quarter)
        new[:quarter] = old * (1 - ramp) + new[:quarter] * ramp
        return new

    def _repeat(self, count: int) -> _Float:
        """The next ``count`` samples of the repeated periods (without moving on)."""
        period = self._period
        index = (self._phase + np.arange(count)) % len(period)
        return period[index]

    def _fade(self, count: int) -> _Float:
        """Gains for the next ``count`` made-up samples: full, then down 20 % per 10 ms."""
        erased = self._erased + np.arange(count)
        return np.clip(1.0 - (erased - _FULL) / _FADE, 0.0, 1.0)

    def resume(self) -> None:
        """Real frames came that were not fed through ``good``: a loss is over."""
        self._heard = True
        self._erased = 0

    def remember(self, samples: Samples) -> None:
        """Take ``samples`` as what was played last (without playing them): the history of
        a loss to come, for a stream fed only around its losses."""
        if not len(samples):
            return
        self._heard = self._heard or bool(samples.any())
        if len(samples) < 3 * _FRAME:
            samples = np.concatenate((*self._recent, samples))
        self._recent.extend(samples[-3 * _FRAME :].reshape(3, _FRAME).copy())

    def _push(self, samples: _Float) -> Samples:
        return self._played(_to_samples(samples))

    def _played(self, frame: Samples) -> Samples:
        self._heard = True
        self._recent.append(frame)
        if not len(self._tail):
            return frame
        played = np.concatenate((self._tail, frame))[:_FRAME]
        self._tail = frame[-len(self._tail) :].copy()
        return played


def conceal_frames(
    concealer: Concealer, samples: Samples, received: npt.NDArray[np.bool_], before: Samples
) -> None:
    """Conceal, in place, the 160-sample frames of ``samples`` not ``received`` (a recording
    written after the fact, with a ``delay=0`` concealer), ``before`` being the samples that
    preceded them: the gaps between frames that came, each bridged to the frame after it;
    after the last frame that came the stream stopped, and silence stays."""
    frames = len(received)
    first = int(np.argmin(received))
    if not received[first:].any():
        return  # nothing came after: the stream has stopped, or not begun
    last = frames - 1 - int(np.argmax(received[::-1]))
    # Gaps before the stream began are no loss, nor is the end after it stopped (hold,
    # silence suppressed): only frames missing between frames that came are made up.
    begun = int(np.argmax(received)) if concealer.quiet else first
    gaps = np.flatnonzero(~received[begun : last + 1]) + begun
    if not len(gaps):
        return
    start = int(gaps[0])
    concealer.remember(np.concatenate((before, samples[: start * _FRAME])))
    for index in range(start, min(int(gaps[-1]) + 2, frames)):
        span = slice(index * _FRAME, (index + 1) * _FRAME)
        if received[index]:
            samples[span] = concealer.good(np.ascontiguousarray(samples[span]))
            continue
        following = None
        if index + 1 < frames and received[index + 1]:
            following = np.ascontiguousarray(samples[span.stop : span.stop + _FRAME])
        made_up = concealer.lost(following)
        if made_up is not None:  # else the silence written stays
            samples[span] = made_up


def _to_samples(values: _Float) -> Samples:
    return np.clip(np.rint(values), -32768, 32767).astype(np.int16)


def _pitch_within(frame: _Float) -> int:
    """The period at which one frame best matches itself shifted (the speech after a gap,
    whose own pitch the backwards repetition takes): normalized autocorrelation."""
    size = len(frame)
    products = np.correlate(frame, frame, "full")[size - 1 :]  # [lag]: sum of f[n + lag] f[n]
    squares = np.cumsum(frame * frame)
    lags = np.arange(_PITCH_MIN, _PITCH_MAX + 1)
    later = squares[-1] - squares[lags - 1]
    earlier = squares[size - 1 - lags]
    match = products[lags] / np.sqrt(later * earlier + 1.0)
    return int(lags[int(np.argmax(match))])


def _ramp(count: int) -> _Float:
    return (np.arange(count) + 0.5) / count


def _pitch(history: _Float) -> int:
    """The period (in samples) at which the last 20 ms best matches the speech before it."""
    recent = history[-_CORRELATION:]
    span = history[-(_CORRELATION + _PITCH_MAX) : -_PITCH_MIN]
    windows = np.lib.stride_tricks.sliding_window_view(span, _CORRELATION)
    energy = np.einsum("ij,ij->i", windows, windows)
    score = (windows @ recent) / np.sqrt(energy + 1.0)
    # Window i starts _PITCH_MAX - i samples before the recent one: its lag.
    return int(_PITCH_MAX - int(np.argmax(score)))


_ORDER = 10  # linear prediction order: the spectral envelope of 8 kHz speech
_ANALYSIS = 240  # samples the envelope is measured over
_IMPULSE = 256  # taps of the synthesis filter's impulse response kept (it decays in ~10 ms)
_WINDOW = np.hanning(_ANALYSIS)


def _bridge(history: _Float, following: _Float) -> _Float:
    """A single lost frame from both sides: the speech before it carried on and the speech
    after it carried back, each by linear prediction (the spectral envelope kept, the last
    pitch period of the prediction residual repeated), crossfaded over the frame. Carrying
    the residual rather than the waveform keeps the envelope smooth (PESQ: +0.2 at 10 %
    random loss over the waveform repetition of ``Concealer.lost``)."""
    forwards = _predict(history, _pitch(history))
    backwards = _backwards(following)
    ramp = (1 - np.cos(np.pi * _ramp(_FRAME))) / 2
    return forwards * (1 - ramp) + backwards * ramp


def _predict(signal: _Float, period: int) -> _Float:
    """The next frame of ``signal``: its residual's last ``period`` repeated, through its
    linear prediction synthesis filter (as an FIR impulse response: no per-sample loop)."""
    inverse = _inverse_filter(signal[-_ANALYSIS:])
    signal = signal[-(_IMPULSE - 1 + _ORDER) :]  # the residual needed: the filter's memory
    residual = np.convolve(signal, inverse)[_ORDER : len(signal)]
    excitation = residual[-period:][np.arange(_FRAME) % period]
    impulse = np.fft.irfft(1.0 / np.fft.rfft(inverse, 2 * _IMPULSE))[:_IMPULSE]
    before = residual[-_IMPULSE + 1 :]
    driven = np.concatenate((np.zeros(_IMPULSE - 1 - len(before)), before, excitation))
    # Only the frame's outputs of the convolution: each the impulse response against the
    # excitation before it.
    windows = np.lib.stride_tricks.sliding_window_view(driven, _IMPULSE)
    synthesized: _Float = windows @ impulse[::-1]
    return synthesized


def _inverse_filter(segment: _Float) -> _Float:
    """A(z) = 1 - sum a_k z^-k of ``segment`` by the autocorrelation method (stable)."""
    windowed = segment * (_WINDOW if len(segment) == _ANALYSIS else np.hanning(len(segment)))
    size = len(windowed)
    correlation = np.array([windowed[: size - lag] @ windowed[lag:] for lag in range(_ORDER + 1)])
    correlation[0] = correlation[0] * 1.0001 + 1e-3  # white noise correction: well posed
    lags = np.abs(np.arange(_ORDER)[:, None] - np.arange(_ORDER)[None, :])
    coefficients = np.linalg.solve(correlation[lags], correlation[1:])
    return np.concatenate(([1.0], -coefficients))


def _backwards(following: _Float) -> _Float:
    """The frame before ``following`` as it would lead into it: predicted back in time."""
    return _predict(following[::-1], _pitch_within(following))[::-1]
