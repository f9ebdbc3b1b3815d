"""Time from an ACD event to its arrival at many WebSocket clients of ``/ws/events``.

A real ``hotline serve`` runs in its own process. Another process opens the WebSocket clients
(200 by default) and stamps every frame on arrival. This process then pauses and unpauses an
agent through the REST API at a steady rate; each change is an ``agent_state_changed`` event
whose ``at`` is the server's wall-clock time when the ACD took it, so "arrival - at" is the
fan-out latency (same machine, same clock). The stats-frame latency is the time from the
event's ``at`` to the arrival of the first statistics frame showing the new state (frames are
coalesced, at most 200 ms after a change by contract). The goal is under 100 ms at p99.

    uv run python bench/websocket_fanout.py [--clients 200] [--rate 10] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _sip_load import cpu_seconds
from hotline.testing.harness import start_hotline

AGENT = "103"
QUEUE = f"""
[[extensions]]
number = "{AGENT}"
password = "s3cret-{AGENT}"
agent = true

[[queues]]
number = "800"
agents = ["{AGENT}"]
"""


@dataclass
class Seen:
    """What one client measured."""

    events: list[float] = field(default_factory=list)  # arrival - at, seconds
    stats: list[float] = field(default_factory=list)
    closed_by_server: bool = False


class _Client(asyncio.Protocol):
    """A minimal WebSocket client (RFC 6455): the handshake, then the server's frames, which
    are never masked nor fragmented here. Frames are stamped when their bytes arrive, before
    any parsing; so the load of parsing for 200 clients in one process skews the figures as
    little as can be (a full client library costs several times more per frame)."""

    def __init__(self, host: str, path: str, seen: Seen) -> None:
        self.seen = seen
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n\r\n"
        ).encode()
        self.buffer = bytearray()
        self.upgraded = False
        self.snapshot = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.waiting: tuple[float, str] | None = None  # the last change not yet in stats

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass of it
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            assert buffer.startswith(b"HTTP/1.1 101"), bytes(buffer[:200])
            del buffer[: end + 4]
            self.upgraded = True
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(buffer[2:4]), 4
            elif length == 127:
                length, start = int.from_bytes(buffer[2:10]), 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            if opcode == 1:
                self._text(arrived, payload)
            elif opcode == 8:
                self.seen.closed_by_server = True

    def _text(self, arrived: float, payload: bytes) -> None:
        if not self.snapshot.done():
            self.snapshot.set_result(None)
            return
        if b'"kind": "queue_event"' in payload[:80]:
            return  # the ACD's log lines: not measured, not parsed
        frame = json.loads(payload)
        if frame["type"] == "event" and frame["kind"] == "agent_state_changed":
            self.seen.events.append(arrived - frame["at"])
            state = "paused" if frame["data"]["change"] == "paused" else "available"
            self.waiting = (frame["at"], state)
        elif frame["type"] == "stats" and self.waiting is not None:
            agent = next(a for a in frame["agents"] if a["number"] == AGENT)
            if agent["state"] == self.waiting[1]:
                self.seen.stats.append(arrived - self.waiting[0])
                self.waiting = None


async def _clients(url: str, count: int, pipe: Connection) -> None:
    address = urlsplit(url)
    assert address.hostname is not None and address.port is not None
    loop = asyncio.get_running_loop()
    seen = [Seen() for _ in range(count)]
    clients = []
    for one in seen:  # one after the other, as browsers opening wallboards would
        _, client = await loop.create_connection(
            lambda one=one: _Client(address.netloc, address.path, one),  # type: ignore[misc]
            address.hostname,
            address.port,
        )
        await asyncio.wait_for(client.snapshot, 30)
        clients.append(client)
    pipe.send("ready")
    await loop.run_in_executor(None, pipe.recv)  # "stop"
    await asyncio.sleep(1.0)  # the last frames
    for client in clients:
        if client.transport is not None:
            client.transport.close()
    pipe.send(([(s.events, s.stats, s.closed_by_server) for s in seen], time.process_time()))


def _client_process(url: str, count: int, pipe: Connection) -> None:
    import uvloop

    uvloop.run(_clients(url, count, pipe))


def _percentiles(values: list[float]) -> str:
    if not values:
        return "none"
    ms = sorted(v * 1000 for v in values)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return (
        f"p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms "
        f"({len(ms)} samples)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="agent changes a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--url", help="a running server's web address (agent 103 in a queue)")
    args = parser.parse_args()
    load = os.getloadavg()
    if args.url:
        return _run(args, args.url, None, load)
    with tempfile.TemporaryDirectory(prefix="hotline-fanout-") as folder:
        server = start_hotline(Path(folder), extra=QUEUE)
        try:
            return _run(args, server.http_url, server.process.pid, load)
        finally:
            server.stop()


def _run(args: argparse.Namespace, base: str, pid: int | None, load: tuple[float, ...]) -> int:
    ws_url = base.replace("http://", "ws://") + "/ws/events"
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    clients = multiprocessing.get_context("spawn").Process(
        target=_client_process, args=(ws_url, args.clients, theirs)
    )
    clients.start()
    assert ours.poll(120), "the clients did not connect"
    assert ours.recv() == "ready"
    changes = int(args.rate * args.seconds)
    with httpx.Client(base_url=base, timeout=10) as http:
        http.post(f"/api/agents/{AGENT}/login").raise_for_status()
        time.sleep(0.5)
        cpu_before = cpu_seconds(pid) if pid is not None else None
        start = time.monotonic()
        for n in range(changes):
            time.sleep(max(0.0, start + n / args.rate - time.monotonic()))
            action = "pause" if n % 2 == 0 else "unpause"
            http.post(f"/api/agents/{AGENT}/{action}").raise_for_status()
        elapsed = time.monotonic() - start
        cpu_after = cpu_seconds(pid) if pid is not None else None
    ours.send("stop")
    results, client_cpu = ours.recv()
    clients.join(30)
    events = [v for e, _, _ in results for v in e]
    stats = [v for _, s, _ in results for v in s]
    dropped = sum(d for _, _, d in results)
    complete = sum(1 for e, _, _ in results if len(e) >= changes)  # and the login
    print(f"{args.clients} WebSocket clients, {changes} agent changes at {args.rate:g}/s "
          f"over {elapsed:.1f} s; load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} cores")  # fmt: skip
    print(f"event -> client:       {_percentiles(events)}")
    print(f"event -> stats frame:  {_percentiles(stats)}")
    print(
        f"clients that got every event: {complete}/{args.clients}; closed by the server: {dropped}"
    )
    if cpu_before is not None and cpu_after is not None:
        print(f"server CPU: {cpu_after - cpu_before:.2f} s over {elapsed:.1f} s; "
              f"the clients' process: {client_cpu:.2f} s in all")  # fmt: skip
    return 0 if complete == args.clients else 1


if __name__ == "__main__":
    sys.exit(main())
