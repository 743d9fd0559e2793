"""The real FastAPI app, served by uvicorn on a free port, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes import FixedTriage
from tests.sites import build_site, site_config

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def base_url(sample_kb) -> Iterator[str]:
    config = site_config(sample_kb.settings.data_dir, max_question_chars=500)
    site = build_site(config, kb=sample_kb, triage=FixedTriage(), serve=True)
    yield site.url
    site.stop()


def test_health_reports_the_indexed_articles(base_url, sample_kb) -> None:
    body = httpx.get(f"{base_url}/healthz").json()
    assert body["status"] == "ok" and body["articles"] == sample_kb.catalog.counts()[0] >= 40


def test_json_search_finds_the_vpn_article_for_a_korean_question(base_url) -> None:
    body = httpx.get(f"{base_url}/api/v1/search", params={"q": "VPN이 자꾸 끊겨요", "k": 3}).json()
    top = body["hits"][0]
    assert "vpn" in top["article_id"].lower()
    for key in (
        "title",
        "section",
        "snippet",
        "dense_score",
        "keyword_score",
        "fused_score",
        "confidence",
    ):
        assert key in top
    assert 0.0 <= top["confidence"] <= 1.0


def test_empty_and_oversized_questions_get_a_clear_error(base_url) -> None:
    empty = httpx.get(f"{base_url}/api/v1/search", params={"q": "   "})
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    huge = httpx.get(f"{base_url}/api/v1/search", params={"q": "가" * 501})
    assert huge.status_code == 422 and "too long" in huge.json()["detail"]


def test_web_never_shows_group_restricted_articles(base_url, sample_kb) -> None:
    restricted = [a for a in sample_kb.catalog.articles() if a.allowed_groups]
    assert restricted, "the sample KB must have restricted articles"
    for entry in restricted:
        hits = httpx.get(f"{base_url}/api/v1/search", params={"q": entry.title, "k": 20}).json()
        assert entry.article_id not in [h["article_id"] for h in hits["hits"]]
        assert httpx.get(f"{base_url}/articles/{entry.article_id}").status_code == 404


def test_search_page_renders_results_in_the_browser_language(base_url) -> None:
    page = httpx.get(
        f"{base_url}/",
        params={"q": "printer is not printing"},
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    assert page.status_code == 200
    assert "IT Service Desk" in page.text and "/articles/" in page.text
    korean = httpx.get(f"{base_url}/", headers={"Accept-Language": "ko-KR"})
    assert "IT 서비스 데스크" in korean.text


def test_markup_in_a_question_is_shown_as_text(base_url) -> None:
    page = httpx.get(f"{base_url}/", params={"q": "<script>alert(1)</script> vpn"})
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_article_page_shows_the_whole_article(base_url, sample_kb) -> None:
    entry = next(a for a in sample_kb.catalog.articles() if not a.allowed_groups)
    page = httpx.get(f"{base_url}/articles/{entry.article_id}")
    assert page.status_code == 200 and entry.title.split()[0] in page.text
    assert httpx.get(f"{base_url}/articles/NO-SUCH-ID").status_code == 404


def test_openapi_describes_the_search_endpoint(base_url) -> None:
    spec = httpx.get(f"{base_url}/api/v1/openapi.json").json()
    assert "/api/v1/search" in spec["paths"]


def test_ask_api_answers_with_citations_and_never_leaves_the_asker_empty(base_url) -> None:
    body = httpx.post(
        f"{base_url}/api/v1/ask", json={"question": "How do I reset my password?"}, timeout=60
    ).json()
    assert body["decision"] == "answered" and body["language"] == "en"
    assert "KB-ACCOUNT-001-en" in [c["article_id"] for c in body["citations"]]
    assert body["citations"][0]["link"].startswith("/articles/")
    empty = httpx.post(f"{base_url}/api/v1/ask", json={"question": ""}, timeout=30).json()
    assert empty["reason"] == "invalid_question" and empty["text"]
    unknown = httpx.post(
        f"{base_url}/api/v1/ask", json={"question": "회사 구내식당 오늘 메뉴 알려줘"}, timeout=60
    ).json()
    assert unknown["decision"] == "declined" and unknown["offer_ticket"]


def test_ask_stream_sends_server_sent_events_ending_with_the_answer(base_url) -> None:
    with httpx.stream(
        "POST",
        f"{base_url}/api/v1/ask/stream",
        json={"question": "VPN이 자꾸 끊겨요", "history": []},
        timeout=60,
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = [
        line.removeprefix("event: ") for line in text.splitlines() if line.startswith("event:")
    ]
    assert events[0] == "sources" and events[-1] == "answer" and "token" in events
