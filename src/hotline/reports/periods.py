"""Report periods in the site's time zone: parsing ``from``/``to`` and naming buckets.

Pure functions. A date means its local midnight (``to`` as a date is inclusive: the whole day);
a date and time is exact (``to`` exclusive). Both ends are moved out to quarter-hours, the
rollups' grain, so a period is always a whole number of buckets.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.store.rollups import BUCKET_SECONDS, local_midnight

__all__ = [
    "BUCKET_SECONDS",
    "Interval",
    "Period",
    "PeriodError",
    "TimeDimension",
    "local_label",
    "parse_period",
    "time_label",
    "zone_of",
]

Interval = Literal["15min", "hour", "day", "week", "month"]
INTERVALS: tuple[str, ...] = get_args(Interval)
# How a time dimension names a bucket: its interval's start, or its place in a day or week.
TimeDimension = Literal["interval", "slot", "hour_of_day", "weekday", "day", "month"]
WEEKDAYS = ("1 Mon", "2 Tue", "3 Wed", "4 Thu", "5 Fri", "6 Sat", "7 Sun")


class PeriodError(ValueError):
    """A period or time zone the request got wrong (the web answers 422)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """``[since, until)`` in epoch seconds, read in ``zone``."""

    since: float
    until: float
    zone: ZoneInfo


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PeriodError(f"unknown time zone {name!r}") from None


def parse_period(start: str | None, end: str | None, zone: ZoneInfo, now: float) -> Period:
    """The period from ``start`` to ``end`` (ISO dates or local date-times); missing ends
    default to today's local midnight and the end of today."""
    today = datetime.datetime.fromtimestamp(now, zone).date()
    since = _instant(start, zone, end_of_day=False) if start else local_midnight(today, zone)
    until = _instant(end, zone, end_of_day=True) if end else local_midnight(_next(today), zone)
    since = math.floor(since / BUCKET_SECONDS) * BUCKET_SECONDS
    until = math.ceil(until / BUCKET_SECONDS) * BUCKET_SECONDS
    if until <= since:
        raise PeriodError("the period ends before it starts")
    return Period(since=since, until=until, zone=zone)


def _instant(text: str, zone: ZoneInfo, *, end_of_day: bool) -> float:
    try:
        if len(text) == 10:
            day = datetime.date.fromisoformat(text)
            return local_midnight(_next(day) if end_of_day else day, zone)
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{text!r} is not a date (2026-12-01) or date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


def _next(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=1)


def time_label(bucket: float, zone: ZoneInfo, dimension: TimeDimension, interval: Interval) -> str:
    """The row a bucket falls in: an interval's local start, a time of day, a weekday..."""
    return local_label(datetime.datetime.fromtimestamp(bucket, zone), dimension, interval)


def local_label(local: datetime.datetime, dimension: TimeDimension, interval: Interval) -> str:
    """The row of a local time (its group's start: a quarter-hour, hour or day)."""
    local = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
    if dimension == "interval":
        return _interval_start(local, interval)
    if dimension == "slot":
        return local.strftime("%H:%M")
    if dimension == "hour_of_day":
        return local.strftime("%H:00")
    if dimension == "weekday":
        return WEEKDAYS[local.weekday()]
    if dimension == "day":
        return local.date().isoformat()
    return local.strftime("%Y-%m")


def _interval_start(local: datetime.datetime, interval: Interval) -> str:
    if interval == "15min":
        return local.strftime("%Y-%m-%d %H:%M")
    if interval == "hour":
        return local.strftime("%Y-%m-%d %H:00")
    if interval == "day":
        return local.date().isoformat()
    if interval == "week":
        return (local.date() - datetime.timedelta(days=local.weekday())).isoformat()
    return local.strftime("%Y-%m")
