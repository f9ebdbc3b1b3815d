"""The notification centre of a running node: lost calls published on its bus become
notifications, shown live to the users whose scope holds their queue, listed by the API with
the unread count, acknowledged one by one or all at once; mutes and the admins' rules."""

from __future__ import annotations

import os
import signal
import time

import pytest

from hotline.events import QueueEventLogged

from .support import Node, eventually, receive_until

pytestmark = pytest.mark.asyncio(loop_scope="module")


def lose(node: Node, queue: str, call: str, number: str) -> None:
    bus, now = node.hotline.bus, time.time()
    bus.publish(QueueEventLogged(at=now - 30, verb="ENTERQUEUE", call_id=call, queue=queue,
                                 position=1, detail=number))  # fmt: skip
    bus.publish(QueueEventLogged(at=now, verb="ABANDON", call_id=call, queue=queue, position=1,
                                 wait=30.0))  # fmt: skip


async def listing(node: Node, token: str, query: str = "") -> dict[str, object]:
    response = await node.http.get(f"/api/notifications{query}",
                                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_a_lost_call_is_shown_live_and_listed_in_its_queues_scope(node: Node) -> None:
    supervisor = await node.token_of("sup800")
    async with node.events("?queue=800", token=supervisor) as ws:
        lose(node, "800", "nc-800-1", "+74950000001")
        lose(node, "801", "nc-801-1", "+74950000002")
        frame = await receive_until(ws, lambda f: f["type"] == "notification", timeout=5)
    assert (frame["kind"], frame["queue"], frame["facts"]["number"]) == (
        "lost_call", "800", "+74950000001",
    )  # fmt: skip
    assert frame["sound"] is True  # lost calls sound by default
    mine = await listing(node, supervisor, "?kind=lost_call")
    numbers = {item["facts"]["number"] for item in mine["items"]}  # type: ignore[index, union-attr]
    assert "+74950000001" in numbers and "+74950000002" not in numbers
    everything = await eventually(lambda: _has(node, node.token, "+74950000002"))
    assert everything


async def _has(node: Node, token: str, number: str) -> bool:
    body = await listing(node, token, "?kind=lost_call")
    return any(item["facts"]["number"] == number for item in body["items"])  # type: ignore[index, union-attr]


async def test_acknowledging_one_then_all_clears_the_unread_count(node: Node) -> None:
    supervisor = await node.token_of("sup800")
    headers = {"Authorization": f"Bearer {supervisor}"}
    for index in range(3):
        lose(node, "800", f"nc-ack-{index}", f"+7495000010{index}")
    await eventually(lambda: _has(node, supervisor, "+74950000102"))
    before = await listing(node, supervisor, "?unread=true")
    unread = before["unread"]
    assert isinstance(unread, int) and unread >= 3
    first = before["items"][0]["id"]  # type: ignore[index]
    assert (
        await node.http.post(f"/api/notifications/{first}/ack", headers=headers)
    ).status_code == 204
    assert (await listing(node, supervisor))["unread"] == unread - 1
    acked = (await node.http.post("/api/notifications/ack", headers=headers)).json()
    assert acked == {"acked": unread - 1}
    assert (await listing(node, supervisor))["unread"] == 0
    # The admin's own count is its own.
    assert (await listing(node, node.token))["unread"] >= 3  # type: ignore[operator]


async def test_a_notification_of_another_queue_cannot_be_acknowledged(node: Node) -> None:
    lose(node, "801", "nc-801-other", "+74950000201")
    await eventually(lambda: _has(node, node.token, "+74950000201"))
    body = await listing(node, node.token, "?kind=lost_call")
    other = next(i["id"] for i in body["items"] if i["queue"] == "801")  # type: ignore[index, union-attr]
    supervisor = await node.token_of("sup800")
    response = await node.http.post(f"/api/notifications/{other}/ack",
                                    headers={"Authorization": f"Bearer {supervisor}"})  # fmt: skip
    assert response.status_code == 404


async def test_a_user_mutes_a_kind_for_itself(node: Node) -> None:
    agent = await node.token_of("agent101")
    headers = {"Authorization": f"Bearer {agent}"}
    answer = await node.http.put("/api/notifications/preferences", headers=headers,
                                 json={"muted": ["lost_call"], "sound": []})  # fmt: skip
    assert answer.json() == {"muted": ["lost_call"], "sound": []}
    lose(node, "800", "nc-muted", "+74950000301")
    await eventually(lambda: _has(node, node.token, "+74950000301"))
    assert not await _has(node, agent, "+74950000301")
    await node.http.put("/api/notifications/preferences", headers=headers,
                        json={"muted": [], "sound": []})  # fmt: skip
    assert await _has(node, agent, "+74950000301")


async def test_admins_replace_the_rules(node: Node) -> None:
    unknown = {"rules": [{"kinds": ["lost_call"], "queues": ["999"]}]}
    bad = await node.http.put("/api/notifications/rules", json=unknown)
    assert bad.status_code == 422 and "unknown queue 999" in bad.text
    rule = {"kinds": ["lost_call", "sla_breach"], "queues": ["800"], "users": ["sup800"],
            "emails": ["ops@example.com"], "webhooks": [], "language": "ru"}  # fmt: skip
    assert (
        await node.http.put("/api/notifications/rules", json={"rules": [rule]})
    ).status_code == 200
    assert (await node.http.get("/api/notifications/rules")).json() == {"rules": [rule]}
    supervisor = await node.token_of("sup800")
    refused = await node.http.get("/api/notifications/rules",
                                  headers={"Authorization": f"Bearer {supervisor}"})  # fmt: skip
    assert refused.status_code == 403


async def test_a_media_process_restart_is_a_system_notification(node: Node) -> None:
    """Last in the module: the node's media process is killed and replaced."""
    media = node.hotline.media
    assert media.pid is not None
    os.kill(media.pid, signal.SIGKILL)

    async def seen() -> list[dict[str, object]]:
        body = await listing(node, node.token, "?kind=system")
        return body["items"]  # type: ignore[return-value]

    [item] = await eventually(seen, timeout=15)
    assert item["queue"] is None
    assert "media process restarted" in item["facts"]["problem"]  # type: ignore[index]
    supervisor = await node.token_of("sup800")  # the system's notices are the admins'
    assert (await listing(node, supervisor, "?kind=system"))["items"] == []
