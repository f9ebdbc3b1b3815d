"""Rollup counters summed per group over a period, time groups named in the period's zone.

The database does the grouping, local time included: the period is cut where the zone's UTC
offset changes (a daylight-saving switch), and within each piece a bucket's local time is
``bucket + offset``, so its local day is ``(bucket + offset) // 86400``, its time of day
``(bucket + offset) % 86400`` and so on, in integers both SQLite and PostgreSQL compute
alike. A year then comes back as at most 366 days (or 96 quarter-hours of the day) instead
of 35,040 buckets, and only the counters the report's metrics read are summed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Table, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.reports.periods import BUCKET_SECONDS, Period, TimeDimension, local_label
from hotline.reports.query import ReportQuery
from hotline.store.models import RollupTables
from hotline.store.rollups import QUARTER_HOURS, local_midnight

__all__ = ["KEY_DIMENSIONS", "TIME_DIMENSIONS", "GroupKey", "add_up", "fold", "summed_rollups"]

TIME_DIMENSIONS: tuple[TimeDimension, ...] = (
    "interval", "slot", "hour_of_day", "weekday", "day", "month",
)  # fmt: skip
KEY_DIMENSIONS = ("queue", "agent", "area")
GroupKey = tuple[tuple[str, str], ...]
DAY = 86400
ONE_DAY = datetime.timedelta(days=1)
EPOCH = datetime.datetime(1970, 1, 1)
# Counters that keep their greatest value (the rest add up), as the rollups keep them.
MAXIMA = frozenset(name for table in QUARTER_HOURS for name in table.maxima)


async def summed_rollups(
    connection: AsyncConnection,
    table: Table,
    group_by: Sequence[str],
    query: ReportQuery,
    counters: Iterable[str] | None = None,
) -> dict[GroupKey, dict[str, float]]:
    """The rollup's ``counters`` (default: all) over the period summed per group (named by
    its dimensions' values, time ones in the period's zone). Whole local days of the site
    are read from the day rollup when the groups need nothing finer: a year is then 365 rows
    per key instead of 35,040."""
    wanted = list(counters) if counters is not None else None
    groups: dict[GroupKey, dict[str, float]] = {}
    for part, since, until in _parts(table, group_by, query):
        found = await _summed(connection, part, group_by, query, wanted, since, until)
        _merge(groups, found)
    return groups


def _merge(
    groups: dict[GroupKey, dict[str, float]], found: dict[GroupKey, dict[str, float]]
) -> None:
    """Add ``found`` into ``groups``; a group new to ``groups`` is taken as it is (a year of
    agents by day is 8,760 groups, most of them met once)."""
    for key, figures in found.items():
        _add_group(groups, key, figures)


def _add_group(
    groups: dict[GroupKey, dict[str, float]], key: GroupKey, figures: dict[str, float]
) -> None:
    into = groups.get(key)
    if into is None:
        groups[key] = figures
    else:
        fold(into, figures)


def _parts(
    table: Table, group_by: Sequence[str], query: ReportQuery
) -> list[tuple[Table, float, float]]:
    """Where to read the period from: quarter-hours, or whole days between two edges."""
    period = query.period
    whole = [(table, period.since, period.until)]
    finer = {"slot", "hour_of_day"} & set(group_by) or (
        "interval" in group_by and query.interval in ("15min", "hour"))  # fmt: skip
    if finer or query.day_zone != period.zone.key:
        return whole
    first = _midnight_at_or_after(period.since, period)
    last = _midnight_of(period.until, period)
    if not period.since <= first < last <= period.until:
        return whole
    days = RollupTables[f"{table.name}_day"]
    return [(table, period.since, first), (days, first, last), (table, last, period.until)]


def _midnight_of(at: float, period: Period) -> float:
    """The local midnight starting the day of ``at``."""
    return local_midnight(datetime.datetime.fromtimestamp(at, period.zone).date(), period.zone)


def _midnight_at_or_after(at: float, period: Period) -> float:
    day = datetime.datetime.fromtimestamp(at, period.zone).date()
    midnight = local_midnight(day, period.zone)
    return at if midnight == at else local_midnight(day + ONE_DAY, period.zone)


async def _summed(
    connection: AsyncConnection,
    table: Table,
    group_by: Sequence[str],
    query: ReportQuery,
    counters: Iterable[str] | None,
    since: float,
    until: float,
) -> dict[GroupKey, dict[str, float]]:
    if since >= until:
        return {}
    keys = [d for d in group_by if d in KEY_DIMENSIONS and d in table.c]
    times = [d for d in group_by if d in TIME_DIMENSIONS]
    wanted = set(counters) if counters is not None else None
    values = [c for c in table.c if c.name not in ("bucket", *KEY_DIMENSIONS)
              and (wanted is None or c.name in wanted)]  # fmt: skip
    grouped: list[ColumnElement[Any]] = [table.c[k] for k in keys]
    unit, in_day = _unit(times, query)
    if times:
        grouped.append(_local_key(table, query.period, unit, in_day).label("local_key"))
    aggregates = [(func.max(c) if c.name in MAXIMA else func.sum(c)).label(c.name)
                  for c in values]  # fmt: skip
    statement = select(*grouped, func.count().label("rows"), *aggregates).where(
        table.c.bucket >= since, table.c.bucket < until
    )
    if query.queues is not None:
        statement = statement.where(table.c.queue.in_(sorted(query.queues)))
    if query.agents is not None and "agent" in table.c:
        statement = statement.where(table.c.agent.in_(sorted(query.agents)))
    if grouped:
        statement = statement.group_by(*grouped)
    groups: dict[GroupKey, dict[str, float]] = {}
    names = [c.name for c in values]
    width, counted = len(keys), len(grouped)
    labels: dict[int, list[tuple[str, str]]] = {}  # local key -> its time groups' names
    for row in await connection.execute(statement):
        if not row[counted]:
            continue  # the aggregate of no rows at all
        named = [(k, str(row[n])) for n, k in enumerate(keys)]
        if times:
            local_key = int(row[width])
            label = labels.get(local_key)
            if label is None:
                local = EPOCH + datetime.timedelta(seconds=local_key * unit)
                label = labels[local_key] = [(t, local_label(local, t, query.interval))
                                             for t in times]  # fmt: skip
            named += label
        sums = row[counted + 1 :]
        figures = {name: value or 0.0 for name, value in zip(names, sums, strict=True)}
        _add_group(groups, tuple(named), figures)
    return groups


def _unit(times: list[TimeDimension], query: ReportQuery) -> tuple[int, bool]:
    """The seconds one group of local time spans, and whether it is counted within the day."""
    if not times:
        return DAY, False
    dimension = times[0]
    if dimension == "slot" or (dimension == "interval" and query.interval == "15min"):
        return int(BUCKET_SECONDS), dimension == "slot"
    if dimension == "hour_of_day" or (dimension == "interval" and query.interval == "hour"):
        return 3600, dimension == "hour_of_day"
    return DAY, False


def _local_key(table: Table, period: Period, unit: int, in_day: bool) -> ColumnElement[Any]:
    local: ColumnElement[int] = cast(table.c.bucket + _offset(table, period), BigInteger)
    if in_day:
        local = local % DAY
    return local // unit


def _offset(table: Table, period: Period) -> ColumnElement[Any] | int:
    """The zone's UTC offset in seconds for each bucket: a constant, or one per stretch
    between daylight-saving switches."""
    pieces = offsets(period)
    if len(pieces) == 1:
        return pieces[0][1]
    whens = [(table.c.bucket < end, offset) for end, offset in pieces[:-1]]
    return case(*whens, else_=pieces[-1][1])


def offsets(period: Period) -> list[tuple[float, int]]:
    """``(end, offset)`` of each stretch of the period with one UTC offset, in order."""

    def offset_at(at: float) -> int:
        delta = datetime.datetime.fromtimestamp(at, period.zone).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    pieces: list[tuple[float, int]] = []
    at, current = period.since, offset_at(period.since)
    while at < period.until:
        step = min(DAY, period.until - at)
        if offset_at(at + step - BUCKET_SECONDS) != current:
            # A switch within this day: find its bucket.
            while offset_at(at) == current:
                at += BUCKET_SECONDS
            pieces.append((at, current))
            current = offset_at(at)
            continue
        at += step
    pieces.append((period.until, current))
    return pieces


def fold(into: dict[str, float], figures: Mapping[str, float | None]) -> None:
    for name, value in figures.items():
        value = value or 0.0
        if name in MAXIMA:
            into[name] = max(into.get(name, 0.0), value)
        else:
            into[name] = into.get(name, 0.0) + value


def add_up(groups: list[dict[str, float]], counters: Iterable[str]) -> dict[str, float]:
    totals = dict.fromkeys(counters, 0.0)
    for figures in groups:
        fold(totals, figures)
    return totals
