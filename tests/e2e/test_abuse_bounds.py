"""Hostile request sizes are refused before any work (issue 13): the real app over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from bot.tickets.accounts import hash_password
from bot.tickets.records import Account
from tests.fakes import FixedTriage
from tests.sites import build_site, site_config

pytestmark = pytest.mark.e2e

PASSWORD = "bounds-password-1"


@pytest.fixture(scope="module")
def site(sample_kb, tmp_path_factory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("bounds")
    config = site_config(
        sample_kb.settings.data_dir,
        database_url=f"sqlite:///{folder / 'desk.db'}",
        session_secret="bounds-secret-" + "x" * 32,
        max_question_chars=500,
    )
    built = build_site(config, kb=sample_kb, triage=FixedTriage(), serve=True)
    built.store.add_account(Account("kim", "employee"), hash_password(PASSWORD))
    yield {"url": built.url, "store": built.store}
    built.stop()


def test_a_huge_history_is_refused_quickly_before_any_work(site) -> None:
    history = [{"role": "user", "text": "a@" * 10_000} for _ in range(50)]  # 50 x 20,000
    started = time.perf_counter()
    got = httpx.post(
        f"{site['url']}/api/v1/ask",
        json={"question": "VPN이 자꾸 끊겨요", "history": history},
        timeout=60,
    )
    assert 400 <= got.status_code < 500, got.text[:200]
    assert time.perf_counter() - started < 5


def test_history_is_capped_in_total_as_well_as_per_turn(site) -> None:
    history = [{"role": "user", "text": "가" * 7_000} for _ in range(10)]  # 70,000 in all
    got = httpx.post(
        f"{site['url']}/api/v1/ask", json={"question": "VPN", "history": history}, timeout=60
    )
    assert got.status_code == 422 and "history is too long" in got.text


def test_an_over_long_api_question_is_a_422(site) -> None:
    got = httpx.post(f"{site['url']}/api/v1/ask", json={"question": "가" * 20_001}, timeout=60)
    assert got.status_code == 422


def test_a_reasonable_history_still_gets_an_answer(site) -> None:
    history = [{"role": "user", "text": "VPN이 끊겨요 kim@example.com"}] * 20
    got = httpx.post(
        f"{site['url']}/api/v1/ask",
        json={"question": "맥에서는요?", "history": history},
        timeout=60,
    )
    assert got.status_code == 200 and got.json()["text"]


@pytest.mark.parametrize("size", [501, 20_001])
@pytest.mark.parametrize("streamed", [False, True])
def test_an_over_long_chat_question_is_not_stored(site, size: int, streamed: bool) -> None:
    with httpx.Client(base_url=site["url"], timeout=60) as c:
        signed = c.post("/api/v1/session", json={"username": "kim", "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        c.headers["X-CSRF-Token"] = c.get("/api/v1/session").json()["csrf_token"]
        conversation = c.post("/api/v1/conversations").json()["id"]
        path = f"/api/v1/conversations/{conversation}/messages" + ("/stream" if streamed else "")
        got = c.post(path, json={"question": "비밀" * (size // 2) + "x" * (size % 2)})
        if size > 20_000:
            assert got.status_code == 422
        else:
            assert got.status_code == 200 and "500" in got.text, got.text[:300]
    turns = site["store"].conversation(conversation).turns
    assert [t for t in turns if t.role == "user"] == []
