"""The call history on PostgreSQL: real calls recorded by a node whose store is a throwaway
PostgreSQL server, read back page by page through ``/api/calls``; and the list reports'
pages on generated history, through ``/api/reports``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from hotline.media import MediaServer
from hotline.testing.postgres import PostgresServer

from .support import Node, eventually, phone, phone_ports, running_node
from .test_reports_api import check_list_pages, write_history

pytestmark = pytest.mark.asyncio(loop_scope="module")
CALLS = 5


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pg_node(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[Node]:  # fmt: skip
    url = postgres_server.url(await postgres_server.create_database())
    async with running_node(tmp_path_factory.mktemp("pg"), f'url = "{url}"') as running:
        store = running.hotline.store
        assert store is not None and store.database.dialect == "postgresql"
        yield running


async def test_call_history_pages_on_postgresql(pg_node: Node, tmp_path: Path) -> None:
    async with MediaServer(rtp_address="127.0.0.1", port_range=phone_ports()) as media:
        caller = await phone(pg_node, media, "200")
        try:
            for _ in range(CALLS):  # short echo tests, each with its record
                call = await caller.call("*43")
                await asyncio.wait_for(call.wait_answered(), 5)
                await call.hangup()
        finally:
            await caller.close()

    async def all_ended() -> dict[str, object] | None:
        page: dict[str, object] = (await pg_node.http.get("/api/calls?limit=1000")).json()
        items = page["items"]
        assert isinstance(items, list)
        done = page["total"] == CALLS and all(c["ended_at"] is not None for c in items)
        return page if done else None

    everything = await eventually(all_ended)
    ids = [c["id"] for c in everything["items"]]  # type: ignore[index, union-attr]
    arrivals = [c["arrived_at"] for c in everything["items"]]  # type: ignore[index, union-attr]
    assert arrivals == sorted(arrivals, reverse=True)  # newest first
    paged = []
    for offset in range(0, CALLS, 2):
        page = (await pg_node.http.get(f"/api/calls?limit=2&offset={offset}")).json()
        assert page["total"] == CALLS and page["limit"] == 2 and page["offset"] == offset
        paged += [c["id"] for c in page["items"]]
    assert paged == ids
    beyond = (await pg_node.http.get(f"/api/calls?offset={CALLS}")).json()
    assert beyond["items"] == [] and beyond["total"] == CALLS
    record = (await pg_node.http.get(f"/api/calls/{ids[0]}")).json()
    assert record["caller"] == "200" and record["called"] == "*43"
    assert record["disposition"] is not None and record["end_cause"] == "caller_hangup"
    bad = await pg_node.http.get("/api/calls?offset=999999999999")
    assert bad.status_code == 422


async def test_list_reports_pages_on_postgresql(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.url(await postgres_server.create_database())
    async with running_node(tmp_path, f'url = "{url}"') as node:  # history of its own
        await check_list_pages(node, await write_history(node))
