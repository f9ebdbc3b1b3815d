"""PESQ of concealment alone: the voice quality test's loss patterns, without the network.

Speech from the prompt sets is G.711 encoded in 20 ms frames, a seeded random share of the
frames is lost (the pattern ``hotline.testing.voice.ImpairedLink`` draws for the same seed,
after the eight packets of the key the test's phones press first), and what is left is
concealed twice: as a recording does (``conceal_frames`` every half second, the three frames
after each write on the tape to look at) and as a decoded live leg does (``Concealer`` frame
by frame, bridged to the speech after the loss when it came within three frames, as the
engine finds it in the jitter buffer). Each is scored with PESQ against what was sent. It runs
in seconds and gives the same figures every run: what the voice quality test measures through
the media worker, less what timing on a busy machine adds.

    uv run python bench/concealment.py
    uv run python bench/concealment.py --loss 0.05 --seeds 1 2 3 4 5 6 7 8 9 10
"""

from __future__ import annotations

import argparse
import random

import numpy as np
import numpy.typing as npt

from hotline.media.g711 import Law, decode, encode
from hotline.media.plc import AHEAD_FRAMES, Concealer, conceal_frames
from hotline.testing.voice import score, speech

Samples = npt.NDArray[np.int16]
_FRAME = 160
_WRITE = 25  # frames a recording writes at once (half a second)
_KEY_PACKETS = 8


def received(frames: int, loss: float, seed: int) -> npt.NDArray[np.bool_]:
    """Which frames came, drawn as ``ImpairedLink`` draws (a loss, else a delay)."""
    draw = random.Random(seed)
    came = np.ones(frames, np.bool_)
    for index in range(-_KEY_PACKETS, frames):
        lost = draw.random() < loss
        if not lost:
            draw.uniform(0, 0)
        if lost and index >= 0:
            came[index] = False
    return came


def recorded(sent: Samples, came: npt.NDArray[np.bool_]) -> Samples:
    samples = np.where(np.repeat(came, _FRAME), sent[: len(came) * _FRAME], 0).astype(np.int16)
    concealer, before = Concealer(), np.zeros(3 * _FRAME, np.int16)
    for start in range(0, len(came), _WRITE):
        stop = min(start + _WRITE, len(came))
        ahead = min(AHEAD_FRAMES - 1, len(came) - stop)  # the last of the three not here yet
        part = samples[start * _FRAME : (stop + ahead) * _FRAME]
        if came[start:stop].all():
            concealer.resume()  # as the recorder does when a write lost nothing
        else:
            conceal_frames(concealer, part, came[start : stop + ahead], before, ahead=ahead)
        before = samples[(stop - 3) * _FRAME : stop * _FRAME].copy()
    return samples


def live(sent: Samples, came: npt.NDArray[np.bool_]) -> Samples:
    """As a decoded leg does, its jitter buffer holding the next ``AHEAD_FRAMES`` frames: a
    lost frame is bridged to the first of them that came (``MediaEngine._conceal``)."""
    concealer, heard = Concealer(), []
    for index in range(len(came)):
        frame = sent[index * _FRAME : (index + 1) * _FRAME]
        if came[index]:
            heard.append(concealer.good(frame.copy()))
            continue
        after = came[index + 1 : index + 1 + AHEAD_FRAMES]
        if after.any():
            ahead = int(np.argmax(after))
            start = (index + 1 + ahead) * _FRAME
            made_up = concealer.lost(sent[start : start + _FRAME].copy(), ahead)
        else:
            made_up = concealer.lost()
        heard.append(np.zeros(_FRAME, np.int16) if made_up is None else made_up)
    return np.concatenate(heard)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loss", type=float, default=0.10)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 9)))
    arguments = parser.parse_args()
    print(f"loss {arguments.loss:.0%}, seeds {' '.join(map(str, arguments.seeds))}")
    every = []
    for language in ("en", "ru"):
        sent = decode(encode(speech(arguments.seconds, language), Law.PCMU), Law.PCMU)
        for name, conceal in (("recording", recorded), ("live", live)):
            scores = []
            for seed in arguments.seeds:
                came = received(len(sent) // _FRAME, arguments.loss, seed)
                scores.append(score(sent, conceal(sent, came)))
            every += scores
            row = " ".join(f"{value:.2f}" for value in scores)
            print(f"{language} {name:9} {row}  min {min(scores):.2f} mean {np.mean(scores):.2f}")
    under = sum(value < 3 for value in every)
    print(f"all: mean {np.mean(every):.3f}, min {min(every):.2f}, under 3.0: {under}")


if __name__ == "__main__":
    main()
