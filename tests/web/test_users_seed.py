"""The file's ``[[users]]`` seed the database: a user changed through the API keeps the change
across restarts, a user new in the file is added; and a node with no users at all starts with
its web side closed."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from hotline.app import build
from hotline.config import parse_config
from hotline.testing.harness import free_udp_tcp_port

from .support import phone_ports, serving, sign_in, start_node

LATE_USER = """
[[users]]
name = "late"
password = "password-late"
role = "wallboard"
queues = ["801"]
"""


async def test_api_changes_win_over_the_file_across_restarts(tmp_path: Path) -> None:
    async with serving(await start_node(tmp_path)) as node:
        change = {"queues": ["800", "801"], "password": "changed-password", "language": "ru"}
        assert (await node.http.patch("/api/users/sup800", json=change)).status_code == 200
    async with serving(await start_node(tmp_path, extra=LATE_USER)) as node:
        form = {"username": "sup800", "password": "password-sup800"}  # the file's
        stale = await node.http.post("/api/auth/token", data=form, headers={"Authorization": ""})
        assert stale.status_code == 401
        token = await sign_in(node.http, "sup800", "changed-password")
        me = await node.http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["queues"] == ["800", "801"] and me.json()["language"] == "ru"
        assert await sign_in(node.http, "late")  # new in the file: added
        users = {u["name"]: u["origin"] for u in (await node.http.get("/api/users")).json()}
        assert users["sup800"] == users["late"] == "file"


NO_USERS = """
[server]
sip_listen = "127.0.0.1:{sip}"
http_listen = "127.0.0.1:0"
data_dir = "{data}"

[media]
rtp_ports = "{low}-{high}"

[[extensions]]
number = "101"
password = "s3cret-101"
agent = true

[[queues]]
number = "800"
agents = ["101"]
"""


async def test_no_users_the_web_side_is_closed_but_health(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    low, high = phone_ports()
    text = NO_USERS.format(sip=free_udp_tcp_port(), data=tmp_path / "data", low=low, high=high)
    hotline = build(parse_config(text))
    with caplog.at_level(logging.WARNING):
        await hotline.start()
    try:
        assert "NO USERS are configured: the web side is closed" in caplog.text
        assert hotline.web is not None
        async with httpx.AsyncClient(base_url=hotline.web.url) as http:
            assert (await http.get("/api/health")).status_code == 200
            for path in ("/api/queues", "/api/agents", "/api/calls", "/api/auth/me"):
                assert (await http.get(path)).status_code == 401, path
            assert (await http.get("/wallboard")).status_code == 303
            form = {"username": "admin", "password": "password-admin"}
            assert (await http.post("/api/auth/token", data=form)).status_code == 401
        ws_url = hotline.web.url.replace("http://", "ws://") + "/ws/events"
        async with connect(ws_url) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    finally:
        await hotline.close()
