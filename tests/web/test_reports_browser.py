"""The reports page in a real browser (Debian's Chromium, headless, driven by Playwright)
against a running node with generated history: a supervisor picks reports, sees its queue's
figures only, in a table whose headers explain their metric and a chart drawn as SVG, pages
through a list, and downloads the files; the same page in Russian, pause reasons' labels too.
No page logs a console error."""

from __future__ import annotations

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from hotline.history import generate_history, plan_for
from hotline.store import EventWriter

from . import support
from .browser import chromium, require_chromium
from .support import running_node

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def sign_in(page: Page, url: str, name: str) -> None:
    await expect(page).to_have_url(f"{url}/login?next=%2Freports")
    await page.get_by_label("User name").fill(name)
    await page.get_by_label("Password").fill(f"password-{name}")
    await page.locator("form button[type=submit]").click()
    await expect(page).to_have_url(f"{url}/reports")


async def test_reports_page_in_both_languages(tmp_path: Path) -> None:
    require_chromium()
    async with running_node(tmp_path) as node:
        store = node.hotline.store
        assert store is not None
        today = datetime.date.today()
        plan = plan_for(node.hotline.config, days=1, calls_per_day=300, seed=4, end=today)
        await generate_history(plan, EventWriter(store.database))
        day = (today - datetime.timedelta(days=1)).isoformat()
        errors: list[str] = []
        async with chromium() as browser:
            context = await browser.new_context()
            page = await context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(f"{node.url}/reports")
            await sign_in(page, node.url, "sup800")
            await expect(page.locator("h1")).to_have_text("Reports")
            await expect(page.locator("body")).to_have_attribute(
                "data-report-shown", "queue_performance"
            )
            # Only the supervisor's queue is offered, and only its figures come back.
            await expect(page.locator('input[name="queues"]')).to_have_count(1)
            await page.locator("[data-from]").fill(day)
            await page.locator("[data-to]").fill(day)
            await page.locator("[data-report-select]").select_option("queue_performance")
            await page.get_by_role("button", name="Show").click()
            rows = page.locator("[data-report-rows] tr")
            await expect(rows).to_have_count(1)
            await expect(rows.first.locator("td").first).to_have_text("800")
            header = page.locator('th[data-column="service_level"]')
            await expect(header).to_have_text("Service level, %")
            formula = "Answered within the SLA threshold (20 s by default) ÷ offered × 100."
            await expect(header).to_have_attribute(
                "title", f"{formula} Amber past 80, red past 70."
            )
            level = await rows.first.locator("td").nth(6).get_attribute("data-level")
            sla = float((await rows.first.locator("td").nth(6).inner_text()).replace(",", ""))
            assert level == ("critical" if sla < 70 else "warning" if sla < 80 else None)
            await expect(page.locator("[data-chart] svg rect.bar")).to_have_count(1)
            # A report by hour of the day draws a bar an hour, one by interval a line, and the
            # downloads are the report's files.
            await page.locator("[data-report-select]").select_option("distribution_hour")
            await expect(page.locator("[data-report-rows] tr")).to_have_count(24)
            await expect(page.locator("[data-chart] svg rect.bar")).to_have_count(24)
            await page.locator("[data-report-select]").select_option("sla_by_interval")
            await expect(page.locator("[data-chart] svg polyline.line")).to_have_count(1)
            await expect(page.locator("[data-chart] svg rect.bar")).to_have_count(0)
            await page.locator("[data-report-select]").select_option("distribution_hour")
            await expect(page.locator("[data-report-rows] tr")).to_have_count(24)
            href = await page.locator('[data-download="csv"]').get_attribute("href")
            assert href is not None and "format=csv" in href and "queues=800" in href
            download = await context.request.get(f"{node.url}{href}")
            assert download.ok and (await download.text()).startswith("Period,Offered")
            # A list comes a page at a time; its download has every row of the period.
            asked = f"{node.url}/api/reports/call_detail?from={day}&to={day}&queues=800&limit=1"
            total = (await (await context.request.get(asked)).json())["total"]
            assert total > 100, "more calls than a page"
            await page.locator("[data-report-select]").select_option("call_detail")
            pages = page.locator("[data-page-rows]")
            await expect(pages).to_have_text(f"Rows 1–100 of {total}")
            await expect(rows).to_have_count(100)
            await expect(page.get_by_role("button", name="Previous")).to_be_disabled()
            newest = await rows.first.locator("td").nth(1).inner_text()  # its call id
            await page.get_by_role("button", name="Next").click()
            last = min(total, 200)
            await expect(pages).to_have_text(f"Rows 101–{last} of {total}")
            await expect(rows).to_have_count(last - 100)
            await expect(rows.first.locator("td").nth(1)).not_to_have_text(newest)
            await page.get_by_role("button", name="Previous").click()
            await expect(pages).to_have_text(f"Rows 1–100 of {total}")
            await expect(rows.first.locator("td").nth(1)).to_have_text(newest)
            href = await page.locator('[data-download="csv"]').get_attribute("href")
            assert href is not None and "offset" not in href
            download = await context.request.get(f"{node.url}{href}")
            assert len((await download.text()).splitlines()) == 1 + total
            # A report that is no list has no pages.
            await page.locator("[data-report-select]").select_option("queue_performance")
            await expect(page.locator("[data-report-rows] tr")).to_have_count(1)
            await expect(page.locator("[data-pages]")).to_be_hidden()
            # In Russian, from a link carrying the form's fields.
            await page.goto(
                f"{node.url}/reports?lang=ru&report=queue_performance&from={day}&to={day}"
            )
            await expect(page.locator("h1")).to_have_text("Отчёты")
            await expect(page.locator("[data-report-title]")).to_have_text("Показатели очередей")
            await expect(page.locator('th[data-column="queue"]')).to_have_text("Очередь")
            await expect(page.locator("[data-report-totals] td").first).to_have_text("Итого")
            # Pause reasons read in Russian, though the API's rows keep their names.
            await page.locator("[data-report-select]").select_option("pauses_by_reason")
            reasons = page.locator("[data-report-rows] tr td:nth-child(2)")
            await expect(reasons.filter(has_text="Обед").first).to_be_visible()
            await expect(reasons.filter(has_text="lunch")).to_have_count(0)
            await page.goto(f"{node.url}/reports?lang=ru&report=call_detail&from={day}&to={day}")
            await expect(page.locator("[data-page-rows]")).to_have_text(f"Строки 1–100 из {total}")
            await page.get_by_role("button", name="Далее").click()
            await expect(page.locator("[data-page-rows]")).to_have_text(
                f"Строки 101–{last} из {total}"
            )
            await context.close()
        assert errors == []


async def test_the_period_is_the_sites_today_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_chromium()
    now = datetime.datetime.now(datetime.UTC)
    # At any moment one of these zones (UTC+14, UTC-11) is on another date than UTC.
    zone = next(z for z in ("Pacific/Kiritimati", "Pacific/Pago_Pago")
                if now.astimezone(ZoneInfo(z)).date() != now.date())  # fmt: skip
    site = support.CONFIG.replace("[server]\n", f'[server]\ntimezone = "{zone}"\n', 1)
    monkeypatch.setattr(support, "CONFIG", site)
    async with running_node(tmp_path) as node, chromium() as browser:
        page = await browser.new_page()
        await page.goto(f"{node.url}/reports")
        await sign_in(page, node.url, "sup800")
        await expect(page.locator("body")).to_have_attribute(
            "data-report-shown", "queue_performance"
        )
        today = datetime.datetime.now(ZoneInfo(zone)).date().isoformat()
        await expect(page.locator("[data-from]")).to_have_value(today)
        await expect(page.locator("[data-to]")).to_have_value(today)
