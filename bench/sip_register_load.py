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
import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
# HOTLINE_PROFILE="-m cProfile -o reg.prof" profiles the server during the load.
PROFILE = os.environ.get("HOTLINE_PROFILE", "").split()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(folder: Path, port: int, extensions: int) -> Path:
    lines = [
        "[server]",
        f'sip_listen = "127.0.0.1:{port}"',
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


def write_fields(folder: Path, extensions: int) -> Path:
    path = folder / "fields.csv"
    rows = [
        f"{n};hotline.local;[authentication username={n} password=pw-{n}]"
        for n in range(10000, 10000 + extensions)
    ]
    path.write_text("SEQUENTIAL\n" + "\n".join(rows) + "\n")
    return path


PROBE = (
    b"OPTIONS sip:hotline.local SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKready;rport\r\n"
    b"From: <sip:bench@hotline.local>;tag=1\r\nTo: <sip:hotline.local>\r\nCall-ID: ready\r\n"
    b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
)


def wait_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Probe with OPTIONS until the server answers (WARNING level logs no ready line)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.3)
            sock.sendto(PROBE, ("127.0.0.1", port))
            try:
                if sock.recv(65535).startswith(b"SIP/2.0 200"):
                    return
            except OSError:
                time.sleep(0.2)
    sys.exit(f"hotline did not start:\n{log.read_text()}")


def read_stats(folder: Path) -> list[dict[str, str]]:
    """The rows of SIPp's statistics file (one a second with ``-fd 1``, then a final one)."""
    files = sorted(folder.glob("register_load_*_.csv"))
    if not files:
        return []
    with files[-1].open() as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def sipp_seconds(row: dict[str, str]) -> float:
    """Seconds from SIPp's start of traffic to this row; its times end with epoch seconds."""
    return float(row["CurrentTime"].split()[-1]) - float(row["StartTime"].split()[-1])


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a live process (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        fields = write_fields(folder, args.extensions)
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
                rows = read_stats(folder)
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
