"""Event rows written per second through the store's batching writer, to SQLite and PostgreSQL.

Call control is played by a loop that publishes, for each call, the events of a queued and
answered call: CallStarted, ENTERQUEUE, CONNECT, QueueCallConnected, COMPLETECALLER and
CallEnded (three queue log lines, and one call record written once or twice). It publishes in
slices of 1,000 events and yields to the loop between them, as call control would, while the
writer runs its batches; the clock stops when ``stop()`` has written the last one. A second
pass publishes queue log lines only (inserts; COPY on PostgreSQL). SQLite is a file in a
temporary directory (WAL, synchronous=NORMAL); PostgreSQL a throwaway server with fsync on,
reached over TCP loopback. The goal is 20,000 rows a second or more.

    uv run python bench/store_writer.py [--calls 10000] [--batch 5000] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from hotline.events import (
    CallEnded,
    CallStarted,
    Event,
    EventBus,
    QueueCallConnected,
    QueueEventLogged,
)
from hotline.store import Store, sqlite_url
from hotline.testing.postgres import PostgresUnavailable, throwaway_postgres

SLICE = 1000


def call_events(calls: int) -> Iterator[Event]:
    for n in range(calls):
        call_id, at, queue, agent = f"bench-{n}", 1_000_000.0 + n, f"q{n % 10}", f"{200 + n % 50}"
        yield CallStarted(call_id=call_id, caller=f"06{n:08}", destination="500", at=at)
        yield QueueEventLogged(at=at, verb="ENTERQUEUE", call_id=call_id, queue=queue,
                               position=1 + n % 7, original_position=1 + n % 7,
                               detail=f"06{n:08}")  # fmt: skip
        yield QueueEventLogged(at=at + 9, verb="CONNECT", call_id=call_id, queue=queue,
                               agent=agent, wait=9.0, ring=2.5,
                               explanation="longest idle: rank 1, idle 42 s")  # fmt: skip
        yield QueueCallConnected(call_id=call_id, queue=queue, agent=agent, wait_seconds=9.0,
                                 at=at + 9)  # fmt: skip
        yield QueueEventLogged(at=at + 99, verb="COMPLETECALLER", call_id=call_id, queue=queue,
                               agent=agent, wait=9.0, talk=90.0, original_position=1)  # fmt: skip
        yield CallEnded(call_id=call_id, cause="normal", at=at + 99)


def log_lines(count: int) -> Iterator[Event]:
    for n in range(count):
        yield QueueEventLogged(at=2_000_000.0 + n, verb="RINGNOANSWER", queue=f"q{n % 10}",
                               agent=f"{200 + n % 50}", ring=15.0, reason="no_answer")  # fmt: skip


async def measure(url: str, events: list[Event], batch: int) -> tuple[int, float]:
    """Rows written and the seconds from the first publish to the end of ``stop()``."""
    store = await Store.open(url, now=time.time())
    store.writer.batch_size = batch
    bus = EventBus()
    store.start(bus)
    started = time.perf_counter()
    for first in range(0, len(events), SLICE):
        for event in events[first : first + SLICE]:
            bus.publish(event)
        await asyncio.sleep(0)
    await store.writer.stop()
    elapsed = time.perf_counter() - started
    rows = store.writer.rows_written
    await store.close()
    return rows, elapsed


async def bench(name: str, urls: Iterator[str], calls: int, batch: int) -> None:
    for label, events in (("calls", list(call_events(calls))),
                          ("queue log only", list(log_lines(calls * 4)))):  # fmt: skip
        rows, elapsed = await measure(next(urls), events, batch)
        print(f"{name:<10} {label:<15} {len(events):>8,} events {rows:>8,} rows "
              f"in {elapsed:5.2f} s: {rows / elapsed:>9,.0f} rows/s, "
              f"{len(events) / elapsed:>9,.0f} events/s")  # fmt: skip


def sqlite_urls(root: Path) -> Iterator[str]:
    for n in range(100):
        yield sqlite_url(root / f"run{n}")


async def postgres_urls_bench(calls: int, batch: int) -> None:
    try:
        with throwaway_postgres(durable=True) as server:
            names = [await server.create_database() for _ in range(2)]
            await bench("postgresql", iter(server.url(name) for name in names), calls, batch)
    except PostgresUnavailable as missing:
        print(f"postgresql skipped: {missing}")


async def run(args: argparse.Namespace) -> None:
    print(f"calls={args.calls} batch={args.batch} (events per transaction at most)")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as root:
            for n in range(2):
                (Path(root) / f"run{n}").mkdir()
            await bench("sqlite", sqlite_urls(Path(root)), args.calls, args.batch)
    if args.only in (None, "postgresql"):
        await postgres_urls_bench(args.calls, args.batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
