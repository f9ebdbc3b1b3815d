"""Rollups made whole when the store opens.

A database upgraded from before the rollups has a queue log and no rollups: the log is
replayed through the same fold the writer uses, once (a mark says it was done). The day
rollups follow the site's time zone: rebuilt from the quarter-hours when the zone they were
kept in is not the configured one (or a changed ``[server] timezone``), so a local day's row
always holds exactly its quarter-hours."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.events import QueueEventLogged
from hotline.store.bulk import write_rows
from hotline.store.config_objects import ConfigObjects
from hotline.store.database import Database
from hotline.store.models import QueueEvent, RollupTables
from hotline.store.rollups import (
    DAY_OF,
    QUARTER_HOURS,
    TABLES,
    LocalDays,
    RollupFold,
    RollupTable,
    add_to_day,
    write_rollups,
)

__all__ = ["ensure_day_rollups", "ensure_rollups"]

log = logging.getLogger(__name__)

KIND, KEY, FROM_LOG = "rollups", "day_zone", "from_log"
CHUNK = 50_000


async def ensure_rollups(database: Database, zone: ZoneInfo, now: float) -> None:
    """Fill the rollups from the log if never done, then make the day rollups of ``zone``."""
    async with database.session() as session:
        done = await ConfigObjects(session).get(KIND, FROM_LOG)
    if done is None:
        replayed = await _replay_log(database, zone)
        async with database.session() as session:
            await ConfigObjects(session).put(KIND, FROM_LOG, replayed, version=None, now=now)
            if replayed:
                await ConfigObjects(session).put(KIND, KEY, zone.key, version=None, now=now)
        if replayed:
            log.info("store: rollups made from %d queue log lines", replayed)
    await ensure_day_rollups(database, zone, now)


async def _replay_log(database: Database, zone: ZoneInfo) -> int:
    """The whole queue log through the writer's fold, in order; returns the lines read."""
    fold = RollupFold(days=LocalDays(zone))
    table = QueueEvent.__table__
    last, lines = 0, 0
    async with database.engine.begin() as connection:
        for rollup in TABLES:
            await connection.execute(delete(RollupTables[rollup.name]))
        while True:
            statement = select(table).where(table.c.id > last).order_by(table.c.id).limit(CHUNK)
            rows = (await connection.execute(statement)).all()
            if not rows:
                return lines
            for row in rows:
                fold.apply(QueueEventLogged(
                    at=row.time, verb=row.verb, call_id=row.call_id, queue=row.queue,
                    agent=row.agent, position=row.position,
                    original_position=row.original_position, wait=row.wait, talk=row.talk,
                    ring=row.ring, reason=row.reason, detail=row.detail,
                ))  # fmt: skip
            await write_rollups(connection, fold.take())
            last, lines = rows[-1].id, lines + len(rows)


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
    sums: dict[tuple[object, ...], list[float]] = {}
    width = len(table.keys)
    for row in await connection.execute(select(source)):
        add_to_day(sums, (days.start_of(row[0]), *row[1:width]), row[width:], table.maxima_at)
    rows = [(*key, *values) for key, values in sums.items()]
    if rows:
        await write_rows(connection, target.upsert_sql(connection), rows)
