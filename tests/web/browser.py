"""Debian's Chromium, headless, driven by Playwright: what the browser tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = Path("/usr/bin/chromium")


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (Debian package chromium; .ci/run installs it)")


@asynccontextmanager
async def chromium(*args: str) -> AsyncIterator[Browser]:
    """Chromium with ``args`` besides ours (``--autoplay-policy=...`` for a sound)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", *args],  # CI runs as root
        )
        yield browser
        await browser.close()
