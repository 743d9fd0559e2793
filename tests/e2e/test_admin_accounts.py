"""Accounts in the admin area over real HTTP: the /admin/accounts pages and their JSON twin under
/api/v1/admin/accounts do what an admin expects (a disabled account's open session ends, a
demoted admin loses the admin pages), refuse with a 4xx and a message, and audit every change;
and the first start's passwords stay out of a container's log."""

from __future__ import annotations

import html
import os
import re
import stat
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest

from bot.cli.main import _print_demo_accounts
from bot.tickets.accounts import FIRST_START_FILE, hash_password
from bot.tickets.records import Account
from retrieval.hash_embedder import HashEmbeddings
from tests.fakes import FixedTriage
from tests.sites import Site, build_site, sign_in, site_config

pytestmark = pytest.mark.e2e

SECRET = "admin-accounts-tests-" + "s" * 32
PASSWORDS = {"admin": "admin-pw-1", "agent": "agent-pw-1", "employee": "employee-pw-1"}
LEE_PASSWORD = "lee-password-1"


def _site(folder, *names: str) -> Site:
    config = site_config(folder, session_secret=SECRET)
    site = build_site(config, embedder=HashEmbeddings(), triage=FixedTriage()).serve()
    for name in names:
        site.store.add_account(Account(name, name), hash_password(PASSWORDS[name]))  # type: ignore[arg-type]
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    site = _site(tmp_path_factory.mktemp("accounts"), "admin", "agent", "employee")
    yield site
    site.stop()
    site.services.close()


def as_user(site: Site, username: str, password: str | None = None) -> httpx.Client:
    """A client signed in through the /login form, in English, sending the CSRF header."""
    client = sign_in(site.url, username, password or PASSWORDS[username])
    client.headers["Accept-Language"] = "en"
    return client


@pytest.fixture
def admin(site: Site) -> Iterator[httpx.Client]:
    with closing(as_user(site, "admin")) as client:
        yield client


@pytest.fixture
def lee(site: Site, request) -> str:
    """A fresh agent account per test (named after the test), password ``LEE_PASSWORD``."""
    name = "lee-" + re.sub(r"[^a-z0-9]+", "-", request.node.name[-40:])
    site.store.add_account(
        Account(name, "agent", "Lee", groups=["Network"]), hash_password(LEE_PASSWORD)
    )
    return name


def post_form(
    client: httpx.Client, path: str, token: str | None = None, **fields: str
) -> httpx.Response:
    """Submit a page's form as a browser does: the CSRF token (the session's unless ``token``
    says otherwise; "" for none) in the body, no header."""
    if token is None:
        token = client.headers["X-CSRF-Token"]
    data = {"csrf_token": token, **fields} if token else fields
    request = client.build_request("POST", path, data=data)
    del request.headers["X-CSRF-Token"]
    return client.send(request)


def shown_password(page: httpx.Response) -> str:
    found = re.search(r'data-testid="account-password">([^<]+)<', page.text)
    assert found, page.text
    return html.unescape(found.group(1))


def error_text(page: httpx.Response) -> str:
    found = re.search(r'data-testid="account-error" role="alert">([^<]+)<', page.text)
    assert found, page.text
    return html.unescape(found.group(1))


def signed_out(client: httpx.Client) -> bool:
    return client.get("/api/v1/session").status_code == 401


def audited(site: Site, target: str) -> list[tuple[str, dict]]:
    """The audited (action, detail) pairs on ``target``, oldest first."""
    events = site.store.audit_events(1000)  # newest first
    return [(e.action, e.detail) for e in reversed(events) if e.target == target]


# -- the pages ---------------------------------------------------------------------------------


def test_the_list_shows_role_groups_state_and_the_must_change_flag(site, admin, lee) -> None:
    site.store.add_account(Account("gone-kim", "employee"), hash_password(LEE_PASSWORD))
    site.store.update_account("gone-kim", active=False, must_change_password=True)
    page = admin.get("/admin/accounts")
    assert page.status_code == 200
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(
            r'<tr data-testid="account-row" data-username="([^"]+)"[^>]*>', page.text
        )
    }
    assert {"admin", "agent", "employee", lee, "gone-kim"} <= set(rows)
    assert 'data-role="agent" data-active="yes" data-must-change="no"' in rows[lee]
    assert 'data-active="no" data-must-change="yes"' in rows["gone-kim"]
    assert "Network" in page.text and 'data-testid="admin-nav-accounts"' in page.text


def test_every_form_on_the_account_pages_carries_the_csrf_token(admin, lee) -> None:
    for path in ("/admin/accounts", f"/admin/accounts/{lee}"):
        forms = re.findall(r'<form method="post".*?</form>', admin.get(path).text, re.S)
        assert len(forms) >= (1 if path == "/admin/accounts" else 6)
        assert all('name="csrf_token" value="' in form for form in forms), path


def test_an_added_account_sees_its_password_once_and_must_change_it(site, admin) -> None:
    added = post_form(
        admin,
        "/admin/accounts",
        username="new-park",
        role="agent",
        display_name="Park",
        email="park@example.com",
        groups="Network, Service Desk",
    )
    assert added.status_code == 200 and added.headers["cache-control"] == "no-store"
    password = shown_password(added)
    account = site.store.account("new-park")
    assert (account.role, account.groups, account.must_change_password) == (
        "agent",
        ["Network", "Service Desk"],
        True,
    )
    assert password not in admin.get("/admin/accounts/new-park").text  # shown once only
    assert audited(site, "new-park") == [
        (
            "account.create",
            {"role": "agent", "groups": ["Network", "Service Desk"], "generated": True},
        )
    ]
    with closing(as_user(site, "new-park", password)) as park:
        sent = park.get("/agent", follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"].startswith("/account/password")


def test_an_admin_chosen_password_works_and_must_be_changed(site, admin) -> None:
    added = post_form(admin, "/admin/accounts", username="typed-choi", password="chosen-by-admin")
    assert added.status_code == 200 and shown_password(added) == "chosen-by-admin"
    with closing(as_user(site, "typed-choi", "chosen-by-admin")) as choi:
        assert choi.get("/api/v1/tickets").status_code == 403  # change it first


def test_a_new_password_ends_the_old_sessions_and_must_be_changed(site, admin, lee) -> None:
    with closing(as_user(site, lee, LEE_PASSWORD)) as before:
        done = post_form(admin, f"/admin/accounts/{lee}/password")
        assert done.status_code == 200 and 'data-done="password"' in done.text
        new = shown_password(done)
        assert signed_out(before)
    assert site.store.account(lee).must_change_password
    with closing(as_user(site, lee, new)) as after:
        assert (
            after.get("/agent", follow_redirects=False)
            .headers["location"]
            .startswith("/account/password")
        )
    assert audited(site, lee) == [("account.password", {"generated": True})]


def test_disabling_ends_the_open_session_and_enabling_lets_them_back(site, admin, lee) -> None:
    with closing(as_user(site, lee, LEE_PASSWORD)) as session:
        assert post_form(admin, f"/admin/accounts/{lee}/disable").status_code == 200
        assert signed_out(session)
        assert session.get("/agent", follow_redirects=False).status_code == 303
    refused = httpx.post(
        f"{site.url}/api/v1/session", json={"username": lee, "password": LEE_PASSWORD}
    )
    assert refused.status_code == 401
    assert post_form(admin, f"/admin/accounts/{lee}/enable").status_code == 200
    with closing(as_user(site, lee, LEE_PASSWORD)) as back:
        assert back.get("/agent").status_code == 200
    assert [a for a, _ in audited(site, lee)] == ["account.disable", "account.enable"]


def test_a_role_change_gives_and_takes_the_admin_pages(site, admin, lee) -> None:
    with closing(as_user(site, lee, LEE_PASSWORD)) as agent:
        assert agent.get("/admin/accounts").status_code == 403
        assert post_form(admin, f"/admin/accounts/{lee}/role", role="admin").status_code == 200
        assert signed_out(agent)  # the session carried the old role
    with closing(as_user(site, lee, LEE_PASSWORD)) as promoted:
        assert promoted.get("/admin/accounts").status_code == 200
        assert post_form(admin, f"/admin/accounts/{lee}/role", role="employee").status_code == 200
        assert signed_out(promoted)
    with closing(as_user(site, lee, LEE_PASSWORD)) as demoted:
        assert demoted.get("/admin/accounts").status_code == 403
        assert demoted.get("/agent").status_code == 403
    assert audited(site, lee) == [
        ("account.role", {"from": "agent", "to": "admin"}),
        ("account.role", {"from": "admin", "to": "employee"}),
    ]


def test_sign_out_everywhere_ends_every_session_but_not_the_password(site, admin, lee) -> None:
    laptop, phone = as_user(site, lee, LEE_PASSWORD), as_user(site, lee, LEE_PASSWORD)
    with closing(laptop), closing(phone):
        assert post_form(admin, f"/admin/accounts/{lee}/signout").status_code == 200
        assert signed_out(laptop) and signed_out(phone)
    with closing(as_user(site, lee, LEE_PASSWORD)) as again:
        assert again.get("/agent").status_code == 200


def test_deleting_asks_for_confirmation_then_removes_the_account(site, admin, lee) -> None:
    with closing(as_user(site, lee, LEE_PASSWORD)) as session:
        unconfirmed = post_form(admin, f"/admin/accounts/{lee}/delete")
        assert unconfirmed.status_code == 400 and "Confirm" in error_text(unconfirmed)
        assert site.store.account(lee) is not None
        page = admin.get(f"/admin/accounts/{lee}").text
        assert 'data-confirm="Delete this account?' in page  # confirm.js asks first
        done = post_form(admin, f"/admin/accounts/{lee}/delete", confirm="yes")
        assert done.status_code == 200 and f"Deleted the account {lee}." in done.text
        assert site.store.account(lee) is None and signed_out(session)
    assert audited(site, lee) == [("account.delete", {})]


@pytest.mark.parametrize(
    ("path", "fields", "status", "message"),
    [
        ("/admin/accounts/nobody-here/disable", {}, 404, "no such account"),
        ("/admin/accounts/{lee}/role", {"role": "superuser"}, 400, "Unknown role"),
        ("/admin/accounts/{lee}/password", {"password": "short"}, 400, "at least 8"),
        ("/admin/accounts", {"username": "{lee}"}, 409, "taken"),
        ("/admin/accounts", {"username": "two words"}, 400, "no spaces"),
        ("/admin/accounts", {"username": "kang", "role": "root"}, 400, "Unknown role"),
        ("/admin/accounts", {"username": "kang", "password": "short"}, 400, "at least 8"),
        ("/admin/accounts", {"username": "kang", "display_name": "x" * 201}, 400, "at most 200"),
        ("/admin/accounts", {"username": "kang", "groups": "a\x00b"}, 400, "control characters"),
        ("/admin/accounts/nul%00name/signout", {}, 404, "no such account"),
    ],
    ids=[
        "unknown-user",
        "role",
        "short-password",
        "taken",
        "username",
        "new-role",
        "new-short",
        "long",
        "nul-field",
        "nul-name",
    ],
)
def test_refusals_come_back_on_the_page_with_a_4xx_and_why(
    site, admin, lee, path, fields, status, message
) -> None:
    fields = {k: v.replace("{lee}", lee) for k, v in fields.items()}
    refused = post_form(admin, path.replace("{lee}", lee), **fields)
    assert refused.status_code == status
    assert message.lower() in error_text(refused).lower()
    assert site.store.account("kang") is None
    assert (
        site.store.account(lee).role == "agent" and not site.store.account(lee).must_change_password
    )


def test_an_unknown_account_page_is_a_404_with_the_list(admin) -> None:
    page = admin.get("/admin/accounts/nobody-here")
    assert page.status_code == 404 and "There is no such account." in error_text(page)
    assert 'data-testid="accounts-table"' in page.text


def test_the_korean_page_says_why_in_korean(admin, lee) -> None:
    admin.headers["Accept-Language"] = "ko"
    refused = post_form(admin, f"/admin/accounts/{lee}/password", password="short")
    assert refused.status_code == 400 and "8자 이상" in error_text(refused)


@pytest.mark.parametrize("role", ["agent", "employee"])
def test_agents_and_employees_get_403_and_change_nothing(site, role, lee) -> None:
    with closing(as_user(site, role)) as client:
        assert client.get("/admin/accounts").status_code == 403
        assert client.get(f"/admin/accounts/{lee}").status_code == 403
        assert post_form(client, f"/admin/accounts/{lee}/disable").status_code == 403
        assert (
            post_form(client, "/admin/accounts", username="sneaky", role="admin").status_code == 403
        )
        assert client.get("/api/v1/admin/accounts").status_code == 403
        assert (
            client.patch(f"/api/v1/admin/accounts/{lee}", json={"active": False}).status_code == 403
        )
        assert 'data-testid="admin-nav-accounts"' not in client.get("/search").text
    assert site.store.account(lee).active and site.store.account("sneaky") is None


def test_signed_out_visitors_are_sent_to_sign_in(site, lee) -> None:
    page = httpx.get(f"{site.url}/admin/accounts", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=")
    assert httpx.get(f"{site.url}/api/v1/admin/accounts").status_code == 401
    assert (
        httpx.post(f"{site.url}/api/v1/admin/accounts", json={"username": "x"}).status_code == 401
    )


def test_writes_without_the_csrf_token_get_403(site, admin, lee) -> None:
    assert post_form(admin, f"/admin/accounts/{lee}/disable", token="").status_code == 403
    forged = post_form(admin, f"/admin/accounts/{lee}/disable", token="forged-token")
    assert forged.status_code == 403
    api = admin.build_request("PATCH", f"/api/v1/admin/accounts/{lee}", json={"active": False})
    del api.headers["X-CSRF-Token"]
    assert admin.send(api).status_code == 403
    assert site.store.account(lee).active and audited(site, lee) == []


# -- the last admin, and an admin's own account -------------------------------------------------


@pytest.fixture
def lonely(tmp_path) -> Iterator[Site]:
    """A site whose only admin is ``admin``."""
    site = _site(tmp_path, "admin", "agent")
    yield site
    site.stop()
    site.services.close()


def test_the_last_admin_cannot_lock_everyone_out(lonely) -> None:
    with closing(as_user(lonely, "admin")) as admin:
        for action, fields in (
            ("disable", {}),
            ("role", {"role": "agent"}),
            ("delete", {"confirm": "yes"}),
        ):
            refused = post_form(admin, f"/admin/accounts/admin/{action}", **fields)
            assert refused.status_code == 409, action
            assert "last active admin" in error_text(refused)
        api = admin.patch("/api/v1/admin/accounts/admin", json={"role": "employee"})
        assert api.status_code == 409 and "last active admin" in api.json()["detail"]
        assert admin.delete("/api/v1/admin/accounts/admin").status_code == 409
        assert admin.get("/admin/accounts").status_code == 200  # still signed in, still admin
    assert lonely.store.account("admin").role == "admin" and lonely.store.account("admin").active


def test_an_admin_who_demotes_themself_is_told_and_signed_out(lonely) -> None:
    with closing(as_user(lonely, "admin")) as admin:
        assert post_form(admin, "/admin/accounts/agent/role", role="admin").status_code == 200
        done = post_form(admin, "/admin/accounts/admin/role", role="agent")
        assert done.status_code == 200 and 'data-testid="account-own-signed-out"' in done.text
        assert signed_out(admin)
    with closing(as_user(lonely, "admin")) as again:
        assert again.get("/admin/accounts").status_code == 403


# -- the JSON twin -----------------------------------------------------------------------------


def test_the_api_adds_lists_changes_and_deletes_accounts(site, admin) -> None:
    created = admin.post(
        "/api/v1/admin/accounts",
        json={"username": "api-yoon", "role": "employee", "groups": ["Finance"]},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (
        body["account"]["must_change_password"] is True and "password_hash" not in body["account"]
    )
    generated = body["password"]
    assert len(generated) == 16
    listed = {a["username"]: a for a in admin.get("/api/v1/admin/accounts").json()}
    assert listed["api-yoon"]["groups"] == ["Finance"] and listed["api-yoon"]["active"] is True

    with closing(as_user(site, "api-yoon", generated)) as yoon:
        changed = admin.patch(
            "/api/v1/admin/accounts/api-yoon", json={"role": "agent", "active": False}
        )
        assert changed.status_code == 200
        assert (changed.json()["role"], changed.json()["active"]) == ("agent", False)
        assert signed_out(yoon)
    assert admin.patch("/api/v1/admin/accounts/api-yoon", json={"active": True}).json()["active"]

    typed = admin.post(
        "/api/v1/admin/accounts/api-yoon/password", json={"password": "typed-pw-123"}
    )
    assert typed.status_code == 200 and typed.json()["password"] is None
    fresh = admin.post("/api/v1/admin/accounts/api-yoon/password")
    assert fresh.status_code == 200 and len(fresh.json()["password"]) == 16
    assert admin.post("/api/v1/admin/accounts/api-yoon/signout").status_code == 200
    assert admin.get("/api/v1/admin/accounts/api-yoon").json()["must_change_password"] is True
    assert admin.delete("/api/v1/admin/accounts/api-yoon").json() == {"deleted": "api-yoon"}
    assert admin.get("/api/v1/admin/accounts/api-yoon").status_code == 404
    actions = [a for a, _ in audited(site, "api-yoon")]
    assert actions == [
        "account.create",
        "account.role",
        "account.disable",
        "account.enable",
        "account.password",
        "account.password",
        "account.signout",
        "account.delete",
    ]
    details = str(audited(site, "api-yoon"))
    assert generated not in details and "typed-pw-123" not in details


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PATCH", "/api/v1/admin/accounts/nobody-here", {"active": False}, 404),
        ("POST", "/api/v1/admin/accounts/nobody-here/signout", None, 404),
        ("DELETE", "/api/v1/admin/accounts/nobody-here", None, 404),
        ("POST", "/api/v1/admin/accounts", {"username": "agent"}, 409),
        ("POST", "/api/v1/admin/accounts", {"username": "a b"}, 400),
        ("POST", "/api/v1/admin/accounts", {"username": "kang", "password": "short"}, 400),
        ("POST", "/api/v1/admin/accounts", {"username": "kang", "role": "root"}, 422),
        ("POST", "/api/v1/admin/accounts", {"username": "kang", "rol": "admin"}, 422),
        ("PATCH", "/api/v1/admin/accounts/agent", {}, 422),
        ("PATCH", "/api/v1/admin/accounts/nul%00name", {"active": False}, 404),
        ("GET", "/api/v1/admin/accounts/" + "x" * 201, None, 404),
        ("POST", "/api/v1/admin/accounts/agent/password", {"password": "short"}, 400),
    ],
)
def test_the_api_refuses_with_4xx_and_a_reason(site, admin, method, path, body, status) -> None:
    refused = admin.request(method, path, json=body)
    assert refused.status_code == status, refused.text
    assert refused.json()["detail"]
    assert site.store.account("kang") is None and site.store.account("agent").role == "agent"


def test_the_api_is_documented_with_its_models_and_codes(site) -> None:
    document = site.app.openapi()
    paths = document["paths"]
    assert set(paths["/api/v1/admin/accounts"]) == {"get", "post"}
    assert set(paths["/api/v1/admin/accounts/{username}"]) == {"get", "patch", "delete"}
    post = paths["/api/v1/admin/accounts"]["post"]["responses"]
    assert {"201", "400", "401", "403", "409", "422"} <= set(post)
    model = post["201"]["content"]["application/json"]["schema"]["$ref"]
    assert model.endswith("/AccountWithPassword")
    fields = document["components"]["schemas"]["ManagedAccount"]["properties"]
    assert "must_change_password" in fields and not any("hash" in f for f in fields)


# -- the first start's passwords ---------------------------------------------------------------

CREATED = {"admin": "Adm1nPassw0rdXyz", "agent": "AgentPasswordXyz", "employee": "EmployeePassXyz"}


def test_without_a_terminal_the_passwords_go_to_a_private_file_not_the_log(
    tmp_path, capsys
) -> None:
    old = os.umask(0)  # even where every new file would be world-readable
    try:
        _print_demo_accounts(CREATED, tmp_path / "data")  # capsys: stdout is not a TTY
    finally:
        os.umask(old)
    printed = capsys.readouterr().out
    path = tmp_path / "data" / FIRST_START_FILE
    assert not any(password in printed for password in CREATED.values())
    assert str(path) in printed and "delete it" in printed
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kept = path.read_text(encoding="utf-8")
    assert all(f"{name} {password}" in kept for name, password in CREATED.items())
    assert [p.name for p in path.parent.iterdir()] == [FIRST_START_FILE]  # no temp file left


def test_on_a_terminal_the_passwords_are_printed_too(tmp_path, capsys) -> None:
    _print_demo_accounts(CREATED, tmp_path, to_terminal=True)
    printed = capsys.readouterr().out
    assert all(password in printed for password in CREATED.values())
    assert (tmp_path / FIRST_START_FILE).exists()


def test_a_later_start_writes_and_prints_nothing(tmp_path, capsys) -> None:
    _print_demo_accounts({}, tmp_path)
    assert capsys.readouterr().out == "" and not (tmp_path / FIRST_START_FILE).exists()
