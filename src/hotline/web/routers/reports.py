"""The reports: the catalogue (with the metric dictionary), running one as JSON, CSV, XLSX or
PDF, and the event log in Asterisk's queue_log format. A supervisor's reports cover its
queues (and their agents) only; asking for another queue or agent is refused (403)."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from hotline.access import Action, User, visible
from hotline.config import Config
from hotline.reports import (
    REPORTS,
    Parameters,
    PeriodError,
    ReportQuery,
    parse_period,
    zone_of,
)
from hotline.reports.exports import media_type
from hotline.reports.queue_log import LogSlice, queue_log_chunk
from hotline.reports.runner import ReportRunner
from hotline.store.rollups import WAIT_EDGES
from hotline.web.deps import ServicesDep, allow
from hotline.web.report_schemas import ReportOut, ReportRunOut, report_out, run_out
from hotline.web.routers.paging import MAX_OFFSET

__all__ = ["router"]

router = APIRouter(tags=["reports"])

Interval = Literal["15min", "hour", "day", "week", "month"]
From = Annotated[
    str | None,
    Query(alias="from", max_length=32, description="Start: a date (2026-12-01) or local "
          "date and time; default: today's midnight"),
]  # fmt: skip
To = Annotated[
    str | None,
    Query(max_length=32, description="End: a date (inclusive, the whole day) or local date "
          "and time (exclusive); default: the end of today"),
]  # fmt: skip
LOG_CHUNK = 20_000  # queue_log lines read at a time
Numbers = Annotated[str | None, Query(max_length=1000, description="Comma-separated numbers")]


def runner_of(request: Request) -> ReportRunner:
    runner: ReportRunner = request.app.state.reports
    return runner


@router.get("/api/reports", summary="The reports, with their parameters and columns' metrics")
async def list_reports(
    _user: Annotated[User, Depends(allow("reports.read"))],
) -> list[ReportOut]:
    return [report_out(report) for report in REPORTS.values()]


@router.get(
    "/api/reports/{report_id}",
    summary="Run one report over a period (JSON, or a CSV, XLSX or PDF file)",
    response_model=ReportRunOut,
    responses={200: {"content": {media_type(k): {} for k in ("csv", "xlsx", "pdf")}}},
)
async def run_report(
    report_id: str,
    request: Request,
    services: ServicesDep,
    user: Annotated[User, Depends(allow("reports.read"))],
    start: From = None,
    to: To = None,
    queues: Numbers = None,
    agents: Numbers = None,
    interval: Interval = "day",
    tz: Annotated[
        str | None,
        Query(max_length=64, description="IANA zone; default: the site's [server] timezone"),
    ] = None,
    format: Literal["json", "csv", "xlsx", "pdf"] = "json",
    lang: Literal["en", "ru"] | None = None,
    sla: Annotated[int, Query(description=f"Service level threshold, s: {WAIT_EDGES}")] = 20,
    short_abandon: Annotated[int, Query(description="Short abandon threshold, s")] = 5,
    limit: Annotated[int, Query(ge=1, le=10000, description="Rows of a list report's page "
                                "(JSON; the files have every row of the period)")] = 1000,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows of a list report "
                                 "skipped before its page (JSON)")] = 0,
) -> ReportRunOut | Response:  # fmt: skip
    report = REPORTS.get(report_id)
    if report is None:
        raise HTTPException(404, f"no report {report_id!r}")
    if offset and report.shape != "list":
        raise HTTPException(422, f"offset: {report_id} is not a list report, it has no pages")
    for name, value in (("sla", sla), ("short_abandon", short_abandon)):
        if value not in WAIT_EDGES:
            raise HTTPException(422, f"{name} must be one of {list(WAIT_EDGES)}")
    now = services.clock.wall()
    try:
        zone = zone_of(tz or services.config.server.timezone)
        period = parse_period(start, to, zone, now)
    except PeriodError as error:
        raise HTTPException(422, str(error)) from None
    allowed_queues, allowed_agents = scope(user, services.config, "reports.read")
    asked_agents = narrowed(_numbers(agents), allowed_agents, "agent")
    if agents is None and report.source not in ("agent", "sessions"):
        asked_agents = None  # calls and queue figures are scoped by their queue
    whole = format != "json"  # a file has the whole period, whatever the page
    query = ReportQuery(
        period=period, interval=interval, now=now, limit=None if whole else limit,
        offset=0 if whole else offset,
        queues=narrowed(_numbers(queues), allowed_queues, "queue"), agents=asked_agents,
        parameters=Parameters(sla_seconds=sla, short_abandon_seconds=short_abandon),
        day_zone=services.config.server.timezone,
    )  # fmt: skip
    language = lang or user.language
    runner = runner_of(request)
    if format == "json":
        return run_out(await runner.run(report, query), language, runner.labels(language))
    _result, data = await runner.run_and_export(report, query, format, language)
    name = f"{report.id}.{format}"
    return Response(data, media_type=media_type(format),
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.get(
    "/api/queue-log",
    summary="The event log in Asterisk's queue_log format (epoch|callid|queue|agent|EVENT|...)",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}},
)
async def queue_log(
    request: Request,
    services: ServicesDep,
    user: Annotated[User, Depends(allow("history.read"))],
    start: From = None,
    to: To = None,
    tz: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    try:
        zone = zone_of(tz or services.config.server.timezone)
        period = parse_period(start, to, zone, services.clock.wall())
    except PeriodError as error:
        raise HTTPException(422, str(error)) from None
    queues, agents = scope(user, services.config, "history.read")
    where = LogSlice(since=period.since, until=period.until, queues=queues, agents=agents)
    runner = runner_of(request)

    async def chunks() -> AsyncIterator[str]:
        # A year is millions of lines: sent as read, a chunk at a time, never all in memory.
        after: tuple[float, int] | None = None
        while True:
            chunk = functools.partial(queue_log_chunk, where=where, after=after, size=LOG_CHUNK)
            text, after = await runner.read(chunk)
            yield text
            if after is None:
                return

    return StreamingResponse(chunks(), media_type="text/plain; charset=utf-8")


def scope(user: User, config: Config, action: Action) -> tuple[frozenset[str] | None, ...]:
    """The queues and agents ``user`` may see through ``action`` (None: all); a supervisor's
    agents are the members of its queues."""
    seen = visible(user, action)
    agents = seen.agents
    if seen.queues is not None:
        members = {a for q in config.queues if q.number in seen.queues for a in q.agents}
        agents = frozenset(members) if agents is None else agents & members
    return seen.queues, agents


def narrowed(
    asked: frozenset[str] | None, allowed: frozenset[str] | None, what: str
) -> frozenset[str] | None:
    """What was asked for within what is allowed; asking for more is refused (403)."""
    if asked is None:
        return allowed
    if allowed is not None and not asked <= allowed:
        raise HTTPException(403, f"{what} {', '.join(sorted(asked - allowed))} is not yours")
    return asked


def _numbers(text: str | None) -> frozenset[str] | None:
    if text is None or not text.strip():
        return None
    return frozenset(part.strip() for part in text.split(",") if part.strip())
