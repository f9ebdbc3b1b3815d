"""Reports recomputed the plain way, straight from the raw event log, for the property test.

Nothing here reads a rollup or a bucket: the queue log is replayed visit by visit, each visit
is placed by its own entry time in the zone (``datetime.fromtimestamp``), and its figures
are added up per group. The metric formulas of the dictionary are then applied: they are
the definitions; what this checks is everything between the events and the figures.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from hotline.reports import METRICS, Report, ReportQuery, Row
from hotline.reports.periods import local_label
from hotline.store.models import QueueEvent

EDGES = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600)
EXITS = {"ABANDON": "abandoned", "EXITWITHTIMEOUT": "timed_out", "EXITEMPTY": "exited_empty",
         "DROPPED": "dropped", "CALLBACKFAILED": "callback_failed"}  # fmt: skip


@dataclass
class Visit:
    call_id: str
    queue: str
    at: float
    area: str
    requeued: bool
    agent: str | None = None
    wait: float | None = None
    talk: float = 0.0
    wrap_up: float = 0.0
    by_agent: bool | None = None
    exit: str | None = None
    callback_at: float | None = None
    callback_delay: float | None = None
    completed_at: float | None = None
    offers: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    missed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    ring: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def replay(events: Iterable[QueueEvent]) -> tuple[list[Visit], list[tuple[str, float]]]:
    """Every queue visit, and every refused caller (queue, time), from the log in order."""
    visits: list[Visit] = []
    refused: list[tuple[str, float]] = []
    open_visits: dict[str, Visit] = {}
    entered: set[str] = set()
    last_call: dict[str, Visit] = {}
    for e in events:
        if e.verb == "ENTERQUEUE":
            digits = "".join(c for c in e.detail or "" if c.isdigit())
            visit = Visit(e.call_id or "", e.queue or "", e.time, digits[:4], e.call_id in entered)
            entered.add(e.call_id or "")
            open_visits[e.call_id or ""] = visit
            visits.append(visit)
        elif e.verb == "WRAPUPEND":
            done = last_call.pop(e.agent or "", None)
            if done is not None and done.completed_at is not None:
                done.wrap_up += max(0.0, e.time - done.completed_at)
        elif e.verb in ("FULL", "JOINEMPTY"):
            refused.append((e.queue or "", e.time))
        elif e.call_id in open_visits:
            _visit_line(open_visits, last_call, e)
    return visits, refused


def _visit_line(open_visits: dict[str, Visit], last_call: dict[str, Visit], e: QueueEvent) -> None:
    visit = open_visits[e.call_id or ""]
    agent = e.agent or ""
    if e.verb in ("OFFER", "CALLBACKDIAL"):
        visit.offers[agent] += 1
    elif e.verb == "RINGNOANSWER":
        visit.missed[agent] += 1
        visit.ring[agent] += e.ring or 0.0
    elif e.verb == "CALLBACKREQUEST":
        visit.callback_at = e.time
    elif e.verb == "CONNECT":
        visit.agent, visit.wait = agent, e.wait or 0.0
        if visit.callback_at is not None:
            visit.callback_delay = e.time - visit.callback_at
    elif e.verb in ("COMPLETECALLER", "COMPLETEAGENT"):
        visit.talk, visit.by_agent = e.talk or 0.0, e.verb == "COMPLETEAGENT"
        visit.completed_at = e.time
        last_call[agent] = visit
        del open_visits[e.call_id or ""]
    elif e.verb in EXITS:
        visit.exit, visit.wait = EXITS[e.verb], e.wait or 0.0
        del open_visits[e.call_id or ""]


def queue_figures(visits: list[Visit], refused: list[tuple[str, float]]) -> dict[str, float]:
    f: dict[str, float] = defaultdict(float)
    for v in visits:
        f["offered"] += 1
        f["requeued"] += v.requeued
        f["ring_no_answer"] += sum(v.missed.values())
        f["callback_requested"] += v.callback_at is not None
        f["wrap_up"] += v.wrap_up
        if v.wait is not None:
            f["longest_wait"] = max(f["longest_wait"], v.wait)
        if v.agent is not None:
            f["answered"] += 1
            f["answered_wait"] += v.wait or 0.0
            for e in EDGES:
                f[f"answered_within_{e}"] += (v.wait or 0.0) <= e
            f["talk"] += v.talk
            f["completed_by_agent"] += v.by_agent is True
            f["completed_by_caller"] += v.by_agent is False
            if v.callback_delay is not None:
                f["callback_answered"] += 1
                f["callback_delay"] += v.callback_delay
        elif v.exit is not None:
            f[v.exit] += 1
            if v.exit == "abandoned":
                f["abandoned_wait"] += v.wait or 0.0
                for e in EDGES:
                    f[f"abandoned_within_{e}"] += (v.wait or 0.0) <= e
    f["refused"] += len(refused)
    return f


def agent_figures(visits: list[Visit], agent: str) -> dict[str, float]:
    f: dict[str, float] = defaultdict(float)
    for v in visits:
        f["offers"] += v.offers.get(agent, 0)
        f["ring_no_answer"] += v.missed.get(agent, 0)
        f["ring"] += v.ring.get(agent, 0.0)
        if v.agent == agent:
            f["answered"] += 1
            f["answered_wait"] += v.wait or 0.0
            f["talk"] += v.talk
            f["wrap_up"] += v.wrap_up
            f["completed_by_agent"] += v.by_agent is True
    return f


def label(at: float, zone: ZoneInfo, dimension: str, query: ReportQuery) -> str:
    local = datetime.datetime.fromtimestamp(at, zone).replace(tzinfo=None)
    return local_label(local, dimension, query.interval)  # type: ignore[arg-type]


def expected_rows(report: Report, query: ReportQuery, visits: list[Visit],
                  refused: list[tuple[str, float]]) -> list[Row]:  # fmt: skip
    """The rows of a rollup report, recomputed from the visits."""
    since, until, zone = query.period.since, query.period.until, query.period.zone
    inside = [v for v in visits if since <= v.at < until
              and (query.queues is None or v.queue in query.queues)]  # fmt: skip
    turned = [(q, t) for q, t in refused if since <= t < until
              and (query.queues is None or q in query.queues)]  # fmt: skip
    dims = report.group_by
    groups: dict[tuple[str, ...], list[Visit]] = defaultdict(list)
    refused_by: dict[tuple[str, ...], list[tuple[str, float]]] = defaultdict(list)
    agents_of = _agents(inside, query) if "agent" in dims else [None]
    for v in inside:
        for agent in agents_of:
            if agent is not None and not _touches(v, agent):
                continue
            groups[_key(dims, v.queue, v.area, agent, v.at, zone, query)].append(v)
    if report.source == "queue":
        for q, t in turned:
            refused_by[_key(dims, q, "", None, t, zone, query)].append((q, t))
    rows = []
    for key in sorted(set(groups) | set(refused_by)):
        if report.source == "agent":
            agent = dict(zip(dims, key, strict=True))["agent"]
            figures = agent_figures(groups[key], agent)
        else:
            figures = queue_figures(groups[key], refused_by[key])
        rows.append(_row(report, query, dict(zip(dims, key, strict=True)), figures))
    if "share" in report.columns:
        total = sum(r["offered"] for r in rows)
        for r in rows:
            r["share"] = 100.0 * r["offered"] / total if total else None
    return rows


def _agents(visits: list[Visit], query: ReportQuery) -> list[str | None]:
    found = {a for v in visits for a in (*v.offers, *v.missed, v.agent) if a is not None}
    return sorted(a for a in found if query.agents is None or a in query.agents)


def _touches(visit: Visit, agent: str) -> bool:
    return agent in visit.offers or agent in visit.missed or visit.agent == agent


def _key(dims: tuple[str, ...], queue: str, area: str, agent: str | None, at: float,
         zone: ZoneInfo, query: ReportQuery) -> tuple[str, ...]:  # fmt: skip
    named = {"queue": queue, "area": area, "agent": agent or ""}
    return tuple(named[d] if d in named else label(at, zone, d, query) for d in dims)


def _row(report: Report, query: ReportQuery, named: dict[str, str],
         figures: dict[str, float]) -> Row:  # fmt: skip
    row: Row = {}
    period = next((v for k, v in named.items() if k not in ("queue", "agent", "area")), None)
    for column in report.columns:
        compute: Callable[..., float | None] | None = METRICS[column].compute
        if column == "period":
            row[column] = period
        elif column in named:
            row[column] = named[column]
        elif compute is not None:
            row[column] = compute(defaultdict(float, figures), query.parameters)
        else:
            row[column] = None
    return row
