"""Plumbing shared by the SIPp load benchmarks: ports, credentials, readiness, CPU, stats."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

PROBE = (
    b"OPTIONS sip:hotline.local SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbenchready;rport\r\n"
    b"From: <sip:bench@hotline.local>;tag=1\r\nTo: <sip:hotline.local>\r\nCall-ID: bench-ready\r\n"
    b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def write_credentials(path: Path, numbers: Iterable[int]) -> Path:
    """A SIPp injection file: number; domain; the [authentication] keyword with its password
    (pw-<number>). SIPp 3.6 does not expand fields inside the keyword, so it is a field."""
    rows = [f"{n};hotline.local;[authentication username={n} password=pw-{n}]" for n in numbers]
    path.write_text("SEQUENTIAL\n" + "\n".join(rows) + "\n")
    return path


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


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a live process (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux /proc), such as Hotline's media process."""
    found: list[int] = []
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in path.read_text().split()]
        except OSError:
            continue
    return found


def stat_rows(folder: Path, pattern: str = "*_.csv") -> list[dict[str, str]]:
    """The rows of the newest SIPp statistics file (``-trace_stat``) in ``folder``."""
    files = sorted(folder.glob(pattern))
    if not files:
        return []
    with files[-1].open() as handle:
        return list(csv.DictReader(handle, delimiter=";"))
