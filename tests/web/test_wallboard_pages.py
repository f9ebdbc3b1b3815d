"""The wallboard pages over HTTP, from a real Hotline node: the list, the boards, their
settings from ``[wallboard]`` and the URL, the logo, the 404 page, and nothing from outside."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from hotline.app import build
from hotline.config import parse_config
from hotline.testing.harness import free_udp_tcp_port

from .support import ADMIN, Node
from .support import serving as client_of

NODE = """
[server]
sip_listen = "127.0.0.1:{sip}"
http_listen = "127.0.0.1:0"
data_dir = "{data}"

[[extensions]]
number = "101"
name = "Anna"
password = "s3cret-101"
agent = true

[[extensions]]
number = "102"
password = "s3cret-102"
agent = true
always_logged_in = true

[[queues]]
number = "{first}"
name = "{name}"
agents = ["101", "102"]
sla_seconds = {sla}

[[queues]]
number = "{second}"
name = "Sales"
agents = ["101"]
"""
WALLBOARD = """
[wallboard]
title = "Acme support"
logo = "{logo}"
theme = "light"
tiles = ["service_level", "waiting", "answered"]
show_agents = false
service_level_target = 90

[wallboard.colors]
alert = "#c00000"
"""
LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8"/>'
LOGO += "</svg>"


@asynccontextmanager
async def serving(
    folder: Path, first: str, name: str, sla: int, wallboard: str = ""
) -> AsyncIterator[Node]:
    """A started node with queue ``first`` (``name``, ``sla`` seconds) and the next number
    (Sales), ``wallboard`` TOML added, and a client of it."""
    second = str(int(first) + 1)
    text = NODE.format(
        sip=free_udp_tcp_port(), data=folder / "data", first=first, name=name, sla=sla,
        second=second,
    )  # fmt: skip
    hotline = build(parse_config(text + ADMIN + wallboard))
    await hotline.start()
    async with client_of(hotline) as node:
        yield node


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def plain(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Node]:
    """Queues 800 and 801 and no ``[wallboard]`` section: the defaults."""
    async with serving(tmp_path_factory.mktemp("plain"), "800", "Support", 20) as node:
        yield node


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def branded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Node]:
    """Queues 700 and 701, and every key of ``[wallboard]`` set."""
    folder = tmp_path_factory.mktemp("branded")
    logo = folder / "logo.svg"
    logo.write_text(LOGO)
    async with serving(folder, "700", "Billing & <Co>", 15, WALLBOARD.format(logo=logo)) as node:
        yield node


def settings_of(page: str) -> dict[str, object]:
    """The settings the board hands its script."""
    match = re.search(r'id="wallboard-settings">(.*?)</script>', page)
    assert match, page
    settings: dict[str, object] = json.loads(match.group(1))
    return settings


def tiles_of(page: str) -> list[str]:
    return re.findall(r'data-tile="(\w+)"', page)


def notes_of(page: str) -> list[str]:
    notes = re.search(r'<aside class="notes".*?</aside>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", notes.group(0)) if notes else []


pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_list_links_every_queue_with_its_live_summary(plain: Node) -> None:
    response = await plain.http.get("/wallboard")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for number, name in (("800", "Support"), ("801", "Sales")):
        assert f'<a href="/wallboard/{number}">{name}</a>' in page
    summaries = re.findall(r"data-summary>(.*?)</td>", page)
    assert len(summaries) == 2
    # 102 is always logged in to 800 but has no phone registered; nobody has called yet.
    assert summaries[0].startswith("0 waiting · 0 of 1 agents available · "), summaries
    assert summaries[0].endswith("0 answered, 0 abandoned today")
    assert 'src="/static/wallboard-list.js"' in page


async def test_list_form_opens_one_board_for_the_queues_ticked(plain: Node) -> None:
    response = await plain.http.get("/wallboard?queue=800&queue=801&theme=light")
    assert response.status_code == 303
    assert response.headers["location"] == "/wallboard/800,801?theme=light"
    board = await plain.http.get(response.headers["location"])
    assert board.status_code == 200
    assert '<html lang="en" data-theme="light">' in board.text
    settings = settings_of(board.text)
    assert settings["events"] == "/ws/events?queue=800&queue=801"
    assert settings["queues"] == [
        {"number": "800", "name": "Support"},
        {"number": "801", "name": "Sales"},
    ]


async def test_board_without_a_wallboard_section_shows_the_default_tiles(plain: Node) -> None:
    response = await plain.http.get("/wallboard/800")
    assert response.status_code == 200
    page = response.text
    assert '<html lang="en" data-theme="dark">' in page
    assert tiles_of(page) == [
        "waiting", "longest_wait", "service_level", "available", "on_call", "wrap_up",
        "paused", "logged_in", "answered", "abandoned", "average_wait", "average_talk",
    ]  # fmt: skip
    assert '<h1 class="title">Hotline</h1>' in page
    assert "target 80 % in 20 s" in page
    assert "data-agents" in page  # the agents' panel
    assert notes_of(page) == []
    assert settings_of(page)["thresholds"] == {
        "waiting_warning": 3,
        "waiting_alert": 6,
        "longest_wait_warning": 30.0,
        "longest_wait_alert": 60.0,
        "service_level_target": 80.0,
    }


async def test_board_follows_the_wallboard_section(branded: Node) -> None:
    page = (await branded.http.get("/wallboard/700")).text
    assert '<html lang="en" data-theme="light">' in page
    assert '<h1 class="title">Acme support</h1>' in page
    assert '<img class="logo" src="/wallboard/logo" alt="">' in page
    assert tiles_of(page) == ["service_level", "waiting", "answered"]
    assert "data-agents" not in page  # show_agents = false
    assert "--alert: #c00000;" in page
    assert "--available: #2fbf71;" in page
    assert "target 90 % in 15 s" in page
    assert "Billing &amp; &lt;Co&gt;" in page  # names are escaped


async def test_url_parameters_override_the_configuration(branded: Node) -> None:
    query = (
        "?theme=dark&tiles=waiting,longest_wait,service_level&title=Support&waiting_alert=5"
        "&show_agents=true&color_alert=ff0000&longest_wait_warning=10"
    )
    page = (await branded.http.get("/wallboard/700,701" + query)).text
    assert notes_of(page) == []
    assert '<html lang="en" data-theme="dark">' in page
    assert '<h1 class="title">Support</h1>' in page
    assert tiles_of(page) == ["waiting", "longest_wait", "service_level"]
    assert "data-agents" in page
    assert "--alert: #ff0000;" in page
    thresholds = settings_of(page)["thresholds"]
    assert isinstance(thresholds, dict)
    assert (thresholds["waiting_alert"], thresholds["longest_wait_warning"]) == (5, 10)
    assert "target 90 % in 15/20 s" in page  # the two queues' thresholds


async def test_a_threshold_pair_may_move_together_in_either_order(branded: Node) -> None:
    page = (await branded.http.get("/wallboard/700?waiting_alert=20&waiting_warning=12")).text
    assert notes_of(page) == []
    thresholds = settings_of(page)["thresholds"]
    assert isinstance(thresholds, dict)
    assert (thresholds["waiting_warning"], thresholds["waiting_alert"]) == (12, 20)


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("theme=blue", "theme=&#39;blue&#39; ignored: Input should be &#39;dark&#39; or"),
        ("tiles=waiting,queue_depth", "&#39;queue_depth&#39;: Input should be &#39;waiting&#39;"),
        ("tiles=", "tiles=&#39;&#39; ignored: List should have at least 1 item"),
        ("tiles=waiting,waiting", "tile listed twice: waiting"),
        ("waiting_alert=many", "waiting_alert=&#39;many&#39; ignored: Input should be a valid"),
        ("waiting_alert=1", "need waiting_warning &lt;= waiting_alert, got 3 &gt; 1"),
        ("longest_wait_alert=-5", "Input should be greater than 0"),
        ("longest_wait_alert=inf", "Input should be a finite number"),
        ("service_level_target=0.5", "a percentage from 1 to 100"),
        ("service_level_target=1e999", "ignored"),
        ("show_agents=maybe", "show_agents=&#39;maybe&#39; ignored"),
        ("color_alert=red", "color_alert=&#39;red&#39; ignored: String should match"),
        ("color_idle=fff", "unknown parameter &#39;color_idle&#39; ignored"),
        ("title=" + "x" * 200, "String should have at most 80 characters"),
        ("logo=/etc/passwd", "unknown parameter &#39;logo&#39; ignored"),
        ("colors=1", "unknown parameter &#39;colors&#39; ignored"),
        ("%ff=%fe", "ignored"),
    ],
)
async def test_bad_url_parameters_are_named_on_the_page(plain: Node, query: str, note: str) -> None:
    response = await plain.http.get(f"/wallboard/800?{query}&color_ok=123456")
    assert response.status_code == 200
    notes = notes_of(response.text)
    assert len(notes) == 1 and note in notes[0], notes
    # The good parameters still apply, and the tiles are there.
    assert "--ok: #123456;" in response.text
    assert tiles_of(response.text)


async def test_markup_in_the_url_is_escaped(plain: Node) -> None:
    page = (await plain.http.get("/wallboard/800?title=<script>alert(1)</script>")).text
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    "path", ["/wallboard/999", "/wallboard/800,999", "/wallboard/abc", "/wallboard/,"]
)
async def test_unknown_queue_is_a_404_page(plain: Node, path: str) -> None:
    response = await plain.http.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "There is no queue" in response.text
    assert '<a href="/wallboard">All wallboards</a>' in response.text


async def test_the_logo_is_served_by_hotline(branded: Node, plain: Node) -> None:
    response = await branded.http.get("/wallboard/logo")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.text == LOGO
    assert (await plain.http.get("/wallboard/logo")).status_code == 404  # none configured


async def test_pages_load_nothing_from_outside(plain: Node, branded: Node) -> None:
    """Every src and href of every page is a path on Hotline that answers, and the scripts
    and styles they load name no other host."""
    pages = [
        (plain, "/wallboard"),
        (plain, "/wallboard/800"),
        (plain, "/wallboard/800,801?theme=light"),
        (plain, "/wallboard/999"),
        (branded, "/wallboard/700"),
    ]
    assets: list[tuple[Node, str]] = []
    for server, path in pages:
        response = await server.http.get(path)
        assert "default-src 'none'" in response.headers["content-security-policy"]
        references = re.findall(r'(?:src|href|action)="([^"]*)"', response.text)
        assert references, path
        for reference in references:
            assert reference.startswith("/") and not reference.startswith("//"), (path, reference)
            assets.append((server, reference.split("?")[0]))
    scripts = set()
    for server, asset in assets:
        response = await server.http.get(asset)
        assert response.status_code == 200, asset
        if asset.endswith((".js", ".css")):
            scripts.add(asset)
            text = response.text
            # Module imports are relative; nothing names a scheme or another host.
            assert not re.search(r"https?:|//[a-z]|@import|url\(", text), asset
            for imported in re.findall(r'from "(\./[^"]+)"', text):
                assert (await server.http.get("/static/" + imported[2:])).status_code == 200
    assert {"/static/wallboard.css", "/static/wallboard.js", "/static/wallboard-list.js"} <= scripts


async def test_scripts_are_served_as_javascript_modules(plain: Node) -> None:
    for name in ("wallboard.js", "wallboard-live.js", "wallboard-list.js"):
        response = await plain.http.get(f"/static/{name}")
        assert response.headers["content-type"].startswith("text/javascript"), name


async def test_boards_speak_the_users_language_or_the_one_switched_to(plain: Node) -> None:
    """The admin's language is English, whatever the browser prefers; the switch wins and is
    kept in a cookie."""
    russian = {
        "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5",
        "Authorization": f"Bearer {plain.token}",
    }
    async with httpx.AsyncClient(base_url=plain.url, headers=russian) as browser:
        board = await browser.get("/wallboard/800")
        assert board.headers["content-language"] == "en" and "Longest wait" in board.text
        switched = await browser.get("/wallboard?lang=ru")
        assert switched.headers["content-language"] == "ru"
        assert (
            '<html lang="ru"' in switched.text and '<th scope="col">Очередь</th>' in switched.text
        )
        assert "hotline_lang=ru" in switched.headers["set-cookie"]
        summaries = re.findall(r"data-summary>(.*?)</td>", switched.text)
        assert summaries[0].startswith("ожидают: 0 · свободно агентов: 0 из 1 · "), summaries
        kept = await browser.get("/wallboard/800")
        assert "Дольше всех ждёт" in kept.text and "Longest wait" not in kept.text
        assert notes_of(kept.text) == []  # the switch is no board setting
        missing = await browser.get("/wallboard/999")
        assert "Очереди 999 нет." in missing.text
