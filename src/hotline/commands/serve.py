"""``hotline serve``: run the call center with a configuration file or the demo one."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import queue
import sys
from pathlib import Path
from typing import Any

from hotline.config import Config, ConfigError, load_config
from hotline.demo import demo_config

log = logging.getLogger("hotline")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="run the call center", description="Run the Hotline server."
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", type=Path, metavar="FILE", help="TOML configuration file")
    source.add_argument(
        "--demo",
        action="store_true",
        help="the built-in demo configuration, with simulated callers and agents",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        config: Config = demo_config() if args.demo else load_config(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    from hotline.app import serve

    writer = _log_from_a_thread(args.log_level)
    try:
        return serve(config, demo=args.demo)
    finally:
        writer.stop()  # writes out what is still queued


class _Handoff(logging.handlers.QueueHandler):
    """Queues each record with its message merged, for the writer thread to format and write:
    at a few thousand lines a second the loop no longer waits on stderr."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.msg, record.args = record.getMessage(), None
        return record


def _log_from_a_thread(level: str) -> logging.handlers.QueueListener:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(_Handoff(records))
    writer = logging.handlers.QueueListener(records, handler)
    writer.start()
    return writer
