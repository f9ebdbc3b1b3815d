"""The day rollups follow the site's time zone: rebuilt from the quarter-hours when the zone
they were kept in is not the configured one (a new or upgraded database, or a changed
``[server] timezone``), so a local day's row always holds exactly its quarter-hours."""

from __future__ import annotations

import logging
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.store.config_objects import ConfigObjects
from hotline.store.database import Database
from hotline.store.models import RollupTables
from hotline.store.rollups import DAY_OF, QUARTER_HOURS, LocalDays, RollupTable

__all__ = ["ensure_day_rollups"]

log = logging.getLogger(__name__)

KIND, KEY = "rollups", "day_zone"


async def ensure_day_rollups(database: Database, zone: ZoneInfo, now: float) -> bool:
    """Make the day rollups be of ``zone``; returns whether they had to be rebuilt."""
    async with database.session() as session:
        stored = await ConfigObjects(session).get(KIND, KEY)
        version = None if stored is None else stored.version
        if stored is not None and stored.value == zone.key:
            return False
    async with database.engine.begin() as connection:
        for table in QUARTER_HOURS:
            await _rebuild(connection, table, LocalDays(zone))
    async with database.session() as session:
        await ConfigObjects(session).put(KIND, KEY, zone.key, version=version, now=now)
    log.info("store: day rollups rebuilt for the time zone %s", zone.key)
    return True


async def _rebuild(connection: AsyncConnection, table: RollupTable, days: LocalDays) -> None:
    source, target = RollupTables[table.name], DAY_OF[table]
    await connection.execute(delete(RollupTables[target.name]))
    sums: dict[tuple[object, ...], list[float]] = defaultdict(lambda: [0.0] * len(table.values))
    width = len(table.keys)
    for row in await connection.execute(select(source)):
        key = (days.start_of(row[0]), *row[1:width])
        into = sums[key]
        for n, name in enumerate(table.values):
            value = row[width + n]
            into[n] = max(into[n], value) if name in table.maxima else into[n] + value
    rows = [(*key, *values) for key, values in sums.items()]
    if rows:
        dialect = connection.dialect
        await connection.exec_driver_sql(target.upsert_sql(dialect.paramstyle, dialect.name), rows)
