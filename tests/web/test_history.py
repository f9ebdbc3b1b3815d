"""A real queue call through the node, seen live (REST, WebSocket) and then in the store's
history (call record, queue events, agent sessions) through the API."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from hotline.media import MediaServer
from hotline.web.live import seconds_to_midnight

from .support import Node, eventually, phone, phone_ports, receive, receive_until

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def media() -> AsyncIterator[MediaServer]:
    async with MediaServer(rtp_address="127.0.0.1", port_range=phone_ports()) as server:
        yield server


async def _live(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = (await http.get("/api/calls/live")).json()
    return calls


async def test_queue_call_live_then_in_the_history(node: Node, media: MediaServer) -> None:
    http = node.http
    assert (await http.post("/api/agents/103/login")).status_code == 200
    agent = await phone(node, media, "103")
    caller = await phone(node, media, "200", display_name="Zoe Miller")
    try:
        async with node.events("?queue=801") as ws:
            await receive(ws)  # the snapshot
            call = await caller.call("801")
            await asyncio.wait_for(call.wait_answered(), 5)  # the queue answers
            started = await receive_until(ws, lambda f: f.get("kind") == "call_started")
            call_id = started["data"]["call_id"]
            assert started["data"]["caller"] == "200"
            offer = await asyncio.wait_for(agent.next_incoming(), 10)
            live = await _live(http)
            assert [(c["id"], c["caller"], c["destination"], c["queue"]) for c in live] == [
                (call_id, "200", "801", "801")
            ]
            assert live[0]["state"] in ("queued", "ringing") and live[0]["answered_at"] is None
            assert live[0]["caller_name"] == "Zoe Miller"  # no name configured: the phone's
            assert live[0]["queued_at"] >= live[0]["started_at"]
            assert (live[0]["position"], live[0]["ringing"]) == (1, ["103"])
            waiting = (await http.get("/api/queues/801")).json()["callers"]
            assert [(c["call_id"], c["caller"], c["position"]) for c in waiting] == [
                (call_id, "200", 1)
            ]
            assert waiting[0]["ringing"] == ["103"] and waiting[0]["wait_seconds"] > 0
            await offer.ring()
            await offer.answer()
            connected = await receive_until(ws, lambda f: f.get("kind") == "queue_call_connected")
            assert connected["data"] == {**connected["data"], "call_id": call_id, "agent": "103"}
            stats = await receive_until(
                ws, lambda f: f["type"] == "stats" and f["queues"][0]["on_call"] == 1
            )
            assert stats["calls"][0]["agent"] == "103"
            live = await eventually(lambda: _connected(http))
            assert live["answered_at"] >= live["started_at"]
            assert live["position"] is None and 0 < live["wait_seconds"] < 10
            await asyncio.sleep(0.5)
            await call.hangup()
            await asyncio.wait_for(offer.wait_ended(), 5)
            ended = await receive_until(ws, lambda f: f.get("kind") == "call_ended")
            assert ended["data"]["call_id"] == call_id
    finally:
        await caller.close()
        await agent.close()
    assert await _live(http) == []
    record = await eventually(lambda: _ended_record(http, call_id))
    assert record["disposition"] == "answered" and record["queue"] == "801"
    assert record["agent"] == "103" and record["caller"] == "200" and record["called"] == "801"
    assert record["talk_seconds"] > 0.3 and record["wait_seconds"] > 0
    assert record["arrived_at"] <= record["answered_at"] <= record["ended_at"]
    assert (await http.get(f"/api/calls/{call_id}")).json() == record
    for query, found in (("agent=103", True), ("agent=101", False), ("disposition=answered", True),
                         ("disposition=abandoned", False), ("queue=800", False),
                         (f"since={record['arrived_at']}", True),
                         (f"until={record['arrived_at']}", False)):  # fmt: skip
        page = (await http.get(f"/api/calls?{query}")).json()
        assert (call_id in [c["id"] for c in page["items"]]) is found, query
    events = (await http.get(f"/api/queue-events?call_id={call_id}")).json()
    verbs = [e["verb"] for e in events["items"]]
    assert verbs[0] == "ENTERQUEUE" and "CONNECT" in verbs and verbs[-1] == "COMPLETECALLER"
    newest = (await http.get(f"/api/queue-events?call_id={call_id}&newest_first=true")).json()
    assert [e["verb"] for e in newest["items"]] == verbs[::-1]
    only = (await http.get(f"/api/queue-events?call_id={call_id}&verb=connect")).json()
    assert [e["verb"] for e in only["items"]] == ["CONNECT"]
    sessions = (await http.get("/api/agent-sessions?agent=103&kind=login")).json()
    assert sessions["total"] == 1 and sessions["items"][0]["ended_at"] is None
    queue = (await http.get("/api/queues/801")).json()
    assert queue["answered"] == 1 and queue["offered"] == 1 and queue["service_level"] == 1.0
    assert (await http.get("/api/agents/103")).json()["answered"] == 1
    # At local midnight "today" starts again; the history stays.
    assert node.hotline.web is not None
    node.hotline.web.app.state.hub.new_day()
    queue = (await http.get("/api/queues/801")).json()
    assert queue["answered"] == 0 and queue["offered"] == 0 and queue["service_level"] is None
    assert (await http.get("/api/agents/103")).json()["answered"] == 0
    assert (await http.get(f"/api/calls/{call_id}")).status_code == 200


async def test_the_day_ends_at_local_midnight() -> None:
    evening = datetime.datetime(2026, 11, 25, 23, 59, 0).astimezone().timestamp()
    assert seconds_to_midnight(evening) == pytest.approx(60.0)
    morning = datetime.datetime(2026, 11, 25, 0, 0, 30).astimezone().timestamp()
    assert seconds_to_midnight(morning) == pytest.approx(24 * 3600 - 30, abs=3600)  # DST days


async def _connected(http: httpx.AsyncClient) -> dict[str, Any] | None:
    live = await _live(http)
    return live[0] if live and live[0]["state"] == "connected" else None


async def _ended_record(http: httpx.AsyncClient, call_id: str) -> dict[str, Any] | None:
    response = await http.get(f"/api/calls/{call_id}")
    if response.status_code != 200 or response.json()["ended_at"] is None:
        return None
    record: dict[str, Any] = response.json()
    return record
