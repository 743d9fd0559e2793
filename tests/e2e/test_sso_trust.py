"""Trusted-header SSO over HTTP: honoured only from the configured proxies, never onto a local
(password) account, and password sign-in can be switched off."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from bot.tickets.accounts import hash_password
from bot.tickets.records import Account
from bot.web.auth import behind_proxies
from retrieval.hash_embedder import HashEmbeddings
from tests.conftest import Served, free_port
from tests.fakes import FixedTriage
from tests.sites import Site, build_site, site_config

pytestmark = pytest.mark.e2e

SSO = {"sso_header": "X-Remote-User", "sso_groups_header": "X-Remote-Groups"}
SECRET = "sso-tests-secret-" + "s" * 32


def served(folder, **bot) -> Site:
    """A site with a local admin (password ``admin-pw-1``), not served yet."""
    config = site_config(folder, session_secret=SECRET, **bot)
    site = build_site(config, embedder=HashEmbeddings(), triage=FixedTriage())
    site.store.add_account(Account("admin", "admin"), hash_password("admin-pw-1"))
    return site


def served_plainly(folder, **bot) -> Site:
    """A site served over HTTP as the other tests serve apps."""
    return served(folder, **bot).serve()


@pytest.fixture(scope="module")
def trusted(tmp_path_factory) -> Iterator[Site]:
    """SSO behind a proxy on this host: the tests' client (127.0.0.1) is the proxy."""
    site = served_plainly(
        tmp_path_factory.mktemp("trusted"), sso_trusted_proxies="127.0.0.0/8", **SSO
    )
    yield site
    site.stop()
    site.services.close()


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory) -> Iterator[Site]:
    """SSO behind a proxy somewhere else: the tests' client is just anyone."""
    site = served_plainly(
        tmp_path_factory.mktemp("elsewhere"), sso_trusted_proxies="10.9.0.0/16", **SSO
    )
    yield site
    site.stop()
    site.services.close()


@pytest.fixture(scope="module")
def sso_only(tmp_path_factory) -> Iterator[Site]:
    site = served_plainly(
        tmp_path_factory.mktemp("sso-only"),
        sso_trusted_proxies="127.0.0.1",
        password_login=False,
        **SSO,
    )
    yield site
    site.stop()
    site.services.close()


def session(site: Site, **headers: str) -> httpx.Response:
    return httpx.get(f"{site.url}/api/v1/session", headers=headers, timeout=30)


def test_the_header_from_a_trusted_proxy_signs_in_with_its_groups(trusted) -> None:
    reply = session(trusted, **{"X-Remote-User": "sso.kim", "X-Remote-Groups": "it-staff"})
    assert reply.status_code == 200
    assert reply.json()["account"]["username"] == "sso.kim"
    assert reply.json()["account"]["groups"] == ["it-staff"]


def test_the_header_from_any_other_peer_is_ignored(elsewhere) -> None:
    forged = {"X-Remote-User": "mallory", "X-Remote-Groups": "it-staff,security"}
    assert session(elsewhere, **forged).status_code == 401
    page = httpx.get(f"{elsewhere.url}/agent", headers=forged, timeout=30)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert elsewhere.store.account("mallory") is None  # nobody was created either
    # A write that carries the header is no SSO write: no ambient credential, no account.
    assert httpx.post(f"{elsewhere.url}/api/v1/conversations", headers=forged).status_code == 401


def test_an_sso_name_never_takes_over_an_account_with_a_password(trusted) -> None:
    assert session(trusted, **{"X-Remote-User": "admin"}).status_code == 401
    admin = trusted.store.account("admin")
    assert admin is not None and admin.role == "admin"
    page = httpx.get(f"{trusted.url}/admin", headers={"X-Remote-User": "admin"}, timeout=30)
    assert page.status_code == 303  # sent to sign in, not let in


def test_passwords_still_sign_in_unless_switched_off(trusted, sso_only) -> None:
    credentials = {"username": "admin", "password": "admin-pw-1"}
    ok = httpx.post(f"{trusted.url}/api/v1/session", json=credentials, timeout=30)
    assert ok.status_code == 200
    refused = httpx.post(f"{sso_only.url}/api/v1/session", json=credentials, timeout=30)
    assert refused.status_code == 403 and "single sign-on" in refused.json()["detail"]
    assert httpx.get(f"{sso_only.url}/login", timeout=30).status_code == 403
    assert httpx.post(f"{sso_only.url}/login", data=credentials, timeout=30).status_code == 403
    assert session(sso_only, **{"X-Remote-User": "sso.lee"}).status_code == 200


# -- as `serve` runs it: X-Forwarded-For names the client, never the hop SSO trusts ---------------


def serve_like_serve(site: Site) -> str:
    """Serve ``site.app`` the way ``servicedesk serve`` does (proxy headers from 127.0.0.1)."""
    port = free_port()
    app = behind_proxies(site.app, "127.0.0.1")
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    config.proxy_headers = False  # as `serve` passes it: behind_proxies applies them itself
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    site.served = Served(f"http://127.0.0.1:{port}", server, thread)
    return site.url


def test_a_forwarded_for_header_cannot_make_a_request_come_from_the_proxy(tmp_path) -> None:
    site = served(tmp_path, sso_trusted_proxies="10.9.0.0/16", **SSO)
    try:
        url = serve_like_serve(site)
        spoofed = {"X-Forwarded-For": "10.9.0.1", "X-Remote-User": "mallory"}
        assert httpx.get(f"{url}/api/v1/session", headers=spoofed, timeout=30).status_code == 401
        assert site.store.account("mallory") is None
    finally:
        site.stop()
        site.services.close()


def test_a_trusted_proxy_that_forwards_its_clients_address_still_signs_them_in(tmp_path) -> None:
    site = served(tmp_path, sso_trusted_proxies="127.0.0.1", **SSO)
    try:
        url = serve_like_serve(site)
        proxied = {"X-Forwarded-For": "203.0.113.9", "X-Remote-User": "sso.park"}
        reply = httpx.get(f"{url}/api/v1/session", headers=proxied, timeout=30)
        assert reply.status_code == 200 and reply.json()["account"]["username"] == "sso.park"
    finally:
        site.stop()
        site.services.close()
