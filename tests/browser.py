"""A real headless Chromium for the browser tests: Debian's `chromium` package driven by Playwright
(no browser download). `make test` installs the package where it can (scripts/ensure-browser.sh)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Browser, async_playwright

# Chromium reaches out to Google's services at start unless told not to; this machine has no
# internet, and the pages under test must not need it either.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("FERRY_TEST_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise RuntimeError(
            "No Chromium found: install Debian's package (apt-get install chromium) or set "
            "FERRY_TEST_CHROMIUM to a Chromium binary. `make test` installs it where it can."
        )
    return path


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()
