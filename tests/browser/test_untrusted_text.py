"""Markup typed by employees or found in articles is shown as text and never runs; the UI speaks
the browser's language until the person switches it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from bot.web.i18n import texts
from tests.browser.actions import ask, shoot, sign_in
from tests.browser.site import XSS_ID

pytestmark = pytest.mark.browser

PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
ARTICLE_SCRIPT = "<script>window.__pwned = 1</script>"
ARTICLE_IMG = '<img src=x onerror="window.__pwned = 2">'
TITLE_SCRIPT = "<script>window.__pwned = 3</script>"


def assert_nothing_ran(page: Page) -> None:
    """No injected script ran and no injected image exists."""
    page.wait_for_timeout(300)  # an onerror handler fires once the broken image fails to load
    assert page.evaluate("window.__pwned") is None
    expect(page.locator("main img")).to_have_count(0)


def test_a_question_with_markup_is_shown_as_text(open_page, desk_site) -> None:
    employee = open_page("en-US")
    sign_in(employee, "employee")
    ask(employee, PAYLOAD)
    expect(employee.get_by_test_id("user-bubble").last).to_have_text(PAYLOAD)
    assert_nothing_ran(employee)

    employee.get_by_test_id("talk-to-person-button").last.click()
    expect(employee.get_by_test_id("draft-form")).to_be_visible()
    employee.get_by_test_id("file-ticket-button").click()
    number = employee.get_by_test_id("ticket-number")
    expect(number).not_to_be_empty()

    agent = open_page("en-US")
    sign_in(agent, "agent", f"/agent/tickets/{number.inner_text()}")
    expect(agent.get_by_test_id("ticket-transcript")).to_contain_text(PAYLOAD)
    assert_nothing_ran(agent)


def test_an_article_with_markup_is_shown_as_text(open_page) -> None:
    page = open_page("en-US")
    page.goto(f"/articles/{XSS_ID}")
    expect(page.get_by_test_id("article-title")).to_contain_text(TITLE_SCRIPT)
    expect(page.locator("pre.chunk").first).to_contain_text(ARTICLE_SCRIPT)
    expect(page.locator("pre.chunk").first).to_contain_text(ARTICLE_IMG)
    assert_nothing_ran(page)

    page.goto("/search?q=Zebrafax paste")
    expect(page.get_by_test_id("search-hit").first).to_contain_text(TITLE_SCRIPT)
    assert_nothing_ran(page)

    sign_in(page, "employee")
    bubble = ask(page, "How do I paste into the Zebrafax console?")
    expect(bubble.get_by_test_id("source-link").first).to_contain_text(TITLE_SCRIPT)
    assert_nothing_ran(page)


def test_the_ui_follows_the_browser_language_until_switched(open_page, screenshots) -> None:
    ko, en = texts("ko"), texts("en")
    page = open_page("ko-KR")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_test_id("login-button")).to_have_text(ko["login_submit"])
    shoot(page, screenshots, "01-login", full_page=False)

    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("login-button")).to_have_text(en["login_submit"])
    page.goto("/search")  # the choice sticks without ?lang
    expect(page.get_by_test_id("search-button")).to_have_text(en["search"])
    sign_in(page, "employee")
    expect(page.get_by_test_id("nav-chat")).to_have_text(en["nav_chat"])
