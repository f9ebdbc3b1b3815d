"""The event writer is woken by a full batch, not only by its timer."""

from __future__ import annotations

import asyncio
from pathlib import Path

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
