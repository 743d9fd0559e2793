"""What a person does in the browser, shared by the browser tests."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.browser.site import PASSWORDS


def sign_in(page: Page, username: str, next_path: str = "/") -> None:
    """Sign in through the /login form and wait for the signed-in page."""
    page.goto(f"/login?next={next_path}")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORDS[username])
    page.get_by_test_id("login-button").click()
    expect(page.get_by_test_id("nav-user")).to_be_visible()


def shoot(page: Page, folder: Path | None, name: str, full_page: bool = True) -> None:
    """Save a screenshot for the README when screenshots were asked for."""
    if folder is not None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def ask(page: Page, question: str) -> Locator:
    """Ask in the chat and wait for the streamed answer to finish; return its bubble."""
    expect(page.locator("body[data-chat-ready='1']")).to_be_attached()
    earlier = page.get_by_test_id("answer-bubble").count()
    page.get_by_test_id("chat-input").fill(question)
    page.get_by_test_id("send-button").click()
    bubble = page.get_by_test_id("answer-bubble").nth(earlier)
    expect(bubble).to_have_attribute("data-state", "done", timeout=30_000)
    return bubble
