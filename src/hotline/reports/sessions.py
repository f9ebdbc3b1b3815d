"""Agent activity from the agents' login and pause spans, clipped to the period."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.reports.catalog import Report
from hotline.reports.query import ReportQuery, Row
from hotline.reports.sums import summed_rollups
from hotline.reports.times import rounded
from hotline.store.models import AgentSession, RollupTables, SessionKind

__all__ = ["Spans", "overlapping", "session_rows", "spans"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Spans:
    """An agent's logins or pauses (of one reason): how many began in the period, and their
    seconds inside it."""

    agent: str
    kind: str
    reason: str | None
    began: float
    seconds: float


def overlapping(query: ReportQuery) -> list[ColumnElement[bool]]:
    """Sessions of the agents in scope that overlap the period."""
    table = AgentSession.__table__
    since, until = query.period.since, query.period.until
    where = [table.c.started_at < until, or_(table.c.ended_at.is_(None), table.c.ended_at > since)]
    if query.agents is not None:
        where.append(table.c.agent.in_(sorted(query.agents)))
    return where


async def spans(connection: AsyncConnection, query: ReportQuery) -> list[Spans]:
    """The sessions overlapping the period, of the agents in scope, clipped to it and summed
    per agent, kind and reason by the database (an open one ends at ``query.now``)."""
    table = AgentSession.__table__
    since, until = query.period.since, query.period.until
    started = table.c.started_at
    end = func.coalesce(table.c.ended_at, case((started > query.now, started), else_=query.now))
    end_inside = case((end > until, until), else_=end)
    start_inside = case((started < since, since), else_=started)
    inside = case((end_inside > start_inside, end_inside - start_inside), else_=0.0)
    began = func.sum(case((started >= since, 1), else_=0))
    statement = (
        select(table.c.agent, table.c.kind, table.c.reason, began, func.sum(inside))
        .where(*overlapping(query))
        .group_by(table.c.agent, table.c.kind, table.c.reason)
    )
    return [Spans(agent=r[0], kind=r[1], reason=r[2], began=float(r[3] or 0), seconds=r[4] or 0.0)
            for r in await connection.execute(statement)]  # fmt: skip


async def session_rows(
    connection: AsyncConnection, report: Report, query: ReportQuery
) -> tuple[list[Row], Row | None]:
    found = await spans(connection, query)
    if report.group_by == ("agent", "reason"):
        return _pauses(found), None
    return await _activity(connection, found, query)


def _pauses(found: list[Spans]) -> list[Row]:
    groups: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for s in found:
        if s.kind == SessionKind.PAUSE.value:
            figures = groups[(s.agent, s.reason or "")]
            figures[0] += s.began
            figures[1] += s.seconds
    return [{"agent": agent, "reason": reason, "pauses": f[0], "pause_time": rounded(f[1])}
            for (agent, reason), f in sorted(groups.items())]  # fmt: skip


async def _activity(
    connection: AsyncConnection, found: list[Spans], query: ReportQuery
) -> tuple[list[Row], Row]:
    table = RollupTables["rollup_agent"]
    calls = await summed_rollups(connection, table, ("agent",), query, _CALL_FIGURES)
    by_agent: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(_FIGURES, 0.0))
    for s in found:
        figures = by_agent[s.agent]
        login = s.kind == SessionKind.LOGIN.value
        figures["sessions" if login else "pauses"] += s.began
        figures["login_time" if login else "pause_time"] += s.seconds
    for key, figures in calls.items():
        agent = dict(key)["agent"]
        if query.agents is None or agent in query.agents:
            for name in _CALL_FIGURES:
                by_agent[agent][name] += figures[name]
    rows = [_activity_row(agent, f) for agent, f in sorted(by_agent.items())]
    totals = dict.fromkeys(_FIGURES, 0.0)
    for f in by_agent.values():
        for name in _FIGURES:
            totals[name] += f[name]
    return rows, _activity_row(None, totals)


_CALL_FIGURES = ("answered", "talk", "wrap_up")
_FIGURES = ("sessions", "login_time", "pauses", "pause_time", "answered", "talk", "wrap_up")


def _activity_row(agent: str | None, f: dict[str, float]) -> Row:
    available = f["login_time"] - f["pause_time"]
    busy = f["talk"] + f["wrap_up"]
    return {
        "agent": agent, "sessions": f["sessions"], "login_time": rounded(f["login_time"]),
        "pauses": f["pauses"], "pause_time": rounded(f["pause_time"]),
        "answered": f["answered"], "talk_time": rounded(f["talk"]),
        "occupancy": rounded(100.0 * busy / available) if available > 0 else None,
    }  # fmt: skip
