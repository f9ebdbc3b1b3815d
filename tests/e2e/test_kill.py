"""Killed during traffic: SIPp callers keep a queue busy, Hotline is killed with SIGKILL, and
the restarted server has the record of every call that ended a second or more before the kill
(read back through the REST API) and serves calls at once."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from hotline.testing.harness import HotlineProcess, run_hotline

from .pbx_support import Sipp, phone, sipp, start_server
from .test_queue_calls import queue

AGENTS = ("101", "102", "103", "104")
CALLERS = [str(number) for number in range(201, 260)]
CALLS_PER_WAVE = 2
HOLD_MS = 2500  # the welcome prompt, then an agent who answers at once


def _extensions() -> str:
    text = ""
    for number in (*AGENTS, *CALLERS):
        agent = "true" if number in AGENTS else "false"
        text += (
            f'[[extensions]]\nnumber = "{number}"\npassword = "s3cret-{number}"\n'
            f"agent = {agent}\nalways_logged_in = {agent}\n\n"
        )
    return text


@dataclass
class Wave:
    """One SIPp caller process: ``CALLS_PER_WAVE`` queue calls from its own extension."""

    caller: str
    sipp: Sipp
    ended_at: float | None = None
    status: int | None = None


@dataclass
class Traffic:
    """Waves of callers one after the other on each of ``chains`` lines, until stopped."""

    server: HotlineProcess
    tmp_path: Path
    chains: int = 3
    waves: list[Wave] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        callers = iter(CALLERS)
        for _ in range(self.chains):
            thread = threading.Thread(target=self._chain, args=(callers,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _chain(self, callers: Iterator[str]) -> None:
        while not self._stop.is_set():
            with self._lock:
                caller = next(callers, None)
                if caller is None:
                    return
                wave = Wave(caller, _wave(self.server, self.tmp_path, caller))
                self.waves.append(wave)
            wave.status = wave.sipp.process.wait()
            wave.ended_at = time.time()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            for wave in self.waves:
                if wave.sipp.process.poll() is None:
                    wave.sipp.process.kill()
        for thread in self._threads:
            thread.join(timeout=10)


def _wave(server: HotlineProcess, tmp_path: Path, caller: str) -> Sipp:
    extra = ("-m", str(CALLS_PER_WAVE), "-r", "5")
    return sipp(
        server, tmp_path, "pbx_caller_silent.xml", user=caller, service="800",
        pause_ms=HOLD_MS, extra=extra,
    )  # fmt: skip


def _agents(server: HotlineProcess, tmp_path: Path, calls: int = 500) -> list[Sipp]:
    extra = ("-m", str(calls))
    return [phone(server, tmp_path, a, "pbx_agent_answer.xml", 200, extra) for a in AGENTS]


def _records(server: HotlineProcess) -> list[dict[str, object]]:
    """Every call record, page after page, from ``GET /api/calls``."""
    records: list[dict[str, object]] = []
    headers = server.api_headers()
    with httpx.Client(base_url=server.http_url, timeout=10, headers=headers) as client:
        offset = 0
        while True:
            response = client.get("/api/calls", params={"limit": 100, "offset": offset})
            assert response.status_code == 200, response.text
            page = response.json()
            records += page["items"]
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return records


def _verbs(server: HotlineProcess, call_id: str) -> list[str]:
    """The queue log verbs of one call, in order, from ``GET /api/queue-events``."""
    response = httpx.get(
        f"{server.http_url}/api/queue-events",
        params={"call_id": call_id},
        headers=server.api_headers(),
    )
    assert response.status_code == 200, response.text
    return [event["verb"] for event in response.json()["items"]]


def _time(record: dict[str, object], key: str) -> float:
    value = record[key]
    assert isinstance(value, float), (key, record)
    return value


def _check_times(record: dict[str, object], wave: Wave) -> None:
    """The times of a finished call: in order, and over before its SIPp caller finished."""
    arrived, queued, ended = (_time(record, key) for key in ("arrived_at", "queued_at", "ended_at"))
    answered = ended if record["answered_at"] is None else _time(record, "answered_at")
    assert arrived <= queued <= answered <= ended, record
    assert wave.ended_at is not None and ended <= wave.ended_at, (record, wave.ended_at)
    # The caller hangs up HOLD_MS after Hotline answered it (to play the welcome prompt).
    assert ended - arrived == pytest.approx(HOLD_MS / 1000, abs=1.0), record
    if record["disposition"] == "answered":
        talk = record["talk_seconds"]
        assert talk == pytest.approx(ended - answered, abs=0.1), record


def test_sigkill_during_traffic_loses_no_finished_call(tmp_path: Path) -> None:
    server = start_server(tmp_path, _extensions() + queue(agents=AGENTS, wrap_up=0, max_wait=20))
    agents = _agents(server, tmp_path)
    traffic = Traffic(server, tmp_path)
    traffic.start()
    time.sleep(9)  # several waves done, others in progress
    server.process.send_signal(signal.SIGKILL)
    killed_at = time.time()
    server.process.wait()
    traffic.stop()
    for agent in agents:
        agent.process.kill()

    finished = [w for w in traffic.waves if w.ended_at is not None and w.ended_at <= killed_at - 1]
    assert len(finished) >= 4, "too little traffic before the kill to test anything"
    assert all(w.status == 0 for w in finished), [w.sipp.wait() for w in finished if w.status]

    restarted = run_hotline(
        tmp_path / "hotline.toml", server.host, server.sip_port, server.http_port
    )
    ready_at = time.time()
    # Serves at once: the agents' phones and a caller get through straight away.
    agents = _agents(restarted, tmp_path, calls=10)
    caller = _wave(restarted, tmp_path, "259")
    assert caller.wait()[0] == 0, restarted.log_text()
    assert time.time() - ready_at < 10

    records = _records(restarted)
    by_caller: dict[str, list[dict[str, object]]] = {}
    for record in records:
        by_caller.setdefault(str(record["caller"]), []).append(record)
    answered = 0
    for wave in finished:
        calls = by_caller.get(wave.caller, [])
        assert len(calls) == CALLS_PER_WAVE, (wave.caller, calls)
        for record in calls:
            _check_times(record, wave)
            if record["disposition"] == "answered":
                answered += 1
                assert record["queue"] == "800" and record["agent"] in AGENTS, record
            else:  # hung up while the agent's phone was still ringing
                assert record["disposition"] == "abandoned", record
    assert answered >= len(finished), by_caller
    for record in (r for wave in finished for r in by_caller[wave.caller]):
        verbs = _verbs(restarted, str(record["id"]))
        end = "CONNECT" if record["disposition"] == "answered" else "ABANDON"
        assert verbs[0] == "ENTERQUEUE" and end in verbs, (record, verbs)
    for agent in agents:
        agent.process.kill()
    restarted.stop()
