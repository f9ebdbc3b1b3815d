"""The reports API of a running node over generated history: the catalogue and its metric
dictionary, each export opened by its own reader, list reports a page at a time, a
supervisor's scope, the queue_log text."""

from __future__ import annotations

import csv
import datetime
import io
import time
from typing import Any

import openpyxl
import pytest
import pytest_asyncio
from pypdf import PdfReader

from hotline.history import generate_history, plan_for
from hotline.report_schedules import StoredRuns
from hotline.reports import REPORTS, lists
from hotline.store import EventWriter

from .support import Node

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def write_history(node: Node) -> str:
    """Yesterday's history for the node's queues, written through a writer of the store;
    returns yesterday's date."""
    store = node.hotline.store
    assert store is not None
    today = datetime.date.today()
    plan = plan_for(node.hotline.config, days=1, calls_per_day=300, seed=3, end=today)
    writer = EventWriter(store.database)
    await generate_history(plan, writer)
    return (today - datetime.timedelta(days=1)).isoformat()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def day(node: Node) -> str:
    return await write_history(node)


async def test_the_catalogue_lists_thirty_reports_with_their_metrics(node: Node) -> None:
    catalogue = (await node.http.get("/api/reports")).json()
    assert len(catalogue) == len(REPORTS) >= 30
    performance = next(r for r in catalogue if r["id"] == "queue_performance")
    sla = next(c for c in performance["columns"] if c["id"] == "service_level")
    assert sla["title"] == {"en": "Service level, %", "ru": "Уровень сервиса, %"}
    assert "offered" in sla["formula"]["en"] and sla["thresholds"]["warning"] == 80
    assert all(r["answers"]["en"].endswith("?") for r in catalogue)


async def test_a_report_as_json_and_each_file(node: Node, day: str) -> None:
    params = {"from": day, "to": day, "tz": "UTC"}
    data = (await node.http.get("/api/reports/queue_performance", params=params)).json()
    rows = {row["queue"]: row for row in data["rows"]}
    assert set(rows) == {"800", "801"} and data["totals"]["offered"] >= 250
    assert data["period"]["timezone"] == "UTC"

    response = await node.http.get("/api/reports/queue_performance",
                                   params={**params, "format": "csv", "lang": "ru"})  # fmt: skip
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0][:3] == ["Очередь", "Поступило", "Отвечено"]
    assert [r[0] for r in table[1:]] == ["800", "801", "Итого"]
    assert float(table[1][1]) == rows["800"]["offered"]

    response = await node.http.get("/api/reports/queue_performance",
                                   params={**params, "format": "xlsx"})  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["queue_performance"]
    assert sheet["A1"].value == "Queue" and sheet["B2"].value == rows["800"]["offered"]
    assert "entered the queue" in (sheet["B1"].comment.text if sheet["B1"].comment else "")

    response = await node.http.get("/api/reports/queue_performance",
                                   params={**params, "format": "pdf", "lang": "ru"})  # fmt: skip
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Показатели очередей" in text and "800" in text and "801" in text
    assert str(int(rows["801"]["offered"])) in text


async def test_every_report_runs_in_each_format(node: Node, day: str) -> None:
    for report in REPORTS:
        for kind in ("json", "csv", "xlsx", "pdf"):
            params = {"from": day, "to": day, "format": kind}
            response = await node.http.get(f"/api/reports/{report}", params=params)
            assert response.status_code == 200, (report, kind, response.text)


async def check_list_pages(node: Node, day: str) -> None:
    """Each list report's pages, read one after the other, are its rows of the whole period
    in order, each page saying how many there are in all; the files have them all."""
    lists = [report for report in REPORTS.values() if report.shape == "list"]
    assert {r.id for r in lists} >= {"call_detail", "lost_calls", "agent_login_history"}
    for report in lists:
        path = f"/api/reports/{report.id}"
        params: dict[str, str | int] = {"from": day, "to": day}
        whole = (await node.http.get(path, params={**params, "limit": 10000})).json()
        total = whole["total"]
        assert total == len(whole["rows"]) and whole["limit"] == 10000, report.id
        paged: list[Any] = []
        for offset in range(0, total + 1, 7):
            page = await node.http.get(path, params={**params, "limit": 7, "offset": offset})
            found = page.json()
            assert (found["total"], found["offset"], found["limit"]) == (total, offset, 7)
            paged += found["rows"]
        assert paged == whole["rows"], report.id
        response = await node.http.get(path, params={**params, "format": "csv", "limit": 2,
                                                     "offset": 3})  # fmt: skip
        assert len(list(csv.reader(io.StringIO(response.text)))) == 1 + total, report.id
    calls = (await node.http.get("/api/reports/call_detail", params={"from": day})).json()
    assert calls["total"] > 20, "the history has calls to page through"


async def test_list_reports_come_a_page_at_a_time(node: Node, day: str) -> None:
    await check_list_pages(node, day)
    # Other reports have all their rows at once, and no pages.
    params = {"from": day, "to": day}
    grouped = (await node.http.get("/api/reports/queue_performance", params=params)).json()
    assert (grouped["total"], grouped["offset"], grouped["limit"]) == (2, 0, None)
    refused = await node.http.get("/api/reports/queue_performance", params={"offset": "2"})
    assert refused.status_code == 422 and "not a list report" in refused.text


async def test_a_long_list_counts_its_rows_only_so_far(
    node: Node, day: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the cap the total is a lower bound, said so, and grows as the pages go on, so
    Next goes on to the end; the last page still knows the exact count."""
    path, params = "/api/reports/call_detail", {"from": day, "to": day}
    exact = (await node.http.get(path, params={**params, "limit": 10000})).json()
    assert exact["total_exact"] and exact["total"] > 12
    monkeypatch.setattr(lists, "COUNT_CAP", 5)
    first = (await node.http.get(path, params={**params, "limit": 3})).json()
    assert (first["total"], first["total_exact"]) == (5, False)
    later = (await node.http.get(path, params={**params, "limit": 3, "offset": 6})).json()
    assert (later["total"], later["total_exact"]) == (9, False)
    end = exact["total"] - 2
    last = (await node.http.get(path, params={**params, "limit": 3, "offset": end})).json()
    assert (last["total"], last["total_exact"], len(last["rows"])) == (exact["total"], True, 2)


async def _get(node: Node, token: str, path: str, **params: str) -> Any:
    return await node.http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})


async def test_a_supervisor_sees_only_its_queues_and_their_agents(node: Node, day: str) -> None:
    token = await node.token_of("sup800")
    response = await _get(node, token, "/api/reports/queue_performance", **{"from": day})
    assert [row["queue"] for row in response.json()["rows"]] == ["800"]
    response = await _get(node, token, "/api/reports/agent_performance", **{"from": day})
    agents = {row["agent"] for row in response.json()["rows"]}
    assert agents and agents <= {"101", "102", "104"}
    response = await _get(node, token, "/api/reports/lost_calls", **{"from": day})
    assert {row["queue"] for row in response.json()["rows"]} == {"800"}
    for refused in ({"queues": "801"}, {"queues": "800,801"}, {"agents": "103"}):
        response = await _get(node, token, "/api/reports/queue_performance", **refused)
        assert response.status_code == 403, refused
    agent = await node.token_of("agent101")
    assert (await _get(node, agent, "/api/reports/queue_performance")).status_code == 403


async def test_bad_parameters_are_refused_with_422(node: Node) -> None:
    for params in ({"sla": "25"}, {"tz": "Mars/Olympus"}, {"from": "yesterday"},
                   {"from": "2026-12-02", "to": "2026-12-01"}, {"interval": "year"},
                   {"offset": "-1"}, {"limit": "0"}):  # fmt: skip
        response = await node.http.get("/api/reports/queue_performance", params=params)
        assert response.status_code == 422, params
    assert (await node.http.get("/api/reports/nothing")).status_code == 404


async def test_the_queue_log_in_asterisk_format(node: Node, day: str) -> None:
    response = await node.http.get("/api/queue-log", params={"from": day, "to": day})
    assert response.headers["content-type"].startswith("text/plain")
    lines = [line.split("|") for line in response.text.splitlines()]
    verbs = {fields[4] for fields in lines}
    assert {"ENTERQUEUE", "CONNECT", "COMPLETECALLER", "ADDMEMBER"} <= verbs
    enter = next(f for f in lines if f[4] == "ENTERQUEUE")
    assert enter[2] in ("800", "801") and enter[3] == "NONE" and enter[6].startswith("+")
    connect = next(f for f in lines if f[4] == "CONNECT")
    assert connect[1] == connect[6] and int(connect[5]) >= 0 and connect[3] != "NONE"
    times = [int(f[0]) for f in lines]
    assert times == sorted(times)
    token = await node.token_of("sup800")
    mine = await _get(node, token, "/api/queue-log", **{"from": day, "to": day})
    queues = {line.split("|")[2] for line in mine.text.splitlines()}
    assert queues <= {"800", "NONE"} and "800" in queues


async def test_schedules_through_the_api(node: Node) -> None:
    schedule = {"name": "mornings", "report": "queue_performance", "every": "daily 07:00",
                "to": ["boss@example.com"], "format": "xlsx", "queues": ["800"]}  # fmt: skip
    created = await node.http.post("/api/report-schedules", json=schedule)
    assert created.status_code == 201, created.text
    assert created.json()["origin"] == "api" and created.json()["format"] == "xlsx"
    again = await node.http.post("/api/report-schedules", json=schedule)
    assert again.status_code == 409
    for wrong in ({"every": "sometimes"}, {"report": "nothing"}, {"to": []}):
        refused = await node.http.post("/api/report-schedules", json={**schedule, **wrong})
        assert refused.status_code == 422, wrong
    listed = (await node.http.get("/api/report-schedules")).json()
    assert [s["name"] for s in listed] == ["mornings"]
    runs = StoredRuns(node.hotline.store.database, time.time)  # type: ignore[union-attr]
    await runs.settle("mornings", 1_800_000_000.0)  # it ran once
    assert (await node.http.delete("/api/report-schedules/mornings")).status_code == 204
    assert "mornings" not in await runs.settled()  # made again, it would owe nothing
    assert (await node.http.delete("/api/report-schedules/mornings")).status_code == 404
    assert (await node.http.get("/api/report-schedules")).json() == []
