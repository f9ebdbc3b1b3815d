"""Every report's figures equal a plain recomputation from the raw event log, on generated
history over random seeds, periods, time zones (daylight-saving switches included), queues,
agents, intervals and pages of list reports; once more on PostgreSQL, whose SQL for local
time differs."""

from __future__ import annotations

import asyncio
import datetime
import itertools
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.config import parse_config
from hotline.history import generate_history, plan_for
from hotline.reports import (
    METRICS,
    REPORTS,
    Parameters,
    Report,
    ReportQuery,
    Row,
    parse_period,
    run_report,
    zone_of,
)
from hotline.store import Store, sqlite_url
from hotline.store.models import AgentSession, CallRecord, QueueEvent

from .recompute import expected_rows, replay
from .sites import site

CONFIG = site("America/New_York", 3, {"800": ["201", "202", "203"], "801": ["202", "203"]})
# History of two days ending at a US daylight-saving switch, or not.
ENDS = (datetime.date(2026, 3, 9), datetime.date(2026, 11, 2), datetime.date(2026, 6, 10))
SITE_ZONE = "America/New_York"  # the configuration's: day rollups are kept in it
ZONES = ("America/New_York", "UTC", "Asia/Kolkata", "Europe/Moscow")
QUEUES = ("800", "801")
AGENTS = ("201", "202", "203")
_histories: dict[tuple[int, int], str] = {}


async def make_history(url: str, seed: int, end: datetime.date) -> None:
    plan = plan_for(parse_config(CONFIG), days=2, calls_per_day=300, seed=seed, end=end)
    store = await Store.open(url, now=time.time(), timezone=SITE_ZONE)
    try:
        await generate_history(plan, store.writer)
    finally:
        await store.close()


def history(seed: int, end_index: int) -> str:
    """A SQLite file of generated history, made once per seed and end."""
    key = (seed, end_index)
    if key not in _histories:
        root = Path(tempfile.mkdtemp(prefix="hotline-reports-"))
        url = sqlite_url(root)
        asyncio.run(make_history(url, seed, ENDS[end_index]))
        _histories[key] = url
    return _histories[key]


@st.composite
def queries(draw: st.DrawFn, end: datetime.date) -> ReportQuery:
    zone = zone_of(draw(st.sampled_from(ZONES)))
    first = end - datetime.timedelta(days=2)
    start_hours = draw(st.integers(min_value=-6, max_value=30))
    length_hours = draw(st.integers(min_value=1, max_value=60))
    since = datetime.datetime.combine(first, datetime.time(), zone) + datetime.timedelta(
        hours=start_hours, minutes=draw(st.sampled_from((0, 15, 30, 45)))
    )
    until = since + datetime.timedelta(hours=length_hours)
    period = parse_period(since.strftime("%Y-%m-%dT%H:%M"), until.strftime("%Y-%m-%dT%H:%M"),
                          zone, now=until.timestamp())  # fmt: skip
    if draw(st.booleans()):  # whole days, as dates: read from the day rollups in the site zone
        days = draw(st.integers(min_value=0, max_value=2))
        last = (first + datetime.timedelta(days=days)).isoformat()
        period = parse_period(first.isoformat(), last, zone, now=until.timestamp())
    subset = st.none() | st.frozensets(st.sampled_from(QUEUES), min_size=1)
    agents = st.none() | st.frozensets(st.sampled_from(AGENTS), min_size=1)
    return ReportQuery(
        period=period, queues=draw(subset), agents=draw(agents),
        interval=draw(st.sampled_from(("15min", "hour", "day", "week", "month"))),
        parameters=Parameters(sla_seconds=draw(st.sampled_from((10, 20, 30, 60))),
                              short_abandon_seconds=draw(st.sampled_from((5, 10)))),
        now=until.timestamp(), limit=draw(st.sampled_from((5, 1000, None))),
        offset=draw(st.sampled_from((0, 0, 3, 40))), day_zone=SITE_ZONE,
    )  # fmt: skip


def page_of(rows: list[Row], query: ReportQuery) -> list[Row]:
    """The rows of the page ``query`` asks for, from every row of the period."""
    end = None if query.limit is None else query.offset + query.limit
    return rows[query.offset : end]


async def check_all_reports(url: str, query: ReportQuery) -> None:
    store = await Store.open(url, now=time.time(), timezone=SITE_ZONE)
    try:
        async with store.database.engine.connect() as connection:
            raw = await _raw(connection)
            for report in REPORTS.values():
                paged = report.shape == "list"
                result = await run_report(connection, report, query)  # only lists page
                expected = expected_for(report, query, raw)
                assert result.total == len(expected), report.id
                if paged:  # the page of the rows newest first
                    expected = page_of(expected, query)
                    assert [r["time"] for r in result.rows] == [r["time"] for r in expected]
                assert_rows_equal(report, result.rows, expected)
    finally:
        await store.close()


async def _raw(connection: AsyncConnection) -> dict[str, Any]:
    events = QueueEvent.__table__
    log = (await connection.execute(select(events).order_by(events.c.id))).all()
    visits, refused = replay(log)  # type: ignore[arg-type]
    calls = (await connection.execute(select(CallRecord.__table__))).all()
    sessions = (await connection.execute(select(AgentSession.__table__))).all()
    assert log, "the history has events"
    return {"visits": visits, "refused": refused, "calls": calls, "sessions": sessions,
            "log": log}  # fmt: skip


def expected_for(report: Report, query: ReportQuery, raw: dict[str, Any]) -> list[Row]:
    if report.source == "sessions":
        return _sessions(report, query, raw)
    if report.shape == "list":
        return _list(report, query, raw)
    if report.shape == "bands":
        return _bands(report, query, raw)
    rows = expected_rows(report, query, raw["visits"], raw["refused"])
    if report.shape == "breaches":
        rows = [r for r in rows if r["service_level"] is not None and r["service_level"] < 80]
    return rows


def _bands(report: Report, query: ReportQuery, raw: dict[str, Any]) -> list[Row]:
    visits = [v for v in raw["visits"] if query.period.since <= v.at < query.period.until
              and (query.queues is None or v.queue in query.queues)]  # fmt: skip
    if report.bands == "answered":
        waits = [v.wait for v in visits if v.agent is not None]
    else:
        waits = [v.wait for v in visits if v.agent is None and v.exit == "abandoned"]
    edges = (0, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600)
    rows = []
    for low, high in itertools.pairwise(edges):
        calls = sum(1 for w in waits if (w > low or low == 0) and w <= high)
        rows.append({"wait_band": f"{low}–{high}", "calls": float(calls),
                     "share": 100.0 * calls / len(waits) if waits else None})  # fmt: skip
    rest = sum(1 for w in waits if w > 600)
    rows.append({"wait_band": "> 600", "calls": float(rest),
                 "share": 100.0 * rest / len(waits) if waits else None})  # fmt: skip
    return rows


def _local(at: float, query: ReportQuery) -> str:
    return datetime.datetime.fromtimestamp(at, query.period.zone).strftime("%Y-%m-%d %H:%M:%S")


def _list(report: Report, query: ReportQuery, raw: dict[str, Any]) -> list[Row]:
    since, until = query.period.since, query.period.until
    if report.source == "callbacks":
        return [
            {"time": _local(e.time, query), "call_id": e.call_id, "queue": e.queue,
             "wait": e.wait}
            for e in sorted(raw["log"], key=lambda e: (e.time, e.id), reverse=True)
            if e.verb == "CALLBACKFAILED" and since <= e.time < until
        ]  # fmt: skip
    calls = [c for c in raw["calls"] if since <= c.arrived_at < until
             and (query.queues is None or c.queue in query.queues)
             and (query.agents is None or c.agent in query.agents)
             and (not report.dispositions or c.disposition in report.dispositions)]  # fmt: skip
    calls.sort(key=lambda c: (c.arrived_at, c.call_id), reverse=True)
    rows = []
    for c in calls:
        row = {"time": _local(c.arrived_at, query), "call_id": c.call_id,
               "caller": c.caller, "queue": c.queue, "agent": c.agent,
               "disposition": c.disposition, "wait": c.wait_seconds, "talk": c.talk_seconds,
               "recording": c.recording}  # fmt: skip
        rows.append({k: row[k] for k in report.columns})
    return rows


def _sessions(report: Report, query: ReportQuery, raw: dict[str, Any]) -> list[Row]:
    since, until = query.period.since, query.period.until
    mine = [s for s in raw["sessions"] if query.agents is None or s.agent in query.agents]
    overlapping = [s for s in mine if s.started_at < until
                   and (s.ended_at is None or s.ended_at > since)]  # fmt: skip

    def inside(s: Any) -> float:
        end = s.ended_at if s.ended_at is not None else max(query.now, s.started_at)
        return max(0.0, min(end, until) - max(s.started_at, since))

    if report.shape == "list":
        logins = sorted((s for s in overlapping if s.kind == "login"),
                        key=lambda s: (s.started_at, s.agent), reverse=True)  # fmt: skip
        return [{"agent": s.agent, "time": _local(s.started_at, query),
                 "ended": None if s.ended_at is None else _local(s.ended_at, query),
                 "duration": None if s.ended_at is None else s.ended_at - s.started_at}
                for s in logins]  # fmt: skip
    if report.group_by == ("agent", "reason"):
        keys = sorted({(s.agent, s.reason or "") for s in overlapping if s.kind == "pause"})
        return [{"agent": a, "reason": r,
                 "pauses": float(sum(1 for s in overlapping if s.kind == "pause"
                                     and (s.agent, s.reason or "") == (a, r)
                                     and s.started_at >= since)),
                 "pause_time": sum(inside(s) for s in overlapping if s.kind == "pause"
                                   and (s.agent, s.reason or "") == (a, r))}
                for a, r in keys]  # fmt: skip
    visits = [v for v in raw["visits"] if since <= v.at < until
              and (query.queues is None or v.queue in query.queues)]  # fmt: skip
    agents = sorted({s.agent for s in overlapping}
                    | {v.agent for v in visits if v.agent is not None
                       and (query.agents is None or v.agent in query.agents)})  # fmt: skip
    rows = []
    for agent in agents:
        spans = [s for s in overlapping if s.agent == agent]
        login = sum(inside(s) for s in spans if s.kind == "login")
        pause = sum(inside(s) for s in spans if s.kind == "pause")
        answered = [v for v in visits if v.agent == agent]
        busy = sum(v.talk + v.wrap_up for v in answered)
        rows.append({
            "agent": agent,
            "sessions": float(sum(1 for s in spans if s.kind == "login" and s.started_at >= since)),
            "login_time": login, "pauses": float(sum(1 for s in spans if s.kind == "pause"
                                                     and s.started_at >= since)),
            "pause_time": pause, "answered": float(len(answered)),
            "talk_time": sum(v.talk for v in answered),
            "occupancy": 100.0 * busy / (login - pause) if login - pause > 0 else None,
        })  # fmt: skip
    return rows


def assert_rows_equal(report: Report, got: list[Row], expected: list[Row]) -> None:
    def key(row: Row) -> tuple[str, ...]:
        return tuple(str(row.get(c)) for c in report.columns if METRICS[c].unit in ("text", "time"))

    got_by, expected_by = {key(r): r for r in got}, {key(r): r for r in expected}
    assert sorted(got_by) == sorted(expected_by), report.id
    for k, row in expected_by.items():
        for column, value in row.items():
            actual = got_by[k][column]
            if isinstance(value, float) and actual is not None:
                assert math.isclose(actual, value, rel_tol=1e-6, abs_tol=2e-3), (
                    report.id, k, column, actual, value)  # fmt: skip
            else:
                assert actual == value, (report.id, k, column, actual, value)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), seed=st.integers(min_value=1, max_value=3),
       end_index=st.integers(min_value=0, max_value=len(ENDS) - 1))  # fmt: skip
def test_every_report_equals_a_recomputation_from_the_event_log(
    data: st.DataObject, seed: int, end_index: int
) -> None:
    query = data.draw(queries(ENDS[end_index]))
    asyncio.run(check_all_reports(history(seed, end_index), query))


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata"])
async def test_reports_on_postgresql_equal_the_recomputation(postgres_url: str, zone: str) -> None:
    """The local-time grouping is SQL of each database: PostgreSQL's, over a switch to
    summer time and in a half-hour zone."""
    await make_history(postgres_url, 5, ENDS[0])
    zone_info = zone_of(zone)
    period = parse_period("2026-03-07", "2026-03-08", zone_info, now=time.time())
    # With the lists' first page, a later one, and every row.
    for interval, limit, offset in (("15min", 1000, 0), ("hour", 7, 5), ("day", None, 0)):
        query = ReportQuery(period=period, interval=interval, now=time.time(),  # type: ignore[arg-type]
                            day_zone=SITE_ZONE, limit=limit, offset=offset)  # fmt: skip
        await check_all_reports(postgres_url, query)
