"""List reports: call records and failed callbacks as they are, newest first, up to a limit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.reports.catalog import Report
from hotline.reports.query import ReportQuery, Row
from hotline.reports.times import local_time, rounded
from hotline.store.models import CallRecord, QueueEvent

__all__ = ["list_rows"]


async def list_rows(connection: AsyncConnection, report: Report, query: ReportQuery) -> list[Row]:
    if report.source == "callbacks":
        return await _failed_callbacks(connection, query)
    return await _calls(connection, report, query)


async def _calls(connection: AsyncConnection, report: Report, query: ReportQuery) -> list[Row]:
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
    rows = []
    for call in await connection.execute(statement.limit(query.limit)):
        row: Row = {
            "time": local_time(call.arrived_at, zone), "call_id": call.call_id,
            "caller": call.caller, "queue": call.queue, "agent": call.agent,
            "disposition": call.disposition, "wait": rounded(call.wait_seconds),
            "talk": rounded(call.talk_seconds), "recording": call.recording,
        }  # fmt: skip
        rows.append({column: row[column] for column in report.columns})
    return rows


async def _failed_callbacks(connection: AsyncConnection, query: ReportQuery) -> list[Row]:
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
    statement = statement.order_by(events.c.time.desc(), events.c.id.desc()).limit(query.limit)
    zone = query.period.zone
    return [
        {"time": local_time(e.time, zone), "call_id": e.call_id, "caller": e.caller,
         "queue": e.queue, "wait": rounded(e.wait)}
        for e in await connection.execute(statement)
    ]  # fmt: skip
