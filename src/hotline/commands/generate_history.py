"""``hotline generate-history``: fill the configured database with simulated call history.

hotline generate-history --config hotline.toml --days 30 --calls-per-day 2000 --seed 1
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hotline.config import ConfigError, load_config
from hotline.history import HistoryPlan, generate_history, plan_for
from hotline.store import Store


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "generate-history",
        help="fill the database with simulated call history",
        description="Simulate the configured queues and agents over past days and write the "
        "calls through the store, as live traffic would (for demos, tests and benchmarks).",
    )
    parser.add_argument("--config", type=Path, required=True, metavar="FILE")
    parser.add_argument("--days", type=int, default=30, help="days of history, ending today")
    parser.add_argument("--calls-per-day", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", metavar="URL", help="instead of the configured database")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.days < 1 or args.calls_per_day < 1:
        print("--days and --calls-per-day must be at least 1", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    today = datetime.datetime.now(ZoneInfo(config.server.timezone)).date()
    try:
        plan = plan_for(config, days=args.days, calls_per_day=args.calls_per_day,
                        seed=args.seed, end=today)  # fmt: skip
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    url = args.database or config.database.url
    data_dir = Path(config.server.data_dir)
    return asyncio.run(_generate(plan, url, data_dir, config.server.timezone))


async def _generate(plan: HistoryPlan, url: str | None, data_dir: Path, timezone: str) -> int:
    store = await Store.open(url, data_dir=data_dir, now=time.time(), timezone=timezone)
    started = time.perf_counter()
    try:
        calls = await generate_history(plan, store.writer)
    finally:
        await store.close()
    elapsed = time.perf_counter() - started
    print(f"{calls} calls over {plan.days} days written in {elapsed:.1f} s")
    return 0
