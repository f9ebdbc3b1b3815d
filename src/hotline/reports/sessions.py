"""Agent activity from the agents' login and pause spans, clipped to the period."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.reports.catalog import Report
from hotline.reports.query import ReportQuery, Row
from hotline.reports.sums import summed_rollups
from hotline.reports.times import local_time, rounded
from hotline.store.models import AgentSession, RollupTables, SessionKind

__all__ = ["Span", "session_rows", "spans"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Span:
    """One login or pause: ``seconds`` of it inside the period; ``began`` whether it started
    there (a session counts where it started)."""

    agent: str
    kind: str
    reason: str | None
    started_at: float
    ended_at: float | None
    seconds: float
    began: bool


async def spans(connection: AsyncConnection, query: ReportQuery) -> list[Span]:
    """The sessions overlapping the period, of the agents in the query's scope."""
    since, until = query.period.since, query.period.until
    table = AgentSession.__table__
    statement = select(table).where(
        table.c.started_at < until, or_(table.c.ended_at.is_(None), table.c.ended_at > since)
    )
    if query.agents is not None:
        statement = statement.where(table.c.agent.in_(sorted(query.agents)))
    found = []
    for row in await connection.execute(statement.order_by(table.c.started_at)):
        end = row.ended_at if row.ended_at is not None else max(query.now, row.started_at)
        seconds = max(0.0, min(end, until) - max(row.started_at, since))
        found.append(Span(agent=row.agent, kind=row.kind, reason=row.reason,
                          started_at=row.started_at, ended_at=row.ended_at, seconds=seconds,
                          began=row.started_at >= since))  # fmt: skip
    return found


async def session_rows(
    connection: AsyncConnection, report: Report, query: ReportQuery
) -> tuple[list[Row], Row | None]:
    found = await spans(connection, query)
    if report.shape == "list":
        return _logins(found, query), None
    if report.group_by == ("agent", "reason"):
        return _pauses(found), None
    return await _activity(connection, found, query)


def _logins(found: list[Span], query: ReportQuery) -> list[Row]:
    logins = [s for s in found if s.kind == SessionKind.LOGIN.value]
    logins.sort(key=lambda s: (s.started_at, s.agent), reverse=True)
    zone = query.period.zone
    return [
        {"agent": s.agent, "time": local_time(s.started_at, zone),
         "ended": None if s.ended_at is None else local_time(s.ended_at, zone),
         "duration": None if s.ended_at is None else rounded(s.ended_at - s.started_at)}
        for s in logins[: query.limit]
    ]  # fmt: skip


def _pauses(found: list[Span]) -> list[Row]:
    groups: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for s in found:
        if s.kind == SessionKind.PAUSE.value:
            figures = groups[(s.agent, s.reason or "")]
            figures[0] += s.began
            figures[1] += s.seconds
    return [{"agent": agent, "reason": reason, "pauses": f[0], "pause_time": rounded(f[1])}
            for (agent, reason), f in sorted(groups.items())]  # fmt: skip


async def _activity(
    connection: AsyncConnection, found: list[Span], query: ReportQuery
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
