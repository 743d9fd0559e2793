"""An admin adds an account in the browser; its first sign-in must choose a new password; the
admin then disables it and the person's open page is signed out (under the strict policy)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.actions import sign_in

pytestmark = pytest.mark.browser

CHOSEN = "han-chose-this-1"


def test_an_added_account_changes_its_password_and_disabling_signs_it_out(open_page) -> None:
    admin = open_page("en-US")
    sign_in(admin, "admin", "/admin")
    admin.get_by_test_id("admin-nav-accounts").click()
    admin.get_by_test_id("account-username").fill("browser-han")
    admin.get_by_test_id("account-role").select_option("agent")
    admin.get_by_test_id("account-name").fill("Han")
    admin.get_by_test_id("account-groups").fill("Network")
    admin.get_by_test_id("account-add").click()
    expect(admin.get_by_test_id("account-done")).to_have_attribute("data-done", "create")
    password = admin.get_by_test_id("account-password").inner_text().strip()
    assert len(password) == 16

    han = open_page("en-US")
    han.goto("/login?next=/agent")
    han.get_by_test_id("login-username").fill("browser-han")
    han.get_by_test_id("login-password").fill(password)
    han.get_by_test_id("login-button").click()
    expect(han.get_by_test_id("password-required")).to_be_visible()  # must choose one first
    han.get_by_test_id("password-current").fill(password)
    han.get_by_test_id("password-new").fill(CHOSEN)
    han.get_by_test_id("password-again").fill(CHOSEN)
    han.get_by_test_id("password-button").click()
    expect(han).to_have_url(re.compile(r".*/agent$"))

    admin.goto("/admin/accounts/browser-han")  # the result page was a POST: do not resend it
    asked: list[str] = []
    admin.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    admin.get_by_test_id("account-disable").click()
    expect(admin.get_by_test_id("account-done")).to_have_attribute("data-done", "disable")
    assert asked and "browser-han" in asked[0]

    han.reload()
    expect(han).to_have_url(re.compile(r".*/login\?next="))
    expect(han.get_by_test_id("nav-signin")).to_be_visible()
