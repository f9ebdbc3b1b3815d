"""Concealment of lost 20 ms frames: made up from the speech around them, faded when nothing
follows, and leading into the speech that comes back without a seam."""

from __future__ import annotations

import numpy as np

from hotline.media.plc import Concealer, conceal_frames

from .conftest import steady_vowel


def _snr(made_up: np.ndarray, real: np.ndarray) -> float:
    error = made_up.astype(float) - real
    return float(10 * np.log10(np.sum(real.astype(float) ** 2) / (np.sum(error**2) + 1.0)))


def _fed(concealer: Concealer, vowel: np.ndarray, frames: int) -> None:
    for index in range(frames):
        concealer.good(vowel[index * 160 : (index + 1) * 160])


def test_a_lost_frame_between_two_that_came_is_made_up_close_to_the_real_one() -> None:
    vowel = steady_vowel(8)
    concealer = Concealer()
    _fed(concealer, vowel, 4)
    made_up = concealer.lost(vowel[800:960])
    assert made_up is not None
    assert _snr(made_up, vowel[640:800]) > 15  # silence is 0 dB, a wrong phase worse


def test_a_burst_bridged_to_the_speech_after_it_leads_into_it_without_a_seam() -> None:
    vowel = steady_vowel(10)
    concealer = Concealer()
    _fed(concealer, vowel, 4)
    following = vowel[1120:1280]  # frames 4, 5 and 6 lost; 7 is here already
    made_up = [concealer.lost(following, ahead=2), concealer.lost(), concealer.lost()]
    assert all(frame is not None for frame in made_up)
    gap = np.concatenate(made_up)  # type: ignore[arg-type]
    assert _snr(gap[-40:], vowel[1080:1120]) > 10  # its end is the speech that follows
    assert np.array_equal(concealer.good(following), following)  # which is not blended


def test_the_part_of_a_frame_that_came_is_kept_and_the_rest_made_up() -> None:
    vowel = steady_vowel(8)
    concealer = Concealer()
    _fed(concealer, vowel, 4)
    real = vowel[640:800]
    came = np.arange(160) < 80  # the first half came (a 30 ms packet), the rest was lost
    made_up = concealer.lost(vowel[800:960], came=(real, came))
    assert made_up is not None
    assert np.array_equal(made_up[:80], real[:80])
    assert _snr(made_up[80:], real[80:]) > 15  # made up, not silence (0 dB)
    # At a stream's start, with nothing heard before, what came is played as it is.
    assert np.array_equal(Concealer().lost(came=(real, ~came)), np.where(came, 0, real))


def test_a_loss_with_nothing_after_it_fades_to_silence_within_60_ms() -> None:
    vowel = steady_vowel(6)
    concealer = Concealer()
    _fed(concealer, vowel, 4)
    made_up = [concealer.lost() for _ in range(4)]
    levels = [float(np.abs(frame).mean()) for frame in made_up[:3] if frame is not None]
    real = float(np.abs(vowel[480:640]).mean())
    assert len(levels) == 3 and levels[0] > 0.7 * real and levels[0] > levels[1] > levels[2]
    assert made_up[3] is None and concealer.quiet
    back = vowel[800:960]
    resumed = concealer.good(back)
    assert np.array_equal(resumed[80:], back[80:])  # faded in over 10 ms ...
    assert np.abs(resumed[:80]).sum() < 0.7 * np.abs(back[:80]).sum()  # ... from silence


def test_a_recording_conceals_only_gaps_between_frames_that_came() -> None:
    vowel = steady_vowel(12)
    samples = vowel.copy()
    received = np.ones(12, np.bool_)
    received[[0, 5, 6, 11]] = False  # before the stream began, a burst, after it stopped
    for index in np.flatnonzero(~received):
        samples[index * 160 : (index + 1) * 160] = 0
    conceal_frames(Concealer(), samples, received, np.zeros(480, np.int16))
    assert not samples[:160].any() and not samples[1760:].any()  # no loss: left silent
    assert _snr(samples[800:1120], vowel[800:1120]) > 6
    assert np.array_equal(samples[160:800], vowel[160:800])
    assert np.array_equal(samples[1120:1760], vowel[1120:1760])
