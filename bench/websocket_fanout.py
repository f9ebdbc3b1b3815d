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

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError

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
    dropped: int = 0


async def _client(ws: ClientConnection, seen: Seen) -> None:
    """Stamp each frame as it arrives, until the connection is closed."""
    waiting: tuple[float, str] | None = None  # (at, state) of the last change not in stats
    try:
        async for text in ws:
            arrived = time.time()
            if '"kind": "queue_event"' in text[:80]:
                continue  # the ACD's log lines: not measured, not parsed
            frame = json.loads(text)
            if frame["type"] == "event" and frame["kind"] == "agent_state_changed":
                seen.events.append(arrived - frame["at"])
                state = "paused" if frame["data"]["change"] == "paused" else "available"
                waiting = (frame["at"], state)
            elif frame["type"] == "stats" and waiting is not None:
                agent = next(a for a in frame["agents"] if a["number"] == AGENT)
                if agent["state"] == waiting[1]:
                    seen.stats.append(arrived - waiting[0])
                    waiting = None
    except ConnectionClosedError:
        seen.dropped += 1


async def _clients(url: str, count: int, pipe: Connection) -> None:
    seen = [Seen() for _ in range(count)]
    sockets, tasks = [], []
    for one in seen:  # one after the other, as browsers opening wallboards would
        ws = await connect(url, max_size=None)
        await ws.recv()  # the snapshot
        sockets.append(ws)
        tasks.append(asyncio.create_task(_client(ws, one)))
    pipe.send("ready")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pipe.recv)  # "stop"
    await asyncio.sleep(1.0)  # the last frames
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send(([(s.events, s.stats, s.dropped) for s in seen], time.process_time()))


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
    print(f"clients that got every event: {complete}/{args.clients}; dropped: {dropped}")
    if cpu_before is not None and cpu_after is not None:
        print(f"server CPU: {cpu_after - cpu_before:.2f} s over {elapsed:.1f} s; "
              f"the clients' process: {client_cpu:.2f} s in all")  # fmt: skip
    return 0 if complete == args.clients else 1


if __name__ == "__main__":
    sys.exit(main())
