"""Known calls made by SIPp through a real ``hotline serve`` show exactly in the reports: one
caller abandons in 800, one times out in 801, one is answered in 800 by an agent logged in
through the API; the queue reports count exactly those, and the call list lists them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from hotline.demo.softphone import PhoneCall, Softphone
from hotline.media import MediaServer
from hotline.sip.address import Peer
from hotline.testing.harness import HotlineProcess, require_sipp, run_sipp, start_hotline

from .support import eventually, phone_ports
from .test_sipp_records import QUEUES


async def _caller(server: HotlineProcess, tmp_path: Path, scenario: str, queue: str,
                  hold_ms: int) -> None:  # fmt: skip
    extra = ["-s", queue, "-auth_uri", f"{queue}@hotline.local", "-d", str(hold_ms)]
    result = await asyncio.to_thread(
        run_sipp, scenario, server, tmp_path, user="101", password="s3cret-101", extra=extra
    )
    assert result.returncode == 0, result.output + server.log_text()


async def _ended(http: httpx.AsyncClient) -> list[dict[str, Any]] | None:
    items: list[dict[str, Any]] = (await http.get("/api/calls")).json()["items"]
    return items if len(items) == 3 and all(c["ended_at"] for c in items) else None


async def _report(http: httpx.AsyncClient, report: str) -> dict[str, Any]:
    response = await http.get(f"/api/reports/{report}")  # today, in the site's zone
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_the_queue_report_shows_exactly_the_calls_made(tmp_path: Path) -> None:
    require_sipp()
    low, high = phone_ports()
    server = start_hotline(tmp_path, extra=QUEUES + f'[media]\nrtp_ports = "{low}-{high}"\n')
    try:
        async with (
            httpx.AsyncClient(
                base_url=server.http_url, timeout=10, headers=server.api_headers()
            ) as http,
            MediaServer(rtp_address="127.0.0.1", port_range=phone_ports()) as media,
        ):
            await _caller(server, tmp_path, "pbx_caller_silent.xml", "800", 1500)  # nobody
            await _caller(server, tmp_path, "pbx_caller_hung_up.xml", "801", 0)  # max wait
            agent = Softphone(
                media, "127.0.0.1", username="103", password="s3cret-103",
                domain="hotline.local",
                registrar=Peer(transport="UDP", host="127.0.0.1", port=server.sip_port),
            )  # fmt: skip
            answering: set[asyncio.Task[None]] = set()

            async def answer(call: PhoneCall) -> None:
                await call.ring()
                await call.answer()

            agent.on_incoming = lambda call: answering.add(asyncio.create_task(answer(call)))
            async with agent:
                await agent.register(expires=300)
                assert (await http.post("/api/agents/103/login")).status_code == 200
                await _caller(server, tmp_path, "pbx_caller_silent.xml", "800", 2000)
            calls = await eventually(lambda: _ended(http), timeout=10)
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
