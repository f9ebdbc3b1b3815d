"""``hotline serve --demo``: a minute of simulated traffic, calls flowing, no error logged."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hotline.config import parse_host_port
from hotline.demo import demo_config
from hotline.testing.harness import die_with_parent


def _port_taken(host: str, port: int, kind: int = socket.SOCK_DGRAM) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def test_demo_runs_a_minute_with_calls_and_no_errors(tmp_path: Path) -> None:
    host, port = parse_host_port(demo_config().server.sip_listen)
    if _port_taken(host, port):
        pytest.skip(f"the demo's SIP port {port} is taken on this machine")
    web_host, web_port = parse_host_port(demo_config().server.http_listen)
    if _port_taken(web_host, web_port, socket.SOCK_STREAM):
        pytest.skip(f"the demo's web port {web_port} is taken on this machine")
    process = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "serve", "--demo"],
        cwd=tmp_path,  # the demo keeps its data in ./hotline-data
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=die_with_parent,
    )
    time.sleep(60)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, out
    assert "ERROR" not in out and "Traceback" not in out, out
    assert "demo: agent 101 Anna, password s3cret-101" in out
    assert (
        "demo: web sign-in at http://" in out and "users admin, supervisor, anna, password" in out
    )
    assert "demo: wallboard for a TV: http://127.0.0.1:8080/wallboard?token=" in out
    assert out.count("connected to agent") >= 1, out
    assert (tmp_path / "hotline-data" / "hotline.db").exists()
