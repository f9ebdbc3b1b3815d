"""Every report over a year of history, and writing with the rollups on, on SQLite and PostgreSQL.

1. History: ``--calls`` calls (default 1,000,000) over ``--days`` days (365) are made by the ACD
   simulator for four queues and 24 agents and written through the store's event writer, as
   ``hotline generate-history`` does; the time printed includes the simulation.
2. Writing: the events of the first 100,000 of those calls (or fewer) are published again
   into a fresh database and written with the rollups on; calls a second counts from the
   first publish to the last commit (the events are made beforehand, as call control would
   have made them).
3. Reading: each report is run ``--runs`` times (20) over the whole period, all queues, in
   Europe/Moscow, after a first run that is printed apart (it compiles and prepares the
   statements). The median and the 95th percentile (nearest rank: a time one run took) of
   the runs after it are printed. The goal is 200 ms. The reads run under the server's
   garbage collector settings (``hotline serve`` freezes what exists at start-up and
   collects less often), and without the write sample's million events in memory: with
   them, a full collection (a third of a second over a million objects) landed now and then
   in a run and made its p95.

    uv run python bench/reports.py [--calls 1000000] [--days 365] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import logging
import math
import statistics
import tempfile
import time
from pathlib import Path

from hotline.app import tune_garbage_collector
from hotline.config import parse_config
from hotline.events import CallStarted, Event, EventBus
from hotline.history import HistoryPlan, generate_history, history_events, plan_for
from hotline.reports import REPORTS, ReportQuery, parse_period, run_report, zone_of
from hotline.store import Store, sqlite_url
from hotline.testing.postgres import PostgresUnavailable, throwaway_postgres

AGENTS = 24
ZONE = "Europe/Moscow"
CONFIG = "\n".join(
    [f'[server]\ntimezone = "{ZONE}"\n']
    + [f'[[extensions]]\nnumber = "{200 + n}"\npassword = "secret{n:03}"\nagent = true\n'
       for n in range(AGENTS)]
    + [f'[[queues]]\nnumber = "{800 + q}"\nstrategy = "longest_waiting"\n'
       f"agents = {[str(200 + n) for n in range(AGENTS) if n % 4 == q or n % 3 == 0]}\n"
       for q in range(4)]
)  # fmt: skip
WRITE_SAMPLE = 100_000


def plan(calls: int, days: int) -> HistoryPlan:
    end = datetime.date(2026, 12, 1)
    return plan_for(parse_config(CONFIG), days=days, calls_per_day=max(1, calls // days),
                    seed=7, end=end)  # fmt: skip


async def fill(url: str, history: HistoryPlan) -> tuple[int, float]:
    store = await Store.open(url, now=time.time(), timezone=ZONE)
    started = time.perf_counter()
    calls = await generate_history(history, store.writer)
    await store.close()
    return calls, time.perf_counter() - started


def sample_events(history: HistoryPlan, calls: int) -> list[Event]:
    events: list[Event] = []
    history_events(history, events.extend)
    started = 0
    for n, event in enumerate(events):
        started += isinstance(event, CallStarted)
        if started > calls:
            return events[:n]
    return events


async def write_rate(url: str, events: list[Event]) -> tuple[int, float]:
    store = await Store.open(url, now=time.time(), timezone=ZONE)
    bus = EventBus()
    store.start(bus)
    started = time.perf_counter()
    for first in range(0, len(events), 1000):
        for event in events[first : first + 1000]:
            bus.publish(event)
        await asyncio.sleep(0)
    await store.writer.stop()
    elapsed = time.perf_counter() - started
    await store.close()
    return sum(isinstance(e, CallStarted) for e in events), elapsed


async def read_times(url: str, history: HistoryPlan, runs: int) -> None:
    store = await Store.open(url, now=time.time(), timezone=ZONE)
    zone = zone_of(ZONE)
    first = datetime.datetime.fromtimestamp(history.start, zone).date()
    last = first + datetime.timedelta(days=history.days - 1)
    period = parse_period(first.isoformat(), last.isoformat(), zone, time.time())
    query = ReportQuery(period=period, now=time.time(), day_zone=ZONE)
    gc.collect()
    tune_garbage_collector()
    worst = 0.0
    async with store.database.engine.connect() as connection:
        for report in REPORTS.values():
            times = []
            for _ in range(1 + runs):
                started = time.perf_counter()
                result = await run_report(connection, report, query)
                times.append((time.perf_counter() - started) * 1000)
            cold, warm = times[0], sorted(times[1:])
            p95 = warm[math.ceil(0.95 * len(warm)) - 1]
            worst = max(worst, p95)
            print(f"  {report.id:<28} median {statistics.median(warm):7.1f} ms  p95 {p95:7.1f} ms"
                  f"  first {cold:7.1f} ms  rows {len(result.rows)}")  # fmt: skip
    print(f"  slowest p95: {worst:.1f} ms (goal 200 ms)")
    await store.close()


async def bench(name: str, urls: list[str], args: argparse.Namespace) -> None:
    history = plan(args.calls, args.days)
    calls, elapsed = await fill(urls[0], history)
    print(f"{name}: history of {calls:,} calls over {args.days} days written in "
          f"{elapsed:.1f} s ({calls / elapsed:,.0f} calls/s with the simulation)")  # fmt: skip
    await write_sample(name, urls[1], args.calls)
    await read_times(urls[0], history, args.runs)


async def write_sample(name: str, url: str, calls: int) -> None:
    """Time the writing of a sample; its events are garbage once this returns."""
    events = sample_events(plan(min(calls, WRITE_SAMPLE), 30), WRITE_SAMPLE)
    written, seconds = await write_rate(url, events)
    print(f"{name}: writing {written:,} calls ({len(events):,} events) with rollups: "
          f"{seconds:.2f} s, {written / seconds:,.0f} calls/s (goal 10,000)")  # fmt: skip


async def run(args: argparse.Namespace) -> None:
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as root:
            urls = []
            for n in range(2):
                (Path(root) / f"run{n}").mkdir()
                urls.append(sqlite_url(Path(root) / f"run{n}"))
            await bench("sqlite", urls, args)
    if args.only in (None, "postgresql"):
        try:
            with throwaway_postgres(durable=True) as server:
                names = [await server.create_database() for _ in range(2)]
                await bench("postgresql", [server.url(n) for n in names], args)
        except PostgresUnavailable as missing:
            print(f"postgresql skipped: {missing}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
