"""The node the web tests share per module: a real Hotline on a SQLite file in tmp."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from .support import Node, start_node


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def node(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Node]:
    hotline = await start_node(tmp_path_factory.mktemp("web"))
    assert hotline.web is not None
    try:
        async with httpx.AsyncClient(base_url=hotline.web.url, timeout=10) as http:
            yield Node(hotline, hotline.web.url, http)
    finally:
        await hotline.close()
