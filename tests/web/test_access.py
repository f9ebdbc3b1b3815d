"""Every route of the running app, tried without a token, with each role, and with a
supervisor outside its scope: the access table below against the server's answers.

Two checks keep the table whole: every route (API, pages, WebSocket, mounts) must carry one
rule (``deps.allow``, ``allow_page`` or ``allow_socket``) or be in ``deps.PUBLIC``, and every
route and every path of the OpenAPI document must have a row in ``TABLE``. So a new route
fails here until it has a rule and someone wrote down who may use it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import BaseRoute, Mount
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from hotline.store import CallRecord
from hotline.web.deps import PUBLIC, RULE_OF

from .support import Node, receive

pytestmark = pytest.mark.asyncio(loop_scope="module")

ADMIN, SUPERVISOR, AGENT, WALLBOARD = "admin", "sup800", "agent101", "wall"
ROLES = (ADMIN, SUPERVISOR, AGENT, WALLBOARD)
ALL = frozenset(ROLES)
STAFF = frozenset({ADMIN, SUPERVISOR, AGENT})  # everyone but the wallboard
ONLY_ADMIN = frozenset({ADMIN})
MANAGERS = frozenset({ADMIN, SUPERVISOR})


@dataclass(frozen=True)
class Row:
    """One route: a concrete path in the supervisor's scope (queue 800, agent 101), the users
    it lets in (the others get 403), and a path outside the supervisor's scope (queue 801,
    agent 103) it must refuse to the supervisor, when the route has a target."""

    path: str
    allowed: frozenset[str]
    out_of_scope: str | None = None
    json: object = None


PUBLIC_ROW = Row("", ALL)
# (method, route path) -> row. "WS" is the WebSocket, "PAGE" a page (303 to /login when
# signed out), "MOUNT" a mounted folder.
TABLE: dict[tuple[str, str], Row] = {
    ("GET", "/api/health"): Row("/api/health", ALL),
    ("POST", "/api/auth/token"): Row("/api/auth/token", ALL),
    ("POST", "/api/auth/session"): Row("/api/auth/session", ALL),
    ("GET", "/api/auth/me"): Row("/api/auth/me", ALL),
    ("POST", "/api/auth/logout"): Row("/api/auth/logout", ALL),
    ("PUT", "/api/auth/me/password"): Row("/api/auth/me/password", ALL, json={}),
    ("GET", "/api/users"): Row("/api/users", ONLY_ADMIN),
    ("POST", "/api/users"): Row("/api/users", ONLY_ADMIN, json={}),
    ("PATCH", "/api/users/{name}"): Row("/api/users/nobody", ONLY_ADMIN, json={}),
    ("GET", "/api/audit"): Row("/api/audit", ONLY_ADMIN),
    ("GET", "/api/security/bans"): Row("/api/security/bans", frozenset({ADMIN, SUPERVISOR})),
    ("DELETE", "/api/security/bans/{ban_id}"): Row("/api/security/bans/none", ONLY_ADMIN),
    ("GET", "/api/queues"): Row("/api/queues", ALL),
    ("GET", "/api/queues/{number}"): Row("/api/queues/800", ALL, "/api/queues/801"),
    ("GET", "/api/agents"): Row("/api/agents", ALL),
    ("GET", "/api/agents/{number}"): Row("/api/agents/101", ALL, "/api/agents/103"),
    ("POST", "/api/agents/{number}/login"): Row(
        "/api/agents/101/login", STAFF, "/api/agents/103/login"
    ),
    ("POST", "/api/agents/{number}/logout"): Row(
        "/api/agents/101/logout", STAFF, "/api/agents/103/logout"
    ),
    ("POST", "/api/agents/{number}/pause"): Row(
        "/api/agents/101/pause", STAFF, "/api/agents/103/pause"
    ),
    ("POST", "/api/agents/{number}/unpause"): Row(
        "/api/agents/101/unpause", STAFF, "/api/agents/103/unpause"
    ),
    ("POST", "/api/agents/{number}/end-wrap-up"): Row(
        "/api/agents/101/end-wrap-up", STAFF, "/api/agents/103/end-wrap-up"
    ),
    ("GET", "/api/calls/live"): Row("/api/calls/live", STAFF),
    ("GET", "/api/calls"): Row("/api/calls", STAFF),
    ("GET", "/api/calls/{call_id}"): Row("/api/calls/call-800", STAFF, "/api/calls/call-801"),
    ("GET", "/api/queue-events"): Row("/api/queue-events", STAFF),
    ("GET", "/api/agent-sessions"): Row("/api/agent-sessions", STAFF),
    ("GET", "/api/queue-log"): Row("/api/queue-log", STAFF),
    ("GET", "/api/reports"): Row("/api/reports", MANAGERS),
    ("GET", "/api/report-schedules"): Row("/api/report-schedules", ONLY_ADMIN),
    ("POST", "/api/report-schedules"): Row("/api/report-schedules", ONLY_ADMIN, json={}),
    ("DELETE", "/api/report-schedules/{name}"): Row("/api/report-schedules/none", ONLY_ADMIN),
    ("GET", "/api/reports/{report_id}"): Row(
        "/api/reports/queue_performance?queues=800",
        MANAGERS,
        "/api/reports/queue_performance?queues=801",
    ),
    ("GET", "/api/openapi.json"): Row("/api/openapi.json", STAFF),
    ("GET", "/api/docs"): Row("/api/docs", STAFF),
    ("GET", "/api/docs/assets/{name}"): Row("/api/docs/assets/swagger-ui.css", STAFF),
    ("GET", "/api/notifications"): Row("/api/notifications", STAFF),
    ("POST", "/api/notifications/{notification_id}/ack"): Row("/api/notifications/1/ack", STAFF),
    ("POST", "/api/notifications/ack"): Row("/api/notifications/ack", STAFF),
    ("GET", "/api/notifications/preferences"): Row("/api/notifications/preferences", STAFF),
    ("PUT", "/api/notifications/preferences"): Row(
        "/api/notifications/preferences", STAFF, json={}
    ),
    ("GET", "/api/notifications/rules"): Row("/api/notifications/rules", ONLY_ADMIN),
    ("PUT", "/api/notifications/rules"): Row("/api/notifications/rules", ONLY_ADMIN, json={}),
    ("PAGE", "/"): Row("/", ALL),  # the sign-in when signed out
    ("PAGE", "/login"): Row("/login", ALL),
    ("PAGE", "/agent"): Row("/agent", frozenset({AGENT})),  # an agent extension's own
    ("PAGE", "/supervisor"): Row("/supervisor", frozenset({ADMIN, SUPERVISOR})),
    ("PAGE", "/wallboard"): Row("/wallboard", ALL),
    ("PAGE", "/reports"): Row("/reports", MANAGERS),
    ("PAGE", "/wallboard/logo"): Row("/wallboard/logo", ALL),
    ("PAGE", "/wallboard/{queues}"): Row("/wallboard/800", ALL, "/wallboard/800,801"),
    ("WS", "/ws/events"): Row("/ws/events?queue=800", ALL, "/ws/events?queue=801"),
    ("MOUNT", "/static"): Row("/static/wallboard.css", ALL),
}


def _routes(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, those of included routers too."""
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI keeps routers included
        yield from _routes(included.routes) if included is not None else (route,)


def _calls(dependant: Dependant) -> Iterator[Callable[..., object]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _keys(node: Node) -> dict[tuple[str, str], BaseRoute]:
    """(method, path) of every route the app serves, as ``TABLE`` names them."""
    assert node.hotline.web is not None
    keys: dict[tuple[str, str], BaseRoute] = {}
    for route in _routes(node.hotline.web.app.routes):
        if isinstance(route, APIRoute):
            api = route.path.startswith("/api/")
            for method in route.methods - {"HEAD"}:
                keys[(method if api else "PAGE", route.path)] = route
        elif isinstance(route, APIWebSocketRoute):
            keys[("WS", route.path)] = route
        elif isinstance(route, Mount):
            keys[("MOUNT", route.path)] = route
    return keys


async def test_every_route_has_exactly_one_rule_or_is_public(node: Node) -> None:
    for (method, path), route in _keys(node).items():
        public = path in PUBLIC
        dependant = getattr(route, "dependant", None)
        rules = {RULE_OF[c] for c in _calls(dependant) if c in RULE_OF} if dependant else set()
        if public:
            assert not rules, f"{method} {path} is public but has the rule {rules}"
        else:
            assert len(rules) == 1, f"{method} {path} needs one allow(...) rule, has {rules}"


async def test_the_table_covers_every_route_and_the_whole_openapi_document(node: Node) -> None:
    served = set(_keys(node))
    assert served == set(TABLE), (
        f"routes without a row: {sorted(served - set(TABLE))}; "
        f"rows without a route: {sorted(set(TABLE) - served)}"
    )
    document = (await node.http.get("/api/openapi.json")).json()
    for path, operations in document["paths"].items():
        for method in operations:
            assert (method.upper(), path) in TABLE, (method, path)


async def _tokens(node: Node) -> dict[str, str]:
    return {name: await node.token_of(name) for name in ROLES}


async def _request(
    node: Node, method: str, row: Row, path: str, token: str | None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}" if token else ""}
    verb = "GET" if method in ("PAGE", "MOUNT") else method
    kwargs: dict[str, object] = {"headers": headers}
    if row.json is not None:
        kwargs["json"] = row.json
    return await node.http.request(verb, path, **kwargs)  # type: ignore[arg-type]


async def _socket_close(node: Node, path: str, token: str | None) -> int | None:
    """The close code of a WebSocket to ``path`` (None: it stayed open after its snapshot)."""
    url = node.url.replace("http://", "ws://") + path
    if token:
        url += ("&" if "?" in url else "?") + f"token={token}"
    try:
        async with connect(url) as ws:
            frame = await receive(ws)
            assert frame["type"] == "snapshot"
            return None
    except InvalidStatus as refused:  # refused during the handshake: no close code
        return refused.response.status_code
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else -1


async def test_without_a_token_every_route_but_the_public_ones_is_refused(node: Node) -> None:
    for (method, route), row in TABLE.items():
        if method == "WS":
            assert await _socket_close(node, row.path, None) == 1008
            assert await _socket_close(node, row.path, "not-a-token") == 1008
            continue
        for token in (None, "not-a-token"):
            response = await _request(node, method, row, row.path, token)
            public = route in PUBLIC or (method == "MOUNT" and route in PUBLIC)
            if public:
                assert response.status_code not in (401, 403), (method, route)
            elif method == "PAGE":
                assert response.status_code == 303, (route, response.status_code)
                assert response.headers["location"].startswith("/login?next=")
            else:
                assert response.status_code == 401, (method, route, response.text)
                assert response.headers["www-authenticate"] == "Bearer"


async def test_each_role_is_let_in_or_refused_as_the_table_says(node: Node) -> None:
    await _calls_in_two_queues(node)
    tokens = await _tokens(node)
    for (method, route), row in TABLE.items():
        for name in ROLES:
            token = tokens[name]
            if method == "WS":
                code = await _socket_close(node, row.path, token)
                assert (code is None) == (name in row.allowed), (route, name, code)
                continue
            if route == "/api/auth/logout":
                token = await node.token_of(name)  # a session of its own to end
            response = await _request(node, method, row, row.path, token)
            if name in row.allowed:
                assert response.status_code not in (401, 403, 500), (
                    method, route, name, response.status_code, response.text,
                )  # fmt: skip
            else:
                assert response.status_code == 403, (method, route, name, response.text)


async def test_a_supervisor_out_of_its_scope_is_refused(node: Node) -> None:
    await _calls_in_two_queues(node)
    token = await node.token_of(SUPERVISOR)
    checked = 0
    for (method, route), row in TABLE.items():
        if row.out_of_scope is None:
            continue
        checked += 1
        if method == "WS":
            assert await _socket_close(node, row.out_of_scope, token) == 1008, route
            continue
        response = await _request(node, method, row, row.out_of_scope, token)
        assert response.status_code == 403, (method, route, response.text)
        # The same route in scope is allowed: the refusal is the scope's, not the role's.
        allowed = await _request(node, method, row, row.path, token)
        assert allowed.status_code not in (401, 403), (method, route, allowed.text)
    assert checked >= 9


async def _calls_in_two_queues(node: Node) -> None:
    """A finished call in queue 800 and one in 801 (a history row for each scope)."""
    async with node.hotline.store.database.session() as session:  # type: ignore[union-attr]
        for queue, agent in (("800", "101"), ("801", "103")):
            if await session.get(CallRecord, f"call-{queue}") is None:
                now = time.time()
                record = CallRecord(
                    call_id=f"call-{queue}", caller="+4951110000", called=queue, queue=queue,
                    agent=agent, arrived_at=now, ended_at=now, disposition="answered",
                )  # fmt: skip
                session.add(record)
        await session.commit()


async def test_lists_show_only_the_scope(node: Node) -> None:
    await _calls_in_two_queues(node)
    supervisor = {"Authorization": f"Bearer {await node.token_of(SUPERVISOR)}"}
    agent = {"Authorization": f"Bearer {await node.token_of(AGENT)}"}
    wall = {"Authorization": f"Bearer {await node.token_of(WALLBOARD)}"}

    async def numbers(path: str, headers: dict[str, str], key: str = "number") -> set[str]:
        body = (await node.http.get(path, headers=headers)).json()
        rows = body["items"] if isinstance(body, dict) else body
        return {row[key] for row in rows}

    assert await numbers("/api/queues", supervisor) == {"800"}
    assert await numbers("/api/agents", supervisor) == {"101", "102", "104"}
    assert await numbers("/api/agents", agent) == {"101"}
    assert await numbers("/api/queues", agent) == {"800"}  # the queue 101 serves
    assert await numbers("/api/queues", wall) == {"800", "801"}
    assert await numbers("/api/calls", supervisor, "queue") == {"800"}
    assert await numbers("/api/calls", agent, "agent") == {"101"}
    assert await numbers("/api/calls", {}, "queue") >= {"800", "801"}  # the admin sees all
    # A wallboard reads the figures but never a caller's number.
    detail = (await node.http.get("/api/queues/800", headers=wall)).json()
    assert detail["callers"] == []


async def test_rules_are_found_only_through_allow() -> None:
    """The rules the route check looks for are the dependencies ``allow`` made."""
    from hotline.web.deps import allow

    assert RULE_OF[allow("queues.read")] == "queues.read"
    assert allow("queues.read") is allow("queues.read")  # one per action: checked once
