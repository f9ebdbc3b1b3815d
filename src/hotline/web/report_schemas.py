"""What the reports API answers: the catalogue with the metric dictionary, and a run."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.reports import METRICS, Metric, Report, ReportResult
from hotline.reports.exports import NO_LABELS, Labels
from hotline.reports.lists import COUNT_CAP

__all__ = ["MetricOut", "ReportOut", "ReportRunOut", "metric_out", "report_out", "run_out"]

PARAMETERS = ["from", "to", "queues", "agents", "interval", "tz", "format", "lang", "sla",
              "short_abandon", "limit", "offset"]  # fmt: skip
Cell = str | float | None


class Words(BaseModel):
    en: str
    ru: str


class ThresholdsOut(BaseModel):
    warning: float
    critical: float
    higher_is_better: bool


class MetricOut(BaseModel):
    id: str
    title: Words
    formula: Words
    unit: str
    thresholds: ThresholdsOut | None


class ReportOut(BaseModel):
    id: str
    title: Words
    answers: Words
    source: str
    shape: str
    chart: str
    chart_metric: str | None
    parameters: list[str]
    columns: list[MetricOut]


class PeriodOut(BaseModel):
    since: float
    until: float
    timezone: str


class ReportRunOut(BaseModel):
    report: str
    title: str
    answers: str
    period: PeriodOut
    interval: str
    columns: list[str]
    rows: list[dict[str, Cell]]
    totals: dict[str, Cell] | None
    total: int = Field(description="Rows in the whole period (a list report's, in all pages)")
    total_exact: bool = Field(
        description=f"False: the period has more rows than total (a list's rows are counted "
        f"up to {COUNT_CAP:,}, or to the end of the page asked for if that is further)"
    )
    offset: int = Field(description="Rows of a list report skipped before these")
    limit: int | None = Field(description="A list report's page size; null: not paged")
    labels: dict[str, dict[str, str]] = Field(
        description="What a person reads for coded cells in the requested language, by "
        "column then value (a pause reason's label by its name, which the rows keep); a "
        "value not listed reads as it is"
    )


def metric_out(metric: Metric) -> MetricOut:
    limits = metric.thresholds
    return MetricOut(
        id=metric.id,
        title=Words(en=metric.title_en, ru=metric.title_ru),
        formula=Words(en=metric.formula_en, ru=metric.formula_ru),
        unit=metric.unit,
        thresholds=None if limits is None else ThresholdsOut(
            warning=limits.warning, critical=limits.critical,
            higher_is_better=limits.higher_is_better),
    )  # fmt: skip


def report_out(report: Report) -> ReportOut:
    return ReportOut(
        id=report.id, title=Words(en=report.title_en, ru=report.title_ru),
        answers=Words(en=report.answers_en, ru=report.answers_ru), source=report.source,
        shape=report.shape, chart=report.chart, chart_metric=report.chart_metric,
        parameters=PARAMETERS, columns=[metric_out(METRICS[c]) for c in report.columns],
    )  # fmt: skip


def run_out(result: ReportResult, language: str, labels: Labels = NO_LABELS) -> ReportRunOut:
    report, period = result.report, result.query.period
    shown = {column: dict(names) for column, names in labels.items() if column in report.columns}
    return ReportRunOut(
        report=report.id, title=report.title(language), answers=report.answers(language),
        period=PeriodOut(since=period.since, until=period.until, timezone=period.zone.key),
        interval=result.query.interval, columns=list(report.columns), rows=result.rows,
        totals=result.totals, total=result.total, total_exact=result.total_exact,
        offset=result.query.offset,
        limit=result.query.limit if report.shape == "list" else None, labels=shown,
    )  # fmt: skip
