"""Helpers for the web tests: a real Hotline node built with ``hotline.app.build`` on a SQLite
file (or a throwaway PostgreSQL database), started on free loopback ports, and reached over
HTTP and WebSocket like any client would."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from websockets.asyncio.client import ClientConnection, connect

from hotline.app import Hotline, build
from hotline.config import parse_config
from hotline.demo.softphone import Softphone
from hotline.media import MediaServer
from hotline.sip.address import Peer
from hotline.testing.harness import free_udp_tcp_port

# The administrator that ``serving`` signs in as; add it to a node's configuration.
ADMIN = """
[[users]]
name = "admin"
password = "password-admin"
role = "admin"
"""
# One user of each role: an admin, a supervisor of 800, the agent 101 and a wallboard of both
# queues; each one's password is ``password-<name>``.
USERS = (
    ADMIN
    + """
[[users]]
name = "sup800"
password = "password-sup800"
role = "supervisor"
queues = ["800"]

[[users]]
name = "agent101"
password = "password-agent101"
role = "agent"
extension = "101"

[[users]]
name = "wall"
password = "password-wall"
role = "wallboard"
queues = ["800", "801"]
"""
)

# Agents: 101 and 102 serve 800 (102 always logged in), 103 serves 801, 104 both; 200 is no
# agent. Each test uses its own agents, so tests sharing a node do not meet.
CONFIG = (
    """
[server]
sip_listen = "127.0.0.1:{sip}"
http_listen = "127.0.0.1:0"
data_dir = "{data}"
domain = "hotline.local"

[database]
{database}

[media]
rtp_ports = "{low}-{high}"

[[extensions]]
number = "101"
name = "Anna"
password = "s3cret-101"
agent = true

[[extensions]]
number = "102"
password = "s3cret-102"
agent = true
always_logged_in = true

[[extensions]]
number = "103"
name = "Boris"
password = "s3cret-103"
agent = true

[[extensions]]
number = "104"
password = "s3cret-104"
agent = true

[[extensions]]
number = "105"
password = "s3cret-105"
agent = true

[[extensions]]
number = "200"
password = "s3cret-200"

[[queues]]
number = "800"
name = "Support"
agents = ["101", "102", "104"]
wrap_up = 0

[[queues]]
number = "801"
name = "Sales"
strategy = "longest_waiting"
agents = ["103", "104", "105"]
wrap_up = 0
sla_seconds = 30
"""
    + USERS
)

T = TypeVar("T")
# RTP ports of the nodes and phones of one test process (the media server skips a busy pair).
_BASE = 47000 + (os.getpid() % 20) * 400
_ports = itertools.cycle(range(_BASE, _BASE + 400, 20))


def phone_ports() -> tuple[int, int]:
    """RTP ports for the test's own phones, apart from the node's."""
    low = next(_ports)
    return low, low + 19


@dataclass
class Node:
    hotline: Hotline
    url: str
    http: httpx.AsyncClient  # signed in as the admin
    token: str  # the admin's

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws/events"

    def events(self, query: str = "", token: str | None = None) -> Any:
        """A WebSocket client of ``/ws/events`` (``query``: ``?queue=800``), signed in with
        ``token`` (the admin's by default)."""
        separator = "&" if query else "?"
        url = f"{self.ws_url}{query}{separator}token={token or self.token}"
        return connect(url, max_size=None)

    async def token_of(self, name: str) -> str:
        """A fresh bearer token of the test user ``name`` (see ``USERS``)."""
        return await sign_in(self.http, name)


async def sign_in(http: httpx.AsyncClient, name: str, password: str | None = None) -> str:
    """A bearer token from ``POST /api/auth/token``."""
    form = {"username": name, "password": password or f"password-{name}"}
    response = await http.post("/api/auth/token", data=form, headers={"Authorization": ""})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@asynccontextmanager
async def running_node(folder: Path, database: str = "", extra: str = "") -> AsyncIterator[Node]:
    """A started node (``database``: TOML of its ``[database]`` section, ``extra``: more TOML)
    and a client of it."""
    async with serving(await start_node(folder, database, extra)) as node:
        yield node


@asynccontextmanager
async def serving(hotline: Hotline) -> AsyncIterator[Node]:
    """A client of the started ``hotline``; the node is closed afterwards."""
    assert hotline.web is not None
    try:
        async with httpx.AsyncClient(base_url=hotline.web.url, timeout=10) as http:
            token = await sign_in(http, "admin")
            http.headers["Authorization"] = f"Bearer {token}"
            yield Node(hotline, hotline.web.url, http, token)
    finally:
        await hotline.close()


async def start_node(folder: Path, database: str = "", extra: str = "") -> Hotline:
    low = next(_ports)
    text = CONFIG.format(
        sip=free_udp_tcp_port(), data=folder / "data", database=database, low=low, high=low + 19
    )
    config = parse_config(text + extra)
    hotline = build(config)
    await hotline.start()
    return hotline


async def receive(ws: ClientConnection, timeout: float = 3.0) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return frame


async def receive_until(
    ws: ClientConnection, match: Callable[[dict[str, Any]], bool], timeout: float = 3.0
) -> dict[str, Any]:
    """The first frame ``match`` accepts within ``timeout``; the frames before are skipped."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await receive(ws, timeout)
            if match(frame):
                return frame


async def phone(
    node: Node, media: MediaServer, number: str, display_name: str | None = None
) -> Softphone:
    """A softphone registered as ``number`` with the node."""
    registrar = Peer(transport="UDP", host="127.0.0.1", port=node.hotline.sip.port)
    softphone = Softphone(
        media, "127.0.0.1", username=number, password=f"s3cret-{number}",
        domain="hotline.local", registrar=registrar, display_name=display_name,
    )  # fmt: skip
    await softphone.start()
    await softphone.register(expires=300)
    return softphone


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 5.0) -> T:
    """The first truthy result of ``check``, polled until ``timeout``."""
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.05)
    return result


def agent_in(frame: dict[str, Any], number: str) -> dict[str, Any]:
    return next(a for a in frame["agents"] if a["number"] == number)
