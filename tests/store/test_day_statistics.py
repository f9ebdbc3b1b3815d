"""Today's counters: one JSON document per day, saved over and over, read back after a restart."""

from __future__ import annotations

import gc

from hotline.store import Database, DayStatisticsRows, JsonValue

COUNTERS: JsonValue = {
    "queues": {"800": {"offered": 12, "answered": 10, "talk_total": 612.5}},
    "agents": {"101": {"answered": 6, "missed": 1, "talk_seconds": 301.25}},
}


async def _save(database: Database, day: str, value: JsonValue, now: float) -> None:
    async with database.session() as session:
        await DayStatisticsRows(session).save(day, value, now)
        await session.commit()


async def _load(database: Database, day: str) -> JsonValue:
    async with database.session() as session:
        return await DayStatisticsRows(session).load(day)


async def test_the_last_save_of_the_day_is_read_back(database: Database) -> None:
    assert await _load(database, "2026-11-26") is None
    await _save(database, "2026-11-26", {"queues": {}, "agents": {}}, 10.0)
    await _save(database, "2026-11-26", COUNTERS, 15.0)
    assert await _load(database, "2026-11-26") == COUNTERS


async def test_a_new_day_replaces_the_old_one(database: Database) -> None:
    await _save(database, "2026-11-26", COUNTERS, 10.0)
    await _save(database, "2026-11-27", {"queues": {}, "agents": {}}, 90000.0)
    assert await _load(database, "2026-11-26") is None
    assert await _load(database, "2026-11-27") == {"queues": {}, "agents": {}}


async def test_saving_every_few_seconds_leaves_no_garbage(database: Database) -> None:
    """A save runs every few seconds for as long as Hotline runs, and the server's collector
    settings make full collections rare: a save must leave nothing in reference cycles
    (building its statements did, kilobytes each time)."""
    await _save(database, "2026-11-26", COUNTERS, 10.0)  # connections and caches warm
    gc.collect()
    gc.disable()
    try:
        for second in range(20):
            await _save(database, "2026-11-26", COUNTERS, 15.0 + second)
        assert gc.collect() == 0
    finally:
        gc.enable()
