"""Agents follow their phones, end to end with SIPp phones: an agent whose phone unregisters
(or whose registration lapses) is unavailable, passed over by the queue and not counted as
available by the API and the wallboard; it takes calls again once its phone registers. After
a restart the registrations restored from the database decide."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx

from hotline.testing.harness import HotlineProcess, free_udp_tcp_port, run_hotline

from .pbx_support import Sipp, call, call_ids, phone, settle, sipp
from .test_queue_calls import offers, ok, queue, serve, stop

REGISTERED = "agent 101 available again: phone registered"


def _logged(server: HotlineProcess, text: str, times: int = 1, timeout: float = 5.0) -> None:
    """Wait until ``text`` is in the log ``times`` times."""
    deadline = time.monotonic() + timeout
    while server.log_text().count(text) < times:
        assert time.monotonic() < deadline, (
            f"{text!r} not logged {times} times:\n{server.log_text()}"
        )
        time.sleep(0.05)


def _register(server: HotlineProcess, tmp_path: Path, user: str, port: int) -> None:
    code, out = sipp(server, tmp_path, "register.xml", user=user, port=port).wait()
    assert code == 0, out


def _answering(server: HotlineProcess, tmp_path: Path, user: str, port: int) -> Sipp:
    """The phone at ``port`` (registered from it) answering one call."""
    return sipp(server, tmp_path, "pbx_agent_answer.xml", user=user, port=port, pause_ms=200)


def _api(server: HotlineProcess, path: str) -> Any:
    response = httpx.get(server.http_url + path, headers=server.api_headers(), timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def _state(server: HotlineProcess, agent: str) -> str:
    """The agent's state, with why its phone cannot be reached after a colon when it cannot."""
    agent_out = _api(server, f"/api/agents/{agent}")
    reason = agent_out["unavailable_reason"]
    return f"{agent_out['state']}: {reason}" if reason else str(agent_out["state"])


def _available(server: HotlineProcess) -> int:
    """Queue 800's available agents, as the API and the wallboard's list of boards say."""
    count: int = _api(server, "/api/queues/800")["available"]
    page = httpx.get(server.http_url + "/wallboard", headers=server.api_headers(), timeout=5).text
    summary = re.search(r'data-queue="800".*?data-summary>(.*?)</td>', page, re.S)
    assert summary is not None, page
    assert f"{count} of 2 agents available" in summary.group(1), summary.group(1)
    return count


def test_an_agent_whose_phone_unregisters_is_passed_over_until_it_registers_again(
    tmp_path: Path,
) -> None:
    # 101 comes first in the hunt: with its phone registered it would get every call.
    server = serve(tmp_path, queue(strategy="prioritized_hunt", agents=("101", "102")))
    port = free_udp_tcp_port()
    _register(server, tmp_path, "101", port)
    second = phone(server, tmp_path, "102", "pbx_agent_answer.xml", pause_ms=200)
    _logged(server, REGISTERED)
    _logged(server, "agent 102 available again: phone registered")
    assert _available(server) == 2

    # 101's phone unregisters: unavailable, and the next caller goes to 102.
    leaving = sipp(server, tmp_path, "unregister.xml", user="101", port=port)
    ok(leaving, server=server)
    _logged(server, "agent 101 unavailable: phone unregistered")
    assert _state(server, "101") == "unavailable: unregistered"
    assert _available(server) == 1
    first_caller = call(server, tmp_path, "200", "800", hold_ms=1500)
    ok(first_caller, second, server=server)
    [first] = call_ids(server.log_text())
    assert offers(server) == [(first, "102")], server.log_text()

    # 101 registers again from the same phone and takes the call after.
    _register(server, tmp_path, "101", port)
    back = _answering(server, tmp_path, "101", port)
    _logged(server, REGISTERED, times=2)
    assert _state(server, "101") == "available"
    second_caller = call(server, tmp_path, "200", "800", hold_ms=1500)
    ok(second_caller, back, server=server)
    log = settle(server)
    [_, again] = call_ids(log)
    assert offers(server) == [(first, "102"), (again, "101")], log
    assert "has no registered phone" not in log  # never offered to a phone that is gone
    stop(server)


def test_a_registration_that_lapses_without_a_word_makes_the_agent_unavailable(
    tmp_path: Path,
) -> None:
    """The server keeps a binding two seconds at most; the phone never registers again (as
    one switched off) and sends no un-REGISTER: Hotline's own timer notices."""
    security = (
        "[security]\nmin_register_expires = 1\ndefault_register_expires = 2\n"
        "max_register_expires = 2\n\n"
    )
    server = serve(tmp_path, security + queue(agents=("101",), max_wait=1), always=("101",))
    phone(server, tmp_path, "101", "register.xml")
    _logged(server, REGISTERED)
    _logged(server, "agent 101 unavailable: phone expired")
    assert _state(server, "101") == "unavailable: expired"
    caller = sipp(server, tmp_path, "pbx_caller_hung_up.xml", user="200", service="800")
    ok(caller, server=server)  # waited its second for nobody, then failed over to hang-up
    assert offers(server) == [], server.log_text()
    stop(server)


def test_after_a_restart_the_registrations_restored_decide(tmp_path: Path) -> None:
    server = serve(tmp_path, queue())
    phone(server, tmp_path, "101", "register.xml")
    _logged(server, REGISTERED)
    stop(server)
    again = run_hotline(tmp_path / "hotline.toml", server.host, server.sip_port, server.http_port)
    # 101's binding came back from the database; 102 never registered.
    assert _state(again, "101") == "available"
    assert _state(again, "102") == "unavailable: not registered"
    assert "agent 102 unavailable: phone not registered" in again.log_text()
    assert "agent 101 unavailable" not in again.log_text()
    stop(again)
