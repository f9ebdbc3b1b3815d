"""The event writer's batches: written as soon as one is full, and counted right when the
database refuses a row of one; a value too long is refused, never cut."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hotline.events import CallEnded, CallStarted, EventBus, QueueEventLogged
from hotline.store import CallRecords, Store, sqlite_url


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


async def _started(url: str) -> tuple[Store, EventBus]:
    store = await Store.open(url, now=0.0)
    bus = EventBus()
    store.start(bus)
    return store, bus


async def test_a_batch_written_row_by_row_counts_the_rows_written(postgres_url: str) -> None:
    # On PostgreSQL: SQLite takes a value longer than its column.
    store, bus = await _started(postgres_url)
    for n, detail in enumerate(("before", "x" * 300, "after")):  # the second one is refused
        bus.publish(QueueEventLogged(at=float(n), verb="ENTERQUEUE", queue="q", detail=detail))
    await store.close()
    assert store.writer.rows_written == 2


async def test_a_call_record_too_long_for_its_column_is_refused_not_cut(postgres_url: str) -> None:
    # PostgreSQL gets the call records as arrays: cast to varchar(128) they would be cut
    # silently; the column must refuse the value as it refuses it row by row.
    store, bus = await _started(postgres_url)
    for call_id, caller in (("short", "0601"), ("long", "6" * 300)):
        bus.publish(CallStarted(call_id=call_id, caller=caller, destination="500", at=1.0))
        bus.publish(CallEnded(call_id=call_id, cause="normal", at=2.0))
    await store.writer.stop()
    async with store.database.session() as session:
        short, long = [await CallRecords(session).get(name) for name in ("short", "long")]
    await store.close()
    assert short is not None and short.disposition == "unanswered"
    assert long is None
