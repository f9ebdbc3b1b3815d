"""``GET /api/health``: 200 and "ok" while the node serves calls; 503, "degraded" and the
problem in words while its media process is being replaced or its database refuses writes."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hotline.media import MediaWorker

from .support import Node, eventually, running_node


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with running_node(tmp_path) as running:
        yield running


async def _health(node: Node) -> tuple[int, dict[str, Any]]:
    response = await node.http.get("/api/health")
    return response.status_code, response.json()


async def _health_once(node: Node, status: int, timeout: float = 5.0) -> dict[str, Any]:
    """The first health answered with ``status`` within ``timeout``."""

    async def answered() -> dict[str, Any] | None:
        got, health = await _health(node)
        return health if got == status else None

    return await eventually(answered, timeout)


async def test_a_node_that_serves_calls_is_ok(node: Node) -> None:
    status, health = await _health(node)
    assert (status, health["status"], health["problems"]) == (200, "ok", [])
    media = node.hotline.media
    assert isinstance(media, MediaWorker)
    assert health["media"]["process"] == media.pid and health["media"]["running"]
    assert health["media"]["restarts"] == 0
    assert (health["calls_in_progress"], health["calls_refused_for_load"]) == (0, 0)
    assert health["uptime_seconds"] > 0 and health["registrations"] == 0

    async def ticking() -> int | None:  # the media process reports its clock every second
        ticks: int = (await _health(node))[1]["media"]["ticks"]
        return ticks or None

    assert await eventually(ticking) > 0


async def test_while_the_media_process_is_replaced_the_node_is_degraded(node: Node) -> None:
    media = node.hotline.media
    assert isinstance(media, MediaWorker) and media.pid is not None
    os.kill(media.pid, signal.SIGKILL)

    health = await _health_once(node, 503)
    assert health["status"] == "degraded" and not health["media"]["running"]
    assert health["problems"] == ["media is not running (its process is being started again)"]

    health = await _health_once(node, 200, timeout=15)
    assert health["media"]["restarts"] == 1 and health["media"]["running"]


async def test_a_media_process_running_late_makes_the_node_degraded(node: Node) -> None:
    media = node.hotline.media
    assert isinstance(media, MediaWorker) and media.pid is not None

    async def ticked_for_a_while() -> int | None:  # enough ticks in the window to judge
        ticks: int = (await _health(node))[1]["media"]["ticks_last_minute"]
        return ticks if ticks >= 300 else None

    await eventually(ticked_for_a_while, timeout=15)
    # The media process stalls for a second (starved of CPU, swapping): its clock runs late.
    os.kill(media.pid, signal.SIGSTOP)
    await asyncio.sleep(1.0)
    os.kill(media.pid, signal.SIGCONT)
    health = await _health_once(node, 503)
    assert health["media"]["late_ticks_last_minute"] >= 40 and health["media"]["running"]
    (problem,) = health["problems"]
    assert problem.startswith("media is overloaded: ") and "lower [limits] max_calls" in problem


async def test_a_database_that_refuses_writes_makes_the_node_degraded(node: Node) -> None:
    store = node.hotline.store
    assert store is not None
    async with store.database.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE agent_sessions RENAME TO lost"))
        await connection.execute(text("ALTER TABLE queue_events RENAME TO lost_too"))
    assert (await node.http.post("/api/agents/101/login")).status_code == 200

    health = await _health_once(node, 503)
    assert health["store_backlog"] > 0
    assert health["problems"] == [
        f"the database refuses writes: {health['store_backlog']} events wait"
    ]
