"""The queue_log export read in chunks gives the very text read at once, in time order."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

from hotline.config import parse_config
from hotline.history import generate_history, plan_for
from hotline.reports.queue_log import LogSlice, queue_log_chunk
from hotline.store import Store, sqlite_url

from .sites import site


async def test_chunks_make_the_whole_log(tmp_path: Path) -> None:
    config = parse_config(site("UTC", 2, {"800": ["201"], "801": ["202"]}))
    store = await Store.open(sqlite_url(tmp_path), now=time.time())
    plan = plan_for(config, days=1, calls_per_day=60, seed=1, end=datetime.date(2026, 12, 7))
    await generate_history(plan, store.writer)
    where = LogSlice(since=0.0, until=4e9, queues=frozenset({"800"}), agents=frozenset({"201"}))
    async with store.database.engine.connect() as connection:
        whole, rest = await queue_log_chunk(connection, where, None, 1_000_000)
        assert rest is None
        parts, after = [], None
        while True:
            text, after = await queue_log_chunk(connection, where, after, 7)
            parts.append(text)
            if after is None:
                break
    await store.close()
    assert len(parts) > 3 and "".join(parts) == whole
    lines = [line.split("|") for line in whole.splitlines()]
    assert {f[2] for f in lines} == {"800", "NONE"}  # its queue's lines and its agent's
    assert {f[3] for f in lines if f[2] == "NONE"} == {"201"}
    assert [int(f[0]) for f in lines] == sorted(int(f[0]) for f in lines)
