"""The wallboard in a real browser (Debian's Chromium, headless, driven by Playwright) against a
real ``hotline serve``, while our own softphones call the queue and agents log in, answer and
pause: the page changes live, never reloads, and comes back by itself after a restart.
Screenshots of both themes go to ``test-artifacts/``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from hotline.demo.softphone import PhoneCall, Softphone
from hotline.media import MediaServer
from hotline.sip.address import Peer
from hotline.testing.harness import HotlineProcess, run_hotline, start_hotline

from .browser import chromium, require_chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# A change reaches the page within this (the server sends stats 200 ms after a change).
LIVE_MS = 1500
_LOW = 43000 + (os.getpid() % 50) * 40

AGENTS = {
    "103": "Anna", "104": "Boris", "105": "Chloe", "106": "Dmitri", "107": "Emma", "108": "Fyodor"
}  # fmt: skip
# A room of 50 agents, always logged in, serving a queue of their own.
FIRST_NAMES = [
    "Alice", "Bruno", "Carla", "Denis", "Elena", "Felix", "Greta", "Hamid", "Ines", "Jonas",
    "Kira", "Lars", "Mona", "Nils", "Olga", "Paul", "Rosa", "Sven", "Tara", "Ugo", "Vera", "Wim",
    "Xenia", "Yann", "Zora",
]  # fmt: skip
ROOM = {
    str(300 + i): f"{FIRST_NAMES[i % 25]} {'KM'[i // 25]}." for i in range(2 * len(FIRST_NAMES))
}


def _extensions(agents: dict[str, str], always: bool) -> str:
    return "".join(
        f'[[extensions]]\nnumber = "{number}"\nname = "{name}"\npassword = "s3cret-{number}"\n'
        f"agent = true\nalways_logged_in = {str(always).lower()}\n\n"
        for number, name in agents.items()
    )


CONFIG = (
    _extensions(AGENTS, always=False)
    + _extensions(ROOM, always=True)
    + '[[queues]]\nnumber = "800"\nname = "Support"\nstrategy = "longest_waiting"\n'
    f"agents = {list(AGENTS)}\nring_timeout = 60\nwrap_up = 60\nsla_seconds = 20\n\n"
    f'[[queues]]\nnumber = "900"\nname = "Room"\nagents = {list(ROOM)}\n\n'
    '[wallboard]\ntitle = "Hotline"\nwaiting_warning = 1\nwaiting_alert = 2\n\n'
    # The TV: a wallboard user whose token opens the boards (the pages pass it to the feed).
    '[[users]]\nname = "tv"\npassword = "password-tv"\nrole = "wallboard"\n'
    'queues = ["800", "900"]\n\n'
    f'[media]\nrtp_ports = "{_LOW + 2000}-{_LOW + 2039}"\n'
)


@pytest.fixture
async def media() -> AsyncIterator[MediaServer]:
    async with MediaServer(rtp_address="127.0.0.1", port_range=(_LOW, _LOW + 39)) as server:
        yield server


class Floor:
    """The server, the phones of the callers and agents, and the REST client."""

    def __init__(self, server: HotlineProcess, media: MediaServer) -> None:
        self.server = server
        self.media = media
        self.phones: dict[str, Softphone] = {}
        headers = server.api_headers()
        self.http = httpx.AsyncClient(base_url=server.http_url, timeout=5, headers=headers)

    async def phone(self, number: str) -> Softphone:
        registrar = Peer(transport="UDP", host="127.0.0.1", port=self.server.sip_port)
        phone = Softphone(
            self.media, "127.0.0.1", username=number, password=f"s3cret-{number}",
            domain="hotline.local", registrar=registrar,
        )  # fmt: skip
        await phone.start()
        await phone.register(expires=300)
        self.phones[number] = phone
        return phone

    async def rest(self, agent: str, action: str, body: dict[str, str] | None = None) -> None:
        response = await self.http.post(f"/api/agents/{agent}/{action}", json=body)
        assert response.status_code == 200, response.text

    async def logged(self, text: str) -> None:
        await asyncio.to_thread(self.server.wait_for_log, text, 10)

    async def answer_next(self, agent: str) -> PhoneCall:
        incoming = await asyncio.wait_for(self.phones[agent].next_incoming(), 10)
        await incoming.ring()
        await incoming.answer()
        return incoming

    async def close(self) -> None:
        await self.http.aclose()
        for phone in self.phones.values():
            await phone.close()


def tile(page: Page, name: str) -> Locator:
    return page.locator(f'[data-tile="{name}"] [data-value]')


def card(page: Page, agent: str) -> Locator:
    return page.locator(f'.agent[data-agent="{agent}"]')


async def open_board(browser: Browser, url: str, errors: list[str]) -> Page:
    """A page of ``url`` once its feed is live; its script errors go to ``errors``."""
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    page.on("pageerror", lambda error: errors.append(f"{url}: {error}"))
    await page.goto(url)
    await expect(page.locator("[data-status]")).to_have_text("live", timeout=5000)
    await page.evaluate("window.sameDocument = true")  # gone if the page ever reloads
    return page


async def test_wallboard_follows_calls_and_agents_live(tmp_path: Path, media: MediaServer) -> None:
    require_chromium()
    server = start_hotline(tmp_path, extra=CONFIG)  # before the browser takes the CPU
    floor = Floor(server, media)
    try:
        async with chromium() as browser:
            await follow(browser, floor, tmp_path)
    finally:
        await floor.close()
        floor.server.stop()


async def follow(browser: Browser, floor: Floor, tmp_path: Path) -> None:
    """The list of boards and one board open while the floor gets busy, then a restart."""
    server = floor.server
    errors: list[str] = []
    tv = server.token("tv", "password-tv")
    listing = await open_board(browser, f"{server.http_url}/wallboard?token={tv}", errors)
    summary = listing.locator('[data-queue="800"] [data-summary]')
    await expect(summary).to_contain_text("0 waiting · 0 of 0 agents available")
    page = await open_board(browser, f"{server.http_url}/wallboard/800?token={tv}", errors)
    await watch_a_busy_hour(floor, page)
    # The list of boards followed too.
    await expect(summary).to_contain_text("1 waiting (longest 0:")
    await expect(summary).to_contain_text("1 of 6 agents available")
    await expect(summary).to_contain_text("2 answered, 0 abandoned today")
    light = f"{server.http_url}/wallboard/800?theme=light&token={tv}"
    await take_screenshots(browser, page, light, errors)
    await fifty_agents_fit(browser, f"{server.http_url}/wallboard/900?token={tv}", errors)
    await survive_a_restart(floor, page, tmp_path)
    assert await page.evaluate("window.sameDocument") is True, "the page reloaded"
    assert errors == []


async def watch_a_busy_hour(floor: Floor, page: Page) -> None:
    await expect(tile(page, "waiting")).to_have_text("0")
    await expect(tile(page, "logged_in")).to_have_text("0")
    await expect(page.locator("[data-agents-empty]")).to_be_visible()

    # Dmitri logs in by REST before his phone is registered: logged in, but unavailable
    # until it is. Then he takes a call and hangs up: wrap-up, and one answered.
    await floor.rest("106", "login")
    await expect(card(page, "106")).to_have_attribute("data-state", "unavailable", timeout=LIVE_MS)
    await expect(card(page, "106")).to_contain_text("Unavailable · phone not registered")
    await expect(tile(page, "available")).to_have_text("0")
    for number in ("101", "102", "103", "104", "106", "107", "108"):
        await floor.phone(number)
    await expect(card(page, "106")).to_have_attribute("data-state", "available", timeout=LIVE_MS)
    await expect(card(page, "106")).to_contain_text("Dmitri")
    await expect(tile(page, "available")).to_have_text("1", timeout=LIVE_MS)
    first = await floor.phones["101"].call("800")
    dmitri = await floor.answer_next("106")
    await asyncio.wait_for(first.wait_answered(), 5)
    await expect(card(page, "106")).to_have_attribute("data-state", "on_call", timeout=LIVE_MS)
    await first.hangup()
    await expect(card(page, "106")).to_have_attribute("data-state", "wrap_up", timeout=LIVE_MS)
    await expect(tile(page, "answered")).to_have_text("1", timeout=LIVE_MS)
    await asyncio.wait_for(dmitri.wait_ended(), 5)

    # Anna logs in by feature code from her phone.
    login = await floor.phones["103"].call("*62")
    await floor.logged("agent 103 logged in")
    await expect(card(page, "103")).to_have_attribute("data-state", "available", timeout=LIVE_MS)
    await expect(tile(page, "available")).to_have_text("1", timeout=LIVE_MS)
    await asyncio.wait_for(login.wait_ended(), 10)

    # Boris and Emma log in and pause, by REST.
    for agent, reason in (("104", "lunch"), ("107", "training")):
        await floor.rest(agent, "login")
        await floor.rest(agent, "pause", {"reason": reason})
    await expect(card(page, "104")).to_have_attribute("data-state", "paused", timeout=LIVE_MS)
    await expect(card(page, "104")).to_contain_text("Paused · Lunch")
    await expect(tile(page, "paused")).to_have_text("2", timeout=LIVE_MS)

    # Two callers; Anna's phone rings for the first, the second waits for nobody.
    await floor.phones["101"].call("800")
    await floor.logged("to agent 103")
    await expect(card(page, "103")).to_have_attribute("data-state", "ringing", timeout=LIVE_MS)
    await expect(tile(page, "waiting")).to_have_text("1", timeout=LIVE_MS)
    await floor.phones["102"].call("800")
    await floor.logged("from 102 joined")
    await expect(tile(page, "waiting")).to_have_text("2", timeout=LIVE_MS)
    await expect(page.locator('[data-tile="waiting"]')).to_have_class("tile level-alert")

    # Anna answers: on call, and one caller left waiting.
    incoming = await asyncio.wait_for(floor.phones["103"].next_incoming(), 5)
    await incoming.ring()
    await incoming.answer()
    await expect(card(page, "103")).to_have_attribute("data-state", "on_call", timeout=LIVE_MS)
    await expect(tile(page, "waiting")).to_have_text("1", timeout=LIVE_MS)
    await expect(page.locator('[data-tile="waiting"]')).to_have_class("tile level-warning")

    # Chloe logs in and her phone rings for the caller still waiting; she lets it ring.
    await floor.phone("105")
    await floor.rest("105", "login")
    await expect(card(page, "105")).to_have_attribute("data-state", "ringing", timeout=LIVE_MS)
    # Fyodor comes in after: free, as the one caller left is ringing Chloe.
    await floor.rest("108", "login")
    await expect(card(page, "108")).to_have_attribute("data-state", "available", timeout=LIVE_MS)

    # Clocks tick in the browser between stats frames (once a second: over 3.1 s three or
    # four ticks, so one tick late on a busy machine still shows two seconds more).
    before = await tile(page, "longest_wait").text_content()
    await page.wait_for_timeout(3100)
    after = await tile(page, "longest_wait").text_content()
    assert before and after and seconds(after) - seconds(before) >= 2, (before, after)
    assert await tile(page, "logged_in").text_content() == "6"
    assert await tile(page, "on_call").text_content() == "1"


def seconds(clock: str) -> int:
    minutes, rest = clock.split(":")[-2:]
    return int(minutes) * 60 + int(rest)


async def take_screenshots(browser: Browser, page: Page, light_url: str, errors: list[str]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / "wallboard-dark.png")
    light = await open_board(browser, light_url, errors)
    await expect(light.locator("html")).to_have_attribute("data-theme", "light")
    await expect(tile(light, "waiting")).to_have_text("1")
    await light.screenshot(path=ARTIFACTS / "wallboard-light.png")
    await light.close()


async def fifty_agents_fit(browser: Browser, url: str, errors: list[str]) -> None:
    """Every card of a room of 50 on screen, on a 1080p TV and on a small laptop, in type
    still readable across the room on the TV."""
    room = await open_board(browser, url, errors)
    await expect(room.locator(".agent")).to_have_count(50)
    for width, height, smallest in ((1920, 1080, 18), (1280, 720, 11)):
        await room.set_viewport_size({"width": width, "height": height})
        await room.wait_for_timeout(300)
        fit = await room.evaluate(FIT)
        assert fit["inside"] == 50 and fit["font"] >= smallest, (width, fit)
        await room.screenshot(path=ARTIFACTS / f"wallboard-50-agents-{width}.png")
    await room.close()


# How many agent cards lie wholly inside the agents' panel, and their type size in pixels.
FIT = """() => {
  const panel = document.querySelector(".agents").getBoundingClientRect();
  const cards = [...document.querySelectorAll(".agent")].map((c) => c.getBoundingClientRect());
  const inside = cards.filter((r) => r.top >= panel.top && r.bottom <= panel.bottom + 0.5
    && r.left >= panel.left && r.right <= panel.right + 0.5).length;
  const font = parseFloat(getComputedStyle(document.querySelector(".agent")).fontSize);
  return { inside, font };
}"""


async def survive_a_restart(floor: Floor, page: Page, tmp_path: Path) -> None:
    server = floor.server
    assert server.stop() == 0, server.log_text()
    await expect(page.locator("[data-status]")).to_have_text("reconnecting", timeout=3000)
    await expect(page.locator("[data-banner]")).to_be_visible()
    await expect(page.locator("body")).to_have_class("page-board offline")
    await page.screenshot(path=ARTIFACTS / "wallboard-reconnecting.png")

    floor.server = await asyncio.to_thread(
        run_hotline, tmp_path / "hotline.toml", server.host, server.sip_port, server.http_port
    )
    await floor.logged("agent 103 logged in again after restart")
    # The fresh snapshot: the calls ended with the old process, the agents are still in.
    await expect(page.locator("[data-status]")).to_have_text("live", timeout=12000)
    await expect(page.locator("[data-banner]")).to_be_hidden()
    await expect(tile(page, "waiting")).to_have_text("0", timeout=LIVE_MS)
    await expect(card(page, "103")).to_have_attribute("data-state", "available")
    await expect(card(page, "104")).to_have_attribute("data-state", "paused")
