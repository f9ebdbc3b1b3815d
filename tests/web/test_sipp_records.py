"""SIPp callers through a real ``hotline serve``: one abandons, one times out, one is answered
by an agent logged in through the API; afterwards the API returns each call's record with the
right disposition and times, and the queue events of each."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from hotline.demo.softphone import PhoneCall, Softphone
from hotline.media import MediaServer
from hotline.sip.address import Peer
from hotline.testing.harness import (
    AGENT_AND_QUEUE,
    HotlineProcess,
    require_sipp,
    run_sipp,
    start_hotline,
)

from .support import eventually, phone_ports

QUEUES = (
    AGENT_AND_QUEUE.replace('agents = ["103"]', 'agents = ["103"]\nwrap_up = 0')
    + """
[[queues]]
number = "801"
agents = ["103"]
max_wait = 1
"""
)


async def _caller(server: HotlineProcess, tmp_path: Path, scenario: str, queue: str,
                  hold_ms: int) -> None:  # fmt: skip
    extra = ["-s", queue, "-auth_uri", f"{queue}@hotline.local", "-d", str(hold_ms)]
    result = await asyncio.to_thread(
        run_sipp, scenario, server, tmp_path, user="101", password="s3cret-101", extra=extra
    )
    assert result.returncode == 0, result.output + server.log_text()


async def _records(http: httpx.AsyncClient, count: int) -> list[dict[str, Any]] | None:
    page = (await http.get("/api/calls")).json()
    items: list[dict[str, Any]] = page["items"]
    return items if len(items) == count and all(c["ended_at"] for c in items) else None


async def three_known_calls(server: HotlineProcess, http: httpx.AsyncClient,
                            tmp_path: Path) -> list[dict[str, Any]]:  # fmt: skip
    """One caller abandons in 800, one times out in 801, one is answered in 800 by agent 103
    (logged in through the API); returns their records, newest first, once all ended."""
    async with MediaServer(rtp_address="127.0.0.1", port_range=phone_ports()) as media:
        await _caller(server, tmp_path, "pbx_caller_silent.xml", "800", 1500)  # nobody
        await _caller(server, tmp_path, "pbx_caller_hung_up.xml", "801", 0)  # max wait
        agent = Softphone(
            media, "127.0.0.1", username="103", password="s3cret-103", domain="hotline.local",
            registrar=Peer(transport="UDP", host="127.0.0.1", port=server.sip_port),
        )  # fmt: skip
        answering: set[asyncio.Task[None]] = set()

        async def answer(call: PhoneCall) -> None:
            await call.ring()
            await call.answer()

        agent.on_incoming = lambda call: answering.add(asyncio.create_task(answer(call)))
        async with agent:
            await agent.register(expires=300)
            assert (await http.post("/api/agents/103/login")).status_code == 200
            await _caller(server, tmp_path, "pbx_caller_silent.xml", "800", 2000)
        return await eventually(lambda: _records(http, 3), timeout=10)


def serve_two_queues(tmp_path: Path) -> HotlineProcess:
    require_sipp()
    low, high = phone_ports()
    return start_hotline(tmp_path, extra=QUEUES + f'[media]\nrtp_ports = "{low}-{high}"\n')


async def test_dispositions_and_times_after_sipp_calls(tmp_path: Path) -> None:
    server = serve_two_queues(tmp_path)
    try:
        async with httpx.AsyncClient(
            base_url=server.http_url, timeout=10, headers=server.api_headers()
        ) as http:
            records = await three_known_calls(server, http, tmp_path)
            events = {c["id"]: await _verbs(http, c["id"]) for c in records}
    finally:
        assert server.stop() == 0, server.log_text()
    answered, timed_out, abandoned = records  # newest first
    assert _row(abandoned) == ("800", "abandoned", None)
    assert abandoned["answered_at"] is None and abandoned["wait_seconds"] >= 1.0
    assert events[abandoned["id"]] == ["ENTERQUEUE", "ABANDON"]
    assert _row(timed_out) == ("801", "timeout", None)
    assert events[timed_out["id"]][0] == "ENTERQUEUE"
    assert "EXITWITHTIMEOUT" in events[timed_out["id"]]
    assert _row(answered) == ("800", "answered", "103")
    assert answered["talk_seconds"] >= 1.0 and answered["caller"] == "101"
    assert answered["arrived_at"] <= answered["answered_at"] < answered["ended_at"]
    assert "CONNECT" in events[answered["id"]] and events[answered["id"]][-1] == "COMPLETECALLER"
    for record in records:
        assert record["arrived_at"] <= record["ended_at"] and record["called"] in ("800", "801")


def _row(record: dict[str, Any]) -> tuple[str, str, str | None]:
    return record["queue"], record["disposition"], record["agent"]


async def _verbs(http: httpx.AsyncClient, call_id: str) -> list[str]:
    page = (await http.get("/api/queue-events", params={"call_id": call_id})).json()
    return [event["verb"] for event in page["items"]]
