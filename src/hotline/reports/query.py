"""What a report is run over, and what it gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hotline.reports.catalog import Report
from hotline.reports.metrics import Parameters
from hotline.reports.periods import Interval, Period

__all__ = ["ReportQuery", "ReportResult", "Row"]

Row = dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportQuery:
    """What to run a report over. ``queues``/``agents`` None: all (the web layer narrows them
    to the user's scope first)."""

    period: Period
    queues: frozenset[str] | None = None
    agents: frozenset[str] | None = None
    interval: Interval = "day"
    parameters: Parameters = field(default_factory=Parameters)
    # A list report's page: ``offset`` rows skipped, then ``limit`` (None: every row, as
    # the exports and schedules give them). Other reports give all their rows.
    limit: int | None = 1000
    offset: int = 0
    now: float = 0.0  # sessions still open end here
    # The zone of the store's day rollups (the site's): days of a period in it are read there.
    day_zone: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportResult:
    report: Report
    query: ReportQuery
    rows: list[Row]
    totals: Row | None = None
    total: int = 0  # rows in the whole period (a list report's, over all its pages)
    total_exact: bool = True  # False: at least ``total`` (a long list's count stops early)
