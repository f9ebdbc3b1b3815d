"""The agent panel and the supervisor console in a real browser (Debian's Chromium, headless,
driven by Playwright) against a real ``hotline serve``, with our own softphones calling the
queue and answering for the agent.

An agent signs in, logs in, pauses with a reason and unpauses, sees a queue call arrive with
the caller's number and name, answers it and ends its wrap-up; a supervisor signs in, sees the
call and the caller waiting, and logs the agent out from the console, which the agent's panel
shows within a second. Both pages are seen in Russian too (and the wallboards after them, with
the pause reasons' Russian labels), and no page logs a console error.

Screenshots of both pages (desktop and phone width) go to ``test-artifacts/``; with
``HOTLINE_WRITE_SCREENSHOTS=1`` they are also copied to ``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from hotline.demo.softphone import Softphone
from hotline.media import MediaServer
from hotline.sip.address import Peer
from hotline.testing.harness import HotlineProcess, start_hotline

from .browser import chromium, require_chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
LIVE_MS = 1500  # a change reaches the page within this (stats frames follow in 100 ms)
SECOND_MS = 1000  # the promise for a supervisor's action on the agent's panel
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}  # a phone held upright
_LOW = 38000 + (os.getpid() % 50) * 40

CONFIG = f"""
[[extensions]]
number = "301"
name = "Anna Berg"
password = "s3cret-301"
agent = true

[[extensions]]
number = "302"
name = "Boris Orlov"
password = "s3cret-302"
agent = true

[[queues]]
number = "800"
name = "Support"
agents = ["301", "302"]
ring_timeout = 60
wrap_up = 60
sla_seconds = 20

[[users]]
name = "anna"
password = "password-anna"
role = "agent"
extension = "301"

[[users]]
name = "boris"
password = "password-boris"
role = "agent"
extension = "302"
language = "ru"

[[users]]
name = "sofia"
password = "password-sofia"
role = "supervisor"
queues = ["800"]

[media]
rtp_ports = "{_LOW + 2000}-{_LOW + 2039}"

# The site's own word for a default reason wins over the catalog's ("Перерыв").
[agents.pause_labels.ru]
break = "Короткий перерыв"
"""


@pytest.fixture
async def media() -> AsyncIterator[MediaServer]:
    async with MediaServer(rtp_address="127.0.0.1", port_range=(_LOW, _LOW + 39)) as server:
        yield server


class Phones:
    """Our softphones registered with the server: the agent's and the callers'."""

    def __init__(self, server: HotlineProcess, media: MediaServer) -> None:
        self.server = server
        self.media = media
        self.phones: list[Softphone] = []

    async def register(self, number: str, display_name: str | None = None) -> Softphone:
        registrar = Peer(transport="UDP", host="127.0.0.1", port=self.server.sip_port)
        phone = Softphone(
            self.media, "127.0.0.1", username=number, password=f"s3cret-{number}",
            domain="hotline.local", registrar=registrar, display_name=display_name,
        )  # fmt: skip
        await phone.start()
        await phone.register(expires=300)
        self.phones.append(phone)
        return phone

    async def close(self) -> None:
        for phone in self.phones:
            await phone.close()


class Browsing:
    """One person's browser: a context of its own (its own cookies), and the errors its pages
    log."""

    def __init__(self, context: BrowserContext, errors: list[str]) -> None:
        self.context = context
        self.errors = errors

    async def page(self, url: str) -> Page:
        page = await self.context.new_page()
        page.on(
            "console",
            lambda m: self.errors.append(f"{url}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda error: self.errors.append(f"{url}: {error}"))
        await page.goto(url)
        return page


async def sign_in(page: Page, url: str, name: str, landing: str) -> None:
    """Fill the sign-in form the page was sent to, and land on ``landing``."""
    await expect(page).to_have_url(f"{url}/login?next={landing.replace('/', '%2F')}")
    await page.get_by_label("User name").fill(name)
    await page.get_by_label("Password").fill(f"password-{name}")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(url + landing)
    await expect(page.locator("[data-status]")).to_have_class("status live", timeout=5000)


def my_state(page: Page) -> Locator:
    return page.locator("[data-my-state]")


def agent_row(page: Page, number: str) -> Locator:
    return page.locator(f'tr[data-agent="{number}"]')


async def test_agent_panel_and_supervisor_console(tmp_path: Path, media: MediaServer) -> None:
    require_chromium()
    server = start_hotline(tmp_path, extra=CONFIG)  # before the browser takes the CPU
    phones = Phones(server, media)
    errors: list[str] = []
    try:
        async with chromium() as browser:
            agent = Browsing(await browser.new_context(viewport=DESKTOP), errors)
            supervisor = Browsing(await browser.new_context(viewport=DESKTOP), errors)
            await a_shift(server, phones, agent, supervisor)
            await in_russian(server, phones, browser, errors)
    finally:
        await phones.close()
        server.stop()
    assert errors == []


async def a_shift(
    server: HotlineProcess, phones: Phones, agent: Browsing, supervisor: Browsing
) -> None:
    url = f"http://127.0.0.1:{server.http_port}"
    panel = await agent.page(f"{url}/agent")
    await sign_in(panel, url, "anna", "/agent")
    await expect(panel.locator("h1")).to_contain_text("Anna Berg · 301")
    await expect(my_state(panel)).to_have_attribute("data-state", "logged_out")
    anna = await phones.register("301")

    # Log in, pause for lunch, come back.
    await panel.get_by_role("button", name="Log in to all queues").click()
    await expect(my_state(panel)).to_have_attribute("data-state", "available", timeout=LIVE_MS)
    await expect(panel.locator('[data-queue="800"] [data-queue-in]')).to_have_text("logged in")
    await panel.get_by_label("Reason").select_option("lunch")
    await panel.get_by_role("button", name="Pause", exact=True).click()
    await expect(my_state(panel)).to_have_attribute("data-state", "paused", timeout=LIVE_MS)
    await expect(my_state(panel)).to_have_text("Paused · Lunch")
    await panel.wait_for_timeout(1100)  # a second of pause counts in the day's figures
    await panel.get_by_role("button", name="Unpause").click()
    await expect(my_state(panel)).to_have_attribute("data-state", "available", timeout=LIVE_MS)
    await expect(panel.locator("[data-paused]")).not_to_have_text("0:00")

    # A caller: the panel shows the number and name as Anna's phone rings, then the call.
    caller = await phones.register("102", display_name="Zoe Miller")
    call = await caller.call("800")
    offer = await asyncio.wait_for(anna.next_incoming(), 10)
    await offer.ring()
    await expect(panel.locator("[data-caller-number]")).to_have_text("102", timeout=LIVE_MS)
    await expect(panel.locator("[data-caller-name]")).to_have_text("Zoe Miller")
    await expect(my_state(panel)).to_have_attribute("data-state", "ringing")
    await offer.answer()
    await asyncio.wait_for(call.wait_answered(), 5)
    await expect(my_state(panel)).to_have_attribute("data-state", "on_call", timeout=LIVE_MS)
    await expect(panel.locator("[data-call-queue]")).to_have_text("800 Support")
    await expect(panel.locator("[data-wrap-up]")).to_be_hidden()

    # The supervisor sees the call, and a second caller waiting for a free agent.
    console = await supervisor.page(f"{url}/supervisor")
    await sign_in(console, url, "sofia", "/supervisor")
    await expect(agent_row(console, "301")).to_contain_text("On call", timeout=LIVE_MS)
    await expect(agent_row(console, "301")).to_contain_text("102 · Zoe Miller")
    waiting = await (await phones.register("101")).call("800")
    await expect(console.locator("[data-waiting-callers] tr")).to_have_count(1, timeout=LIVE_MS)
    await expect(console.locator("[data-waiting-callers] tr")).to_contain_text(
        "101 · Support desk 1"
    )
    await expect(console.locator('[data-queue="800"] [data-waiting]')).to_have_text("1")
    await expect(console.locator("[data-calls] tr")).to_have_count(2)
    await take_screenshots(panel, console)

    # The calls end; Anna ends her wrap-up at once, then her supervisor logs her out.
    await waiting.hangup()
    await call.hangup()
    await asyncio.wait_for(offer.wait_ended(), 5)
    await expect(my_state(panel)).to_have_attribute("data-state", "wrap_up", timeout=LIVE_MS)
    await expect(panel.locator("[data-wrap-up]")).to_be_visible()
    await expect(panel.locator("[data-wrap-up-left]")).to_contain_text("Wrap-up: 0:5")
    await panel.get_by_role("button", name="End wrap-up now").click()
    await expect(my_state(panel)).to_have_attribute("data-state", "available", timeout=LIVE_MS)
    await expect(panel.locator("[data-answered]")).to_have_text("1")
    await expect(agent_row(console, "301")).to_contain_text("Available", timeout=LIVE_MS)
    await agent_row(console, "301").get_by_role("button", name="Log out").click()
    await expect(my_state(panel)).to_have_attribute("data-state", "logged_out", timeout=SECOND_MS)
    await expect(agent_row(console, "301").get_by_role("button", name="Log in")).to_be_visible()

    # And from the console, back in and on a break.
    await agent_row(console, "301").get_by_role("button", name="Log in").click()
    await expect(my_state(panel)).to_have_attribute("data-state", "available", timeout=SECOND_MS)
    await (
        agent_row(console, "301").get_by_label("Pause reason for Anna Berg").select_option("break")
    )
    await agent_row(console, "301").get_by_role("button", name="Pause").click()
    await expect(my_state(panel)).to_have_text("Paused · Break", timeout=SECOND_MS)
    assert await panel.evaluate("document.querySelector('[data-error]').hidden")
    assert await console.evaluate("document.querySelector('[data-error]').hidden")

    # Signing out ends the session: the panel asks for the sign-in again.
    await panel.get_by_role("button", name="Sign out").click()
    await expect(panel).to_have_url(f"{url}/login")
    await panel.goto(f"{url}/agent")
    await expect(panel).to_have_url(f"{url}/login?next=%2Fagent")


async def shoot(page: Page, name: str) -> None:
    """A screenshot of the whole page to ``test-artifacts/``, and to ``docs/screenshots/``
    when asked for (``HOTLINE_WRITE_SCREENSHOTS=1``)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=path, full_page=True)
    if os.environ.get("HOTLINE_WRITE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENSHOTS / path.name)


async def take_screenshots(panel: Page, console: Page) -> None:
    for page, name in ((panel, "agent-panel"), (console, "supervisor-console")):
        for size, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
            await page.set_viewport_size(size)
            await page.wait_for_timeout(200)
            await shoot(page, name + suffix)
        await page.set_viewport_size(DESKTOP)


async def in_russian(
    server: HotlineProcess, phones: Phones, browser: Browser, errors: list[str]
) -> None:
    """Boris's language is Russian: his panel is, from the sign-in on. The supervisor's
    console switches to Russian with the switch in its header."""
    await phones.register("302")  # an agent is available only with its phone registered
    url = f"http://127.0.0.1:{server.http_port}"
    boris = Browsing(await browser.new_context(viewport=PHONE, locale="ru-RU"), errors)
    panel = await boris.page(f"{url}/agent")
    await expect(panel.locator("html")).to_have_attribute("lang", "ru")  # the browser's
    await panel.get_by_label("Имя пользователя").fill("boris")
    await panel.get_by_label("Пароль").fill("password-boris")
    await panel.get_by_role("button", name="Войти").click()
    await expect(panel).to_have_url(f"{url}/agent")
    await expect(panel.locator("[data-status]")).to_have_text("в эфире", timeout=5000)
    await expect(panel.locator("h1")).to_contain_text("Панель агента")
    await expect(my_state(panel)).to_have_text("Не в системе")
    await panel.get_by_role("button", name="Войти во все очереди").click()
    await expect(my_state(panel)).to_have_text("Свободен", timeout=LIVE_MS)
    # Out of the one queue and back in, from its line in the list.
    queue = panel.locator('[data-queue="800"]')
    await queue.get_by_role("button", name="Выйти").click()
    await expect(queue.locator("[data-queue-in]")).to_have_text("не в очереди", timeout=LIVE_MS)
    await expect(my_state(panel)).to_have_text("Не в системе")
    await queue.get_by_role("button", name="Войти").click()
    await expect(my_state(panel)).to_have_text("Свободен", timeout=LIVE_MS)
    await shoot(panel, "agent-panel-ru-phone")

    sofia = Browsing(await browser.new_context(viewport=DESKTOP), errors)
    console = await sofia.page(f"{url}/supervisor")
    await sign_in(console, url, "sofia", "/supervisor")
    await console.get_by_role("link", name="RU", exact=True).click()
    await expect(console.locator("html")).to_have_attribute("lang", "ru")
    await expect(console.locator("h1")).to_have_text("Консоль супервизора")
    await expect(agent_row(console, "302")).to_contain_text("Свободен", timeout=LIVE_MS)
    await expect(agent_row(console, "301")).to_contain_text("Пауза · Короткий перерыв")
    await expect(agent_row(console, "302").get_by_role("button", name="Выйти")).to_be_visible()
    await shoot(console, "supervisor-console-ru")
    # The switch is remembered: the wallboards, through the header's link, are in Russian.
    await console.get_by_role("link", name="Табло").click()
    await expect(console).to_have_url(f"{url}/wallboard")
    await expect(console.locator("[data-status]")).to_have_text("в эфире", timeout=5000)
    summary = console.locator('[data-queue="800"] [data-summary]')
    await expect(summary).to_contain_text("ожидают: 0 · свободно агентов: 1 из 2")  # Anna paused
    await console.get_by_role("link", name="Support").click()
    await expect(console.locator('[data-tile="waiting"] .tile-label')).to_have_text("Ожидают")
    await expect(console.locator("[data-status]")).to_have_text("в эфире", timeout=5000)
    await expect(console.locator('.agent[data-agent="302"]')).to_contain_text("Свободен")
    anna = console.locator('.agent[data-agent="301"]')
    await expect(anna).to_contain_text("Пауза · Короткий перерыв")
    # Boris goes to lunch: the reason reads in his language on his panel and on the board.
    await panel.get_by_label("Причина").select_option(label="Обед")
    await panel.get_by_role("button", name="Пауза", exact=True).click()
    await expect(my_state(panel)).to_have_text("Пауза · Обед", timeout=LIVE_MS)
    board_card = console.locator('.agent[data-agent="302"]')
    await expect(board_card).to_contain_text("Пауза · Обед", timeout=LIVE_MS)
