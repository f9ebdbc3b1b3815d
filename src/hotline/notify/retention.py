"""Retention: sent outbox rows and notifications older than ``keep_days`` are deleted now and
then, so that a node running for months keeps a bounded history. An unsent message is never
deleted: it is still owed to its recipient."""

from __future__ import annotations

import logging
from collections.abc import Callable

from hotline.store import Database, NotificationRows, OutboxRows
from hotline.store.periodic import Periodic

__all__ = ["Retention"]

log = logging.getLogger(__name__)

DAY = 86_400.0
PURGE_INTERVAL = 3_600.0  # seconds between purges: the history is kept in days


class Retention:
    """Purges once at ``start`` (a node restarted daily still purges), before the node
    serves, and then every ``interval`` seconds, off the call path, in its own task."""

    def __init__(
        self,
        database: Database,
        *,
        wall: Callable[[], float],
        keep_days: float,
        interval: float = PURGE_INTERVAL,
    ) -> None:
        self.database = database
        self.wall = wall
        self.keep_days = keep_days
        self._periodic = Periodic(self.purge, interval=interval, name="notify-retention")

    async def start(self) -> None:
        await self.purge()
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    async def purge(self) -> tuple[int, int]:
        """Delete what is older than ``keep_days``; returns (outbox rows, notifications)."""
        before = self.wall() - self.keep_days * DAY
        async with self.database.session() as session:
            messages = await OutboxRows(session).purge_sent(before)
            notifications = await NotificationRows(session).purge(before)
        if messages or notifications:
            log.info(
                "notify: deleted %d sent messages and %d notifications older than %g days",
                messages, notifications, self.keep_days,
            )  # fmt: skip
        return messages, notifications
