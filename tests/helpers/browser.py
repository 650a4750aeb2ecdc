"""Debian's chromium driven by Playwright: fixtures ``browser``, ``page`` and ``dialogs`` (loaded by
tests/conftest.py as a plugin) and what widget tests do on a page. Playwright is imported only
when a browser test runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers.corpus import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "widget"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is missing: install it with `bash scripts/setup.sh --browser`",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def dialogs() -> list[str]:
    """The messages of the alerts a page opened (an XSS would show up here)."""
    return []


@pytest.fixture
def page(browser: Browser, dialogs: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    new_page = context.new_page()

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    new_page.on("dialog", record)
    yield new_page
    context.close()


def open_widget(page: Page) -> None:
    from playwright.sync_api import expect

    page.locator(".launcher").click()
    expect(page.locator(".panel")).to_be_visible()


def shot(page: Page, name: str) -> None:
    """A screenshot in test-output/widget/."""
    page.screenshot(path=str(SHOTS / name))
