"""The chat page's list of earlier conversations and sign-in throttling: the real app over HTTP.

Throttling counts per client address too, so clients here connect from distinct loopback
addresses (127.0.0.x) where a test needs them apart; the throttle runs on a clock the tests
move, and each test starts a day after the last: every earlier failure and lockout has expired.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import httpx
import pytest

from bot.tickets.accounts import hash_password
from bot.tickets.records import Account
from bot.tickets.throttle import SignInThrottle
from bot.web.i18n import texts
from tests.fakes import FakeClock, FixedTriage
from tests.sites import build_site, site_config

pytestmark = pytest.mark.e2e

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORDS = {"lee": "lee-password-1", "park": "park-password-1", "agent": "agent-password-1"}
ITEM = re.compile(
    r'<li data-testid="conversation-item" data-conversation-id="(\d+)"(.*?)</li>', re.S
)


@pytest.fixture(scope="module")
def site(sample_kb, tmp_path_factory) -> Iterator[dict]:
    """The app on a fresh SQLite store with two employees and an agent."""
    folder = tmp_path_factory.mktemp("chatux")
    config = site_config(
        sample_kb.settings.data_dir,
        database_url=f"sqlite:///{folder / 'desk.db'}",
        triage_backend="classifier",
        session_secret="chatux-secret-" + "x" * 32,
    )
    clock = FakeClock(0.0)  # the throttle's seconds
    throttle = SignInThrottle(clock=clock)
    built = build_site(config, kb=sample_kb, throttle=throttle, triage=FixedTriage(), serve=True)
    store = built.store
    for name, password in PASSWORDS.items():
        role = "agent" if name == "agent" else "employee"
        store.add_account(Account(name, role), hash_password(password))  # type: ignore[arg-type]
    yield {"url": built.url, "store": store, "clock": clock}
    built.stop()
    store.close()


@pytest.fixture
def clock(site) -> FakeClock:
    """The throttle's clock, a day on: this test starts with no failure counted."""
    moved = site["clock"]
    moved.advance(days=1)
    return moved


def client(site: dict, address: str = "127.0.0.1", lang: str = "en") -> httpx.Client:
    """An HTTP client connecting from ``address`` (any 127.x.y.z reaches the server)."""
    transport = httpx.HTTPTransport(local_address=address)
    headers = {"Accept-Language": lang}
    return httpx.Client(base_url=site["url"], transport=transport, headers=headers, timeout=60)


def api_sign_in(c: httpx.Client, username: str, password: str) -> httpx.Response:
    return c.post("/api/v1/session", json={"username": username, "password": password})


def form_sign_in(c: httpx.Client, username: str, password: str) -> httpx.Response:
    token = CSRF_INPUT.search(c.get("/login").text)[1]
    form = {"username": username, "password": password, "next": "/", "csrf_token": token}
    return c.post("/login", data=form)


class Employee:
    """A signed-in API client that sends its CSRF token on writes."""

    def __init__(self, site: dict, username: str):
        self.client = client(site)
        signed = api_sign_in(self.client, username, PASSWORDS[username])
        assert signed.status_code == 200, signed.text
        self.headers = {"X-CSRF-Token": signed.json()["csrf_token"]}

    def post(self, path: str, **kw) -> httpx.Response:
        return self.client.post(path, headers=self.headers, **kw)

    def ask(self, question: str) -> int:
        """Start a conversation with ``question``; return its id."""
        conversation_id = self.post("/api/v1/conversations").json()["id"]
        asked = self.post(
            f"/api/v1/conversations/{conversation_id}/messages", json={"question": question}
        )
        assert asked.status_code == 200, asked.text
        return conversation_id

    def listed(self, path: str = "/") -> dict[int, str]:
        """The chat page's conversation list: {conversation id: the item's HTML}, in order."""
        page = self.client.get(path)
        assert page.status_code == 200 and 'data-testid="conversation-list"' in page.text
        return {int(i): body for i, body in ITEM.findall(page.text)}


# -- earlier conversations ---------------------------------------------------------------------


def test_the_chat_page_lists_earlier_conversations_newest_first(site, clock) -> None:
    lee = Employee(site, "lee")
    assert 'data-testid="no-conversations"' in lee.client.get("/").text
    vpn = lee.ask("How do I connect to the VPN?")
    lee.post("/api/v1/conversations")  # started, never asked: nothing to list
    markup = lee.ask("<b>Outlook</b> keeps asking for my password " + "again and " * 20)
    Employee(site, "park").ask("Someone else's question about printers")

    listed = lee.listed()
    assert list(listed) == [markup, vpn]
    assert f'href="/?c={vpn}" data-testid="conversation-link"' in listed[vpn]
    assert "How do I connect to the VPN?" in listed[vpn]
    title = re.search(r'data-testid="conversation-title">([^<]*)<', listed[markup])[1]
    assert title.startswith("&lt;b&gt;Outlook&lt;/b&gt; keeps asking")  # shown as text
    assert len(html.unescape(title)) <= 80 and title.endswith("…")
    assert "printers" not in "".join(listed.values())
    assert "conversation-ticket" not in listed[vpn]


def test_escalated_conversations_show_their_ticket_and_status(site, clock) -> None:
    lee = Employee(site, "lee")
    asked = lee.ask("My laptop screen is cracked")
    offer = lee.post(f"/api/v1/conversations/{asked}/draft").json()
    body = {**offer["draft"], "idempotency_key": offer["idempotency_key"]}
    number = lee.post(f"/api/v1/conversations/{asked}/ticket", json=body).json()["number"]

    badge = re.compile(
        r'data-testid="conversation-ticket" data-status="(\w+)">'
        + re.escape(number)
        + r" · ([^<]+)<"
    )
    assert badge.search(lee.listed()[asked]).groups() == ("new", texts("en")["status_new"])
    site["store"].resolve(number, "agent", "Replaced the screen.")
    assert badge.search(lee.listed()[asked]).groups() == (
        "resolved",
        texts("en")["status_resolved"],
    )


def test_a_listed_conversation_resumes_and_is_marked_current(site, clock) -> None:
    lee = Employee(site, "lee")
    first = lee.ask("Where do I find the Wi-Fi password?")
    lee.ask("How do I reset my password?")
    page = lee.client.get(f"/?c={first}").text
    assert 'aria-current="page"' in lee.listed(f"/?c={first}")[first]
    assert page.count('aria-current="page"') == 1
    resumed = json.loads(re.search(r'id="chat-data">(.*?)</script>', page, re.S)[1])
    assert resumed["conversation"]["id"] == first  # the page resumes it, turns and all
    assert resumed["conversation"]["turns"][0]["text"] == "Where do I find the Wi-Fi password?"
    assert 'aria-current="page"' not in "".join(lee.listed("/").values())


# -- sign-in throttling ------------------------------------------------------------------------


def test_five_failures_lock_a_username_whether_or_not_it_exists(site, clock) -> None:
    outcomes = {}
    for address, username in (("127.0.0.2", "lee"), ("127.0.0.3", "nobody-at-all")):
        with client(site, address) as c:
            tries = [api_sign_in(c, username, "wrong-password") for _ in range(6)]
            outcomes[username] = [(r.status_code, r.json()["detail"]) for r in tries]
            assert "retry-after" not in tries[4].headers
            assert int(tries[5].headers["retry-after"]) == 15 * 60
    assert outcomes["lee"] == outcomes["nobody-at-all"]  # nothing tells them apart
    assert [s for s, _ in outcomes["lee"]] == [401] * 5 + [429]
    assert "too many failed sign-in attempts" in outcomes["lee"][5][1]

    with client(site, "127.0.0.4") as c:
        refused = api_sign_in(c, "lee", PASSWORDS["lee"])  # the right password, but too soon
        assert refused.status_code == 429
        assert c.get("/api/v1/session").status_code == 401
        clock.advance(seconds=15 * 60 + 1)
        assert api_sign_in(c, "lee", PASSWORDS["lee"]).status_code == 200


def test_the_login_page_says_when_to_try_again(site, clock) -> None:
    with client(site, "127.0.0.5", lang="ko") as c:
        for _ in range(5):
            page = form_sign_in(c, "park", "wrong-password")
            assert page.status_code == 401 and texts("ko")["login_failed"] in page.text
        page = form_sign_in(c, "park", PASSWORDS["park"])
        assert page.status_code == 429 and page.headers["retry-after"]
        expected = texts("ko")["login_throttled"].replace("{minutes}", "15")
        assert f'data-testid="login-error">{expected}</p>' in page.text
        assert c.get("/api/v1/session").status_code == 401


def test_a_success_resets_the_count(site, clock) -> None:
    with client(site, "127.0.0.6") as c:
        for _ in range(2):
            for _ in range(4):
                assert api_sign_in(c, "lee", "wrong-password").status_code == 401
            assert api_sign_in(c, "lee", PASSWORDS["lee"]).status_code == 200
            c.cookies.clear()  # signed in, a write would need the session's CSRF token
        assert api_sign_in(c, "lee", "wrong-password").status_code == 401


def test_one_address_guessing_many_usernames_is_refused(site, clock) -> None:
    with client(site, "127.0.0.7") as c:
        for name in ("amy", "bob", "cho", "dan", "eve"):
            assert api_sign_in(c, name, "guess").status_code == 401
        assert api_sign_in(c, "park", PASSWORDS["park"]).status_code == 429
    with client(site, "127.0.0.8") as c:  # the same person elsewhere is not held up
        assert api_sign_in(c, "park", PASSWORDS["park"]).status_code == 200
