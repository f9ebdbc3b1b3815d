"""Reports: the metric dictionary, the report catalogue, running a report over the store's
rollups and records, and its exports. Imports only ``hotline.store``."""

from hotline.reports.catalog import REPORTS, Report
from hotline.reports.engine import run_report
from hotline.reports.metrics import METRICS, Metric, Parameters
from hotline.reports.periods import Period, PeriodError, parse_period, zone_of
from hotline.reports.query import ReportQuery, ReportResult, Row

__all__ = [
    "METRICS",
    "REPORTS",
    "Metric",
    "Parameters",
    "Period",
    "PeriodError",
    "Report",
    "ReportQuery",
    "ReportResult",
    "Row",
    "parse_period",
    "run_report",
    "zone_of",
]
