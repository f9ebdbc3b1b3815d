"""Memory soak: calls through a queue at a steady rate, with audio, for minutes on end.

Starts ``hotline serve`` as ``pbx_queue_load.py`` does (one queue, N always-logged-in agents
on one SIPp that answers after 1 s and echoes RTP, a trunk trusting 127.0.0.2), then one SIPp
places calls into the queue at a fixed rate for the whole run; with ``--audio`` (the default,
needs root for SIPp's pcap play) every caller sends 7 s of PCMA. Every minute it prints the
resident memory of Hotline's main process and of its media process, and the calls placed so
far. Once the calls stop, the verdict: memory is flat when, after the first minute (the time
the steady number of calls takes to build up), every sample of each process is within
``--tolerance`` (5 %) of that process's first-minute sample. A call, its legs, dialogs and
transactions that are not let go show as a straight climb.

    uv run python bench/soak.py                                # 10 minutes at 30 calls/s
    uv run python bench/soak.py --minutes 3 --rate 20 --agents 300
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _sip_load import children, free_port, stat_rows, wait_ready
from pbx_queue_load import DID, SCENARIOS, register_agents, sipp_command, write_config


@dataclass(frozen=True)
class Sample:
    minute: int
    main_mb: float
    media_mb: float
    calls: int  # calls SIPp has placed so far


def rss_mb(pid: int) -> float:
    """Resident set size of a live process, in MB (Linux /proc); 0 when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sample(minute: int, server: subprocess.Popen[bytes], callers_dir: Path) -> Sample:
    rows = stat_rows(callers_dir)
    calls = int(rows[-1].get("TotalCallCreated", 0) or 0) if rows else 0
    media = sum(rss_mb(pid) for pid in children(server.pid))
    return Sample(minute, rss_mb(server.pid), media, calls)


def flat(values: list[float], tolerance: float) -> bool:
    """Every value within ``tolerance`` (a fraction) of the first."""
    first = values[0]
    return all(abs(value - first) <= tolerance * first for value in values)


def verdict(samples: list[Sample], tolerance: float) -> str:
    steady = [s for s in samples if s.minute >= 1]
    if len(steady) < 2:
        return "too short for a verdict (run at least 2 minutes)"
    parts = []
    for name, values in (
        ("main", [s.main_mb for s in steady]),
        ("media", [s.media_mb for s in steady]),
    ):
        growth = (values[-1] - values[0]) / values[0] if values[0] else 0.0
        state = "flat" if flat(values, tolerance) else "NOT flat"
        parts.append(
            f"{name} {state} ({values[0]:.1f} -> {values[-1]:.1f} MB, {growth:+.1%}, "
            f"range {min(values):.1f}-{max(values):.1f})"
        )
    return f"after the first minute, within {tolerance:.0%}: " + "; ".join(parts)


def start_callers(
    sipp: str, folder: Path, port: int, args: argparse.Namespace
) -> tuple[subprocess.Popen[bytes], Path]:
    work = folder / "callers"
    work.mkdir()
    scenario = "pbx_caller_audio.xml" if args.audio else "pbx_caller.xml"
    total = int(args.rate * args.minutes * 60)
    command = sipp_command(
        sipp, "127.0.0.2", f"127.0.0.1:{port}", "-sf", str(SCENARIOS / scenario),
        "-s", DID, "-r", str(args.rate), "-m", str(total), "-l", "10000",
        "-d", str(int(args.hold * 1000)), "-p", str(free_port("127.0.0.2")),
        "-timeout", f"{args.minutes * 60 + args.hold + 60}s",
    )  # fmt: skip
    callers = subprocess.Popen(
        command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return callers, work


def run(sipp: str, folder: Path, args: argparse.Namespace) -> list[Sample]:
    port = free_port()
    log = folder / "hotline.log"
    config = write_config(folder, port, args.agents, media_worker=True)
    samples: list[Sample] = []
    with log.open("wb") as log_file:
        # WARNING: the INFO lines of 30 calls a second would fill the disk, not the memory.
        server = subprocess.Popen(
            [sys.executable, "-m", "hotline.cli", "serve", "--config", str(config),
             "--log-level", "WARNING"],
            stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        agents: subprocess.Popen[bytes] | None = None
        callers: subprocess.Popen[bytes] | None = None
        try:
            wait_ready(server, port, log)
            agent_port = free_port()
            register_agents(sipp, folder, port, agent_port, args.agents)
            (folder / "agents").mkdir()
            agents = subprocess.Popen(
                sipp_command(
                    sipp, "127.0.0.1", "-sf", str(SCENARIOS / "pbx_agent.xml"),
                    "-p", str(agent_port), "-d", "1000", "-rtp_echo",
                ),
                cwd=folder / "agents", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(0.5)
            print(
                f"{args.rate} calls/s into one queue of {args.agents} agents for "
                f"{args.minutes} min, hold {args.hold} s, "
                f"{'with' if args.audio else 'without'} audio",
                flush=True,
            )
            started = time.monotonic()
            callers, callers_dir = start_callers(sipp, folder, port, args)
            for minute in range(args.minutes + 1):
                time.sleep(max(0.0, started + 60 * minute - time.monotonic()))
                samples.append(sample(minute, server, callers_dir))
                s = samples[-1]
                print(
                    f"minute {s.minute:>3}  main {s.main_mb:7.1f} MB  media {s.media_mb:7.1f} MB"
                    f"  calls placed {s.calls:>7}",
                    flush=True,
                )
            callers.wait(timeout=args.hold + 120)
            rows = stat_rows(callers_dir)
            failed = int(rows[-1].get("FailedCall(C)", 0) or 0) if rows else 0
            print(f"calls failed (SIPp callers): {failed}")
            if server.poll() is not None:
                sys.exit(f"hotline exited:\n{log.read_text()[-3000:]}")
        finally:
            for sipp_process in (callers, agents):
                if sipp_process is not None and sipp_process.poll() is None:
                    sipp_process.terminate()
                    sipp_process.wait(timeout=10)
            server.terminate()
            server.wait(timeout=20)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--rate", type=float, default=30, help="calls a second")
    parser.add_argument("--agents", type=int, default=400, help="rate x (ring + hold) or more")
    parser.add_argument("--hold", type=float, default=8.0, help="caller's call length, s")
    parser.add_argument("--tolerance", type=float, default=0.05, help="flat within, fraction")
    parser.add_argument(
        "--no-audio", dest="audio", action="store_false", help="callers send no RTP"
    )
    args = parser.parse_args()
    sipp = shutil.which("sipp")
    if sipp is None:
        sys.exit("sipp not found: apt-get install sip-tester")
    with tempfile.TemporaryDirectory() as name:
        samples = run(sipp, Path(name), args)
    print(verdict(samples, args.tolerance))


if __name__ == "__main__":
    main()
