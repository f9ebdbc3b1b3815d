"""Notifications of a real ``hotline serve`` with SIPp callers and a real SMTP server: a caller
past the SLA gives an email and an in-app notification within seconds, a caller hanging up a
lost-call email with its number and wait, a short abandon nothing; and messages in the outbox
when Hotline is killed with SIGKILL go out after the restart, none twice."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import httpx

from hotline.testing.harness import HotlineProcess, free_udp_tcp_ports, run_hotline
from hotline.testing.mail import SmtpReceiver

from .pbx_support import call, extensions, start_server
from .test_queue_calls import queue


def notifications(smtp_port: int, *, kinds: str, emails: str, min_interval: float) -> str:
    return (
        f'[smtp]\nport = {smtp_port}\nfrom = "hotline@example.com"\n\n'
        f"[notifications]\nmin_interval = {min_interval}\n\n"
        f"[[notifications.rules]]\nkinds = {kinds}\nemails = {emails}\n\n"
    )


def serve(tmp_path: Path, smtp_port: int, **rules: object) -> HotlineProcess:
    # Nobody logged in: callers wait in the queue until they hang up.
    body = extensions(always=()) + queue(agents=("101", "102"), max_wait=60)
    body = body.replace("announce_position_every", "sla_seconds = 2\nannounce_position_every")
    return start_server(tmp_path, body + notifications(smtp_port, **rules))  # type: ignore[arg-type]


def subjects(smtp: SmtpReceiver) -> list[str]:
    return [str(message["Subject"]) for message in smtp.messages]


def in_app(server: HotlineProcess, kind: str) -> list[dict[str, object]]:
    response = httpx.get(f"{server.http_url}/api/notifications?kind={kind}",
                         headers=server.api_headers(), timeout=5)  # fmt: skip
    response.raise_for_status()
    items: list[dict[str, object]] = response.json()["items"]
    return items


def wait_until(check: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_sla_breach_and_lost_call_by_email_and_in_the_app(
    tmp_path: Path, smtp: SmtpReceiver
) -> None:
    server = serve(tmp_path, smtp.port, kinds='["sla_breach", "lost_call"]',
                   emails='["sup@example.com"]', min_interval=0.5)  # fmt: skip
    try:
        started = time.monotonic()
        caller = call(server, tmp_path, "200", "800", hold_ms=9000)
        # The SLA (2 s) is broken about 2 s after the caller joins: within 5 s of that, both.
        assert wait_until(lambda: any("SLA" in s for s in subjects(smtp)), 8.0), (
            subjects(smtp), server.log_text(),
        )  # fmt: skip
        assert time.monotonic() - started < 2 + 5 + 1
        breach = in_app(server, "sla_breach")
        assert breach and breach[0]["queue"] == "800"
        assert breach[0]["facts"]["number"] == "200"  # type: ignore[index]
        assert caller.wait()[0] == 0
        assert wait_until(lambda: any("Lost call" in s for s in subjects(smtp)), 5.0), subjects(
            smtp
        )
        lost = next(m for m in smtp.messages if "Lost call" in str(m["Subject"]))
        text = lost.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "Caller: 200" in text
        wait = float(text.split("Waited (s): ")[1].split()[0])
        assert 7.0 <= wait <= 10.0, text
        [item] = in_app(server, "lost_call")
        assert item["facts"]["reason"] == "abandoned"  # type: ignore[index]

        count = len(smtp.messages)
        short = call(server, tmp_path, "200", "800", hold_ms=1000)  # hangs up within 5 s
        assert short.wait()[0] == 0
        time.sleep(3)  # two ticks of the notifier and the worker
        assert len(smtp.messages) == count, subjects(smtp)[count:]
        assert len(in_app(server, "lost_call")) == 1
    finally:
        assert server.stop() == 0, server.log_text()


def _count(database: Path, query: str) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute(query).fetchone()[0])


def _outbox(database: Path) -> list[tuple[object, ...]]:
    """The outbox's rows as the test left them, for a failure's message."""
    query = "SELECT id, recipient, due_at, sent_at, attempts, last_error FROM outbox"
    with sqlite3.connect(database) as connection:
        return list(connection.execute(query).fetchall())


def _ready_to_kill(database: Path) -> bool:
    """The three lost calls are in the queue log, and sending has been tried and failed."""
    abandons = "SELECT count(*) FROM queue_events WHERE verb = 'ABANDON'"
    tried = "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND attempts > 0"
    return _count(database, abandons) == 3 and _count(database, tried) >= 1


def test_outbox_rows_survive_sigkill_and_go_out_once(tmp_path: Path) -> None:
    smtp = SmtpReceiver()  # not started: the SMTP server is down when the calls are lost
    server = serve(tmp_path, smtp.port, kinds='["lost_call"]', min_interval=1,
                   emails='["a@example.com", "b@example.com"]')  # fmt: skip
    callers = [call(server, tmp_path, user, "800", hold_ms=6000) for user in ("200", "103", "104")]
    for caller in callers:
        assert caller.wait()[0] == 0, server.log_text()
    database = tmp_path / "data" / "hotline.db"
    # Killed at once: a notice not yet written is found again in the queue log at the start.
    assert wait_until(lambda: _ready_to_kill(database), 10.0), server.log_text()
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()

    with smtp:  # up again
        restarted = restart_on_new_ports(tmp_path / "hotline.toml", server)
        try:
            assert wait_until(lambda: _all_numbers(smtp), 15.0), (subjects(smtp), _outbox(database))
            time.sleep(3)  # retries due later would show as repeats
            ids = [str(message["Message-ID"]) for message in smtp.messages]
            assert len(ids) == len(set(ids)), subjects(smtp)
            for address in ("a@example.com", "b@example.com"):
                mine = [m for m in smtp.messages if m["X-Envelope-To"] == address]
                assert 1 <= len(mine) <= 3, subjects(smtp)
        finally:
            assert restarted.stop() == 0, restarted.log_text()


def restart_on_new_ports(config: Path, server: HotlineProcess) -> HotlineProcess:
    """``hotline serve`` again on the same data, on fresh ports: the killed server's ports
    are ephemeral ones another process may take the moment they are free."""
    sip, http = free_udp_tcp_ports(2)
    text = config.read_text()
    text = text.replace(f"127.0.0.1:{server.sip_port}", f"127.0.0.1:{sip}")
    config.write_text(text.replace(f"127.0.0.1:{server.http_port}", f"127.0.0.1:{http}"))
    return run_hotline(config, server.host, sip, http)


def _all_numbers(smtp: SmtpReceiver) -> bool:
    for address in ("a@example.com", "b@example.com"):
        texts = " ".join(
            m.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            for m in smtp.messages
            if m["X-Envelope-To"] == address
        )
        if not all(f"Caller: {number}" in texts for number in ("200", "103", "104")):
            return False
    return True
