"""The report rollups: kept by the writer as events come, and made from the queue log alone
when an older database is opened, the same either way; day rows follow the site's zone."""

from __future__ import annotations

import datetime
import math
import time
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hotline.config import parse_config
from hotline.events import Event, EventBus, QueueEventLogged
from hotline.history import history_events, plan_for
from hotline.store import Store
from hotline.store.database import create_engine
from hotline.store.migrate import upgrade
from hotline.store.queue_log import QUEUE_EVENT_COLUMNS, queue_event_row

CONFIG = """
[[extensions]]
number = "201"
password = "secret1"
agent = true

[[queues]]
number = "800"
agents = ["201"]
"""


def events() -> list[Event]:
    plan = plan_for(parse_config(CONFIG), days=2, calls_per_day=150, seed=9,
                    end=datetime.date(2026, 3, 9))  # fmt: skip
    found: list[Event] = []
    history_events(plan, found.extend)
    return found


async def rows(engine: AsyncEngine, table: str) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        result = await connection.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2, 3"))
        return [tuple(row) for row in result]


def same(left: list[tuple[object, ...]], right: list[tuple[object, ...]]) -> bool:
    return len(left) == len(right) and all(
        math.isclose(a, b, abs_tol=1e-6) if isinstance(a, float) else a == b
        for x, y in zip(left, right, strict=True) for a, b in zip(x, y, strict=True)
    )  # fmt: skip


def local_day(bucket: float) -> str:
    return datetime.datetime.fromtimestamp(bucket, ZoneInfo("Asia/Kolkata")).date().isoformat()


async def day_figures(
    engine: AsyncEngine, table: str
) -> dict[tuple[str, str], tuple[float, float]]:
    """Offered and the longest wait of ``table`` per local day (in Kolkata) and queue."""
    found: dict[tuple[str, str], tuple[float, float]] = {}
    async with engine.connect() as connection:
        result = await connection.execute(text(f"SELECT bucket, queue, offered, longest_wait "
                                               f"FROM {table}"))  # fmt: skip
        for bucket, queue, offered, longest in result:
            key = (local_day(bucket), queue)
            before = found.get(key, (0.0, 0.0))
            found[key] = (before[0] + offered, max(before[1], longest))
    return found


async def test_an_upgraded_database_gets_the_rollups_the_writer_keeps(database_url: str) -> None:
    made = events()
    live = await Store.open(database_url, now=time.time(), timezone="America/New_York")
    bus = EventBus()
    live.start(bus)
    for event in made:
        bus.publish(event)
    await live.writer.stop()
    expected = {t: await rows(live.database.engine, t) for t in ("rollup_queue", "rollup_agent",
                                                                  "rollup_queue_day")}  # fmt: skip
    assert expected["rollup_queue"] and expected["rollup_queue_day"]
    async with live.database.engine.begin() as connection:  # back to before the rollups
        for table in ("rollup_queue", "rollup_agent", "rollup_area", "rollup_queue_day",
                      "rollup_agent_day", "rollup_area_day", "config_objects", "call_records",
                      "agent_sessions", "agent_status"):  # fmt: skip
            await connection.execute(text(f"DELETE FROM {table}"))
    await live.close()

    reopened = await Store.open(database_url, now=time.time(), timezone="America/New_York")
    try:
        for table, wanted in expected.items():
            assert same(await rows(reopened.database.engine, table), wanted), table
    finally:
        await reopened.close()

    # Another site zone: the day rows are remade from the quarter-hours, the same totals.
    moved = await Store.open(database_url, now=time.time(), timezone="Asia/Kolkata")
    try:
        days = await rows(moved.database.engine, "rollup_queue_day")
        assert {r[0] for r in days} != {r[0] for r in expected["rollup_queue_day"]}
        assert sum(r[2] for r in days) == sum(r[2] for r in expected["rollup_queue_day"])
        # Each local day holds exactly its quarter-hours: offered added, longest wait kept.
        assert await day_figures(moved.database.engine, "rollup_queue_day") == await day_figures(
            moved.database.engine, "rollup_queue"
        )
    finally:
        await moved.close()


async def test_a_database_at_the_previous_revision_is_filled_from_its_log(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    await upgrade(engine, "0005")
    lines = [queue_event_row(e) for e in events() if isinstance(e, QueueEventLogged)]
    names = ", ".join(QUEUE_EVENT_COLUMNS)
    marks = ", ".join(f":{n}" for n in QUEUE_EVENT_COLUMNS)
    async with engine.begin() as connection:
        await connection.execute(text(f"INSERT INTO queue_events ({names}) VALUES ({marks})"),
                                 [dict(zip(QUEUE_EVENT_COLUMNS, line, strict=True))
                                  for line in lines])  # fmt: skip
    await engine.dispose()
    store = await Store.open(database_url, now=time.time())
    try:
        queue = await rows(store.database.engine, "rollup_queue")
        entered = sum(1 for line in lines if line[4] == "ENTERQUEUE")
        assert sum(row[2] for row in queue) == entered  # offered
    finally:
        await store.close()
