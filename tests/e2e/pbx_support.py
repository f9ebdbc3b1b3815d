"""Helpers for the call tests: a ``hotline serve`` with agents and queues, SIPp phones.

Phones are SIPp processes: one registers an extension from a port (``register.xml``), then
another listens on that same port as the phone (UAS scenarios), so Hotline's INVITEs reach it.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotline.testing.harness import (
    ADMIN_USER,
    SCENARIOS,
    HotlineProcess,
    die_with_parent,
    free_udp_tcp_port,
    free_udp_tcp_ports,
    require_sipp,
    run_hotline,
)

AGENTS = ("101", "102", "103", "104")
_runs = itertools.count(1)


def extensions(always: tuple[str, ...] = AGENTS) -> str:
    text = ""
    for number in (*AGENTS, "200"):
        agent = number in AGENTS
        text += (
            f'[[extensions]]\nnumber = "{number}"\npassword = "s3cret-{number}"\n'
            f"agent = {'true' if agent else 'false'}\n"
            f"always_logged_in = {'true' if number in always else 'false'}\n\n"
        )
    return text


def start_server(tmp_path: Path, body: str, media: str = "") -> HotlineProcess:
    """``hotline serve`` with ``body`` (extensions, queues ...) on free ports; ``media`` adds
    keys to the ``[media]`` section."""
    port, http_port = free_udp_tcp_ports(2)
    # Below the ephemeral ports, where SIPp's media ports come from.
    low = 21000 + (os.getpid() % 50) * 200
    config = tmp_path / "hotline.toml"
    config.write_text(
        f'[server]\nsip_listen = "127.0.0.1:{port}"\nhttp_listen = "127.0.0.1:{http_port}"\n'
        f'data_dir = "{tmp_path / "data"}"\ndomain = "hotline.local"\n\n'
        f'[media]\nrtp_ports = "{low}-{low + 199}"\n{media}\n{body}\n{ADMIN_USER}'
    )
    return run_hotline(config, "127.0.0.1", port, http_port)


@dataclass
class Sipp:
    process: subprocess.Popen[str]
    name: str

    def wait(self, timeout: float = 30.0) -> tuple[int, str]:
        out, _ = self.process.communicate(timeout=timeout)
        return self.process.returncode, out


def sipp(
    server: HotlineProcess,
    tmp_path: Path,
    scenario: str,
    *,
    user: str,
    port: int | None = None,
    service: str | None = None,
    pause_ms: int = 0,
    extra: tuple[str, ...] = (),
    timeout: int = 20,
    password: str | None = None,
    local_ip: str = "127.0.0.1",
    transport: str = "u1",
) -> Sipp:
    """Start SIPp with ``scenario`` as extension ``user`` (password s3cret-<user>), over
    ``transport`` (SIPp's ``-t``: u1 one UDP socket, t1 one TCP connection)."""
    binary = require_sipp()
    # One file per run: a SIPp still starting must not read a file another run rewrites.
    fields = tmp_path / f"fields-{user}-{next(_runs)}.csv"
    fields.write_text(f"SEQUENTIAL\n{user};hotline.local;s3cret-{user}\n")
    port = port or free_udp_tcp_port()
    uas = service is None and "agent" in scenario
    command = [
        binary, f"{server.host}:{server.sip_port}", "-sf", str(SCENARIOS / scenario),
        "-inf", str(fields), "-t", transport, "-m", "1",
        "-i", local_ip, "-mi", local_ip, "-ci", local_ip,
        "-p", str(port), "-mp", str(_media_port()), "-cp", str(free_udp_tcp_port()),
        "-au", user, "-ap", password or f"s3cret-{user}",
        "-timeout", f"{timeout}s", "-timeout_error", "-nostdin", "-d", str(pause_ms),
    ]  # fmt: skip
    if service is not None:
        command += ["-s", service, "-auth_uri", f"{service}@hotline.local"]
    else:
        command += ["-auth_uri", "hotline.local"]
    if uas:
        command += ["-rtp_echo"]
    if "-m" in extra:
        at = command.index("-m")
        del command[at : at + 2]
    command += list(extra)
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",  # SIPp may print raw bytes of what it received
        preexec_fn=die_with_parent,
    )
    return Sipp(process, f"{scenario} as {user}")


# SIPp's media ports come from a block of this process's own below the ephemeral ports: there
# the kernel gives no other socket (SIPp's own control and SIP ports, the server's) one of
# them between the choice and SIPp's bind, as it did once in the ephemeral range.
_MEDIA_BLOCK = 17000 + (os.getpid() % 50) * 60
_media_ports = itertools.cycle(range(_MEDIA_BLOCK, _MEDIA_BLOCK + 60, 4))


def _media_port() -> int:
    """A port free with the one two above it: SIPp binds both for its media."""
    for _ in range(15):
        port = next(_media_ports)
        with (
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as audio,
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as video,
        ):
            try:
                audio.bind(("127.0.0.1", port))
                video.bind(("127.0.0.1", port + 2))
            except OSError:
                continue  # an earlier SIPp of this process still runs there
        return port
    raise RuntimeError("no free media port pair")


def phone(
    server: HotlineProcess,
    tmp_path: Path,
    user: str,
    scenario: str,
    pause_ms: int = 0,
    extra: tuple[str, ...] = (),
    transport: str = "u1",
) -> Sipp:
    """Register ``user`` from a fresh port, then answer calls there with ``scenario``
    (``register.xml``: only register)."""
    port = free_udp_tcp_port()
    registration = sipp(server, tmp_path, "register.xml", user=user, port=port, transport=transport)
    code, out = registration.wait()
    assert code == 0, out
    if scenario == "register.xml":
        return registration
    return sipp(server, tmp_path, scenario, user=user, port=port, pause_ms=pause_ms, extra=extra,
                transport=transport)  # fmt: skip


def shared_phone(
    server: HotlineProcess, tmp_path: Path, users: tuple[str, ...], scenario: str, pause_ms: int
) -> Sipp:
    """Several extensions registered at one port, served by one SIPp: their calls run on one
    scheduler, so the same pause ends in the same millisecond for each."""
    port = free_udp_tcp_port()
    for user in users:
        code, out = sipp(server, tmp_path, "register.xml", user=user, port=port).wait()
        assert code == 0, out
    extra = ("-m", str(len(users)))
    return sipp(
        server, tmp_path, scenario, user=users[0], port=port, pause_ms=pause_ms, extra=extra
    )


def require_root() -> None:
    """SIPp plays pcap audio through a raw socket, which needs root."""
    if os.geteuid() != 0:
        pytest.skip("SIPp pcap play needs root (raw socket)")


def call(
    server: HotlineProcess,
    tmp_path: Path,
    user: str,
    number: str,
    hold_ms: int,
    timeout: int = 20,
    *,
    transport: str = "u1",
    extra: tuple[str, ...] = (),
) -> Sipp:
    """A caller who plays audio when it can (root), else stays silent."""
    scenario = "pbx_caller.xml" if os.geteuid() == 0 else "pbx_caller_silent.xml"
    return sipp(
        server, tmp_path, scenario, user=user, service=number, pause_ms=hold_ms, timeout=timeout,
        transport=transport, extra=extra,
    )  # fmt: skip


def media_counts(log: str, call_id: str) -> list[tuple[int, int]]:
    """(received, sent) packets of each media leg of a call, from Hotline's log."""
    pattern = rf"call {call_id}: media leg \d+ received (\d+) packets, sent (\d+)"
    return [(int(a), int(b)) for a, b in re.findall(pattern, log)]


def call_ids(log: str) -> list[str]:
    return re.findall(r"call (c\d+): \S+ -> ", log)


def settle(server: HotlineProcess, quiet: float = 0.2, limit: float = 5.0) -> str:
    """The log once Hotline has been quiet for ``quiet`` seconds: the lines written just
    before a peer finished may still be in the pipe."""
    deadline = time.monotonic() + limit
    seen = -1
    while time.monotonic() < deadline:
        if len(server.log_lines) == seen:
            break
        seen = len(server.log_lines)
        time.sleep(quiet)
    return server.log_text()
