"""Signing in and out against a real node: the token and the browser session, failures
limited per user and address (a scan per address), their bans listed and lifted, disabled
users, CSRF, the user's own password, the users API and the audit
log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from .support import Node, receive, receive_until, running_node, sign_in

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Three failures of one user within a minute block that user from that address for 30 s;
# failures for four user names ban the address for a minute.
SECURITY = """
[security]
max_auth_failures = 3
failure_window_seconds = 60
backoff_seconds = 30
ban_seconds = 60
web_scan_users = 4
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def node(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Node]:
    async with running_node(tmp_path_factory.mktemp("signin"), extra=SECURITY) as running:
        yield running


def client_from(node: Node, address: str) -> httpx.AsyncClient:
    """A client whose connections come from ``address`` (a loopback address of its own)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=node.url, transport=transport, timeout=10)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_token_answer_is_oauth2_and_signs_requests_in(node: Node) -> None:
    form = {"username": "sup800", "password": "password-sup800"}
    response = await node.http.post("/api/auth/token", data=form, headers={"Authorization": ""})
    assert response.status_code == 200
    answer = response.json()
    assert answer["token_type"] == "bearer" and answer["expires_in"] == 43_200
    me = await node.http.get("/api/auth/me", headers=bearer(answer["access_token"]))
    assert me.json() == {
        "name": "sup800", "role": "supervisor", "extension": None, "queues": ["800"],
        "language": "en", "email": None,
    }  # fmt: skip


async def test_wrong_name_and_wrong_password_get_the_same_answer(node: Node) -> None:
    async with client_from(node, "127.0.0.5") as http:
        wrong_name = await http.post(
            "/api/auth/token", data={"username": "nobody", "password": "x"}
        )
        wrong_password = await http.post(
            "/api/auth/token", data={"username": "admin", "password": "x"}
        )
    assert wrong_name.status_code == wrong_password.status_code == 401
    assert wrong_name.json() == wrong_password.json() == {"detail": "wrong name or password"}
    assert wrong_name.headers["www-authenticate"] == wrong_password.headers["www-authenticate"]


async def test_a_user_failing_in_a_loop_is_refused_while_others_at_its_address_sign_in(
    node: Node,
) -> None:
    wrong = {"username": "admin", "password": "guess"}
    right = {"username": "admin", "password": "password-admin"}
    async with client_from(node, "127.0.0.2") as office, client_from(node, "127.0.0.3") as home:
        answers = [(await office.post("/api/auth/token", data=wrong)).status_code for _ in range(3)]
        assert answers == [401, 401, 401]
        refused = await office.post("/api/auth/token", data=wrong)
        assert refused.status_code == 429
        assert 0 < int(refused.headers["retry-after"]) <= 30  # backoff_seconds, not ban_seconds
        # Blocked, the right password gets the very same answer: a guesser learns nothing.
        also = await office.post("/api/auth/token", data=right)
        assert (also.status_code, also.json()) == (429, refused.json())
        assert (await office.post("/api/auth/session", data=right)).status_code == 429
        # The other agents behind the office address sign in at once; admin from elsewhere.
        for name in ("wall", "agent101"):
            form = {"username": name, "password": f"password-{name}"}
            assert (await office.post("/api/auth/token", data=form)).status_code == 200
            assert (await office.post("/api/auth/session", data=form)).status_code == 200
        assert (await home.post("/api/auth/token", data=right)).status_code == 200
        # An unknown name is blocked alike, with the same answer.
        nobody = {"username": "nobody", "password": "guess"}
        tries = [await office.post("/api/auth/token", data=nobody) for _ in range(4)]
        assert [t.status_code for t in tries] == [401, 401, 401, 429]
        assert tries[-1].json() == refused.json()
    failed = await node.http.get(
        "/api/audit", params={"action": "auth.sign_in_failed", "user": "admin"}
    )
    addresses = [row["address"] for row in failed.json()["items"]]
    assert addresses.count("127.0.0.2") == 3  # the refused tries were not even checked


async def test_a_scan_across_user_names_refuses_the_whole_address(node: Node) -> None:
    async with client_from(node, "127.0.0.4") as scanner, client_from(node, "127.0.0.6") as other:
        for name in ("root", "operator", "admin", "guest"):  # web_scan_users = 4
            form = {"username": name, "password": "123456"}
            assert (await scanner.post("/api/auth/token", data=form)).status_code == 401
        right = {"username": "wall", "password": "password-wall"}
        refused = await scanner.post("/api/auth/token", data=right)
        assert refused.status_code == 429
        assert 30 < int(refused.headers["retry-after"]) <= 60  # ban_seconds
        assert (await scanner.post("/api/auth/token", data=right | {"username": "x"})).json() == (
            refused.json()
        )
        assert (await other.post("/api/auth/token", data=right)).status_code == 200


async def test_many_sign_ins_at_once_get_no_more_guesses_than_one_by_one(node: Node) -> None:
    form = {"username": "agent104", "password": "guess"}
    async with client_from(node, "127.0.0.7") as flooder:
        answers = await asyncio.gather(
            *(flooder.post("/api/auth/token", data=form) for _ in range(12))
        )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401] * 3 + [429] * 9  # max_auth_failures checked, the rest refused


async def test_web_blocks_are_listed_beside_sip_ones_and_lifted(node: Node) -> None:
    async with client_from(node, "127.0.0.8") as office:
        for _ in range(3):
            form = {"username": "agent101", "password": "guess"}
            assert (await office.post("/api/auth/token", data=form)).status_code == 401
        for name in ("a", "b", "c", "d"):
            form = {"username": name, "password": "guess"}
            await office.post("/api/auth/token", data=form)
    bans = (await node.http.get("/api/security/bans")).json()
    mine = {(b["kind"], b["user"], b["reason"]): b for b in bans if b["source"] == "127.0.0.8"}
    assert set(mine) == {("web", "agent101", "failures"), ("web", None, "scan")}
    health = (await node.http.get("/api/health", headers={"Authorization": ""})).json()
    listed = {(b["kind"], b["every_user"], b["reason"]) for b in health["auth_bans"]
              if b["source"] == "127.0.0.8"}  # fmt: skip
    assert listed == {("web", False, "failures"), ("web", True, "scan")}
    # Agent 101 serves queue 800: its supervisor sees why 101 cannot sign in, not the address.
    sup = bearer(await node.token_of("sup800"))
    seen = (await node.http.get("/api/security/bans", headers=sup)).json()
    assert [b["id"] for b in seen if b["source"] == "127.0.0.8"] == [
        mine["web", "agent101", "failures"]["id"]
    ]
    for ban in mine.values():
        lifted = await node.http.delete(f"/api/security/bans/{ban['id']}")
        assert lifted.status_code == 200 and lifted.json() == ban
    async with client_from(node, "127.0.0.8") as office:
        form = {"username": "agent101", "password": "password-agent101"}
        assert (await office.post("/api/auth/token", data=form)).status_code == 200
    rows = (await node.http.get("/api/audit", params={"action": "security.lift_ban"})).json()
    assert {(r["user_name"], r["target"], r["detail"]) for r in rows["items"]} >= {
        ("admin", "agent101@127.0.0.8", "web failures"), ("admin", "127.0.0.8", "web scan"),
    }  # fmt: skip


async def test_a_disabled_user_is_out_at_once_and_back_when_enabled(node: Node) -> None:
    token = await node.token_of("agent101")
    assert (await node.http.get("/api/auth/me", headers=bearer(token))).status_code == 200
    async with node.events(token=token) as ws:
        assert (await receive(ws))["type"] == "snapshot"
        changed = await node.http.patch("/api/users/agent101", json={"disabled": True})
        assert changed.status_code == 200 and changed.json()["disabled"] is True
        assert (await node.http.get("/api/auth/me", headers=bearer(token))).status_code == 401
        with pytest.raises(ConnectionClosed) as closed:  # its live feed ends too
            await receive_until(ws, lambda frame: False)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    form = {"username": "agent101", "password": "password-agent101"}
    refused = await node.http.post("/api/auth/token", data=form, headers={"Authorization": ""})
    assert refused.status_code == 401
    assert (await node.http.patch("/api/users/agent101", json={"disabled": False})).is_success
    assert (await node.http.get("/api/auth/me", headers=bearer(token))).status_code == 401
    assert await node.token_of("agent101")  # signs in again, with a new session
    rows = (await node.http.get("/api/audit", params={"action": "users.change"})).json()
    assert {"user_name": "admin", "target": "agent101", "detail": "disabled"}.items() <= rows[
        "items"
    ][0].items()


async def test_a_password_change_closes_the_other_sessions_live_feeds_only(node: Node) -> None:
    mine, other = await node.token_of("agent101"), await node.token_of("agent101")
    async with node.events(token=mine) as kept, node.events(token=other) as ended:
        assert (await receive(kept))["type"] == "snapshot"
        assert (await receive(ended))["type"] == "snapshot"
        body = {"old_password": "password-agent101", "new_password": "a-new-password-101"}
        changed = await node.http.put("/api/auth/me/password", json=body, headers=bearer(mine))
        assert changed.is_success, changed.text
        with pytest.raises(ConnectionClosed) as closed:
            await receive_until(ended, lambda frame: False)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        assert (await node.http.post("/api/agents/101/login")).is_success
        # The kept session's feed goes on: the change reaches it.
        assert await receive_until(kept, lambda frame: frame["type"] == "event")
    # The node is shared by this module's tests: 101 and its password as they were.
    assert (await node.http.post("/api/agents/101/logout")).is_success
    back = {"password": "password-agent101"}
    assert (await node.http.patch("/api/users/agent101", json=back)).is_success


async def test_a_changed_scope_makes_the_live_feed_reconnect(node: Node) -> None:
    token = await node.token_of("sup800")
    async with node.events(token=token) as ws:
        assert (await receive(ws))["type"] == "snapshot"
        changed = await node.http.patch("/api/users/sup800", json={"queues": ["801"]})
        assert changed.status_code == 200, changed.text
        with pytest.raises(ConnectionClosed) as closed:  # it saw queue 800's callers
            await receive_until(ws, lambda frame: False)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    async with node.events(token=token) as again:  # the session goes on, with the new view
        snapshot = await receive(again)
        assert {q["number"] for q in snapshot["queues"]} == {"801"}
    # The node is shared by this module's tests: sup800 gets its queue back.
    assert (await node.http.patch("/api/users/sup800", json={"queues": ["800"]})).is_success


async def test_logout_ends_the_session(node: Node) -> None:
    token = await node.token_of("sup800")
    other = await node.token_of("sup800")
    assert (await node.http.post("/api/auth/logout", headers=bearer(token))).status_code == 204
    assert (await node.http.get("/api/auth/me", headers=bearer(token))).status_code == 401
    assert (await node.http.get("/api/auth/me", headers=bearer(other))).status_code == 200


async def test_browser_session_cookie_needs_the_csrf_header_to_change_anything(
    node: Node,
) -> None:
    async with httpx.AsyncClient(base_url=node.url, timeout=10) as browser:
        form = {"username": "sup800", "password": "password-sup800"}
        signed_in = await browser.post("/api/auth/session", data=form)
        assert signed_in.status_code == 200 and signed_in.json()["role"] == "supervisor"
        cookies = signed_in.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("hotline_session="))
        assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
        assert not any("HttpOnly" in c for c in cookies if c.startswith("hotline_csrf="))
        csrf = browser.cookies["hotline_csrf"]
        assert (await browser.get("/api/auth/me")).json()["name"] == "sup800"
        await _feed_takes_the_cookie_from_this_site_only(node, browser.cookies["hotline_session"])
        refused = await browser.post("/api/agents/101/login")
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
        wrong = await browser.post("/api/agents/101/login", headers={"X-CSRF-Token": "x" * 43})
        assert wrong.status_code == 403
        done = await browser.post("/api/agents/101/login", headers={"X-CSRF-Token": csrf})
        # Logged in; with no phone registered here the agent is unavailable, not logged out.
        assert done.status_code == 200 and done.json()["state"] == "unavailable"
        assert (await browser.post("/api/auth/logout")).status_code == 403
        out = await browser.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 204
        assert (await browser.get("/api/auth/me")).status_code == 401
    rows = (await node.http.get("/api/audit", params={"user": "sup800"})).json()["items"]
    actions = [(row["action"], row["target"]) for row in rows]
    assert ("agents.login", "101") in actions and ("auth.sign_out", None) in actions
    assert all(row["address"] == "127.0.0.1" for row in rows)


async def _feed_takes_the_cookie_from_this_site_only(node: Node, session: str) -> None:
    cookie = {"Cookie": f"hotline_session={session}"}
    async with connect(node.ws_url, additional_headers=cookie, origin=Origin(node.url)) as ws:
        assert (await receive(ws))["type"] == "snapshot"
    evil = Origin("http://evil.example")
    async with connect(node.ws_url, additional_headers=cookie, origin=evil) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_own_password_change_needs_the_old_one_and_ends_other_sessions(
    node: Node,
) -> None:
    created = await node.http.post(
        "/api/users",
        json={"name": "sup2", "password": "first-password", "role": "supervisor",
              "queues": ["801"], "language": "ru"},
    )  # fmt: skip
    assert created.status_code == 201 and created.json()["origin"] == "api"
    this = await sign_in(node.http, "sup2", "first-password")
    other = await sign_in(node.http, "sup2", "first-password")
    change = {"old_password": "not-it", "new_password": "second-password"}
    wrong = await node.http.put("/api/auth/me/password", json=change, headers=bearer(this))
    assert wrong.status_code == 403
    change["old_password"] = "first-password"
    done = await node.http.put("/api/auth/me/password", json=change, headers=bearer(this))
    assert done.status_code == 204
    assert (await node.http.get("/api/auth/me", headers=bearer(this))).json()["language"] == "ru"
    assert (await node.http.get("/api/auth/me", headers=bearer(other))).status_code == 401
    assert await sign_in(node.http, "sup2", "second-password")


async def test_users_api_refuses_what_the_configuration_does_not_allow(node: Node) -> None:
    def user(**fields: object) -> dict[str, object]:
        return {"name": "newbie", "password": "password-newbie", **fields}

    cases = [
        (user(role="agent", extension="200"), 422, "not an agent extension"),
        (user(role="agent"), 422, "needs an extension"),
        (user(role="supervisor", queues=["999"]), 422, "unknown queue 999"),
        (user(role="wallboard"), 422, "at least one queue"),
        (user(name="admin", role="admin"), 409, "exists"),
    ]
    for body, status, message in cases:
        response = await node.http.post("/api/users", json=body)
        assert response.status_code == status, (body, response.text)
        assert message in str(response.json()["detail"]), response.text
    moved = await node.http.patch("/api/users/sup800", json={"queues": ["999"]})
    assert moved.status_code == 422
    missing = await node.http.patch("/api/users/nobody", json={"language": "ru"})
    assert missing.status_code == 404
    names = {u["name"]: u for u in (await node.http.get("/api/users")).json()}
    assert names["agent101"]["extension"] == "101" and names["agent101"]["origin"] == "file"
    assert "password_hash" not in names["admin"] and "newbie" not in names


async def test_audit_filters_by_user_action_and_time(node: Node) -> None:
    token = await node.token_of("sup800")
    assert (await node.http.post("/api/agents/104/login", headers=bearer(token))).is_success
    pause = await node.http.post(
        "/api/agents/104/pause", json={"reason": "lunch"}, headers=bearer(token)
    )
    assert pause.status_code == 200
    rows = (await node.http.get("/api/audit", params={"action": "agents.pause"})).json()["items"]
    row = rows[0]
    assert (row["user_name"], row["target"], row["detail"]) == ("sup800", "104", "lunch")
    at = row["time"]
    after = await node.http.get("/api/audit", params={"action": "agents.pause", "since": at + 1})
    assert after.json()["items"] == []
    until = await node.http.get("/api/audit", params={"user": "sup800", "until": at + 1})
    assert all(r["user_name"] == "sup800" and r["time"] < at + 1 for r in until.json()["items"])
    assert until.json()["total"] >= 2  # its sign-ins too
