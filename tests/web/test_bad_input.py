"""Garbage at every endpoint: 422 naming the field, 404 for unknown ids, never a 500."""

from __future__ import annotations

import pytest

from .support import Node

pytestmark = pytest.mark.asyncio(loop_scope="module")

HUGE = "9" * 40
GARBAGE_VALUES = ["", "-1", HUGE, "1e999", "nan", "'; drop table x;--", "🙂" * 100, "x" * 5000,
                  "1.5"]  # fmt: skip
PAGED = ("since", "until", "limit", "offset")
GET_ENDPOINTS = {
    "/api/calls": (*PAGED, "queue", "agent", "disposition"),
    "/api/queue-events": (*PAGED, "queue", "agent", "call_id", "verb", "newest_first"),
    "/api/agent-sessions": (*PAGED, "agent", "kind"),
}
IDS = ["999", "abc", HUGE, "%2e%2e", "x" * 3000, "🙂", "-1", "0"]


async def test_query_parameters_never_break_the_server(node: Node) -> None:
    for path, parameters in GET_ENDPOINTS.items():
        for parameter in parameters:
            for value in GARBAGE_VALUES:
                response = await node.http.get(path, params={parameter: value})
                assert response.status_code in (200, 422), (path, parameter, value, response.text)
                if response.status_code == 422:
                    assert response.json()["detail"][0]["loc"][:2] == ["query", parameter]


async def test_bounds_are_422_naming_the_field(node: Node) -> None:
    cases = {
        "/api/calls?limit=100000": "limit",
        "/api/calls?limit=0": "limit",
        "/api/calls?offset=-5": "offset",
        f"/api/calls?offset={HUGE}": "offset",
        "/api/calls?disposition=lost": "disposition",
        "/api/calls?since=yesterday": "since",
        "/api/calls?until=inf": "until",
        "/api/queue-events?newest_first=maybe": "newest_first",
        "/api/agent-sessions?kind=holiday": "kind",
    }
    for url, field in cases.items():
        response = await node.http.get(url)
        assert response.status_code == 422, url
        assert response.json()["detail"][0]["loc"][-1] == field, url


async def test_unknown_ids_are_404(node: Node) -> None:
    for identifier in IDS:
        for path in ("/api/queues/{}", "/api/agents/{}", "/api/calls/{}"):
            response = await node.http.get(path.format(identifier))
            assert response.status_code == 404, (path, identifier)
        for action in ("login", "logout", "pause", "unpause"):
            response = await node.http.post(f"/api/agents/{identifier}/{action}")
            assert response.status_code == 404, (action, identifier)


async def test_bad_bodies_are_422(node: Node) -> None:
    headers = {"content-type": "application/json"}
    for body in ('{"reason": ', "[]", '"lunch"', '{"reason": 5}', '{"reason": null}',
                 '{"reason": "lunch", "extra": 1}', '{"reason": "' + "x" * 500 + '"}',
                 "\x00\xff", '{"reason": "nap"}'):  # fmt: skip
        response = await node.http.post("/api/agents/103/pause", content=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"][0]["loc"][0] == "body"
    assert (await node.http.get("/api/agents/103")).json()["state"] == "logged_out"


async def test_a_body_that_is_not_even_text_is_400(node: Node) -> None:
    headers = {"content-type": "application/json"}
    response = await node.http.post(
        "/api/agents/103/pause", content=b"\xd3\xb2\xff", headers=headers
    )
    assert response.status_code == 400  # documented in the OpenAPI document
    assert response.json()["detail"]
    assert (await node.http.get("/api/agents/103")).json()["state"] == "logged_out"


async def test_wrong_methods_and_paths(node: Node) -> None:
    assert (await node.http.delete("/api/queues")).status_code == 405
    assert (await node.http.get("/api/agents/101/login")).status_code == 405
    assert (await node.http.post("/api/calls/live")).status_code == 405
    assert (await node.http.get("/api/nothing")).status_code == 404
