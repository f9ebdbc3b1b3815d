"""The WebSocket sends each user what its role and scope allow: a supervisor its queues and
their agents, an agent itself, a wallboard the figures without calls or callers' numbers."""

from __future__ import annotations

from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .support import Node, receive, receive_until

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _numbers(rows: list[dict[str, Any]]) -> set[str]:
    return {row["number"] for row in rows}


async def _frames_until_101_logged_in(ws: ClientConnection) -> list[dict[str, Any]]:
    """The frames up to the stats frame that shows agent 101 logged in (after 103 was)."""
    frames: list[dict[str, Any]] = []

    def seen(frame: dict[str, Any]) -> bool:
        frames.append(frame)
        agents = {a["number"]: a["state"] for a in frame.get("agents", [])}
        # No phone is registered here: logged in shows as unavailable.
        return frame["type"] == "stats" and agents.get("101") == "unavailable"

    await receive_until(ws, seen)
    return frames


async def test_each_role_gets_only_its_scope(node: Node) -> None:
    tokens = {name: await node.token_of(name) for name in ("sup800", "agent101", "wall")}
    async with (
        node.events(token=tokens["sup800"]) as supervisor,
        node.events(token=tokens["agent101"]) as agent,
        node.events(token=tokens["wall"]) as wall,
    ):
        snapshots = {name: await receive(ws) for name, ws in
                     (("sup800", supervisor), ("agent101", agent), ("wall", wall))}  # fmt: skip
        assert _numbers(snapshots["sup800"]["queues"]) == {"800"}
        assert _numbers(snapshots["sup800"]["agents"]) == {"101", "102", "104"}
        assert _numbers(snapshots["agent101"]["queues"]) == {"800"}
        assert _numbers(snapshots["agent101"]["agents"]) == {"101"}
        assert _numbers(snapshots["wall"]["queues"]) == {"800", "801"}
        # Agent 103 serves 801 only: outside the supervisor's and the agent's view.
        for number in ("103", "101"):
            assert (await node.http.post(f"/api/agents/{number}/login")).status_code == 200
        seen = {name: await _frames_until_101_logged_in(ws) for name, ws in
                (("sup800", supervisor), ("agent101", agent), ("wall", wall))}  # fmt: skip
    events = {name: [f["data"] for f in frames if f["type"] == "event"]
              for name, frames in seen.items()}  # fmt: skip
    assert {e["agent"] for e in events["sup800"]} == {"101"}
    assert {e["agent"] for e in events["agent101"]} == {"101"}
    assert events["wall"] == []  # events carry callers' numbers: none for a wallboard
    for frame in seen["wall"]:
        assert frame["calls"] == []
    for frame in seen["sup800"]:
        if frame["type"] == "stats":
            assert _numbers(frame["agents"]) <= {"101", "102", "104"}


async def test_asking_for_a_queue_out_of_scope_closes_with_1008(node: Node) -> None:
    async with node.events("?queue=801", token=await node.token_of("sup800")) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
