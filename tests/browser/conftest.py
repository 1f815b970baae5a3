"""Playwright fixtures: Debian's Chromium, headless, with the network cut off.

The browser tests need ``/usr/bin/chromium`` (``apt-get install chromium``). Without
it they skip locally, but fail when ``CI=true`` so a CI image missing the browser
cannot pass silently. Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request, Route

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = ("file:", "data:")


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Path of Debian's Chromium; skip (or fail when CI=true) if it is not installed."""
    if not CHROMIUM.exists():
        _unavailable(f"browser tests need {CHROMIUM} (apt-get install chromium); it is missing")
    if importlib.util.find_spec("playwright") is None:
        _unavailable("browser tests need the 'playwright' Python package; it is missing")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Browser]:
    """One headless Chromium for the session (a fresh temporary profile)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@dataclass
class PageRecord:
    """A page plus everything it tried that a self-contained file must not do."""

    page: Page
    blocked: list[str] = field(default_factory=list)  # non-local requests (aborted)
    dialogs: list[str] = field(default_factory=list)  # alert/confirm/prompt messages
    errors: list[str] = field(default_factory=list)  # uncaught JS errors, console errors

    def assert_clean(self) -> None:
        assert self.blocked == [], f"page tried to reach the network: {self.blocked}"
        assert self.dialogs == [], f"page opened dialogs: {self.dialogs}"
        assert self.errors == [], f"page reported errors: {self.errors}"


@pytest.fixture
def offline_page(browser: Browser) -> Iterator[PageRecord]:
    """A fresh context and page; every request that is not file: or data: is aborted."""
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    record = PageRecord(page)

    def guard(route: Route) -> None:
        url = route.request.url
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            record.blocked.append(url)
            route.abort()

    def on_request(request: Request) -> None:
        url = request.url
        if not url.startswith(LOCAL_SCHEMES) and url not in record.blocked:
            record.blocked.append(url)

    def on_dialog(dialog: Dialog) -> None:
        record.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            record.errors.append(f"console: {message.text}")

    context.route("**/*", guard)
    page.on("request", on_request)
    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: record.errors.append(f"pageerror: {exc}"))
    try:
        yield record
    finally:
        context.close()
