"""What survives a restart: agents stay logged in (to the same queues), and every call is on
record in the store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from hotline.testing.harness import HotlineProcess

from .pbx_support import call, phone, sipp
from .test_queue_calls import ok, queue, serve, stop


def _rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as connection:
        return list(connection.execute(sql))


def test_logged_in_agent_is_still_logged_in_after_a_restart(tmp_path: Path) -> None:
    config = queue(agents=("101",), max_wait=20)
    server = serve(tmp_path, config, always=())
    login = sipp(server, tmp_path, "pbx_caller_hung_up.xml", user="101", service="*62")
    ok(login, server=server)
    stop(server)

    server = serve(tmp_path, config, always=())  # same data folder, new process
    server.wait_for_log("agent 101 logged in again after restart", 5)
    agent = phone(server, tmp_path, "101", "pbx_agent_answer.xml", pause_ms=300)
    caller = call(server, tmp_path, "200", "800", hold_ms=1500)
    ok(caller, agent, server=server)
    stop(server)

    database = tmp_path / "data" / "hotline.db"
    records = _rows(database, "SELECT caller, called, queue, agent, disposition FROM call_records")
    assert ("200", "800", "800", "101", "answered") in records, records
    assert any(row[:2] == ("101", "*62") for row in records), records
    verbs = [row[0] for row in _rows(database, "SELECT verb FROM queue_events ORDER BY time")]
    assert "CONNECT" in verbs, verbs
    sessions = _rows(database, "SELECT agent, kind, ended_at FROM agent_sessions")
    assert any(agent == "101" and kind == "login" for agent, kind, _ in sessions), sessions


def test_an_agent_logged_in_to_one_of_two_queues_is_in_that_one_after_a_restart(
    tmp_path: Path,
) -> None:
    config = queue("800", agents=("101",)) + queue("801", agents=("101",))
    server = serve(tmp_path, config, always=())
    login = httpx.post(f"{server.http_url}/api/agents/101/login", json={"queue": "800"},
                       headers=server.api_headers(), timeout=10)  # fmt: skip
    assert login.status_code == 200, login.text
    assert _queues_of(server, "101") == (["800", "801"], ["800"])
    stop(server)

    server = serve(tmp_path, config, always=())  # same data folder, new process
    server.wait_for_log("agent 101 logged in again after restart", 5)
    assert _queues_of(server, "101") == (["800", "801"], ["800"])
    stop(server)


def _queues_of(server: HotlineProcess, agent: str) -> tuple[list[str], list[str]]:
    """The queues ``agent`` is a member of, and those it is logged in to, through the API."""
    url = f"{server.http_url}/api/agents/{agent}"
    body = httpx.get(url, headers=server.api_headers(), timeout=10).json()
    return body["queues"], body["logged_in_queues"]


def test_todays_counts_go_on_after_a_restart(tmp_path: Path) -> None:
    """The wallboard's "today" (queue and agent counts) is the same after a restart, and the
    next call adds to it."""
    config = queue(agents=("101",), max_wait=20)
    server = serve(tmp_path, config, always=("101",))
    agent = phone(server, tmp_path, "101", "pbx_agent_answer.xml", pause_ms=300)
    caller = call(server, tmp_path, "200", "800", hold_ms=1500)
    ok(caller, agent, server=server)
    before = _today(server)
    assert before == (1, 1, 1), before
    stop(server)

    server = serve(tmp_path, config, always=("101",))
    assert _today(server) == before
    agent = phone(server, tmp_path, "101", "pbx_agent_answer.xml", pause_ms=300)
    caller = call(server, tmp_path, "200", "800", hold_ms=1500)
    ok(caller, agent, server=server)
    assert _today(server) == (2, 2, 2)
    stop(server)


def _today(server: HotlineProcess) -> tuple[int, int, int]:
    """Queue 800's offered and answered calls today, and agent 101's answered calls."""
    headers = server.api_headers()
    queue_800 = httpx.get(f"{server.http_url}/api/queues/800", headers=headers, timeout=10).json()
    agent_101 = httpx.get(f"{server.http_url}/api/agents/101", headers=headers, timeout=10).json()
    return queue_800["offered"], queue_800["answered"], agent_101["answered"]
