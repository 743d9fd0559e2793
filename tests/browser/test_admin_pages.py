"""Admins upload articles that are searchable at once and read the dashboard; nobody else may."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.actions import shoot, sign_in

pytestmark = pytest.mark.browser

ARTICLE_ID = "KB-STAPLER-001"
STAPLER = f"""---
id: {ARTICLE_ID}
title: Quantum stapler jams
tags: [office, stapler]
lang: en
---
# Quantum stapler jams

When the quantum stapler jams, open the tachyon tray and remove the bent staples.
Then hold the recalibrate button for five seconds until the light turns green.
"""


def test_an_uploaded_file_is_searchable_at_once(open_page, desk_site, screenshots) -> None:
    page = open_page("en-US")
    sign_in(page, "admin", "/admin")
    expect(page.get_by_test_id("nav-admin")).to_be_visible()
    expect(page.get_by_test_id("kpi-conversations").get_by_test_id("kpi-value")).not_to_have_text(
        "0"
    )
    expect(page.locator("#chart-weekly-volume")).to_be_visible()
    shoot(page, screenshots, "07-admin-dashboard")

    page.get_by_test_id("admin-nav-upload").click()
    good = {"name": "stapler.md", "mimeType": "text/markdown", "buffer": STAPLER.encode()}
    bad = {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"not a PDF at all"}
    page.get_by_test_id("upload-input").set_input_files([good, bad])
    page.get_by_test_id("upload-button").click()
    added = page.locator("[data-testid=upload-result][data-status=added]")
    expect(added).to_have_text(f"ADDED stapler.md: {ARTICLE_ID}", timeout=30_000)
    failed = page.locator("[data-testid=upload-result][data-status=failed]")
    expect(failed).to_contain_text("FAILED scan.pdf")  # one bad file does not sink the rest
    shoot(page, screenshots, "08-admin-upload")

    page.goto("/search?q=tachyon tray stapler jam")
    first = page.get_by_test_id("search-hit").first
    expect(first.locator("h3 a")).to_have_attribute("href", f"/articles/{ARTICLE_ID}")
    page.goto("/admin/articles")
    expect(
        page.locator(f"[data-testid=article-row][data-article-id='{ARTICLE_ID}']")
    ).to_be_visible()
    shoot(page, screenshots, "09-admin-articles")


@pytest.mark.parametrize("role", ["employee", "agent"])
def test_only_admins_see_and_open_the_admin_pages(open_page, role) -> None:
    page = open_page("en-US")
    sign_in(page, role)
    expect(page.get_by_test_id("nav-user")).to_be_visible()
    expect(page.get_by_test_id("nav-admin")).to_have_count(0)
    for path in ("/admin", "/admin/upload", "/admin/articles"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
    expect(page.get_by_test_id("upload-input")).to_have_count(0)


def test_deleting_an_article_asks_first_under_the_strict_policy(open_page) -> None:
    # The confirmation is a handler in a static script (the CSP forbids inline ones): dismissing
    # it keeps the article, accepting it deletes the article.
    article = STAPLER.replace(ARTICLE_ID, "KB-STAPLER-002").replace("Quantum", "Photon")
    page = open_page("en-US")
    sign_in(page, "admin", "/admin/upload")
    upload = {"name": "photon.md", "mimeType": "text/markdown", "buffer": article.encode()}
    page.get_by_test_id("upload-input").set_input_files([upload])
    page.get_by_test_id("upload-button").click()
    added = page.locator("[data-testid=upload-result][data-status=added]")
    expect(added).to_have_text("ADDED photon.md: KB-STAPLER-002", timeout=30_000)

    page.goto("/admin/articles/KB-STAPLER-002")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_test_id("article-delete").click()
    expect(page).to_have_url(re.compile(r".*/admin/articles/KB-STAPLER-002$"))
    assert asked and "KB-STAPLER-002" in asked[0]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("article-delete").click()
    page.goto("/admin/articles")
    row = page.locator("[data-testid=article-row][data-article-id='KB-STAPLER-002']")
    expect(row).to_have_count(0)
