"""Every response of the served app carries the security headers; signed-in pages are not cached;
the API docs page exists only when configured, and ReDoc never."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.tickets.accounts import hash_password
from bot.tickets.records import Account
from tests import sites
from tests.conftest import make_kb
from tests.fakes import FixedTriage
from tests.sites import Site, build_site, site_config

pytestmark = pytest.mark.e2e

PASSWORD = "employee-pw-1"


def served(tmp_path_factory, name: str, **bot) -> Site:
    root = tmp_path_factory.mktemp(name)
    config = site_config(root / "data", database_url=f"sqlite:///{root}/desk.db", **bot)
    site = build_site(config, kb=make_kb(root / "data"), triage=FixedTriage(), serve=True)
    site.store.add_account(Account("employee", "employee"), hash_password(PASSWORD))  # type: ignore[arg-type]
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    site = served(tmp_path_factory, "headers")
    yield site
    site.stop()
    site.services.close()


@pytest.fixture(scope="module")
def locked_down(tmp_path_factory) -> Iterator[Site]:
    site = served(tmp_path_factory, "locked", api_docs=False, cookie_secure=True)
    yield site
    site.stop()
    site.services.close()


def signed_in(url: str) -> httpx.Client:
    return sites.sign_in(url, "employee", PASSWORD)


@pytest.mark.parametrize("path", ["/", "/login", "/search?q=vpn", "/api/v1/search?q=vpn", "/nope"])
def test_every_response_forbids_framing_sniffing_inline_script_and_foreign_referrers(site, path):
    response = httpx.get(site.url + path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "style-src 'self';" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # cookies are not HTTPS-only here


def test_signed_in_pages_are_not_stored_but_static_files_and_anonymous_pages_may_be(site):
    assert "no-store" not in httpx.get(site.url + "/login").headers.get("cache-control", "")
    client = signed_in(site.url)
    try:
        for path in ("/", "/tickets", "/api/v1/session"):
            assert client.get(path).headers["cache-control"] == "no-store", path
        assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")
    finally:
        client.close()


def test_api_docs_are_served_with_their_own_policy_and_redoc_not_at_all(site):
    docs = httpx.get(site.url + "/api/docs")
    assert docs.status_code == 200
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    assert httpx.get(site.url + "/redoc").status_code == 404
    assert httpx.get(site.url + "/api/v1/openapi.json").status_code == 200


def test_production_settings_turn_the_docs_off_and_add_hsts(locked_down):
    assert httpx.get(locked_down.url + "/api/docs").status_code == 404
    assert httpx.get(locked_down.url + "/api/v1/openapi.json").status_code == 200
    hsts = httpx.get(locked_down.url + "/login").headers["strict-transport-security"]
    assert hsts.startswith("max-age=31536000")
