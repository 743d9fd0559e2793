"""Revoking sessions over HTTP: a cookie taken before a password change, disabling, a role
change or "sign out everywhere" stops working; signing out here leaves other sessions alone."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.tickets import accounts
from bot.tickets.accounts import hash_password
from bot.tickets.records import Account
from bot.web.sessions import decode_session, encode_session
from retrieval.hash_embedder import HashEmbeddings
from tests.fakes import FixedTriage
from tests.sites import Site, build_site, sign_in, site_config

pytestmark = pytest.mark.e2e

SECRET = "account-session-tests-" + "s" * 32
PASSWORD = "lee-password-1"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    config = site_config(tmp_path_factory.mktemp("sessions"), session_secret=SECRET)
    site = build_site(config, embedder=HashEmbeddings(), triage=FixedTriage()).serve()
    site.store.add_account(Account("admin", "admin"), hash_password("admin-password-1"))
    yield site
    site.stop()
    site.services.close()


@pytest.fixture
def lee(site: Site, request) -> str:
    """A fresh agent account per test (named after the test), password ``PASSWORD``."""
    name = "lee-" + request.node.name[-40:].replace("_", "-")
    site.store.add_account(Account(name, "agent"), hash_password(PASSWORD))
    return name


def _copied(client: httpx.Client, site: Site) -> httpx.Client:
    """Another client carrying the same cookies (a stolen or second-browser copy)."""
    return httpx.Client(base_url=site.url, cookies=dict(client.cookies), timeout=30)


def _signed_out(client: httpx.Client) -> bool:
    api = client.get("/api/v1/session").status_code == 401
    page = client.get("/agent", follow_redirects=False)
    return api and page.status_code == 303 and page.headers["location"].startswith("/login")


def test_a_cookie_copied_before_a_password_change_is_signed_out_after_it(
    site: Site, lee: str
) -> None:
    client = sign_in(site.url, lee, PASSWORD)
    copy = _copied(client, site)
    assert copy.get("/api/v1/session").json()["account"]["username"] == lee

    accounts.change_password(site.store, lee, "a-new-password-2")

    assert _signed_out(copy) and _signed_out(client)
    assert sign_in(site.url, lee, "a-new-password-2").get("/api/v1/session").status_code == 200


@pytest.mark.parametrize(
    "revoke",
    [
        lambda store, name: accounts.set_active(store, name, False),
        lambda store, name: accounts.set_role(store, name, "employee"),
        lambda store, name: accounts.sign_out_everywhere(store, name),
    ],
    ids=["disable", "role", "everywhere"],
)
def test_disable_role_change_and_sign_out_everywhere_revoke_cookies(
    site: Site, lee: str, revoke
) -> None:
    client = sign_in(site.url, lee, PASSWORD)
    revoke(site.store, lee)
    assert client.get("/api/v1/session").status_code == 401


def test_sign_out_everywhere_from_the_browser_ends_the_other_sessions(site: Site, lee: str) -> None:
    laptop = sign_in(site.url, lee, PASSWORD)
    phone = sign_in(site.url, lee, PASSWORD)
    token = laptop.headers["X-CSRF-Token"]
    done = laptop.post("/logout/everywhere", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert phone.get("/api/v1/session").status_code == 401


def test_api_sign_out_everywhere_ends_the_other_sessions(site: Site, lee: str) -> None:
    laptop = sign_in(site.url, lee, PASSWORD)
    phone = sign_in(site.url, lee, PASSWORD)
    assert laptop.delete("/api/v1/session", params={"everywhere": "true"}).status_code == 204
    assert phone.get("/api/v1/session").status_code == 401


def test_plain_sign_out_leaves_other_sessions_alone(site: Site, lee: str) -> None:
    laptop = sign_in(site.url, lee, PASSWORD)
    phone = sign_in(site.url, lee, PASSWORD)
    assert laptop.delete("/api/v1/session").status_code == 204
    assert phone.get("/api/v1/session").status_code == 200


def _cookie(lee: str, seen_ago: float, **extra) -> dict:
    now = time.time()
    session = {"u": lee, "v": 0, "csrf": "t", "exp": int(now + 3600), "seen": int(now - seen_ago)}
    return {"sd_session": encode_session({**session, **extra}, SECRET)}


def test_a_session_unused_past_the_idle_timeout_is_signed_out(site: Site, lee: str) -> None:
    idle = site.config.bot.session_idle_minutes * 60
    stale = httpx.get(f"{site.url}/api/v1/session", cookies=_cookie(lee, idle + 5), timeout=30)
    assert stale.status_code == 401
    fresh = httpx.get(f"{site.url}/api/v1/session", cookies=_cookie(lee, idle - 60), timeout=30)
    assert fresh.status_code == 200


def test_the_last_use_time_is_reissued_at_most_once_a_minute(site: Site, lee: str) -> None:
    used_now = httpx.get(f"{site.url}/api/v1/session", cookies=_cookie(lee, 5), timeout=30)
    assert used_now.status_code == 200 and "sd_session" not in used_now.headers.get(
        "set-cookie", ""
    )
    used_before = httpx.get(f"{site.url}/api/v1/session", cookies=_cookie(lee, 120), timeout=30)
    reissued = decode_session(used_before.cookies["sd_session"], SECRET)
    assert reissued["u"] == lee and time.time() - reissued["seen"] < 30


def test_a_session_without_a_last_use_time_is_signed_out(site: Site, lee: str) -> None:
    cookies = _cookie(lee, 0, seen=None)
    assert httpx.get(f"{site.url}/api/v1/session", cookies=cookies, timeout=30).status_code == 401


def test_secure_cookies_use_the_host_prefix(tmp_path) -> None:
    config = site_config(tmp_path, session_secret=SECRET, cookie_secure=True)
    site = build_site(config, embedder=HashEmbeddings(), triage=FixedTriage()).serve()
    try:
        site.store.add_account(Account("kim", "employee"), hash_password(PASSWORD))
        done = httpx.post(
            f"{site.url}/api/v1/session", json={"username": "kim", "password": PASSWORD}
        )
        header = done.headers["set-cookie"]
        assert header.startswith("__Host-sd_session=")
        assert "secure" in header.lower() and "path=/" in header.lower()
        assert "domain" not in header.lower()
        value = header.split(";")[0].split("=", 1)[1]
        prefixed = {"cookie": f"__Host-sd_session={value}"}
        plain = {"cookie": f"sd_session={value}"}
        assert httpx.get(f"{site.url}/api/v1/session", headers=prefixed).status_code == 200
        assert httpx.get(f"{site.url}/api/v1/session", headers=plain).status_code == 401
        token = {"x-csrf-token": done.json()["csrf_token"]}
        signed_out = httpx.delete(f"{site.url}/api/v1/session", headers={**prefixed, **token})
        assert signed_out.status_code == 204
        assert signed_out.headers["set-cookie"].startswith("__Host-sd_session=")
        assert "secure" in signed_out.headers["set-cookie"].lower()
    finally:
        site.stop()
        site.services.close()


def _form_token(client: httpx.Client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_a_seeded_account_must_change_its_password_before_anything_else(tmp_path) -> None:
    config = site_config(tmp_path, session_secret=SECRET)
    site = build_site(config, embedder=HashEmbeddings(), triage=FixedTriage()).serve()
    try:
        seeded = accounts.seed_demo_accounts(site.store)["agent"]
        client = httpx.Client(base_url=site.url, timeout=30)
        form = {
            "username": "agent",
            "password": seeded,
            "csrf_token": _form_token(client, "/login"),
        }
        assert client.post("/login", data={**form, "next": "/agent"}).status_code == 303
        sent = client.get("/agent", follow_redirects=False)
        assert sent.status_code == 303
        assert sent.headers["location"] == "/account/password?next=%2Fagent"
        assert client.get("/api/v1/tickets").status_code == 403

        token = _form_token(client, "/account/password")
        change = {"current": seeded, "csrf_token": token, "next": "/agent"}
        wrong = client.post(
            "/account/password",
            data={**change, "current": "nope", "new": "x" * 9, "again": "x" * 9},
        )
        assert wrong.status_code == 401
        differ = client.post(
            "/account/password", data={**change, "new": "chosen-pw-1", "again": "chosen-pw-2"}
        )
        assert differ.status_code == 400
        short = client.post("/account/password", data={**change, "new": "short", "again": "short"})
        assert short.status_code == 400
        done = client.post(
            "/account/password",
            data={**change, "new": "chosen-pw-1", "again": "chosen-pw-1"},
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == "/agent"
        assert client.get("/agent", follow_redirects=False).status_code == 200
        assert not site.store.account("agent").must_change_password
        assert accounts.authenticate(site.store, "agent", seeded) is None
        assert sign_in(site.url, "agent", "chosen-pw-1").get("/agent").status_code == 200
    finally:
        site.stop()
        site.services.close()


def test_changing_ones_password_keeps_this_session_and_ends_the_others(
    site: Site, lee: str
) -> None:
    here = sign_in(site.url, lee, PASSWORD)
    there = sign_in(site.url, lee, PASSWORD)
    form = {
        "current": PASSWORD,
        "new": "lee-new-password",
        "again": "lee-new-password",
        "csrf_token": here.headers["X-CSRF-Token"],
    }
    assert here.post("/account/password", data=form, follow_redirects=False).status_code == 303
    assert here.get("/api/v1/session").status_code == 200
    assert there.get("/api/v1/session").status_code == 401
