"""The composition root: builds Hotline's parts from a Config and runs them on one loop."""

from __future__ import annotations

import asyncio
import logging
import signal

import uvloop

from hotline.config import Config

__all__ = ["serve"]

log = logging.getLogger("hotline")


async def _serve(config: Config) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    log.info("hotline ready (domain %s)", config.server.domain)
    await stop.wait()
    log.info("stopping")


def serve(config: Config) -> int:
    """Run until SIGINT or SIGTERM; return the process exit status."""
    uvloop.run(_serve(config))
    log.info("stopped")
    return 0
