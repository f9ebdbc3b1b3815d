"""List reports: call records, failed callbacks and agents' logins as they are, newest first,
a page at a time (``offset`` rows skipped, then up to ``limit``; no limit: the whole period,
as the exports give it), with the count of the period's rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Row as SqlRow
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.reports.catalog import Report
from hotline.reports.query import ReportQuery, Row
from hotline.reports.sessions import overlapping
from hotline.reports.times import local_time, rounded
from hotline.store.models import AgentSession, CallRecord, QueueEvent, SessionKind

__all__ = ["COUNT_CAP", "list_page"]

# A list's rows are counted up to this many, or to the end of the page asked for if that is
# further: beyond, the total is "at least", so a page of a year's lost calls costs a page, not
# a count of the whole year.
COUNT_CAP = 10_000

# A list's query, ordered newest first, and how one of its rows is shown.
Listing = tuple[Select[Any], Callable[[SqlRow[Any]], Row]]


async def list_page(
    connection: AsyncConnection, report: Report, query: ReportQuery
) -> tuple[list[Row], int, bool]:
    """The page ``query`` asks for, how many rows the whole period has, and whether that
    count is exact (False: there are more, the count stopped at ``COUNT_CAP``)."""
    statement, shaped = _listing(report, query)
    page = statement.offset(query.offset) if query.offset else statement
    if query.limit is not None:
        page = page.limit(query.limit)
    rows = [shaped(found) for found in await connection.execute(page)]
    if (query.limit is None or len(rows) < query.limit) and (rows or not query.offset):
        return rows, query.offset + len(rows), True  # the last page: no need to count
    cap = max(COUNT_CAP, query.offset + (query.limit or 0))
    capped = statement.order_by(None).limit(cap + 1).subquery()
    counted = await connection.scalar(select(func.count()).select_from(capped)) or 0
    return rows, min(counted, cap), counted <= cap


def _listing(report: Report, query: ReportQuery) -> Listing:
    if report.source == "sessions":
        return _logins(query)
    if report.source == "callbacks":
        return _failed_callbacks(query)
    return _calls(report, query)


def _calls(report: Report, query: ReportQuery) -> Listing:
    calls = CallRecord.__table__
    statement = select(calls).where(
        calls.c.arrived_at >= query.period.since, calls.c.arrived_at < query.period.until
    )
    if query.queues is not None:
        statement = statement.where(calls.c.queue.in_(sorted(query.queues)))
    if query.agents is not None:
        statement = statement.where(calls.c.agent.in_(sorted(query.agents)))
    if report.dispositions:
        statement = statement.where(calls.c.disposition.in_(report.dispositions))
    statement = statement.order_by(calls.c.arrived_at.desc(), calls.c.call_id.desc())
    zone = query.period.zone

    def shaped(call: SqlRow[Any]) -> Row:
        row: Row = {
            "time": local_time(call.arrived_at, zone), "call_id": call.call_id,
            "caller": call.caller, "queue": call.queue, "agent": call.agent,
            "disposition": call.disposition, "wait": rounded(call.wait_seconds),
            "talk": rounded(call.talk_seconds), "recording": call.recording,
        }  # fmt: skip
        return {column: row[column] for column in report.columns}

    return statement, shaped


def _failed_callbacks(query: ReportQuery) -> Listing:
    events, calls = QueueEvent.__table__, CallRecord.__table__
    statement = (
        select(events.c.time, events.c.call_id, events.c.queue, events.c.wait, calls.c.caller)
        .select_from(events.outerjoin(calls, calls.c.call_id == events.c.call_id))
        .where(
            events.c.verb == "CALLBACKFAILED",
            events.c.time >= query.period.since,
            events.c.time < query.period.until,
        )
    )
    if query.queues is not None:
        statement = statement.where(events.c.queue.in_(sorted(query.queues)))
    statement = statement.order_by(events.c.time.desc(), events.c.id.desc())
    zone = query.period.zone

    def shaped(e: SqlRow[Any]) -> Row:
        return {"time": local_time(e.time, zone), "call_id": e.call_id, "caller": e.caller,
                "queue": e.queue, "wait": rounded(e.wait)}  # fmt: skip

    return statement, shaped


def _logins(query: ReportQuery) -> Listing:
    table = AgentSession.__table__
    statement = (
        select(table.c.agent, table.c.started_at, table.c.ended_at)
        .where(table.c.kind == SessionKind.LOGIN.value, *overlapping(query))
        .order_by(table.c.started_at.desc(), table.c.agent.desc(), table.c.id.desc())
    )
    zone = query.period.zone

    def shaped(s: SqlRow[Any]) -> Row:
        ended = s.ended_at
        return {"agent": s.agent, "time": local_time(s.started_at, zone),
                "ended": None if ended is None else local_time(ended, zone),
                "duration": None if ended is None else rounded(ended - s.started_at)}  # fmt: skip

    return statement, shaped
