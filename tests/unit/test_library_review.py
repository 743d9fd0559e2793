"""Draft review in the core: approve publishes and marks, reject marks, both once; audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.library.library import Library
from bot.library.review import DraftReviewed, approve_draft, audit, find_draft, reject_draft
from bot.library.uploads import UploadLimits
from bot.settings import DEFAULT_SLA_HOURS
from bot.store import SqlStore, upgrade
from bot.tickets.records import Account, ArticleDraft, InvalidChange, NotFound
from ingest.settings import IngestSettings
from retrieval.knowledge_base import KnowledgeBase
from retrieval.settings import RetrievalSettings

pytestmark = pytest.mark.unit

ADMIN = Account("admin", "admin")


@pytest.fixture()
def store() -> Iterator[SqlStore]:
    sql = SqlStore("sqlite://", DEFAULT_SLA_HOURS)
    upgrade(sql.engine)
    yield sql
    sql.close()


@pytest.fixture()
def library(tmp_path) -> Iterator[Library]:
    settings = RetrievalSettings(_env_file=None, data_dir=tmp_path, embedder="hash")
    kb = KnowledgeBase(settings)
    yield Library(kb, UploadLimits.from_mb(5), IngestSettings(_env_file=None, progress=False))
    kb.close()


def _draft(store: SqlStore) -> ArticleDraft:
    return store.add_draft(
        ArticleDraft("Printer jam on floor 3", "Open tray two and remove the paper.", "agent")
    )


def test_approving_publishes_the_edited_article_and_audits_the_edit(store, library) -> None:
    draft = _draft(store)
    approved, result = approve_draft(store, library, ADMIN, draft.id, body="Open tray 2.")
    assert result.ok and approved.status == "approved" and approved.article_id
    assert library.kb.catalog.article(approved.article_id) is not None
    actions = [e.action for e in store.audit_events()]
    assert "draft.approve" in actions and "draft.edit" in actions


def test_a_draft_is_reviewed_once(store, library) -> None:
    draft = _draft(store)
    reject_draft(store, ADMIN, draft.id)
    assert find_draft(store, draft.id).status == "rejected"
    with pytest.raises(DraftReviewed, match="already rejected"):
        approve_draft(store, library, ADMIN, draft.id)
    with pytest.raises(DraftReviewed):
        reject_draft(store, ADMIN, draft.id)


def test_an_empty_title_or_body_is_refused_and_the_draft_stays_pending(store, library) -> None:
    draft = _draft(store)
    with pytest.raises(InvalidChange, match="a title and a body"):
        approve_draft(store, library, ADMIN, draft.id, title="  ")
    assert find_draft(store, draft.id).status == "pending"


def test_an_unknown_draft_is_not_found(store) -> None:
    with pytest.raises(NotFound):
        reject_draft(store, ADMIN, 404)


def test_library_actions_are_audited_with_their_detail(store) -> None:
    audit(store, ADMIN, "article.delete", "KB-1", title="Old")
    event = store.audit_events()[0]
    assert (event.actor, event.action, event.target, event.detail) == (
        "admin",
        "article.delete",
        "KB-1",
        {"title": "Old"},
    )
