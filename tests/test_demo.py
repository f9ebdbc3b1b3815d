"""The demo traffic against a real Hotline in this process (the demo configuration on free
ports), sped up: agents log in with *62 and take queue calls that callers place through the
demo trunk from 127.0.0.2; some callers give up. Nothing fails and nothing is logged as an
error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from pathlib import Path

import httpx
import pytest

from hotline.app import build
from hotline.config import parse_config
from hotline.demo import DEMO_CONFIG
from hotline.demo.traffic import (
    DemoSettings,
    Tally,
    caller_routes,
    open_demo_accounts,
    run_demo_traffic,
)
from hotline.testing.harness import free_udp_tcp_port

_LOW = 36000 + (os.getpid() % 50) * 80


def _config(tmp_path: Path, port: int) -> str:
    text = DEMO_CONFIG.replace('"127.0.0.1:5060"', f'"127.0.0.1:{port}"')
    text = text.replace('"./hotline-data"', f'"{tmp_path / "data"}"')
    return text + f'\n[media]\nrtp_ports = "{_LOW}-{_LOW + 39}"\n'


def test_callers_reach_both_queues_through_the_demo_trunk(tmp_path: Path) -> None:
    config = parse_config(_config(tmp_path, 5060))
    assert caller_routes(config, "127.0.0.2") == [("4951234567", "800"), ("4957654321", "801")]
    assert caller_routes(config, "127.0.0.1") == []


async def test_demo_traffic_flows(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    config = parse_config(_config(tmp_path, free_udp_tcp_port()))
    hotline = build(config)
    await hotline.start()
    settings = DemoSettings(
        calls_per_minute=40.0, ring_seconds=(0.2, 0.6), talk_median=1.0, patience_median=4.0,
        rtp_ports=(_LOW + 40, _LOW + 79), summary_every=2.0,
    )  # fmt: skip
    tally = Tally()
    demo = asyncio.create_task(run_demo_traffic(config, settings=settings, seed=7, tally=tally))
    try:
        await asyncio.sleep(8.0)
    finally:
        demo.cancel()
        async with asyncio.timeout(15):  # the phones hang up and unregister promptly
            with contextlib.suppress(asyncio.CancelledError):
                await demo
        async with asyncio.timeout(15):
            await hotline.close()
    text = caplog.text
    assert "demo: SIP server 127.0.0.1:" in text and "password s3cret-101" in text
    assert "demo: web pages at http://127.0.0.1:8080/" in text
    assert tally.agents_logged_in == 5, tally  # 106 is left for a person
    assert tally.calls_placed >= 3 and tally.calls_answered_by_agents >= 1, tally
    assert tally.calls_failed == 0, tally
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def test_demo_accounts_admin_signs_in_and_the_tv_url_opens_a_board(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The demo's password and the wallboard URL are logged once at start; the password
    signs the admin, the supervisor and the agent in (each to its own page), the URL's token
    opens a board, and the next start makes a new password."""
    caplog.set_level(logging.INFO)
    text = _config(tmp_path, free_udp_tcp_port()).replace('"127.0.0.1:8080"', '"127.0.0.1:0"')
    config = parse_config(text)
    passwords = []
    for _ in range(2):
        caplog.clear()
        hotline = build(config)
        hotline.more_users = lambda accounts: open_demo_accounts(accounts, config)
        await hotline.start()
        try:
            assert hotline.web is not None
            assert "NO USERS" not in caplog.text  # the demo's are made before the check
            password = re.search(r"users admin, supervisor, anna, password (\S+)", caplog.text)
            tv = re.search(r"wallboard for a TV: \S+/wallboard\?token=(\S+)", caplog.text)
            assert password is not None and tv is not None, caplog.text
            passwords.append(password.group(1))
            async with httpx.AsyncClient(base_url=hotline.web.url) as http:
                for name, page in (
                    ("admin", "/"),
                    ("supervisor", "/supervisor"),
                    ("anna", "/agent"),
                ):
                    form = {"username": name, "password": password.group(1)}
                    token = (await http.post("/api/auth/token", data=form)).json()["access_token"]
                    opened = await http.get(page, headers={"Authorization": f"Bearer {token}"})
                    assert opened.status_code == 200, (name, page)
                board = await http.get(f"/wallboard/800,801?token={tv.group(1)}")
                assert board.status_code == 200 and "wallboard-settings" in board.text
        finally:
            await hotline.close()
    assert passwords[0] != passwords[1]
