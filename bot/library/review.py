"""What admins do to the library, with its record: drafts proposed from tickets are reviewed
(approved: published as an article; or rejected), and every change to the library is audited.

Front ends translate: :class:`DraftReviewed` is a conflict (409), ``InvalidChange`` a refused
change (422), ``NotFound`` a 404.
"""

from __future__ import annotations

from bot.library.library import FileResult, Library
from bot.tickets.records import (
    Account,
    ArticleDraft,
    AuditEvent,
    InvalidChange,
    NotFound,
    TicketStore,
)


class DraftReviewed(InvalidChange):
    """The draft was approved or rejected already."""


def audit(store: TicketStore, actor: Account, action: str, target: str, **detail) -> None:
    """Record an admin's action on the library."""
    store.audit(AuditEvent(actor=actor.username, action=action, target=target, detail=detail))


def audit_upload(store: TicketStore, actor: Account, results: list[FileResult]) -> None:
    """Record what an upload did, file by file."""
    names = ", ".join(r.name for r in results)[:200]
    audit(
        store,
        actor,
        "article.upload",
        names,
        files=[{"name": r.name, "status": r.status, "articles": r.articles} for r in results],
    )


def find_draft(store: TicketStore, draft_id: int) -> ArticleDraft:
    """The draft ``draft_id`` (any status), or NotFound."""
    for draft in store.drafts(status=None):
        if draft.id == draft_id:
            return draft
    raise NotFound(f"no draft {draft_id}")


def _pending(store: TicketStore, draft_id: int) -> ArticleDraft:
    draft = find_draft(store, draft_id)
    if draft.status != "pending":
        raise DraftReviewed(f"draft {draft_id} is already {draft.status}")
    return draft


def approve_draft(
    store: TicketStore,
    library: Library,
    actor: Account,
    draft_id: int,
    title: str | None = None,
    body: str | None = None,
) -> tuple[ArticleDraft, FileResult]:
    """Publish a pending draft (with the admin's edits) and mark it approved.

    A draft whose article fails to load or index stays pending; nothing is lost.
    """
    draft = _pending(store, draft_id)
    title = (title if title is not None else draft.title).strip()
    body = (body if body is not None else draft.body).strip()
    if not title or not body:
        raise InvalidChange("a title and a body are needed")
    result = library.publish(draft, title, body)
    if not result.ok:
        audit(store, actor, "draft.approve_failed", str(draft_id), reason=result.reason)
        return draft, result
    article_id = result.articles[0]
    draft = store.set_draft_status(draft_id, "approved", actor.username, article_id=article_id)
    if (title, body) != (draft.title.strip(), draft.body.strip()):
        audit(store, actor, "draft.edit", str(draft_id), article_id=article_id)
    return draft, result


def reject_draft(store: TicketStore, actor: Account, draft_id: int) -> ArticleDraft:
    """Reject a pending draft (the store audits it)."""
    _pending(store, draft_id)
    return store.set_draft_status(draft_id, "rejected", actor.username)
