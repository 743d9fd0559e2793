"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser).

The Debian package is installed by `make system-deps` (a prerequisite of `make test`), never
here: without it the browser tests fail, saying so. It is launched through the pytest-playwright
plugin's own fixtures with ``executable_path`` (mixing the plugin with a plain
``sync_playwright()`` in one session fails).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.site import Site, start_site

CHROMIUM = "/usr/bin/chromium"


def _chromium() -> str:
    """Return Debian's chromium binary; fail naming `make system-deps` when it is missing."""
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found is None:
        pytest.fail(
            f"chromium is not installed (no `chromium` on PATH, no {CHROMIUM}): run "
            "`make system-deps` (Debian's chromium package; `make test` runs it first)",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's chromium, headless."""
    return {**browser_type_launch_args, "executable_path": _chromium(), "headless": True}


@pytest.fixture(scope="session")
def screenshots() -> Path | None:
    """Where to save page screenshots (``SCREENSHOTS_DIR``, outside the settings' prefix: a test
    setting; `make screenshots` sets docs/screenshots), or None to skip saving."""
    target = os.environ.get("SCREENSHOTS_DIR")
    if not target:
        return None
    path = Path(target)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def desk_site(tmp_path_factory) -> Iterator[Site]:
    """The real app on its own small knowledge base and SQLite store, shared by the browser tests
    (one ingestion with the real embedder per session keeps the tier fast)."""
    site = start_site(tmp_path_factory.mktemp("browser"))
    yield site
    site.stop()
    site.services.close()


@pytest.fixture(scope="session")
def base_url(desk_site: Site) -> str:
    """Relative URLs in page.goto resolve against the live site."""
    return desk_site.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args) -> dict:
    """A laptop-sized window; the Korean UI, as most employees' browsers ask for."""
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}, "locale": "ko-KR"}


@pytest.fixture
def open_page(browser: Browser, browser_context_args) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context (its own cookies: one person each).

    Script errors and Content Security Policy violations on any page fail the test: a broken
    page is a bug users notice, and a refused script or style is a page the policy broke.
    """
    contexts, errors = [], []

    def open_(locale: str = "ko-KR") -> Page:
        context = browser.new_context(**{**browser_context_args, "locale": locale})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: _csp_violation(msg.type, msg.text, page.url, errors))
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, errors


def _csp_violation(kind: str, text: str, url: str, errors: list[str]) -> None:
    """Record a console error that reports a Content Security Policy violation."""
    if kind == "error" and "Content Security Policy" in text:
        errors.append(f"{url}: {text}")
