"""The softphones people have, against a real ``hotline serve`` with its default settings:
baresip 1.0 and PJSIP 2.15, each over UDP and over TCP only. Each registers a caller and an
agent, calls the echo test and gets its digits back, calls a queue answered by the agent,
sends DTMF both ways, holds and resumes, hangs up; the calls' records must say what happened
(answered, answer time, talk, hold).

Each (phone, transport) pair has extensions and a queue of its own on one server, so the
pairs run one after another without meeting.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hotline.testing.harness import HotlineProcess, start_hotline

from .phones import Kind, Line, Phone, Transport, require, start_phone

PAIRS: list[tuple[Kind, Transport]] = [
    ("baresip", "udp"), ("baresip", "tcp"), ("pjsua", "udp"), ("pjsua", "tcp"),
]  # fmt: skip
# Below the ephemeral ports and the other suites' ranges: Hotline's media, then the phones'.
_LOW = 12000 + (os.getpid() % 50) * 100
PHONE_PORTS = 7  # RTP and RTCP of a call or two, a phone


def _numbers(index: int) -> tuple[str, str, str]:
    """The caller, the agent and the queue of pair ``index``."""
    return f"3{index}1", f"3{index}3", f"8{index}0"


def _configuration() -> str:
    text = f'[media]\nrtp_ports = "{_LOW}-{_LOW + 39}"\n'
    for index in range(len(PAIRS)):
        caller, agent, line = _numbers(index)
        text += (
            f'[[extensions]]\nnumber = "{caller}"\npassword = "s3cret-{caller}"\n\n'
            f'[[extensions]]\nnumber = "{agent}"\npassword = "s3cret-{agent}"\nagent = true\n'
            f"always_logged_in = true\n\n"
            f'[[queues]]\nnumber = "{line}"\nagents = ["{agent}"]\nwrap_up = 0\n\n'
        )
    return text


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hotline")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[HotlineProcess]:
    hotline = start_hotline(folder, extra=_configuration())
    yield hotline
    assert hotline.stop() == 0, hotline.log_text()


class Pair:
    """A caller's phone and an agent's phone of one kind over one transport."""

    def __init__(self, server: HotlineProcess, index: int, folder: Path) -> None:
        kind, transport = PAIRS[index]
        self.server = server
        self.caller_number, self.agent_number, self.queue = _numbers(index)
        self.phones: list[Phone] = []
        for slot, number in enumerate((self.caller_number, self.agent_number)):
            first = _LOW + 40 + (2 * index + slot) * PHONE_PORTS
            line = Line(
                user=number, password=f"s3cret-{number}", host=server.host,
                port=server.sip_port, transport=transport,
                rtp_ports=(first, first + PHONE_PORTS - 1),
            )  # fmt: skip
            self.phones.append(start_phone(kind, line, folder / number))
        self.caller, self.agent = self.phones
        self._registered = False

    def ready(self) -> None:
        """Both phones registered, and the agent available to its queue."""
        if not self._registered:
            for phone in self.phones:
                phone.wait_registered()
            self.server.wait_for_log(f"agent {self.agent_number} available again")
            self._registered = True

    def close(self) -> None:
        for phone in self.phones:
            phone.close()


@pytest.fixture(scope="module", params=range(len(PAIRS)), ids=[f"{k}-{t}" for k, t in PAIRS])
def pair(
    server: HotlineProcess, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    index: int = request.param
    require(PAIRS[index][0])
    phones = Pair(server, index, tmp_path_factory.mktemp(f"phones{index}"))
    yield phones
    phones.close()


def _records(server: HotlineProcess, caller: str, called: str) -> list[dict[str, object]]:
    """The ended calls from ``caller`` to ``called`` (the records are written in batches:
    wait for them)."""
    headers = server.api_headers()
    deadline = time.monotonic() + 10
    while True:
        page = httpx.get(f"{server.http_url}/api/calls?limit=1000", headers=headers, timeout=10)
        page.raise_for_status()
        items: list[dict[str, object]] = page.json()["items"]
        mine = [c for c in items if c["caller"] == caller and c["called"] == called]
        if mine and all(c["ended_at"] is not None for c in mine):
            return mine
        assert time.monotonic() < deadline, f"no ended record of {caller} -> {called}: {items}"
        time.sleep(0.2)


def _transports(database: Path, numbers: tuple[str, ...]) -> dict[str, str]:
    """How each extension's binding registered, from the store (written in batches)."""
    deadline = time.monotonic() + 10
    while True:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            rows = db.execute("SELECT aor, transport FROM registrations").fetchall()
        found = {aor.split(":")[1].split("@")[0]: transport for aor, transport in rows}
        if all(number in found for number in numbers) or time.monotonic() > deadline:
            return {number: found.get(number, "none") for number in numbers}
        time.sleep(0.2)


def test_both_phones_register_and_the_agent_is_available(pair: Pair, folder: Path) -> None:
    pair.ready()
    numbers = (pair.caller_number, pair.agent_number)
    transport = pair.caller.line.transport.upper()
    stored = _transports(folder / "data" / "hotline.db", numbers)
    assert stored == dict.fromkeys(numbers, transport)


def test_the_echo_test_answers_and_sends_the_digits_back(pair: Pair) -> None:
    pair.ready()
    caller = pair.caller
    caller.send("dial", "sip:*43@hotline.local")
    caller.expect("CALL_ESTABLISHED")
    for digit in "59":
        caller.send("sndcode", digit)
        assert caller.expect("CALL_DTMF_START") == digit
    caller.send("hangup")
    caller.expect("CALL_CLOSED")
    (record,) = _records(pair.server, pair.caller_number, "*43")
    assert record["disposition"] == "answered" and record["answered_at"] is not None
    assert record["end_cause"] == "caller_hangup" and record["talk_seconds"] > 0


def test_a_queue_call_with_digits_both_ways_hold_and_resume(pair: Pair) -> None:
    pair.ready()
    caller, agent, server = pair.caller, pair.agent, pair.server
    caller.send("dial", f"sip:{pair.queue}@hotline.local")
    caller.expect("CALL_ESTABLISHED")  # Hotline answers and plays music while it rings
    agent.expect("CALL_INCOMING")
    agent.send("accept")
    agent.expect("CALL_ESTABLISHED")
    server.wait_for_log(f"{pair.caller_number} bridged with {pair.agent_number}")
    caller.send("sndcode", "1")
    assert agent.expect("CALL_DTMF_START") == "1"
    agent.send("sndcode", "2")
    assert caller.expect("CALL_DTMF_START") == "2"
    agent.send("hold")
    server.wait_for_log(f": {pair.agent_number} holds")
    time.sleep(1.0)
    agent.send("resume")
    server.wait_for_log(f": {pair.agent_number} resumes")
    caller.send("hangup")
    caller.expect("CALL_CLOSED")
    agent.expect("CALL_CLOSED")
    (record,) = _records(server, pair.caller_number, pair.queue)
    assert record["disposition"] == "answered" and record["end_cause"] == "caller_hangup"
    assert (record["queue"], record["agent"]) == (pair.queue, pair.agent_number)
    hold, talk = record["hold_seconds"], record["talk_seconds"]
    assert isinstance(hold, float) and isinstance(talk, float)
    assert 0.9 <= hold < talk, record  # talk runs from the answer to the end, hold inside
