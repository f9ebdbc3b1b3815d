"""When a scheduled report is due, and which period it covers: pure functions of local time.

``every`` is ``"hourly"``, ``"daily 07:00"``, ``"weekly mon 07:00"`` or ``"monthly 1 07:00"``
(a day past the month's end means its last day). A report due at a time covers the period
just ended: the previous hour, the previous local day, the previous seven days, or the
previous month.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = ["Every", "covered_period", "last_due", "next_due", "parse_every"]

Kind = Literal["hourly", "daily", "weekly", "monthly"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PATTERN = re.compile(
    r"^(?:(?P<hourly>hourly)"
    r"|daily (?P<daily>\d\d:\d\d)"
    r"|weekly (?P<weekday>mon|tue|wed|thu|fri|sat|sun) (?P<weekly>\d\d:\d\d)"
    r"|monthly (?P<day>\d{1,2}) (?P<monthly>\d\d:\d\d))$"
)
_QUARTER = 900.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Every:
    kind: Kind
    at: datetime.time = datetime.time()
    weekday: int = 0  # Monday = 0
    day: int = 1


def parse_every(text: str) -> Every:
    """``every`` as written in ``[[report_schedules]]``; ValueError names what is wrong."""
    found = _PATTERN.match(text.strip().lower())
    if found is None:
        raise ValueError(f'every = {text!r}: write "hourly", "daily 07:00", '
                         '"weekly mon 07:00" or "monthly 1 07:00"')  # fmt: skip
    if found["hourly"]:
        return Every(kind="hourly")
    clock = found["daily"] or found["weekly"] or found["monthly"]
    hours, minutes = (int(part) for part in clock.split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"every = {text!r}: {clock} is not a time of day")
    at = datetime.time(hours, minutes)
    if found["daily"]:
        return Every(kind="daily", at=at)
    if found["weekly"]:
        return Every(kind="weekly", at=at, weekday=WEEKDAYS.index(found["weekday"]))
    day = int(found["day"])
    if not 1 <= day <= 31:
        raise ValueError(f"every = {text!r}: day {day} of the month is not 1 to 31")
    return Every(kind="monthly", at=at, day=day)


def next_due(every: Every, after: float, zone: ZoneInfo) -> float:
    """The first time strictly after ``after`` the report is due."""
    return _due(every, after, zone, forward=True)


def last_due(every: Every, until: float, zone: ZoneInfo) -> float:
    """The latest time at or before ``until`` the report was due (the run a restart owes)."""
    return _due(every, until, zone, forward=False)


def _due(every: Every, moment: float, zone: ZoneInfo, *, forward: bool) -> float:
    step = 1 if forward else -1
    if every.kind == "hourly":
        # Quarter-hours, because some zones are half or three quarters of an hour off UTC.
        at = (moment // _QUARTER + (1 if forward else 0)) * _QUARTER
        while datetime.datetime.fromtimestamp(at, zone).minute != 0:
            at += step * _QUARTER
        return at
    day = datetime.datetime.fromtimestamp(moment, zone).date()
    for _ in range(400):
        if _matches(every, day):
            due = datetime.datetime.combine(day, every.at, zone).timestamp()
            if (due > moment) if forward else (due <= moment):
                return due
        day += datetime.timedelta(days=step)
    raise AssertionError("a schedule is due at least once a month")


def _matches(every: Every, day: datetime.date) -> bool:
    if every.kind == "daily":
        return True
    if every.kind == "weekly":
        return day.weekday() == every.weekday
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(every.day, last)


def covered_period(every: Every, due: float, zone: ZoneInfo) -> tuple[float, float]:
    """``[since, until)`` the report due at ``due`` covers: the hour, day, week or month
    that ended by then (days at local midnight)."""
    if every.kind == "hourly":
        return due - 3600.0, due
    local = datetime.datetime.fromtimestamp(due, zone).date()
    if every.kind == "daily":
        first = local - datetime.timedelta(days=1)
    elif every.kind == "weekly":
        first = local - datetime.timedelta(days=7)
    else:
        first = (local.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        local = local.replace(day=1)
    since = datetime.datetime.combine(first, datetime.time(), zone).timestamp()
    return since, datetime.datetime.combine(local, datetime.time(), zone).timestamp()
