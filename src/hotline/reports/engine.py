"""Running a report: one query over the rollups (or the sessions, or the records), then the
grouping by local time and the metrics in Python.

The database sums quarter-hours per key and bucket; Python names each bucket's row in the
report's time zone (a local day, hour, weekday...), adds the rows up and computes the
metrics from the sums, so a day is split at local midnight whatever the database's own idea
of time. Over a year that is at most 35,040 buckets per key.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter

from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.reports.catalog import Report
from hotline.reports.lists import list_page
from hotline.reports.metrics import METRICS, Parameters
from hotline.reports.query import ReportQuery, ReportResult, Row
from hotline.reports.sessions import session_rows
from hotline.reports.sums import TIME_DIMENSIONS, GroupKey, add_up, summed_rollups
from hotline.reports.times import rounded
from hotline.store.models import RollupTables
from hotline.store.rollups import WAIT_EDGES

__all__ = ["metrics_row", "needed_counters", "run_report"]


async def run_report(
    connection: AsyncConnection, report: Report, query: ReportQuery
) -> ReportResult:
    """Run ``report`` over ``query`` on ``connection``."""
    if report.shape == "list":
        rows, total, exact = await list_page(connection, report, query)
        return ReportResult(report=report, query=query, rows=rows, total=total, total_exact=exact)
    if report.source == "sessions":
        rows, totals = await session_rows(connection, report, query)
    else:
        rows, totals = await _rollup_report(connection, report, query)
    return ReportResult(report=report, query=query, rows=rows, totals=totals, total=len(rows))


async def _rollup_report(
    connection: AsyncConnection, report: Report, query: ReportQuery
) -> tuple[list[Row], Row]:
    table = RollupTables[f"rollup_{report.source}"]
    counters = needed_counters(report, query.parameters)
    sums = await summed_rollups(connection, table, report.group_by, query, counters)
    totals = add_up(list(sums.values()), counters)
    if report.shape == "bands":
        whole = totals[report.bands]
        return _bands(report, totals), {"wait_band": None, "calls": whole, "share": 100.0}
    # Every key names the same dimensions in the same order: sorting keys sorts by values.
    rows = [metrics_row(report, key, figures, query.parameters, totals)
            for key, figures in sorted(sums.items(), key=itemgetter(0))]  # fmt: skip
    if report.shape == "breaches":
        target = METRICS["service_level"].thresholds
        assert target is not None
        rows = [r for r in rows if r["service_level"] is not None
                and r["service_level"] < target.warning]  # fmt: skip
    return rows, metrics_row(report, {}, totals, query.parameters, totals)


class _Probe(dict[str, float]):
    """Figures that note which counters a metric reads (each reads as 1)."""

    def __missing__(self, name: str) -> float:
        self.read.add(name)
        return 1.0

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()


def needed_counters(report: Report, parameters: Parameters) -> set[str]:
    """The rollup counters ``report``'s metrics read (``share`` reads ``offered``)."""
    probe = _Probe()
    for column in report.columns:
        compute = METRICS[column].compute
        if compute is not None:
            compute(probe, parameters)
    if report.shape == "bands":
        probe.read |= {report.bands} | {f"{report.bands}_within_{e}" for e in WAIT_EDGES}
    if "share" in report.columns:
        probe.read.add("offered")
    return probe.read


def metrics_row(
    report: Report,
    key: Mapping[str, str] | GroupKey,
    figures: Mapping[str, float],
    parameters: Parameters,
    totals: Mapping[str, float],
) -> Row:
    named = dict(key)
    row: Row = {}
    for column in report.columns:
        metric = METRICS[column]
        if column == "period":
            row[column] = next((v for k, v in named.items() if k in TIME_DIMENSIONS), None)
        elif column in named:
            row[column] = named[column]
        elif column == "share":
            row[column] = rounded(_share(figures.get("offered", 0.0), totals.get("offered", 0.0)))
        elif metric.compute is not None:
            row[column] = rounded(metric.compute(figures, parameters))
        else:
            row[column] = None
    return row


def _bands(report: Report, totals: Mapping[str, float]) -> list[Row]:
    """Rows per wait band from the "within N s" counters of the totals."""
    whose = report.bands
    total = totals[whose]
    rows, below, low = [], 0.0, 0
    for edge in WAIT_EDGES:
        within = totals[f"{whose}_within_{edge}"]
        rows.append(_band(f"{low}–{edge}", within - below, total))
        below, low = within, edge
    rows.append(_band(f"> {low}", total - below, total))
    return rows


def _band(name: str, calls: float, total: float) -> Row:
    return {"wait_band": name, "calls": calls, "share": rounded(_share(calls, total))}


def _share(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole else None
