"""The notification centre in headless Chromium: the supervisor console shows a lost call
live, plays its sound, and clears the unread count on acknowledging; the agent panel shows
the notifications of its queues, in Russian for a Russian user."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.async_api import Page, expect

from hotline.events import AgentStateChanged

from .browser import chromium, require_chromium
from .support import Node, eventually, running_node
from .test_notifications import lose

LIVE_MS = 5000  # the notifier writes within a second, the page shows it at once


async def signed_in(page: Page, node: Node, name: str, landing: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(f"{node.url}/login?next={landing}")
    await page.locator("input[name=username]").fill(name)
    await page.locator("input[name=password]").fill(f"password-{name}")
    await page.locator("form button[type=submit]").click()
    await expect(page).to_have_url(node.url + landing)
    await expect(page.locator("[data-status]")).to_have_class("status live", timeout=5000)
    await expect(page.locator("[data-notify]")).to_have_attribute("data-loaded", "true")
    page.errors = errors  # type: ignore[attr-defined]


async def test_the_console_shows_plays_and_acknowledges(tmp_path: Path) -> None:
    require_chromium()
    async with (
        running_node(tmp_path) as node,
        chromium("--autoplay-policy=no-user-gesture-required") as browser,
    ):
        page = await browser.new_page()
        await signed_in(page, node, "sup800", "/supervisor")
        count = page.locator("[data-notify-count]")
        await expect(count).to_be_hidden()

        lose(node, "800", "browser-1", "+74951112233")
        lose(node, "801", "browser-2", "+74951112244")  # another queue: not for sup800
        await expect(count).to_have_text("1", timeout=LIVE_MS)
        await expect(page.locator("[data-notify-sound]")).to_have_attribute(
            "data-played", "1", timeout=LIVE_MS
        )
        await page.locator("[data-notify-toggle]").click()
        item = page.locator("[data-notify-list] li.unread")
        await expect(item).to_have_count(1)
        await expect(item).to_contain_text("Lost call")
        await expect(item).to_contain_text("+74951112233")
        await item.get_by_role("button", name="Mark read").click()
        await expect(count).to_be_hidden()
        await expect(page.locator("[data-notify-list] li.unread")).to_have_count(0)

        for index in range(2):
            lose(node, "800", f"browser-more-{index}", f"+7495111230{index}")
        await expect(count).to_have_text("2", timeout=LIVE_MS)
        await page.locator("[data-notify-ack-all]").click()
        await expect(count).to_be_hidden()
        await page.reload()  # acknowledged in the database, not only on the page
        await expect(page.locator("[data-notify-list] li")).to_have_count(3)
        await expect(page.locator("[data-notify-list] li.unread")).to_have_count(0)
        assert page.errors == []  # type: ignore[attr-defined]


async def test_the_agent_panel_in_russian(tmp_path: Path) -> None:
    require_chromium()
    async with running_node(tmp_path) as node, chromium() as browser:
        page = await browser.new_page()
        await signed_in(page, node, "agent101", "/agent?lang=ru")
        lose(node, "800", "browser-ru", "+74951119999")
        await expect(page.locator("[data-notify-count]")).to_have_text("1", timeout=LIVE_MS)
        await page.locator("[data-notify-toggle]").click()
        item = page.locator("[data-notify-list] li.unread")
        await expect(item).to_contain_text("Потерянный звонок")
        await expect(item).to_contain_text("абонент +74951119999")


async def test_a_user_chooses_the_kinds_it_sees_and_hears(tmp_path: Path) -> None:
    require_chromium()
    async with running_node(tmp_path) as node, chromium() as browser:
        page = await browser.new_page()
        await signed_in(page, node, "sup800", "/supervisor")
        await page.locator("[data-notify-toggle]").click()
        await page.locator(".notify-settings summary").click()
        lost = page.locator('[data-notify-kinds] tr[data-kind="lost_call"]')
        await expect(lost.locator('input[data-field="sound"]')).to_be_checked()
        await lost.locator('input[data-field="show"]').uncheck()
        await expect(lost.locator('input[data-field="show"]')).not_to_be_checked()

        async def muted() -> bool:
            answer = await node.http.get(
                "/api/notifications/preferences",
                headers={"Authorization": f"Bearer {await node.token_of('sup800')}"},
            )
            return answer.json()["muted"] == ["lost_call"]

        await eventually(muted)
        lose(node, "800", "browser-muted", "+74951110000")
        # Then one of a kind still shown: when it is there, the muted one had its chance.
        node.hotline.bus.publish(
            AgentStateChanged(agent="101", change="paused", reason="auto", at=time.time())
        )
        await expect(page.locator("[data-notify-count]")).to_have_text("1", timeout=LIVE_MS)
        await expect(page.locator("[data-notify-list] li")).to_have_count(1)
        await expect(page.locator("[data-notify-list] li")).to_contain_text("agent 101")
        assert page.errors == []  # type: ignore[attr-defined]
