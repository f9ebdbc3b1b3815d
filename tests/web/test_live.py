"""Live state over REST and WebSocket against a running node: queues and agents listed, an
agent logged in and paused through the API seen as events and statistics frames, the
snapshot a late client gets first, and the queue filter."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from hotline.events import QueueEventLogged
from hotline.media import MediaServer

from .support import Node, agent_in, phone, phone_ports, receive, receive_until

pytestmark = pytest.mark.asyncio(loop_scope="module")

QUEUE_FIELDS = {
    "number", "name", "strategy", "priority", "sla_seconds", "waiting", "longest_wait_seconds",
    "callbacks_pending", "logged_in", "available", "unavailable", "ringing", "on_call",
    "wrap_up", "paused", "busy_elsewhere", "offered", "answered", "abandoned", "timed_out",
    "answered_within_sla", "service_level", "abandon_rate", "average_wait_seconds",
    "average_talk_seconds", "estimated_wait_seconds", "agents",
}  # fmt: skip
AGENT_FIELDS = {"number", "name", "state", "pause_reason", "state_since", "queues", "answered",
                "talk_seconds"}  # fmt: skip


def _is_event(kind: str, **data: Any) -> Any:
    def match(frame: dict[str, Any]) -> bool:
        if frame["type"] != "event" or frame["kind"] != kind:
            return False
        return all(frame["data"].get(key) == value for key, value in data.items())

    return match


async def test_queues_listed_with_configuration_and_live_figures(node: Node) -> None:
    response = await node.http.get("/api/queues")
    assert response.status_code == 200
    queues = {q["number"]: q for q in response.json()}
    assert set(queues) == {"800", "801"}
    support = queues["800"]
    assert set(support) >= QUEUE_FIELDS
    assert support["name"] == "Support" and support["strategy"] == "ring_all"
    assert support["agents"] == ["101", "102", "104"]
    assert support["logged_in"] >= 1  # 102 is always logged in
    assert support["service_level"] is None  # nothing answered yet
    sales = (await node.http.get("/api/queues/801")).json()
    assert sales["strategy"] == "longest_waiting" and sales["sla_seconds"] == 30
    missing = await node.http.get("/api/queues/999")
    assert missing.status_code == 404 and "999" in missing.json()["detail"]


async def test_agents_listed_with_their_state(node: Node) -> None:
    agents = {a["number"]: a for a in (await node.http.get("/api/agents")).json()}
    assert set(agents) == {"101", "102", "103", "104", "105"}
    assert set(agents["101"]) >= AGENT_FIELDS
    assert agents["101"]["name"] == "Anna" and agents["102"]["name"] == "102"
    # 102 is always logged in, but no phone of its is registered: it is offered no call.
    assert agents["102"]["state"] == "unavailable" and agents["102"]["queues"] == ["800"]
    assert agents["104"]["queues"] == ["800", "801"]
    assert agents["102"]["state_since"] <= time.time()
    assert (await node.http.get("/api/agents/200")).status_code == 404  # not an agent


async def test_an_agent_is_available_while_its_phone_is_registered(node: Node) -> None:
    """102 is always logged in: unavailable without a phone, available while one is registered,
    unavailable again once it unregisters; the queue's available count and the event log
    follow."""
    async with MediaServer(rtp_address="127.0.0.1", port_range=phone_ports()) as media:
        before = (await node.http.get("/api/queues/800")).json()
        async with node.events() as ws:
            await receive(ws)  # the snapshot
            softphone = await phone(node, media, "102")
            registered = await receive_until(ws, _is_event("queue_event", agent="102"))
            assert registered["data"]["verb"] == "REACHABLE"
            stats = await receive_until(ws, lambda f: f["type"] == "stats")
            assert agent_in(stats, "102")["state"] == "available"
            support = next(q for q in stats["queues"] if q["number"] == "800")
            assert support["available"] == before["available"] + 1
            assert support["unavailable"] == before["unavailable"] - 1
            await softphone.unregister()
            gone = await receive_until(ws, _is_event("queue_event", agent="102"))
            assert (gone["data"]["verb"], gone["data"]["reason"]) == ("UNREACHABLE", "unregistered")
            stats = await receive_until(ws, lambda f: f["type"] == "stats")
            assert agent_in(stats, "102")["state"] == "unavailable"
            await softphone.close()


async def test_login_through_the_api_is_an_event_and_a_stats_frame(node: Node) -> None:
    async with MediaServer(rtp_address="127.0.0.1", port_range=phone_ports()) as media:
        softphone = await phone(node, media, "101")  # without a phone: logged in, unavailable
        try:
            await _log_in_and_pause(node)
        finally:
            await softphone.close()


async def _log_in_and_pause(node: Node) -> None:
    async with node.events() as ws:
        snapshot = await receive(ws)
        assert snapshot["type"] == "snapshot"
        assert agent_in(snapshot, "101")["state"] == "logged_out"
        before = time.time()
        response = await node.http.post("/api/agents/101/login")
        assert response.status_code == 200, response.text
        assert response.json()["state"] == "available"
        event = await receive_until(ws, _is_event("agent_state_changed", agent="101"))
        assert event["data"]["change"] == "logged_in"
        assert before <= event["at"] <= time.time()
        stats = await receive_until(ws, lambda f: f["type"] == "stats")
        # Coalesced, yet soon: well within the 200 ms of the contract.
        assert time.time() - event["at"] < 1.0
        assert agent_in(stats, "101")["state"] == "available"
        support = next(q for q in stats["queues"] if q["number"] == "800")
        assert support["available"] >= 1  # 101; 102 has no phone registered
        paused = await node.http.post("/api/agents/101/pause", json={"reason": "lunch"})
        assert paused.json()["pause_reason"] == "lunch"
        event = await receive_until(ws, _is_event("agent_state_changed", agent="101"))
        assert event["data"] == {**event["data"], "change": "paused", "reason": "lunch"}
        stats = await receive_until(ws, lambda f: f["type"] == "stats")
        assert agent_in(stats, "101")["state"] == "paused"


async def test_a_late_client_gets_the_current_state_first(node: Node) -> None:
    assert (await node.http.post("/api/agents/103/login")).status_code == 200
    assert (await node.http.post("/api/agents/103/pause")).json()["pause_reason"] == "pause"
    async with node.events() as ws:
        snapshot = await receive(ws)
    assert snapshot["type"] == "snapshot"
    assert set(snapshot) == {"type", "at", "queues", "agents", "calls"}
    boris = agent_in(snapshot, "103")
    # No phone of his is registered: unavailable, and the pause kept for when one is.
    assert boris["state"] == "unavailable" and boris["pause_reason"] == "pause"
    assert set(snapshot["queues"][0]) >= QUEUE_FIELDS
    assert (await node.http.post("/api/agents/103/unpause")).status_code == 200


async def test_queue_filter_keeps_to_its_queues_and_their_agents(node: Node) -> None:
    async with node.events("?queue=801") as ws:
        snapshot = await receive(ws)
        assert [q["number"] for q in snapshot["queues"]] == ["801"]
        assert {a["number"] for a in snapshot["agents"]} == {"103", "104", "105"}
        await node.http.post("/api/agents/101/logout")  # 800 only: not for this client
        await node.http.post("/api/agents/105/login")
        event = await receive_until(ws, lambda f: f["type"] == "event")
        assert event["kind"] in ("agent_state_changed", "queue_event")
        assert event["data"]["agent"] == "105", event
        stats = await receive_until(ws, lambda f: f["type"] == "stats")
        assert [q["number"] for q in stats["queues"]] == ["801"]
        assert "101" not in {a["number"] for a in stats["agents"]}


async def test_unknown_queue_in_the_filter_closes_with_4404(node: Node) -> None:
    async with node.events("?queue=801&queue=999") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4404 and "999" in closed.value.rcvd.reason


async def test_stats_frames_keep_coming_without_changes(node: Node) -> None:
    async with node.events("?queue=800") as ws:
        await receive(ws)
        stats = await receive_until(ws, lambda f: f["type"] == "stats", timeout=6.5)
    assert abs(stats["at"] - time.time()) < 1.0


async def test_live_calls_empty_when_idle(node: Node) -> None:
    response = await node.http.get("/api/calls/live")
    assert response.status_code == 200 and response.json() == []


async def test_refused_changes_answer_409_and_change_nothing(node: Node) -> None:
    cases = [
        ("/api/agents/102/logout", "always logged in"),
        ("/api/agents/104/pause", "logged out"),
        ("/api/agents/104/unpause", "not paused"),
        ("/api/agents/104/logout", "not logged in"),
    ]
    for path, why in cases:
        response = await node.http.post(path)
        assert response.status_code == 409, (path, response.text)
        assert why in response.json()["detail"]
    assert (await node.http.get("/api/agents/104")).json()["state"] == "logged_out"
    assert (await node.http.post("/api/agents/999/login")).status_code == 404
    bad = await node.http.post("/api/agents/104/pause", json={"reason": "nap"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "reason"]


async def test_a_slow_client_is_dropped_and_the_others_get_everything(node: Node) -> None:
    hub = node.hotline.web.app.state.hub if node.hotline.web else None
    assert hub is not None
    detail = "x" * 4000
    total = 4000  # about 16 MB of frames: more than a stalled socket's buffers hold
    async with node.events() as fast, node.events("?queue=800") as slow:
        await receive(fast)
        await receive(slow)
        slow.transport.pause_reading()  # a client that stops reading, as a frozen browser
        received = 0

        async def read_fast() -> None:
            nonlocal received
            while received < total:
                frame = await receive(fast, timeout=10)
                if frame["type"] == "event" and frame["data"].get("verb") == "SLOWTEST":
                    received += 1

        reader = asyncio.create_task(read_fast())
        for chunk in range(0, total, 50):
            for n in range(chunk, chunk + 50):
                node.hotline.bus.publish(
                    QueueEventLogged(at=time.time(), verb="SLOWTEST", queue="800", position=n,
                                     detail=detail)
                )  # fmt: skip
            # The publisher waits for the fast client (never for the slow one), so that a
            # busy test machine cannot make the fast one fall behind too.
            while received < chunk - 200 and not reader.done():
                await asyncio.sleep(0.002)
        await asyncio.wait_for(reader, 30)
        assert received == total
        assert len(hub.clients) == 1  # the slow one is gone
        slow.transport.resume_reading()
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await receive(slow, timeout=10)
    code = closed.value.rcvd.code if closed.value.rcvd is not None else None
    assert code in (1013, None), closed.value


async def test_an_agent_logs_into_and_out_of_one_queue(node: Node) -> None:
    http = node.http
    joined = await http.post("/api/agents/104/login", json={"queue": "801"})
    assert joined.status_code == 200, joined.text
    assert joined.json()["logged_in_queues"] == ["801"] and joined.json()["queues"] == [
        "800",
        "801",
    ]
    both = await http.post("/api/agents/104/login", json={"queue": "800"})
    assert both.json()["logged_in_queues"] == ["800", "801"]
    left = await http.post("/api/agents/104/logout", json={"queue": "801"})
    # Still logged in to 800 (no phone registered here, so unavailable rather than logged out).
    assert left.json()["logged_in_queues"] == ["800"] and left.json()["state"] == "unavailable"
    not_member = await http.post("/api/agents/101/login", json={"queue": "801"})
    assert not_member.status_code == 409 and "not a member" in not_member.json()["detail"]
    no_wrap_up = await http.post("/api/agents/104/end-wrap-up")
    assert no_wrap_up.status_code == 409 and "not in wrap-up" in no_wrap_up.json()["detail"]
    gone = await http.post("/api/agents/104/logout")
    assert gone.json()["state"] == "logged_out" and gone.json()["paused_seconds"] == 0
