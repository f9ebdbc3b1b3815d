"""Pause reasons in the page's language: the catalogs label the default reasons, a site labels
its own (``[agents.pause_labels.<language>]``), and a reason with neither reads as its name.
The agent panel's and the console's reason lists, the pages' catalogs and the reports (JSON
labels beside the names the rows keep, and the files' cells) over a running node."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openpyxl
import pytest
import pytest_asyncio
from pypdf import PdfReader

from hotline.config import parse_config
from hotline.web.pause_labels import pause_labels, reason_choices

from .support import Node, eventually, running_node

on_node = pytest.mark.asyncio(loop_scope="module")  # the tests sharing the module's node

SITE = """
[agents]
pause_reasons = { "1" = "break", "2" = "lunch", "4" = "smoke" }

[agents.pause_labels.ru]
smoke = "Перекур"

[agents.pause_labels.en]
lunch = "Lunch break"
"""


def test_the_sites_label_wins_then_the_catalogs_then_the_name() -> None:
    agents = parse_config(SITE).agents
    assert reason_choices(agents, "ru") == [
        ("break", "Перерыв"), ("lunch", "Обед"), ("smoke", "Перекур")]  # fmt: skip
    assert reason_choices(agents, "en") == [
        ("break", "Break"), ("lunch", "Lunch break"), ("smoke", "smoke")]  # fmt: skip
    russian = pause_labels(agents, "ru")
    assert (russian["pause"], russian["auto"], russian["training"]) == (
        "Без причины", "Пропущенные звонки", "Обучение")  # fmt: skip
    assert pause_labels(agents, "fr") == pause_labels(agents, "en")  # a scheduled report's


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def node(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Node]:
    async with running_node(tmp_path_factory.mktemp("labels"), extra=SITE) as running:
        yield running


async def _page(node: Node, path: str, user: str) -> str:
    headers = {"Authorization": f"Bearer {await node.token_of(user)}"}
    async with httpx.AsyncClient(base_url=node.url, headers=headers) as browser:
        response = await browser.get(path)
    assert response.status_code == 200, response.text
    return response.text


def _options(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<option value="([^"]+)">([^<]*)</option>', page)


def _catalog(page: str) -> Any:
    match = re.search(r'id="hotline-i18n">(.*?)</script>', page)
    assert match, page
    return json.loads(match.group(1))


@on_node
async def test_the_panel_and_the_console_offer_reasons_by_their_label(node: Node) -> None:
    russian = await _page(node, "/agent?lang=ru", "agent101")
    assert _options(russian) == [("break", "Перерыв"), ("lunch", "Обед"), ("smoke", "Перекур")]
    english = await _page(node, "/agent?lang=en", "agent101")
    assert _options(english) == [("break", "Break"), ("lunch", "Lunch break"), ("smoke", "smoke")]
    console = await _page(node, "/supervisor?lang=ru", "sup800")
    assert _options(console) == _options(russian)


@on_node
async def test_the_pages_scripts_get_the_sites_labels_in_their_catalog(node: Node) -> None:
    for path, user in (("/supervisor", "sup800"), ("/wallboard/800", "wall")):
        catalog = _catalog(await _page(node, f"{path}?lang=ru", user))
        assert catalog["pause_reason.smoke"] == "Перекур"  # the site's
        assert catalog["pause_reason.lunch"] == "Обед"  # ours
        catalog = _catalog(await _page(node, f"{path}?lang=en", user))
        assert catalog["pause_reason.lunch"] == "Lunch break"
        assert "pause_reason.smoke" not in catalog  # reads as its name


async def _pauses(node: Node, **params: str) -> httpx.Response:
    return await node.http.get("/api/reports/pauses_by_reason", params=params)


@on_node
async def test_reports_keep_the_names_and_label_them_in_the_asked_language(node: Node) -> None:
    for agent, reason in (("101", "smoke"), ("104", "lunch")):
        assert (await node.http.post(f"/api/agents/{agent}/login")).status_code == 200
        paused = await node.http.post(f"/api/agents/{agent}/pause", json={"reason": reason})
        assert paused.json()["pause_reason"] == reason  # the API speaks names

    async def both_written() -> dict[str, Any] | None:
        data: dict[str, Any] = (await _pauses(node, lang="ru")).json()
        return data if len(data["rows"]) == 2 else None

    data = await eventually(both_written)
    assert [(r["agent"], r["reason"]) for r in data["rows"]] == [("101", "smoke"), ("104", "lunch")]
    assert data["labels"]["reason"]["smoke"] == "Перекур"
    assert data["labels"]["reason"]["lunch"] == "Обед"
    english = (await _pauses(node, lang="en")).json()["labels"]["reason"]
    assert (english["lunch"], english.get("smoke")) == ("Lunch break", None)
    calls = (await node.http.get("/api/reports/call_detail", params={"lang": "ru"})).json()
    # No column of reasons there; its outcome column is labelled from the catalog.
    assert set(calls["labels"]) == {"disposition"}
    assert calls["labels"]["disposition"]["abandoned"] == "Брошен"

    table = list(csv.reader(io.StringIO((await _pauses(node, format="csv", lang="ru")).text)))
    assert [row[:2] for row in table[1:3]] == [["101", "Перекур"], ["104", "Обед"]]
    table = list(csv.reader(io.StringIO((await _pauses(node, format="csv", lang="en")).text)))
    assert [row[:2] for row in table[1:3]] == [["101", "smoke"], ["104", "Lunch break"]]
    xlsx = (await _pauses(node, format="xlsx", lang="ru")).content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx))["pauses_by_reason"]
    assert (sheet["B2"].value, sheet["B3"].value) == ("Перекур", "Обед")
    pdf = PdfReader(io.BytesIO((await _pauses(node, format="pdf", lang="ru")).content))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Перекур" in text and "Обед" in text and "smoke" not in text
