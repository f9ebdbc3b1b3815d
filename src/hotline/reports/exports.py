"""A report's result as CSV, XLSX or PDF, with the metric dictionary's titles as headers.

CSV: one header row of the columns' titles in the chosen language, then the rows and, for
grouped reports, a totals row. XLSX: the same on a sheet, each header cell carrying the
metric's formula as a comment, and a second sheet with the dictionary of the columns. PDF:
the title, the period and the question the report answers, the table, then the formulas.
Coded text cells (a pause reason's name) show as the ``labels`` given say a person reads
them in the chosen language; the JSON keeps the codes.
The PDF font is DejaVu Sans Condensed (shipped beside this module) so Russian prints too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.comments import Comment

from hotline.reports.metrics import METRICS
from hotline.reports.query import ReportResult, Row
from hotline.reports.times import local_time

__all__ = ["FORMATS", "NO_LABELS", "Format", "Labels", "export", "media_type"]

Format = Literal["csv", "xlsx", "pdf"]
FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FONT = Path(__file__).parent / "fonts" / "DejaVuSansCondensed.ttf"
TOTAL = {"en": "Total", "ru": "Итого"}
PERIOD = {"en": "Period", "ru": "Период"}
#: Column -> coded value -> what a person reads for it (``{"reason": {"lunch": "Обед"}}``).
Labels = Mapping[str, Mapping[str, str]]
NO_LABELS: Labels = MappingProxyType({})


def media_type(kind: Format) -> str:
    return FORMATS[kind]


def export(
    result: ReportResult, kind: Format, language: str = "en", labels: Labels = NO_LABELS
) -> bytes:
    """``result`` as a file of ``kind``, its coded cells shown by ``labels``."""
    if kind == "csv":
        return _csv(result, language, labels)
    if kind == "xlsx":
        return _xlsx(result, language, labels)
    return _pdf(result, language, labels)


def headers(result: ReportResult, language: str) -> list[str]:
    return [METRICS[c].title(language) for c in result.report.columns]


def body(result: ReportResult, language: str, labels: Labels) -> Iterator[list[object]]:
    """The rows as lists, then the totals row (its first cell saying so) if any."""
    columns = result.report.columns
    for row in result.rows:
        yield [_labelled(row.get(c), labels.get(c)) for c in columns]
    if result.totals is not None and result.report.group_by:
        yield [TOTAL.get(language, "Total"), *(_total(result.totals, c) for c in columns[1:])]


def _labelled(value: object, labels: Mapping[str, str] | None) -> object:
    if labels is None or not isinstance(value, str):
        return value
    return labels.get(value, value)


def _total(totals: Row, column: str) -> object:
    return None if METRICS[column].unit in ("text", "time") else totals.get(column)


def describe_period(result: ReportResult, language: str) -> str:
    period = result.query.period
    start = local_time(period.since, period.zone)
    end = local_time(period.until, period.zone)
    return f"{PERIOD.get(language, 'Period')}: {start} – {end} ({period.zone.key})"


def _csv(result: ReportResult, language: str, labels: Labels) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers(result, language))
    for cells in body(result, language, labels):
        writer.writerow(["" if v is None else v for v in cells])
    return out.getvalue().encode("utf-8")


def _xlsx(result: ReportResult, language: str, labels: Labels) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None, "a new workbook has a sheet"
    sheet.title = result.report.id[:31]
    sheet.append(headers(result, language))
    for cell, column in zip(sheet[1], result.report.columns, strict=True):
        cell.comment = Comment(METRICS[column].formula(language), "Hotline")
    for cells in body(result, language, labels):
        sheet.append(cells)
    legend = book.create_sheet("metrics")
    legend.append(["id", "title", "formula"])
    for column in result.report.columns:
        metric = METRICS[column]
        legend.append([metric.id, metric.title(language), metric.formula(language)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf(result: ReportResult, language: str, labels: Labels) -> bytes:
    report = result.report
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=14)
    pdf.add_page()
    pdf.multi_cell(0, 8, report.title(language), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    pdf.multi_cell(0, 5, report.answers(language), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5, describe_period(result, language), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", size=7)
    # One face of the font is shipped: headings are shaded, not bold.
    heading = FontFace(emphasis="", fill_color=(225, 225, 225))
    with pdf.table(first_row_as_headings=True, headings_style=heading, text_align="LEFT") as table:
        table.row(headers(result, language))
        for cells in body(result, language, labels):
            table.row(["" if v is None else _shown(v) for v in cells])
    pdf.ln(3)
    for column in report.columns:
        metric = METRICS[column]
        pdf.multi_cell(0, 4, f"{metric.title(language)}: {metric.formula(language)}",
                       new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    return bytes(pdf.output())


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.2f}"
    return str(value)
