"""The people's pages over HTTP from a running node: the home page (the sign-in when signed
out, the pages the role may open when signed in), the sign-in page's ``next``, and the agent
panel and supervisor console for whom they are, with their scripts' settings."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from .support import Node

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _get(node: Node, path: str, user: str | None, **headers: str) -> httpx.Response:
    """``path`` as ``user`` (a bearer token; None: signed out)."""
    if user is not None:
        headers["Authorization"] = f"Bearer {await node.token_of(user)}"
    async with httpx.AsyncClient(base_url=node.url, headers=headers) as browser:
        return await browser.get(path)


def _links(page: str) -> list[str]:
    return re.findall(r'<a class="card link-card" href="([^"]+)"', page)


def _settings(page: str) -> Any:
    match = re.search(r'id="page-settings">(.*?)</script>', page)
    assert match, page
    return json.loads(match.group(1))


async def test_home_signed_out_is_the_sign_in_in_the_browsers_language(node: Node) -> None:
    page = await _get(node, "/", None, **{"Accept-Language": "ru,en;q=0.8"})
    assert page.status_code == 200 and page.headers["content-language"] == "ru"
    assert 'data-login method="post" action="/api/auth/session" data-next="/"' in page.text
    assert "Имя пользователя" in page.text and "data-sign-out" not in page.text


@pytest.mark.parametrize(
    ("user", "links"),
    [
        ("admin", ["/supervisor", "/wallboard", "/reports", "/api/docs"]),  # no agent extension
        ("sup800", ["/supervisor", "/wallboard", "/reports", "/api/docs"]),
        ("agent101", ["/agent", "/wallboard", "/api/docs"]),
        ("wall", ["/wallboard"]),
    ],
)
async def test_home_lists_the_pages_the_role_may_open(
    node: Node, user: str, links: list[str]
) -> None:
    page = await _get(node, "/", user)
    assert page.status_code == 200
    assert _links(page.text) == links
    assert f"Welcome, {user}" in page.text and "data-sign-out" in page.text


@pytest.mark.parametrize(
    ("asked", "next_"),
    [
        ("/agent", "/agent"),
        ("/wallboard/800%3Ftheme%3Dlight", "/wallboard/800?theme=light"),
        ("//elsewhere.example/", "/"),
        ("https://elsewhere.example/", "/"),
        ("/%5Celsewhere.example", "/"),
    ],
)
async def test_sign_in_goes_on_only_to_a_page_here(node: Node, asked: str, next_: str) -> None:
    page = await _get(node, f"/login?next={asked}", None)
    assert f'data-next="{next_}"' in page.text


async def test_pages_send_the_signed_out_to_the_sign_in(node: Node) -> None:
    for path in ("/agent", "/supervisor"):
        response = await _get(node, path, None)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=" + path.replace("/", "%2F")


async def test_the_agent_panel_is_the_signed_in_agents(node: Node) -> None:
    page = await _get(node, "/agent", "agent101")
    assert page.status_code == 200
    settings = _settings(page.text)
    assert settings == {
        "agent": "101",
        "queues": [{"number": "800", "name": "Support"}],
        "events": "/ws/events?queue=800",
    }
    assert "Anna · 101" in page.text
    reasons = re.findall(r'<option value="([^"]+)">', page.text)
    assert reasons == ["break", "lunch", "training"]  # [agents] pause_reasons, the default
    for user in ("sup800", "wall", "admin"):  # none has an agent extension
        refused = await _get(node, "/agent", user)
        assert refused.status_code == 403, user
        # A page in the browser's tab, not a JSON error: why, and the pages the user opens.
        assert refused.headers["content-type"].startswith("text/html"), user
        assert "not open to your role" in refused.text and 'href="/wallboard"' in refused.text


async def test_the_console_shows_the_supervisors_queues_only(node: Node) -> None:
    page = await _get(node, "/supervisor", "sup800")
    assert page.status_code == 200
    settings = _settings(page.text)
    assert [q["number"] for q in settings["queues"]] == ["800"]
    assert settings["events"] == "/ws/events?queue=800"
    everything = _settings((await _get(node, "/supervisor", "admin")).text)
    assert [q["number"] for q in everything["queues"]] == ["800", "801"]
    for user in ("agent101", "wall"):
        refused = await _get(node, "/supervisor", user)
        assert refused.status_code == 403 and "data-refused" in refused.text, user
        assert 'href="/supervisor"' not in refused.text, user  # not offered what it refused


async def test_the_console_is_in_russian_when_switched(node: Node) -> None:
    page = await _get(node, "/supervisor?lang=ru", "sup800")
    assert '<html lang="ru">' in page.text and "Консоль супервизора" in page.text
    assert 'href="/supervisor?lang=en"' in page.text  # the switch back


@pytest.mark.parametrize(
    ("path", "user"),
    [("/", None), ("/", "admin"), ("/agent", "agent101"), ("/supervisor", "sup800")],
)
async def test_pages_load_nothing_from_outside(node: Node, path: str, user: str | None) -> None:
    """Every src and href is a path on Hotline that answers, and the scripts and styles name
    no other host; the page's policy forbids anything else."""
    page = await _get(node, path, user)
    assert "default-src 'none'" in page.headers["content-security-policy"]
    references = re.findall(r'\s(?:src|href|action)="([^"]*)"', page.text)
    assert any(reference.endswith(".js") for reference in references), path
    for reference in references:
        assert reference.startswith("/") and not reference.startswith("//"), reference
        if reference.startswith("/static/") and reference.endswith((".js", ".css")):
            asset = (await _get(node, reference, None)).text
            assert not re.search(r"https?:|//[a-z]|@import|url\(", asset), reference
            for imported in re.findall(r'from "\./([^"]+)"', asset):
                assert (await _get(node, f"/static/{imported}", None)).status_code == 200


async def test_a_board_out_of_scope_is_refused_with_a_page_not_json(node: Node) -> None:
    refused = await _get(node, "/wallboard/801", "sup800")  # sup800 supervises 800 only
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "data-refused" in refused.text
