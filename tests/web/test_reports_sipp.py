"""Known calls made by SIPp through a real ``hotline serve`` show exactly in the reports: one
caller abandons in 800, one times out in 801, one is answered in 800 by an agent logged in
through the API; the queue reports count exactly those, and the call list lists them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from .test_sipp_records import serve_two_queues, three_known_calls


async def _report(http: httpx.AsyncClient, report: str) -> dict[str, Any]:
    response = await http.get(f"/api/reports/{report}")  # today, in the site's zone
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_the_queue_report_shows_exactly_the_calls_made(tmp_path: Path) -> None:
    server = serve_two_queues(tmp_path)
    try:
        async with httpx.AsyncClient(
            base_url=server.http_url, timeout=10, headers=server.api_headers()
        ) as http:
            calls = await three_known_calls(server, http, tmp_path)
            performance = await _report(http, "queue_performance")
            detailed = await _report(http, "detailed_queue_statistics")
            agents = await _report(http, "agent_performance")
            listed = await _report(http, "call_detail")
    finally:
        assert server.stop() == 0, server.log_text()
    by_queue = {row["queue"]: row for row in performance["rows"]}
    assert set(by_queue) == {"800", "801"}
    assert (by_queue["800"]["offered"], by_queue["800"]["answered"]) == (2, 1)
    assert by_queue["800"]["abandoned"] == 1 and by_queue["801"]["offered"] == 1
    assert performance["totals"]["offered"] == 3 and performance["totals"]["answered"] == 1
    details = {row["queue"]: row for row in detailed["rows"]}
    assert details["801"]["timed_out"] == 1 and details["801"]["answered"] == 0
    assert details["800"]["completed_by_caller"] == 1 and details["800"]["talk_time"] >= 1.0
    assert [(row["agent"], row["answered"]) for row in agents["rows"]] == [("103", 1)]
    assert {row["call_id"] for row in listed["rows"]} == {call["id"] for call in calls}
    outcomes = sorted((row["queue"], row["disposition"]) for row in listed["rows"])
    assert outcomes == [("800", "abandoned"), ("800", "answered"), ("801", "timeout")]
