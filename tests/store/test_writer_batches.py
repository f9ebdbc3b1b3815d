"""The event writer's batches: written as soon as one is full, and counted right when the
database refuses a row of one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.events import EventBus, QueueEventLogged
from hotline.store import Store, sqlite_url


async def test_a_full_batch_is_written_before_the_interval_ends(tmp_path: Path) -> None:
    # An hour's interval: only the wake-up of a full batch can write these rows now.
    store = await Store.open(sqlite_url(tmp_path), now=0.0, interval=3600.0)
    store.writer.batch_size = 100
    bus = EventBus()
    store.start(bus)
    try:
        for n in range(250):
            bus.publish(QueueEventLogged(at=float(n), verb="OFFER", queue="sales", agent="201"))
        async with asyncio.timeout(10):
            while store.writer.rows_written < 250:
                await asyncio.sleep(0.01)
    finally:
        await store.close()


async def test_a_batch_written_row_by_row_counts_the_rows_written(database_url: str) -> None:
    store = await Store.open(database_url, now=0.0)
    if store.database.dialect != "postgresql":
        await store.close()
        pytest.skip("SQLite takes a value longer than its column")
    bus = EventBus()
    store.start(bus)
    for n, detail in enumerate(("before", "x" * 300, "after")):  # the second one is refused
        bus.publish(QueueEventLogged(at=float(n), verb="ENTERQUEUE", queue="q", detail=detail))
    await store.close()
    assert store.writer.rows_written == 2
