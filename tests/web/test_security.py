"""Issue 15: a phone with a wrong password retrying in a loop from 127.0.0.1 is refused while
the other phones at that address register and call at once; a scan across many users bans the
address. The refusals are seen in ``/api/health`` and ``/api/security/bans`` and an admin
lifts one (CSRF-checked, audited). Real softphones over loopback against a real node."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from hotline.demo.softphone import Softphone
from hotline.media import MediaServer
from hotline.sip.address import Peer
from hotline.sip.aio.ua_registration import RegistrationFailed

from .support import Node, phone, phone_ports, running_node

pytestmark = pytest.mark.asyncio(loop_scope="function")


@pytest_asyncio.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with running_node(tmp_path) as running:
        yield running


@pytest_asyncio.fixture
async def media() -> AsyncIterator[MediaServer]:
    async with MediaServer(rtp_address="127.0.0.1", port_range=phone_ports()) as server:
        yield server


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def misconfigured(node: Node, media: MediaServer, number: str, tries: int) -> list[int]:
    """A phone of ``number`` with a wrong password registering again and again at once, as
    baresip does on each fresh 401: the status each try ended with."""
    registrar = Peer(transport="UDP", host="127.0.0.1", port=node.hotline.sip.port)
    statuses = []
    async with Softphone(
        media, "127.0.0.1", username=number, password="wrong-password", domain="hotline.local",
        registrar=registrar,
    ) as softphone:  # fmt: skip
        for _ in range(tries):
            with pytest.raises(RegistrationFailed) as refused:
                await softphone.register(expires=300)
            statuses.append(refused.value.status)
    return statuses


async def bans(node: Node, token: str | None = None) -> list[dict[str, Any]]:
    headers = bearer(token) if token else None
    response = await node.http.get("/api/security/bans", headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def test_a_wrong_password_in_a_loop_blocks_that_phone_and_nobody_else(
    node: Node, media: MediaServer
) -> None:
    statuses = await misconfigured(node, media, "101", tries=15)
    # [security] max_auth_failures = 10 wrong answers, then refused without a challenge.
    assert statuses == [401] * 9 + [403] * 6
    # The phone beside it, same address, registers and calls at once.
    colleague = await phone(node, media, "200")
    try:
        call = await colleague.call("*43")  # the echo test
        await asyncio.wait_for(call.wait_answered(), 5)
        await call.hangup()
    finally:
        await colleague.close()
    [ban] = await bans(node)
    assert (ban["kind"], ban["source"], ban["user"], ban["reason"]) == (
        "sip", "127.0.0.1", "101", "failures",
    )  # fmt: skip
    health = (await node.http.get("/api/health")).json()
    assert health["status"] == "ok"
    [listed] = health["auth_bans"]
    assert (listed["kind"], listed["source"], listed["every_user"], listed["reason"]) == (
        "sip", "127.0.0.1", False, "failures",
    )  # fmt: skip
    assert 0 < listed["seconds_left"] <= 30
    # 101 serves queue 800: its supervisor sees why the phone stopped; the other queue's does
    # not, nor does an agent.
    assert [b["id"] for b in await bans(node, await node.token_of("sup800"))] == [ban["id"]]
    agent = await node.http.get(
        "/api/security/bans", headers=bearer(await node.token_of("agent101"))
    )
    assert agent.status_code == 403
    await lift_as_admin(node, ban["id"])
    assert await bans(node) == []
    right = await phone(node, media, "101")
    await right.close()
    rows = (await node.http.get("/api/audit", params={"action": "security.lift_ban"})).json()
    assert [(r["user_name"], r["target"], r["detail"]) for r in rows["items"]] == [
        ("admin", "101@127.0.0.1", "sip failures")
    ]


async def lift_as_admin(node: Node, ban_id: str) -> None:
    """Lift with the browser's session cookie: refused without the CSRF header, by a
    supervisor, and for a ban not in force."""
    async with httpx.AsyncClient(base_url=node.url, timeout=10) as browser:
        form = {"username": "admin", "password": "password-admin"}
        assert (await browser.post("/api/auth/session", data=form)).status_code == 200
        csrf = {"X-CSRF-Token": browser.cookies["hotline_csrf"]}
        assert (await browser.delete(f"/api/security/bans/{ban_id}")).status_code == 403
        supervisor = bearer(await node.token_of("sup800"))
        refused = await node.http.delete(f"/api/security/bans/{ban_id}", headers=supervisor)
        assert refused.status_code == 403
        lifted = await browser.delete(f"/api/security/bans/{ban_id}", headers=csrf)
        assert lifted.status_code == 200 and lifted.json()["id"] == ban_id
        again = await browser.delete(f"/api/security/bans/{ban_id}", headers=csrf)
        assert again.status_code == 404


async def test_a_scan_across_many_users_bans_the_address(node: Node, media: MediaServer) -> None:
    for user in ("101", "555", "556", "557", "558", "559", "560", "561", "562"):
        assert await misconfigured(node, media, user, tries=1) == [401]
    # The tenth user failing from the address ([security] scan_users) bans all of it.
    assert await misconfigured(node, media, "563", tries=1) == [403]
    with pytest.raises(RegistrationFailed) as refused:
        await phone(node, media, "200")
    assert refused.value.status == 403
    [ban] = await bans(node)
    assert (ban["source"], ban["user"], ban["reason"]) == ("127.0.0.1", None, "scan")
    # A supervisor sees no address ban: it is no agent's of its queues.
    assert await bans(node, await node.token_of("sup800")) == []
