"""Anonymous abuse over real HTTP: oversized and endless bodies (413 before they are read), too
many asks or API calls (429 with Retry-After), and the ask API closed to anonymous callers.

The raw-socket requests announce or stream more than the budget and never finish their bodies:
an app that read them before checking would wait for the rest until the client gave up.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from bot.settings import EVENTS_PATH, SlackSettings
from bot.tickets.accounts import hash_password
from bot.tickets.records import Account
from tests.fakes import FixedTriage, HashEmbeddings
from tests.sites import Site, build_site, site_config

pytestmark = pytest.mark.e2e

KIB = 1024
PASSWORDS = {"alice": "alice-password-1", "admin": "admin-password-1"}
ROLES = {"alice": "employee", "admin": "admin"}
TOO_SLOW_S = 5.0  # an answer slower than this means the server waited for the body


def make_site(folder, **bot) -> Site:
    config = site_config(folder, max_upload_mb=1, **bot)
    slack = SlackSettings(
        _env_file=None,
        bot_token="xoxb-test",
        signing_secret="test-signing-secret",
        mode="http",
        api_url="http://127.0.0.1:9/api/",
    )
    site = build_site(
        config, embedder=HashEmbeddings(), triage=FixedTriage(), slack=slack, serve=True
    )
    for name, password in PASSWORDS.items():
        site.store.add_account(Account(name, ROLES[name]), hash_password(password))  # type: ignore[arg-type]
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    built = make_site(
        tmp_path_factory.mktemp("abuse"), rate_limit_ask="3/minute", rate_limit_api="5/minute"
    )
    yield built
    built.stop()


def raw_request(url: str, path: str, headers: dict[str, str], chunks=()) -> tuple[int, float]:
    """Send a POST's head, then ``chunks`` in chunked encoding (never the closing chunk); the
    status line that comes back and how long it took."""
    where = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((where.hostname, where.port), timeout=TOO_SLOW_S) as conn:
        head = [f"POST {path} HTTP/1.1", f"Host: {where.netloc}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        for chunk in chunks:
            conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        status_line = conn.makefile("rb").readline().decode()
    return int(status_line.split()[1]), time.monotonic() - started


def client(site: Site, address: str = "127.0.0.1") -> httpx.Client:
    """An HTTP client of ``site`` connecting from ``address`` (any 127.x address is loopback)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=site.url, transport=transport, timeout=30)


def signed_in(site: Site, username: str, address: str = "127.0.0.1") -> httpx.Client:
    c = client(site, address)
    body = {"username": username, "password": PASSWORDS[username]}
    session = c.post("/api/v1/session", json=body)
    assert session.status_code == 200, session.text
    c.headers["X-CSRF-Token"] = session.json()["csrf_token"]
    return c


BODY_PATHS = ["/login", "/api/v1/ask", "/api/v1/session", EVENTS_PATH]


@pytest.mark.parametrize("path", BODY_PATHS)
def test_a_huge_announced_body_gets_413_before_it_is_sent(site, path) -> None:
    headers = {"Content-Type": "application/json", "Content-Length": str(2 * 1024**3)}
    status, took = raw_request(site.url, path, headers)
    assert status == 413 and took < TOO_SLOW_S


@pytest.mark.parametrize("path", BODY_PATHS)
def test_a_chunked_body_gets_413_once_it_passes_the_budget(site, path) -> None:
    kind = "application/x-www-form-urlencoded" if path == "/login" else "application/json"
    headers = {"Content-Type": kind, "Transfer-Encoding": "chunked"}
    bot = site.config.bot
    budget = bot.max_slack_body_kb if path == EVENTS_PATH else bot.max_body_kb
    chunks = [b"a" * (64 * KIB)] * (budget // 64 + 2)  # just past the budget, then nothing
    status, took = raw_request(site.url, path, headers, chunks)
    assert status == 413 and took < TOO_SLOW_S


def test_a_bad_content_length_is_a_400(site) -> None:
    status, _ = raw_request(site.url, "/api/v1/ask", {"Content-Length": "lots"})
    assert status == 400


def test_ordinary_requests_are_still_served(site) -> None:
    with client(site, "127.0.0.50") as c:
        ask = c.post("/api/v1/ask", json={"question": "How do I reset my VPN?", "history": []})
        assert ask.status_code == 200 and ask.json()["decision"]
    alice = signed_in(site, "alice", "127.0.0.51")
    assert alice.get("/api/v1/session").json()["account"]["username"] == "alice"


def test_an_upload_within_the_limit_still_works_and_a_bigger_one_gets_413(site) -> None:
    admin = signed_in(site, "admin", "127.0.0.60")
    article = b"# Stapler jams\n\nOpen the tray and remove the bent staple.\n" * 50
    ok = admin.post("/api/v1/admin/uploads", files=[("files", ("stapler.md", article))])
    assert ok.status_code == 200 and ok.json()["ok"], ok.text
    big = b"filler words " * 200_000  # 2.6 MB over a 1 MB limit
    refused = admin.post("/api/v1/admin/uploads", files=[("files", ("big.md", big))])
    assert refused.status_code == 413 and "1 MB" in refused.json()["detail"]


def ask(c: httpx.Client) -> httpx.Response:
    return c.post("/api/v1/ask", json={"question": "printer offline", "history": []})


def test_the_ask_after_the_rate_gets_429_with_retry_after(site) -> None:
    with client(site, "127.0.0.2") as c:
        assert [ask(c).status_code for _ in range(3)] == [200, 200, 200]
        refused = ask(c)
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        streamed = c.post("/api/v1/ask/stream", json={"question": "printer", "history": []})
        assert streamed.status_code == 429  # the stream counts as the same kind
    with client(site, "127.0.0.3") as other:  # another client is not affected
        assert ask(other).status_code == 200


def test_signed_in_callers_are_counted_per_account(site) -> None:
    alice = signed_in(site, "alice", "127.0.0.4")
    conversation = alice.post("/api/v1/conversations").json()["id"]
    messages = f"/api/v1/conversations/{conversation}/messages"
    codes = [alice.post(messages, json={"question": "printer"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # The same account from another address is the same caller ...
    again = signed_in(site, "alice", "127.0.0.5")
    assert again.post(messages, json={"question": "printer"}).status_code == 429
    # ... while an anonymous caller at alice's first address is another.
    with client(site, "127.0.0.4") as anonymous:
        assert ask(anonymous).status_code == 200


def test_search_and_the_conversation_api_have_their_own_rate(site) -> None:
    with client(site, "127.0.0.6") as c:
        codes = [c.get("/api/v1/search", params={"q": "printer"}).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        assert ask(c).status_code == 200  # asks are counted apart


@pytest.mark.parametrize("page", ["/search", "/"])
def test_the_search_pages_count_like_the_search_api(site, page) -> None:
    with client(site, f"127.0.0.{7 if page == '/' else 8}") as c:
        codes = [c.get(page, params={"q": "printer"}).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        refused = c.get(page, params={"q": "printer"})
        assert "Retry-After" in refused.headers and "text/html" in refused.headers["content-type"]
        # A page without a query searches nothing and is not counted.
        assert c.get(page).status_code == 200


@pytest.fixture(scope="module")
def closed_site(tmp_path_factory) -> Iterator[Site]:
    built = make_site(tmp_path_factory.mktemp("closed"), ask_requires_sign_in=True)
    yield built
    built.stop()


def test_the_ask_api_can_require_sign_in(closed_site) -> None:
    with client(closed_site) as anonymous:
        assert ask(anonymous).status_code == 401
        stream = anonymous.post("/api/v1/ask/stream", json={"question": "vpn", "history": []})
        assert stream.status_code == 401
    assert ask(signed_in(closed_site, "alice")).status_code == 200
