"""REGISTER load with digest auth: SIPp registers extensions against ``hotline serve``.

Starts Hotline with N extensions on a free port, runs SIPp at a fixed rate of REGISTER
exchanges (each: REGISTER, 401, REGISTER with credentials, 200) for a while, and prints the
achieved rate and SIPp's failure count. Goal: 1,000 registrations a second, zero failures.

The achieved rate is measured on SIPp's own clock (its statistics file, from its first call
to its last answer), so SIPp's start-up does not count. "kept up" means the server answered at
the target rate: the run took no more than 5% longer than asked. The server's CPU time per
registration (Linux) tells what one core could do on a machine shared with SIPp.

    uv run python bench/sip_register_load.py --rate 1000 --seconds 20
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _sip_load import cpu_seconds, free_port, stat_rows, wait_ready, write_credentials

HERE = Path(__file__).parent
# HOTLINE_PROFILE="-m cProfile -o reg.prof" profiles the server during the load.
PROFILE = os.environ.get("HOTLINE_PROFILE", "").split()


def write_config(folder: Path, port: int, extensions: int) -> Path:
    lines = [
        "[server]",
        f'sip_listen = "127.0.0.1:{port}"',
        f'http_listen = "127.0.0.1:{free_port()}"',
        f'data_dir = "{folder / "data"}"',
        'domain = "hotline.local"',
        "[security]",
        "max_auth_failures = 1000000",
    ]
    for index in range(extensions):
        number = 10000 + index
        lines += ["[[extensions]]", f'number = "{number}"', f'password = "pw-{number}"']
    path = folder / "hotline.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def sipp_seconds(row: dict[str, str]) -> float:
    """Seconds from SIPp's start of traffic to this row; its times end with epoch seconds."""
    return float(row["CurrentTime"].split()[-1]) - float(row["StartTime"].split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=1000, help="registrations a second")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--extensions", type=int, default=2000)
    parser.add_argument("--transport", default="u1", choices=["u1", "t1"])
    args = parser.parse_args()
    sipp = shutil.which("sipp")
    if sipp is None:
        sys.exit("sipp not found: apt-get install sip-tester")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        port = free_port()
        config = write_config(folder, port, args.extensions)
        fields = write_credentials(folder / "fields.csv", range(10000, 10000 + args.extensions))
        log = folder / "hotline.log"
        with log.open("wb") as log_file:
            server = subprocess.Popen(
                [sys.executable, *PROFILE, "-m", "hotline.cli", "serve", "--config", str(config),
                 "--log-level", "WARNING"],
                stdout=log_file, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
            try:
                wait_ready(server, port, log)
                total = args.rate * args.seconds
                cpu_before = cpu_seconds(server.pid)
                started = time.monotonic()
                result = subprocess.run(
                    [sipp, f"127.0.0.1:{port}", "-sf", str(HERE / "scenarios/register_load.xml"),
                     "-inf", str(fields), "-t", args.transport, "-r", str(args.rate),
                     "-m", str(total), "-l", str(args.rate * 4),
                     "-i", "127.0.0.1", "-mi", "127.0.0.1", "-ci", "127.0.0.1",
                     "-p", str(free_port()), "-mp", str(free_port()), "-cp", str(free_port()),
                     "-auth_uri", "hotline.local", "-timeout", f"{args.seconds * 3}s",
                     "-nostdin", "-trace_stat", "-fd", "1"],
                    cwd=folder, capture_output=True, text=True,
                )  # fmt: skip
                elapsed = time.monotonic() - started
                cpu_after = cpu_seconds(server.pid)
                rows = stat_rows(folder, "register_load_*_.csv")
            finally:
                server.terminate()
                server.wait(timeout=10)
    last = rows[-1] if rows else {}
    successful = int(last.get("SuccessfulCall(C)", 0) or 0)
    failed = int(last.get("FailedCall(C)", 0) or 0)
    seconds = sipp_seconds(last) if last else elapsed
    achieved = successful / seconds if seconds > 0 else 0.0
    print(f"transport            {args.transport}")
    print(f"target rate          {args.rate}/s for {args.seconds} s ({total} registrations)")
    print(f"successful           {successful}")
    print(f"failed               {failed}")
    print(f"achieved rate        {achieved:.0f} registrations/s over {seconds:.1f} s (SIPp clock)")
    print(f"kept up              {'yes' if seconds <= args.seconds * 1.05 else 'no'}")
    print(f"most in flight       {max((int(r['CurrentCall'] or 0) for r in rows), default=0)}")
    print(f"retransmissions      {last.get('Retransmissions(C)', '?')}")
    if cpu_before is not None and cpu_after is not None and successful:
        per = (cpu_after - cpu_before) / successful
        print(f"server CPU           {per * 1e6:.0f} us a registration ({1 / per:.0f}/s per core)")
    print(f"wall time with SIPp  {elapsed:.1f} s")
    print(f"sipp exit code       {result.returncode}")


if __name__ == "__main__":
    main()
