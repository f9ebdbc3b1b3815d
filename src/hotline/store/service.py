"""The store as the application uses it: open (migrate, repair), restore, write, close."""

from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from hotline.events import EventBus
from hotline.store.agents import AgentRecords, AgentSnapshot
from hotline.store.calls import CallRecords
from hotline.store.database import Database
from hotline.store.day_rollups import ensure_rollups
from hotline.store.writer import EventWriter

__all__ = ["Store"]

log = logging.getLogger(__name__)


class Store:
    """The database and its event writer, in the order the composition root needs them:

    ``store = await Store.open(url, data_dir=..., now=wall())``; ``await store.logged_in_agents()``
    to log agents back in; ``store.start(bus)`` before call control publishes;
    ``await store.close()`` after it stops. Readers open ``store.database.session()``
    and build a repository (``CallRecords``, ``QueueEvents``, ``AgentRecords``) on it.
    """

    def __init__(self, database: Database, writer: EventWriter) -> None:
        self.database = database
        self.writer = writer

    @classmethod
    async def open(
        cls,
        url: str | None = None,
        *,
        data_dir: Path | None = None,
        now: float,
        interval: float = 0.2,
        timezone: str = "UTC",
    ) -> Store:
        """Open and migrate the database (``url``, else SQLite under ``data_dir``), close
        the records of calls a previous run left in progress at ``now``, and keep the day
        rollups in the site's ``timezone``."""
        database = await Database.open(url, data_dir=data_dir)
        async with database.session() as session:
            closed = await CallRecords(session).close_interrupted(now)
        if closed:
            log.warning("store: %d calls were in progress when Hotline last stopped", closed)
        zone = ZoneInfo(timezone)
        await ensure_rollups(database, zone, now)
        return cls(database, EventWriter(database, interval=interval, zone=zone))

    async def logged_in_agents(self) -> list[AgentSnapshot]:
        """The agents logged in when Hotline last stopped, to log back in before serving."""
        async with self.database.session() as session:
            return await AgentRecords(session).logged_in()

    def start(self, bus: EventBus) -> None:
        """Persist every event ``bus`` publishes from now on."""
        self.writer.attach(bus)
        self.writer.start()

    async def close(self) -> None:
        """Write every event received, then close the database."""
        await self.writer.stop()
        await self.database.close()
