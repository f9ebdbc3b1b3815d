"""Calls through Hotline's B2BUA over loopback with SIPp: extension to extension, the echo
test, digest 407 for every INVITE, unknown numbers, strangers refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.testing.harness import HotlineProcess

from .pbx_support import (
    call,
    call_ids,
    extensions,
    media_counts,
    phone,
    require_root,
    settle,
    sipp,
    start_server,
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[HotlineProcess]:
    hotline = start_server(tmp_path, extensions(always=()))
    yield hotline
    assert hotline.stop() == 0, hotline.log_text()


def _wait_for(server: HotlineProcess, text: str, timeout: float = 5.0) -> None:
    server.wait_for_log(text, timeout)


def test_extension_to_extension_with_audio_both_ways(
    server: HotlineProcess, tmp_path: Path
) -> None:
    require_root()
    callee = phone(server, tmp_path, "102", "pbx_agent_answer.xml", pause_ms=300)
    caller = call(server, tmp_path, "101", "102", hold_ms=1000)
    code, out = caller.wait()
    assert code == 0, out + server.log_text()
    code, out = callee.wait()
    assert code == 0, out + server.log_text()
    [call_id] = call_ids(server.log_text())
    _wait_for(server, f"call {call_id} ended")
    time.sleep(0.3)
    counts = media_counts(server.log_text(), call_id)
    assert len(counts) == 2, server.log_text()
    for received, sent in counts:
        assert received > 20 and sent > 20, counts  # the caller's audio, echoed by the callee


def test_echo_test_sends_back_what_it_hears(server: HotlineProcess, tmp_path: Path) -> None:
    require_root()
    caller = call(server, tmp_path, "101", "*43", hold_ms=1000)
    code, out = caller.wait()
    assert code == 0, out + server.log_text()
    [call_id] = call_ids(server.log_text())
    _wait_for(server, f"call {call_id} ended")
    time.sleep(0.3)
    caller_leg = media_counts(server.log_text(), call_id)[0]
    received, sent = caller_leg
    assert received > 20 and sent > 0.8 * received, caller_leg


def test_echo_test_sends_digits_back(server: HotlineProcess, tmp_path: Path) -> None:
    require_root()
    caller = sipp(server, tmp_path, "pbx_caller_dtmf.xml", user="101", service="*43", pause_ms=1200)
    code, out = caller.wait()
    assert code == 0, out + server.log_text()
    server.wait_for_log("call c1: DTMF 5 (rfc4733)", 3)
    server.wait_for_log("call c1 ended", 3)
    received, sent = media_counts(settle(server), "c1")[0]
    assert received > 0 and sent > 0, (received, sent)  # the digit's events, and ours back


def _refused(server: HotlineProcess, tmp_path: Path, user: str, number: str, **kw: str) -> str:
    caller = sipp(server, tmp_path, "pbx_caller_refused.xml", user=user, service=number, **kw)
    code, out = caller.wait()
    assert code == 0, out + server.log_text()
    return settle(server)


def test_refusals(server: HotlineProcess, tmp_path: Path) -> None:
    """One server for the calls that never ring anybody."""
    log = _refused(server, tmp_path, "101", "102", password="not-the-password")
    assert "refused 403: authentication failed" in log and "call c1" not in log
    assert "refused 404" in _refused(server, tmp_path, "101", "555")
    log = _refused(server, tmp_path, "101", "103")
    assert "extension 103 has no registered phone" in log and "c1 ended: unavailable" in log
    assert "c2 ended: forbidden" in _refused(server, tmp_path, "200", "*62")  # not an agent


def test_hold_resume_and_info_digits(server: HotlineProcess, tmp_path: Path) -> None:
    callee = phone(server, tmp_path, "102", "pbx_agent_hold.xml", pause_ms=200)
    caller = call(server, tmp_path, "101", "102", hold_ms=3500)
    code, out = caller.wait()
    assert code == 0, out + server.log_text()
    code, out = callee.wait()
    assert code == 0, out + server.log_text()
    log = settle(server)
    for line in ("call c1: DTMF 5 (info)", "call c1: 102 holds", "call c1: 102 resumes"):
        assert line in log, log


def test_caller_cancel_reaches_every_forked_phone(server: HotlineProcess, tmp_path: Path) -> None:
    desk = phone(server, tmp_path, "102", "pbx_agent_cancelled.xml")
    mobile = phone(server, tmp_path, "102", "pbx_agent_cancelled.xml")
    caller = sipp(
        server, tmp_path, "pbx_caller_cancel.xml", user="101", service="102", pause_ms=500
    )
    for peer in (caller, desk, mobile):
        code, out = peer.wait()
        assert code == 0, out + server.log_text()
    assert "call c1 ended: caller_hangup" in settle(server)


def test_callee_hang_up_reaches_the_caller(server: HotlineProcess, tmp_path: Path) -> None:
    callee = phone(server, tmp_path, "102", "pbx_agent_hangs_up.xml", pause_ms=200)
    caller = sipp(server, tmp_path, "pbx_caller_hung_up.xml", user="101", service="102")
    for peer in (callee, caller):
        code, out = peer.wait()
        assert code == 0, out + server.log_text()
    assert "call c1 ended: callee_hangup" in settle(server)
