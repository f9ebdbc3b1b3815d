"""What callers, agents and supervisors hear: PESQ scores (ITU-T P.862 narrow band) and added
delay, for the media service's calls under loss and jitter.

The media runs in its own process (``MediaWorker``, as Hotline runs it); this process makes
the voice quality test's calls (``hotline.testing.voice_calls``): phones over loopback speak
prompt-set speech in 20 ms G.711 packets on a steady clock, start their stream over half-way,
and hear by RTP timestamp as a phone does. The speaking phone's packets to Hotline pass a relay
that loses and jitters them (``hotline.testing.voice.ImpairedLink``), with each of the loss
patterns ``--seeds`` gives. For each case and impairment the table gives the PESQ score
against what was sent (4.55 is the G.711 ceiling) and, where Hotline decodes (the whisperer's
ear), the p50/p99 delay Hotline adds (arrival of a caller's packet to the whisperer's packet
holding its speech).

    uv run python bench/voice_quality.py
    uv run python bench/voice_quality.py --seconds 8 --loss 0 0.05 0.1 --jitter 0 0.04
    uv run python bench/voice_quality.py --loss 0.1 --jitter 0 --seeds 1 2 3 4 5 6 7 8
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from hotline.media import MediaWorker
from hotline.testing.voice import percentile, score
from hotline.testing.voice_calls import CALLS, Call, Impairment


async def main() -> None:
    print(f"{'case':38} {'loss':>5} {'jitter':>7} {'seed':>4} {'PESQ':>5} {'delay p50/p99 ms':>17}")
    with tempfile.TemporaryDirectory() as folder:
        media = MediaWorker(
            rtp_address="127.0.0.1", port_range=(46000, 46999), recordings_dir=Path(folder)
        )
        await media.start()
        try:
            for loss in ARGS.loss:
                for jitter in ARGS.jitter:
                    for seed in ARGS.seeds if loss or jitter else ARGS.seeds[:1]:
                        impairment = Impairment(loss, jitter, seed)
                        for scenario in CALLS:
                            if scenario.__name__ in ARGS.calls:
                                _print(await scenario(media, impairment, ARGS.seconds), impairment)
        finally:
            await media.close()


def _print(call: Call, impairment: Impairment) -> None:
    delay = ""
    if call.delays:
        p50, p99 = percentile(call.delays, 0.5) * 1000, percentile(call.delays, 0.99) * 1000
        delay = f"{p50:.1f} / {p99:.1f}"
    for name, (said, heard) in call.heard.items():
        print(
            f"{name:38} {impairment.loss:5.0%} {impairment.jitter * 1000:5.0f}ms "
            f"{impairment.seed:4} {score(said, heard):5.2f} {delay:>17}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--loss", type=float, nargs="+", default=[0.0, 0.05, 0.1])
    parser.add_argument("--jitter", type=float, nargs="+", default=[0.0, 0.04])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument(
        "--calls", nargs="+", default=[call.__name__ for call in CALLS],
        choices=[call.__name__ for call in CALLS],
    )  # fmt: skip
    ARGS = parser.parse_args()
    asyncio.run(main())
