"""Queue load: SIPp callers through a trunk into one queue, SIPp agents' phones answering.

Starts ``hotline serve`` with one queue, N agent extensions (static members, no wrap-up) and a
trunk trusting 127.0.0.2; one SIPp registers every agent from one port, where another SIPp
answers the queue's offers after 1 s (``-d``) and echoes RTP; then callers come at a fixed rate
from 127.0.0.2 into the queue's DID and hang up after a hold time. The rate is stepped up; for
each step the figures are calls attempted, answered by an agent, failed (SIPp failures on
either side, or a caller who left before an agent answered), the answer time (caller joining
to agent connected, from Hotline's log), the most calls held at once and Hotline's CPU.

Goals (issue M1-CALLS): 200 calls a second with zero failures and the answer time flat at the
ring time; 500 concurrent bridged calls. Hotline's CPU is printed for its main process and for
its media process (``--media-in-process`` keeps media in the main one, as before).

    uv run python bench/pbx_queue_load.py --agents 1100 --rates 120,160,200 --seconds 10 --hold 4
    uv run python bench/pbx_queue_load.py --agents 1100 --rates 70 --seconds 12 --hold 11 --audio
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _sip_load import children, cpu_seconds, free_port, stat_rows, wait_ready, write_credentials

HERE = Path(__file__).parent
SCENARIOS = HERE / "scenarios"
DID = "5550100"
FIRST_AGENT = 3000
CONNECTED = re.compile(r"connected to agent \d+ after ([0-9.]+) s")


def write_config(folder: Path, port: int, agents: int, media_worker: bool) -> Path:
    numbers = [str(FIRST_AGENT + index) for index in range(agents)]
    lines = [
        "[server]", f'sip_listen = "127.0.0.1:{port}"', f'data_dir = "{folder / "data"}"',
        f'http_listen = "127.0.0.1:{free_port()}"',
        'domain = "hotline.local"', "[security]", "max_auth_failures = 1000000",
        "[media]", 'rtp_ports = "20000-39999"', f"worker_process = {str(media_worker).lower()}",
    ]  # fmt: skip
    for number in numbers:
        lines += ["[[extensions]]", f'number = "{number}"', f'password = "pw-{number}"']
        lines += ["agent = true", "always_logged_in = true"]
    agent_list = ", ".join(f'"{number}"' for number in numbers)
    lines += [
        "[[queues]]", 'number = "800"', 'strategy = "longest_waiting"', f"agents = [{agent_list}]",
        "ring_timeout = 15", "max_wait = 600", "wrap_up = 0", "announce_position_every = 600",
        "[[trunks]]", 'name = "bench"', 'from = ["127.0.0.2/32"]', f'did = {{ "{DID}" = "800" }}',
    ]  # fmt: skip
    path = folder / "hotline.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def sipp_command(sipp: str, host: str, *args: str) -> list[str]:
    return [
        sipp, *args, "-t", "u1", "-i", host, "-mi", host, "-ci", host,
        "-cp", str(free_port(host)), "-mp", str(free_port(host)),
        "-nostdin", "-trace_stat", "-fd", "1",
    ]  # fmt: skip


@dataclass
class Step:
    rate: int
    attempted: int
    answered: int
    caller_failures: int  # SIPp callers' failed calls
    agent_failures: int  # SIPp agents' failed calls
    unanswered: int  # callers never connected to an agent
    answer_times: list[float]
    held: int
    agent_calls: int
    cpu: float  # Hotline's CPU, in cores: the main process
    media_cpu: float  # and the media process, when media runs in one

    @property
    def failed(self) -> int:
        """At least this many calls went wrong: the three counts overlap (a caller who left
        before an agent answered is also a failed call for the agent's SIPp)."""
        return max(self.unanswered, self.caller_failures, self.agent_failures)


def register_agents(sipp: str, folder: Path, port: int, agent_port: int, agents: int) -> None:
    work = folder / "register"
    work.mkdir()
    numbers = range(FIRST_AGENT, FIRST_AGENT + agents)
    credentials = write_credentials(folder / "agents.csv", numbers)
    command = sipp_command(
        sipp, "127.0.0.1", f"127.0.0.1:{port}", "-sf", str(SCENARIOS / "pbx_register.xml"),
        "-trace_err", "-auth_uri", "hotline.local",
        "-inf", str(credentials), "-p", str(agent_port),
        "-m", str(agents), "-r", "200", "-timeout", "60s", "-timeout_error",
    )  # fmt: skip
    result = subprocess.run(command, cwd=work, capture_output=True, text=True)
    if result.returncode != 0:
        errors = "".join(path.read_text() for path in work.glob("*errors.log"))
        sys.exit(f"agents did not register (SIPp {result.returncode}):\n{errors[-3000:]}")


def run_step(sipp: str, folder: Path, port: int, rate: int, args: argparse.Namespace,
             server: subprocess.Popen[bytes], log: Path, agents_dir: Path) -> Step:  # fmt: skip
    work = folder / f"callers-{rate}"
    work.mkdir()
    total = rate * args.seconds
    log_start = log.stat().st_size
    agent_rows_before = len(stat_rows(agents_dir))
    media = children(server.pid)
    media_before = sum(cpu_seconds(pid) or 0.0 for pid in media)
    cpu_before, started = cpu_seconds(server.pid) or 0.0, time.monotonic()
    command = sipp_command(
        sipp, "127.0.0.2", f"127.0.0.1:{port}", "-sf", str(SCENARIOS / args.caller_scenario),
        "-s", DID, "-r", str(rate), "-m", str(total), "-l", "10000",
        "-d", str(int(args.hold * 1000)), "-p", str(free_port("127.0.0.2")),
        "-timeout", f"{args.seconds + args.hold + 60}s", "-trace_err",
    )  # fmt: skip
    subprocess.run(command, cwd=work, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    cpu = ((cpu_seconds(server.pid) or 0.0) - cpu_before) / elapsed
    media_cpu = (sum(cpu_seconds(pid) or 0.0 for pid in media) - media_before) / elapsed
    time.sleep(1.0)  # the last BYEs reach the agents
    rows = stat_rows(work)
    last = rows[-1] if rows else {}
    agent_rows = stat_rows(agents_dir)[agent_rows_before:]
    with log.open("rb") as handle:
        handle.seek(log_start)
        text = handle.read().decode("utf-8", "replace")
    times = [float(match) for match in CONNECTED.findall(text)]
    failed = int(last.get("FailedCall(C)", 0) or 0)
    agent_failed = sum(int(row.get("FailedCall(P)", 0) or 0) for row in agent_rows)
    attempted = int(last.get("TotalCallCreated", 0) or 0) or total
    return Step(
        rate=rate, attempted=attempted, answered=len(times), caller_failures=failed,
        agent_failures=agent_failed, unanswered=max(0, attempted - len(times)),
        answer_times=times,
        held=max((int(row.get("CurrentCall", 0) or 0) for row in rows), default=0),
        agent_calls=max((int(row.get("CurrentCall", 0) or 0) for row in agent_rows), default=0),
        cpu=cpu, media_cpu=media_cpu,
    )  # fmt: skip


def report(step: Step) -> None:
    times = sorted(step.answer_times)
    if times:
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        answer = f"{statistics.median(times):.2f}/{p95:.2f}/{times[-1]:.2f}"
    else:
        answer = "-"
    print(
        f"{step.rate:>5}/s  attempted {step.attempted:>6}  answered {step.answered:>6}  "
        f"failed {step.failed:>5} (callers {step.caller_failures}, agents {step.agent_failures}, "
        f"no agent {step.unanswered})  answer s (median/p95/max) {answer:>16}  "
        f"held {step.held:>5}  agents talking {step.agent_calls:>5}  hotline CPU {step.cpu:.0%}"
        + (f" + media process {step.media_cpu:.0%}" if step.media_cpu else ""),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agents", type=int, default=1100, help="rate x (ring + hold) or more")
    parser.add_argument("--rates", default="5,10,20,40", help="calls a second, stepped")
    parser.add_argument("--seconds", type=int, default=10, help="length of each step")
    parser.add_argument("--hold", type=float, default=4.0, help="caller's call length, s")
    parser.add_argument("--ring", type=float, default=1.0, help="agents answer after, s")
    parser.add_argument("--keep", type=Path, help="copy logs and SIPp traces here")
    parser.add_argument(
        "--media-in-process", action="store_true", help="media in the main process, as before"
    )
    parser.add_argument(
        "--audio", action="store_true", help="callers play 7 s of PCMA (root), agents echo it"
    )
    args = parser.parse_args()
    args.caller_scenario = "pbx_caller_audio.xml" if args.audio else "pbx_caller.xml"
    sipp = shutil.which("sipp")
    if sipp is None:
        sys.exit("sipp not found: apt-get install sip-tester")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        port = free_port()
        log = folder / "hotline.log"
        config = write_config(folder, port, args.agents, not args.media_in_process)
        with log.open("wb") as log_file:
            server = subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", "serve",
                 "--config", str(config),
                 "--log-level", "INFO"],
                stdout=log_file, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
            agents: subprocess.Popen[str] | None = None
            try:
                wait_ready(server, port, log)
                agent_port = free_port()
                register_agents(sipp, folder, port, agent_port, args.agents)
                agents_dir = folder / "agents"
                agents_dir.mkdir()
                agents = subprocess.Popen(
                    sipp_command(
                        sipp, "127.0.0.1", "-sf", str(SCENARIOS / "pbx_agent.xml"),
                        "-p", str(agent_port), "-d", str(int(args.ring * 1000)), "-rtp_echo",
                        "-trace_err",
                    ),
                    cwd=agents_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
                )  # fmt: skip
                time.sleep(0.5)
                audio = "with" if args.audio else "without"
                print(
                    f"{args.agents} agents, answer after {args.ring} s, callers hold {args.hold} s,"
                    f" {audio} caller audio"
                )
                steps = []
                for rate in (int(r) for r in args.rates.split(",")):
                    steps.append(run_step(sipp, folder, port, rate, args, server, log, agents_dir))
                    report(steps[-1])
                    time.sleep(args.hold)
                if args.keep:
                    shutil.copytree(folder, args.keep, dirs_exist_ok=True)
            finally:
                if agents is not None:
                    agents.terminate()
                    agents.wait(timeout=10)
                server.terminate()
                server.wait(timeout=20)
    clean = [step.rate for step in steps if step.failed == 0]
    print(f"highest rate with zero failures: {max(clean) if clean else 'none'}/s")
    print(f"most calls held at once: {max(step.held for step in steps)}")


if __name__ == "__main__":
    main()
