"""``hotline check``: validate a configuration file without starting anything.

For the operator about to restart the service: a bad file is reported key by key (as
``serve`` would, before it refuses to start) and the exit status says so; a good one is
summed up, so a wrong file (the test one, last year's) shows at a glance.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from hotline.config import ConfigError, load_config


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="validate a configuration file",
        description="Check a configuration file and sum it up, without starting the server.",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", required=True)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    agents = sum(1 for extension in config.extensions if extension.agent)
    limits = config.limits
    print(f"{args.config}: valid")
    print(f"  SIP on {config.server.sip_listen}, web on {config.server.http_listen}, "
          f"domain {config.server.domain}")  # fmt: skip
    print(f"  {len(config.extensions)} extensions ({agents} agents), "
          f"{len(config.queues)} queues, {len(config.trunks)} trunks")  # fmt: skip
    for queue in config.queues:
        print(f"  queue {queue.number} {queue.name or ''}: {queue.strategy}, "
              f"{len(queue.agents)} agents, priority {queue.priority}")  # fmt: skip
    low, high = config.media.port_range
    print(f"  RTP ports {low}-{high} on {config.media.rtp_address}; "
          f"call limits: {limits.max_calls or 'none'} at once, "
          f"{limits.max_calls_per_second or 'no limit'} a second")  # fmt: skip
    roles = sorted({user.role.value for user in config.users})
    print(f"  {len(config.users)} web users ({', '.join(roles)})" if config.users else
          "  no web users: the web side is closed (add [[users]])")  # fmt: skip
    url = config.database.url
    # The password stays out of what may end up pasted in a ticket.
    database = make_url(url).render_as_string() if url else f"SQLite in {config.server.data_dir}"
    print(f"  database: {database}")
    return 0
