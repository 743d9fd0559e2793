"""Admin pages and /api/v1/admin over HTTP: the real app, a real SQLite store, a small real KB."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta

import httpx
import pytest

from bot.library.uploads import free_disk_bytes
from bot.settings import SAMPLE_KB
from bot.tickets.accounts import hash_password
from bot.tickets.records import Account, ArticleDraft, Feedback, TicketDraft, TurnRecord, utcnow
from ingest.pipeline import Ingestor
from tests import sites
from tests.conftest import QUIET, make_kb
from tests.fakes import FakeClock, FixedTriage
from tests.sites import build_site, site_config

pytestmark = pytest.mark.e2e

SAMPLES = ["account/mfa-otp-en.md", "general/contact-it-service-desk.md", "files/file-recovery.md"]
PASSWORDS = {"admin": "admin-pw-1", "agent": "agent-pw-1", "employee": "employee-pw-1"}
STAPLER = """---
id: quantum-stapler
title: Quantum stapler jams
tags: [office, stapler]
---
# Quantum stapler jams

When the quantum stapler jams, open the tachyon tray and remove the bent staples.
Then press the recalibrate button for five seconds until the light turns green.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("admin")
    source = root / "kb_source"
    for rel in SAMPLES:
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE_KB / rel, source / rel)
    kb = make_kb(root / "data")
    assert Ingestor(kb, QUIET).run([source]).ok
    config = site_config(
        kb.settings.data_dir, database_url=f"sqlite:///{root}/desk.db", max_upload_mb=1
    )
    clock = FakeClock()  # movable, so the seeded history can lie in the past
    site = build_site(config, kb=kb, clock=clock, triage=FixedTriage(), serve=True)
    for name, password in PASSWORDS.items():
        site.store.add_account(Account(name, name), hash_password(password))  # type: ignore[arg-type]
    yield {"url": site.url, "kb": kb, "store": site.store, "services": site.services}
    site.stop()
    kb.close()


def sign_in(url: str, username: str) -> httpx.Client:
    """A client signed in through the /login form, sending the CSRF header on API writes."""
    return sites.sign_in(url, username, PASSWORDS[username], timeout=120)


@pytest.fixture(scope="module")
def admin(site) -> Iterator[httpx.Client]:
    client = sign_in(site["url"], "admin")
    yield client
    client.close()


def search_ids(client: httpx.Client, q: str) -> list[str]:
    return [h["article_id"] for h in client.get("/api/v1/search", params={"q": q}).json()["hits"]]


def upload(client: httpx.Client, *files: tuple[str, bytes]) -> httpx.Response:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return client.post("/api/v1/admin/uploads", files=parts)


def ensure_stapler(client: httpx.Client) -> None:
    """Upload stapler.md (unchanged when an earlier test did already)."""
    assert upload(client, ("stapler.md", STAPLER.encode())).json()["ok"]


def zipped(*entries: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def audit_actions(client: httpx.Client) -> list[str]:
    return [e["action"] for e in client.get("/api/v1/admin/audit").json()]


PAGES = ["/admin", "/admin/articles", "/admin/upload", "/admin/drafts", "/admin/audit"]
APIS = ["/api/v1/admin/dashboard", "/api/v1/admin/articles", "/api/v1/admin/drafts"]


@pytest.mark.parametrize("role", ["employee", "agent"])
def test_employees_and_agents_get_403_on_admin_pages_and_apis(site, role) -> None:
    with closing(sign_in(site["url"], role)) as client:
        for path in [*PAGES, "/admin/articles/KB-MFA-001-en"]:
            assert client.get(path).status_code == 403, path
        for path in APIS:
            assert client.get(path).status_code == 403, path
        refused = upload(client, ("stapler.md", STAPLER.encode()))
        assert refused.status_code == 403
        assert client.delete("/api/v1/admin/articles/KB-MFA-001-en").status_code == 403
        assert "nav-admin" not in client.get("/search").text
    assert site["kb"].catalog.article("quantum-stapler") is None
    assert site["kb"].catalog.article("KB-MFA-001-en") is not None


def test_signed_out_visitors_are_sent_to_sign_in(site) -> None:
    page = httpx.get(site["url"] + "/admin/upload", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert httpx.get(site["url"] + "/api/v1/admin/dashboard").status_code == 401


def test_an_uploaded_markdown_file_is_searchable_at_once(site, admin) -> None:
    response = upload(admin, ("stapler.md", STAPLER.encode()))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] and body["lines"] == ["ADDED stapler.md: quantum-stapler"]
    assert search_ids(admin, "quantum stapler tachyon tray")[0] == "quantum-stapler"
    original = site["kb"].settings.data_dir / "uploads" / "stapler.md"
    assert original.read_text(encoding="utf-8") == STAPLER
    assert "article.upload" in audit_actions(admin)


def test_a_zip_ingests_the_good_file_and_lists_each_failed_one(site, admin) -> None:
    good = STAPLER.replace("quantum-stapler", "flux-printer").replace("stapler", "printer")
    archive = zipped(
        ("docs/flux-printer.md", good.encode()),
        ("docs/broken.pdf", b"this is not a PDF at all"),
        ("docs/empty.md", b"   \n"),
        ("__MACOSX/._flux-printer.md", b"junk"),
    )
    body = upload(admin, ("bundle.zip", archive)).json()
    lines = body["lines"]
    assert not body["ok"]
    failed = sorted(line for line in lines if line.startswith("FAILED"))
    assert len(failed) == 2 and len(lines) == 3
    assert failed[0].startswith("FAILED bundle.zip/docs/broken.pdf: ")
    assert failed[1] == "FAILED bundle.zip/docs/empty.md: empty: no text found"
    assert "ADDED bundle.zip/docs/flux-printer.md: flux-printer" in lines
    assert "flux-printer" in search_ids(admin, "quantum printer tachyon tray")
    assert (
        site["kb"].settings.data_dir / "uploads" / "bundle" / "docs" / "flux-printer.md"
    ).exists()


def test_an_oversized_upload_gets_413_and_nothing_is_ingested(site, admin) -> None:
    before = site["kb"].catalog.counts()
    big = STAPLER.replace("quantum-stapler", "huge-article") + "filler words " * 100_000
    response = upload(admin, ("huge.md", big.encode()))
    assert response.status_code == 413
    assert "too large" in response.json()["detail"] and "1 MB" in response.json()["detail"]
    assert site["kb"].catalog.counts() == before
    assert site["kb"].catalog.article("huge-article") is None
    assert not (site["kb"].settings.data_dir / "uploads" / "huge.md").exists()


def test_zips_with_unsafe_paths_or_bombs_are_refused(site, admin, tmp_path) -> None:
    evil = STAPLER.replace("quantum-stapler", "evil-article")
    body = upload(
        admin,
        ("escape.zip", zipped(("../../evil.md", evil.encode()))),
        ("absolute.zip", zipped(("/tmp/evil.md", evil.encode()))),
        ("bomb.zip", zipped(("zeros.txt", b"0" * 12 * 1_048_576))),  # 12 MB > 10 x 1 MB
    ).json()
    lines = sorted(body["lines"])
    assert lines[0] == "FAILED absolute.zip: refused: entry '/tmp/evil.md' has an absolute path"
    assert lines[1].startswith("FAILED bomb.zip: refused: unpacks to 12 MB, the limit is 10 MB")
    assert (
        lines[2] == "FAILED escape.zip: refused: entry '../../evil.md' points outside the archive"
    )
    assert site["kb"].catalog.article("evil-article") is None
    data = site["kb"].settings.data_dir
    assert not list(data.parent.rglob("evil.md"))


def test_malformed_requests_get_a_clear_error(admin) -> None:
    empty = admin.post("/api/v1/admin/uploads", files=[("other", ("a.md", b"x"))])
    assert empty.status_code == 422 and "no files" in empty.json()["detail"]
    not_multipart = admin.post("/api/v1/admin/uploads", json={"files": []})
    assert not_multipart.status_code == 422 and "multipart" in not_multipart.json()["detail"]
    unsupported = upload(admin, ("virus.exe", b"MZ...")).json()
    assert unsupported["lines"] == ["FAILED virus.exe: unsupported file type .exe"]


def test_a_full_disk_gets_507_and_nothing_is_lost(site, admin) -> None:
    admin.get("/api/v1/admin/articles")  # the library exists once an admin route has run
    library = site["services"].library
    before = site["kb"].catalog.counts()
    library.free_bytes = lambda folder: 0  # the seam: the disk reports no free space
    try:
        response = upload(admin, ("disk.md", STAPLER.replace("quantum-stapler", "disk").encode()))
    finally:
        library.free_bytes = free_disk_bytes
    assert response.status_code == 507 and "disk is full" in response.json()["detail"]
    assert site["kb"].catalog.counts() == before


def test_the_upload_page_works_without_javascript(site, admin) -> None:
    page = admin.get("/admin/upload").text
    for element in ('id="upload-input"', 'id="upload-button"', 'id="upload-results"'):
        assert element in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    doc = STAPLER.replace("quantum-stapler", "form-article").replace("Quantum", "Plasma")
    with httpx.Client(base_url=site["url"], cookies=admin.cookies) as browser:
        result = browser.post(
            "/admin/upload",
            data={"csrf_token": token},
            files=[("files", ("form.md", doc.encode(), "text/markdown"))],
        )
    assert result.status_code == 200
    assert 'data-status="added">ADDED form.md: form-article</li>' in result.text


def test_delete_removes_an_article_from_search(site, admin) -> None:
    assert "KB-MFA-001-en" in search_ids(admin, "authenticator app new phone OTP")
    assert admin.delete("/api/v1/admin/articles/KB-MFA-001-en").json() == {
        "deleted": "KB-MFA-001-en"
    }
    assert "KB-MFA-001-en" not in search_ids(admin, "authenticator app new phone OTP")
    assert admin.get("/api/v1/admin/articles/KB-MFA-001-en").status_code == 404
    assert admin.delete("/api/v1/admin/articles/KB-MFA-001-en").status_code == 404
    assert "article.delete" in audit_actions(admin)


def test_the_delete_form_needs_its_confirmation(site, admin) -> None:
    page = admin.get("/admin/articles", params={"q": "file-recovery"}).text
    rows = re.findall(r'data-testid="article-row" data-article-id="([^"]+)"', page)
    assert rows == ["KB-FILE-002"]
    article_id = rows[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    url = f"/admin/articles/{article_id}/delete"
    unconfirmed = admin.post(url, data={"csrf_token": token})
    assert unconfirmed.status_code == 422
    assert site["kb"].catalog.article(article_id) is not None
    done = admin.post(url, data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 200 and f"DELETED {article_id}" in done.text
    assert site["kb"].catalog.article(article_id) is None


def test_reindex_one_and_all_keeps_what_cannot_be_reread(site, admin) -> None:
    ensure_stapler(admin)
    one = admin.post("/api/v1/admin/articles/quantum-stapler/reindex").json()
    assert (
        one["status"] == "reindexed" and one["line"] == "REINDEXED quantum-stapler: quantum-stapler"
    )
    original = site["kb"].settings.data_dir / "uploads" / "stapler.md"
    moved = original.with_suffix(".away")
    original.rename(moved)
    try:
        gone = admin.post("/api/v1/admin/articles/quantum-stapler/reindex").json()
        assert gone["status"] == "failed" and "is gone" in gone["reason"]
        assert site["kb"].catalog.article("quantum-stapler") is not None
        everything = admin.post("/api/v1/admin/articles/reindex").json()
        assert any("stapler.md" in line and "is gone" in line for line in everything["lines"])
        assert sum(r["ok"] for r in everything["results"]) >= 2
    finally:
        moved.rename(original)
    assert "quantum-stapler" in search_ids(admin, "quantum stapler tachyon tray")
    assert {"article.reindex", "kb.reindex"} <= set(audit_actions(admin))


def test_an_approved_draft_is_searchable_at_once(site, admin) -> None:
    store = site["store"]
    draft = store.add_draft(
        ArticleDraft(
            title="Holographic badge reader",
            body="If the holographic badge reader blinks red, wipe the prism and tap again.",
            author="agent",
            ticket_number="SD-000042",
        )
    )
    listed = admin.get("/api/v1/admin/drafts").json()
    assert draft.id in [d["id"] for d in listed]
    response = admin.post(
        f"/api/v1/admin/drafts/{draft.id}/approve",
        json={"title": "Holographic badge reader blinks red"},
    )
    assert response.status_code == 200, response.text
    article_id = response.json()["draft"]["article_id"]
    assert article_id == "holographic-badge-reader-blinks-red"
    assert search_ids(admin, "holographic badge reader prism")[0] == article_id
    assert (site["kb"].settings.data_dir / "articles" / f"{article_id}.md").exists()
    again = admin.post(f"/api/v1/admin/drafts/{draft.id}/approve")
    assert again.status_code == 409
    assert "draft.approve" in audit_actions(admin)


def test_drafts_are_approved_and_rejected_from_the_page(site, admin) -> None:
    store = site["store"]
    keep = store.add_draft(
        ArticleDraft(title="프린터 토너 교체", body="토너 덮개를 열고 교체하세요.", author="agent")
    )
    drop = store.add_draft(ArticleDraft(title="Bad idea", body="Reboot the CEO.", author="agent"))
    page = admin.get("/admin/drafts").text
    assert f'id="draft-approve-{keep.id}"' in page and f'id="draft-reject-{drop.id}"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    approved = admin.post(
        f"/admin/drafts/{keep.id}",
        data={"csrf_token": token, "action": "approve", "title": keep.title, "body": keep.body},
    )
    assert approved.status_code == 200
    assert f"ADDED draft-{keep.id}.md: draft-{keep.id}</li>" in approved.text  # Korean: no slug
    rejected = admin.post(
        f"/admin/drafts/{drop.id}", data={"csrf_token": token, "action": "reject"}
    )
    assert rejected.status_code == 200
    statuses = {d["id"]: d for d in admin.get("/api/v1/admin/drafts?status=all").json()}
    assert statuses[keep.id]["status"] == "approved" and statuses[drop.id]["status"] == "rejected"
    assert statuses[keep.id]["article_id"] in search_ids(admin, "프린터 토너 교체")


def test_writes_without_the_csrf_token_get_403(site, admin) -> None:
    ensure_stapler(admin)
    bare = httpx.Client(base_url=site["url"], cookies=admin.cookies)
    with bare:
        assert bare.post("/api/v1/admin/articles/reindex").status_code == 403
        assert bare.delete("/api/v1/admin/articles/quantum-stapler").status_code == 403
        form = bare.post("/admin/articles/quantum-stapler/delete", data={"confirm": "yes"})
        assert form.status_code == 403
        refused = bare.post("/api/v1/admin/uploads", files=[("files", ("x.md", b"# x\n\ny"))])
        assert refused.status_code == 403
    assert site["kb"].catalog.article("quantum-stapler") is not None


def test_dashboard_figures_match_a_seeded_history(site, admin) -> None:
    store, clock = site["store"], site["store"].clock
    past = utcnow() - timedelta(days=10)
    clock.offset = timedelta(days=-10)
    try:
        answered = {
            "decision": "answered",
            "retrieved": ["a1"],
            "citations": [{"article_id": "a1"}],
        }
        declined = {"decision": "declined", "retrieved": [], "citations": []}
        confirmed = store.start_conversation("web", "emp1")
        potential = store.start_conversation("slack", "emp2")
        escalated = store.start_conversation("web", "emp3")
        for conv, answer, question in (
            (confirmed, answered, "VPN drops"),
            (potential, answered, "Printer jam"),
            (escalated, declined, "How do I get a parking permit?"),
        ):
            store.add_turn(conv.id, TurnRecord("user", question, created_at=past))
            store.add_turn(conv.id, TurnRecord("assistant", "...", answer=answer, created_at=past))
        store.add_feedback(Feedback(confirmed.id, "emp1", "resolved", created_at=past))
        store.add_feedback(Feedback(confirmed.id, "emp1", "helpful", created_at=past))
        store.add_feedback(
            Feedback(potential.id, "emp2", "not_helpful", channel="slack", created_at=past)
        )
        draft = TicketDraft("Parking permit", "needs a permit", "other", "P4", "Service Desk")
        store.file_ticket(escalated.id, draft, "emp3", "web", "seed-1")
    finally:
        clock.offset = timedelta(0)
    data = admin.get("/api/v1/admin/dashboard", params={"days": 30}).json()
    o = data["overall"]
    assert o["conversations"] == 3
    assert (
        o["outcomes"]["confirmed"] == o["outcomes"]["potential"] == o["outcomes"]["escalated"] == 1
    )
    assert (o["deflection"], o["fcr_confirmed"], o["fcr_potential"]) == (0.6667, 0.3333, 0.3333)
    assert (o["csat"], o["votes_helpful"], o["votes_not_helpful"]) == (0.5, 1, 1)
    assert o["tickets_by_priority"]["P4"] == 1 and o["tickets_by_status"]["new"] == 1
    assert o["sla_breaches"]["open"] == {"response": 1, "resolution": 1}  # 10 days old, P4
    assert o["top_declined"][0]["question"] == "How do I get a parking permit?"
    assert data["by_channel"]["slack"]["conversations"] == 1
    assert data["by_channel"]["slack"]["csat"] == 0.0
    assert len(data["by_week"]) >= 1
    page = admin.get("/admin", params={"days": 30}).text
    for chart in ("chart-weekly-volume", "chart-weekly-rates", "chart-outcomes", "chart-sla"):
        assert f'id="{chart}"' in page
    assert re.search(r'id="kpi-conversations"><div class="value" data-testid="kpi-value">3<', page)
    assert "How do I get a parking permit?" in page


def test_admin_pages_speak_korean_and_english(admin) -> None:
    english = admin.get("/admin/articles", params={"lang": "en"}).text
    assert "Re-index everything" in english and 'data-testid="article-row"' in english
    korean = admin.get("/admin/articles", params={"lang": "ko"}).text
    assert "전체 재색인" in korean and "Re-index everything" not in korean
    assert '<html lang="ko">' in admin.get("/admin").text  # the choice sticks (cookie)


def test_the_audit_page_lists_admin_actions(admin) -> None:
    ensure_stapler(admin)
    note = STAPLER.replace("quantum-stapler", "short-lived")
    upload(admin, ("short.md", note.encode()))
    assert admin.delete("/api/v1/admin/articles/short-lived").status_code == 200
    page = admin.get("/admin/audit", params={"lang": "en"}).text
    assert 'data-action="article.upload"' in page and 'data-action="article.delete"' in page


def test_the_openapi_document_lists_the_admin_api(admin) -> None:
    paths = admin.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/admin/dashboard",
        "/api/v1/admin/articles",
        "/api/v1/admin/articles/{article_id}",
        "/api/v1/admin/articles/{article_id}/reindex",
        "/api/v1/admin/articles/reindex",
        "/api/v1/admin/uploads",
        "/api/v1/admin/drafts/{draft_id}/approve",
        "/api/v1/admin/drafts/{draft_id}/reject",
        "/api/v1/admin/audit",
    ):
        assert path in paths, path
