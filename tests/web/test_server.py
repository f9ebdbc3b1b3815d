"""The web server inside ``hotline serve``: its address logged, served on the loop of call
control, WebSocket clients told when it stops, an HTTP address in use a clear error."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from hotline.testing.harness import free_udp_tcp_port, start_hotline


async def test_serve_logs_its_address_serves_and_stops_cleanly(tmp_path: Path) -> None:
    server = start_hotline(tmp_path)
    try:
        assert f"web listening on {server.http_url}" in server.log_text()
        token = server.token()
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.http_url, headers=headers) as http:
            assert (await http.get("/api/agents")).json() == []  # no agent configured
        events = server.http_url.replace("http", "ws") + f"/ws/events?token={token}"
        async with connect(events) as ws:
            snapshot = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert snapshot["type"] == "snapshot" and snapshot["queues"] == []
            started = time.monotonic()
            server.process.terminate()
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code in (1001, 1012)
        assert server.process.wait(timeout=10) == 0, server.log_text()
        assert time.monotonic() - started < 5
    finally:
        server.stop()
    assert "Traceback" not in server.log_text() and "ERROR" not in server.log_text()


def test_http_address_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        config = tmp_path / "hotline.toml"
        config.write_text(
            f'[server]\nsip_listen = "127.0.0.1:{free_udp_tcp_port()}"\n'
            f'http_listen = "127.0.0.1:{port}"\ndata_dir = "{tmp_path / "data"}"\n'
        )
        result = subprocess.run(
            [sys.executable, "-m", "hotline.cli", "serve", "--config", str(config)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"HTTP address 127.0.0.1:{port}" in output and "in use" in output, output
    assert "Traceback" not in output and "hotline ready" not in output, output
