"""Test harness: a real ``hotline serve`` process on free ports, driven by real SIP peers."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def die_with_parent() -> None:
    """Run in a child before exec: the kernel kills it when the test process dies, so a test
    run stopped by a time-out leaves no server behind (Linux PR_SET_PDEATHSIG)."""
    import ctypes
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


ADMIN_PASSWORD = "password-admin"
SCENARIOS = Path(__file__).resolve().parents[3] / "tests" / "e2e" / "scenarios"


def free_udp_tcp_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP on ``host`` right now."""
    return free_udp_tcp_ports(1, host)[0]


def free_udp_tcp_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` different ports, each free for both UDP and TCP on ``host`` right now (all
    held open together while they are chosen, so no two are the same)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with contextlib.ExitStack() as held:
        ports: list[int] = []
        for _ in range(50 * count):
            udp = held.enter_context(socket.socket(family, socket.SOCK_DGRAM))
            udp.bind((host, 0))
            port = int(udp.getsockname()[1])
            tcp = held.enter_context(socket.socket(family, socket.SOCK_STREAM))
            try:
                tcp.bind((host, port))
            except OSError:
                continue
            ports.append(port)
            if len(ports) == count:
                return ports
    raise RuntimeError("no free port")


def baresip_ports() -> tuple[int, int]:
    """For a baresip 1.0 phone: a SIP port whose next port is free too (baresip also listens
    for TLS there, with no setting to turn it off), and a port for its control socket."""
    for _ in range(50):
        sip, control = free_udp_tcp_ports(2)
        if control == sip + 1:
            continue
        with socket.socket() as tls:
            try:
                tls.bind(("127.0.0.1", sip + 1))
            except OSError:
                continue
        return sip, control
    raise RuntimeError("no free ports for baresip")


@dataclass
class HotlineProcess:
    process: subprocess.Popen[str]
    host: str
    sip_port: int
    http_port: int | None = None
    log_lines: list[str] = field(default_factory=list)

    @property
    def http_url(self) -> str:
        """The web server's base address (REST API, WebSocket, pages)."""
        assert self.http_port is not None, "started without http_listen"
        return f"http://127.0.0.1:{self.http_port}"

    def token(self, name: str = "admin", password: str = ADMIN_PASSWORD) -> str:
        """A bearer token of ``name`` (the administrator ``start_hotline`` configures)."""
        import httpx

        form = {"username": name, "password": password}
        response = httpx.post(f"{self.http_url}/api/auth/token", data=form, timeout=10)
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def api_headers(self, name: str = "admin", password: str = ADMIN_PASSWORD) -> dict[str, str]:
        """Headers signing an API request in as ``name``."""
        return {"Authorization": f"Bearer {self.token(name, password)}"}

    def log_text(self) -> str:
        return "".join(self.log_lines)

    def wait_for_log(self, text: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not logged; log so far:\n{self.log_text()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                return self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


# The administrator of the web side of a ``start_hotline`` server (for the body of another
# configuration).
ADMIN_USER = f"""
[[users]]
name = "admin"
password = "{ADMIN_PASSWORD}"
role = "admin"
"""

EXTENSIONS = """
[[extensions]]
number = "101"
name = "Support desk 1"
password = "s3cret-101"

[[extensions]]
number = "102"
password = "s3cret-102"
"""

# For ``extra``: agent 103 (logged out at start) and queue 800 with it as the only member.
AGENT_AND_QUEUE = """
[[extensions]]
number = "103"
password = "s3cret-103"
agent = true

[[queues]]
number = "800"
agents = ["103"]
"""


def start_hotline(
    tmp_path: Path,
    host: str = "127.0.0.1",
    extra: str = "",
    *,
    open_files: tuple[int, int] | None = None,
) -> HotlineProcess:
    """``hotline serve`` on a free port with extensions 101 and 102 and ``extra`` TOML;
    ``open_files``: start it with these soft and hard limits of open files."""
    port, http_port = free_udp_tcp_ports(2, host)
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    config = tmp_path / "hotline.toml"
    config.write_text(
        f'[server]\nsip_listen = "{listen}"\nhttp_listen = "127.0.0.1:{http_port}"\n'
        f'data_dir = "{tmp_path / "data"}"\ndomain = "hotline.local"\n{extra}\n{EXTENSIONS}'
        f"{ADMIN_USER}"
    )
    return run_hotline(config, host, port, http_port, open_files=open_files)


def run_hotline(
    config: Path,
    host: str,
    port: int,
    http_port: int | None = None,
    *,
    open_files: tuple[int, int] | None = None,
) -> HotlineProcess:
    """Start ``hotline serve --config`` (SIP on ``host:port``, the web server on loopback
    ``http_port`` when the configuration sets it), collect its log, and return once it is
    ready."""

    def prepare() -> None:
        die_with_parent()
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, open_files)

    process = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "serve", "--config", str(config)],
        stderr=subprocess.STDOUT,
        stdout=subprocess.PIPE,
        text=True,
        errors="replace",  # a peer's raw bytes may reach the log
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=prepare,
    )
    hotline = HotlineProcess(process, host, port, http_port)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            hotline.log_lines.append(line)

    threading.Thread(target=pump, daemon=True).start()
    hotline.wait_for_log("hotline ready", 30)  # imports alone take seconds on a busy machine
    return hotline


def require_sipp() -> str:
    path = shutil.which("sipp")
    if path is None:
        pytest.skip("SIPp is not installed (Debian package sip-tester; .ci/run installs it)")
    return path


@dataclass
class SippResult:
    returncode: int
    output: str


def run_sipp(
    scenario: str,
    server: HotlineProcess,
    tmp_path: Path,
    *,
    transport: str = "u1",
    user: str = "101",
    password: str = "s3cret-101",
    calls: int = 1,
    extra: list[str] | None = None,
    timeout: float = 20.0,
) -> SippResult:
    """Run one SIPp scenario from ``scenarios/`` against the server; return its exit code."""
    sipp = require_sipp()
    fields = tmp_path / "fields.csv"
    fields.write_text(f"SEQUENTIAL\n{user};hotline.local;{password}\n")
    local_port = free_udp_tcp_port()
    media_port = free_udp_tcp_port()
    command = [
        sipp, f"{server.host}:{server.sip_port}",
        "-sf", str(SCENARIOS / scenario), "-inf", str(fields),
        "-t", transport, "-m", str(calls),
        "-i", "127.0.0.1", "-mi", "127.0.0.1", "-ci", "127.0.0.1",
        "-p", str(local_port), "-mp", str(media_port), "-cp", str(free_udp_tcp_port()),
        "-au", user, "-ap", password, "-auth_uri", "hotline.local",
        "-timeout", f"{int(timeout)}s", "-timeout_error", "-nostdin",
        *(extra or []),
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=timeout + 15
    )
    return SippResult(result.returncode, result.stdout + result.stderr)
