"""The admin JSON API under ``/api/v1/admin``: everything the admin pages do, for scripts.

Admins only (401 signed out, 403 for employees and agents). Writes from a browser session need
the ``X-CSRF-Token`` header (``GET /api/v1/session`` returns the token).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.library.uploads import UploadRejected
from bot.tickets.records import NotFound
from bot.web.admin import actions
from bot.web.auth import AdminDep
from bot.web.deps import LibraryDep, StoreDep
from bot.web.schemas import (
    ArticleDetail,
    ArticleDraft,
    ArticleList,
    AuditEvent,
    Dashboard,
    Deleted,
    DraftApproved,
    DraftRejected,
    FileResult,
    FileResults,
    errors,
)

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "articles (.md .html .pdf .docx .txt .csv .jsonl) "
                            "or .zip archives of them",
                        }
                    },
                }
            }
        },
    }
}


class DraftEdit(BaseModel):
    """The admin's edits to a draft before it is published (omit to keep the author's text)."""

    title: str | None = Field(None, max_length=300)
    body: str | None = Field(None, max_length=200_000)


def _results(results: list[actions.FileResult]) -> dict:
    return {
        "ok": all(r.ok for r in results),
        "lines": [r.line() for r in results],
        "results": [r.to_dict() for r in results],
    }


@router.get(
    "/dashboard",
    response_model=Dashboard,
    summary="Read the dashboard figures",
    responses=errors(401, 403, 422),
)
def api_dashboard(
    _: AdminDep, store: StoreDep, days: Annotated[int, Query(ge=1, le=3650)] = 90
) -> dict:
    """Conversations, deflection, FCR confirmed/potential, CSAT, tickets, SLA breaches and top
    declined questions over the last ``days`` days: overall, per channel and per ISO week."""
    return actions.dashboard(store, days).to_dict()


@router.get(
    "/articles",
    response_model=ArticleList,
    summary="Find indexed articles",
    responses=errors(401, 403, 422),
)
def api_articles(
    _: AdminDep, library: LibraryDep, q: Annotated[str, Query(max_length=200)] = ""
) -> dict:
    """Indexed articles whose id, title or tags contain every word of ``q``."""
    found = library.find(q)
    articles, chunks = library.kb.catalog.counts()
    return {
        "query": q,
        "total_articles": articles,
        "total_chunks": chunks,
        "count": len(found),
        "articles": [entry.__dict__ for entry in found],
    }


@router.post(
    "/articles/reindex",
    response_model=FileResults,
    summary="Re-index every article",
    responses=errors(401, 403),
)
def api_reindex_all(account: AdminDep, store: StoreDep, library: LibraryDep) -> dict:
    """Re-read every article from its original file and index it again."""
    results = library.reindex_all()
    failed = [r.name for r in results if not r.ok]
    actions.audit(store, account, "kb.reindex", "*", files=len(results), failed=failed)
    return _results(results)


@router.post(
    "/articles/{article_id:path}/reindex",
    response_model=FileResult,
    summary="Re-index one article",
    responses=errors(401, 403, 404),
)
def api_reindex(article_id: str, account: AdminDep, store: StoreDep, library: LibraryDep) -> dict:
    """Re-read one article from its original file and index it again (even if unchanged)."""
    try:
        result = library.reindex(article_id)
    except NotFound as err:
        raise HTTPException(404, str(err)) from err
    actions.audit(store, account, "article.reindex", article_id, ok=result.ok, line=result.line())
    return result.to_dict()


@router.get(
    "/articles/{article_id:path}",
    response_model=ArticleDetail,
    summary="Read an article and its chunks",
    responses=errors(401, 403, 404),
)
def api_article(article_id: str, _: AdminDep, library: LibraryDep) -> dict:
    """One article's metadata and its chunks (restricted articles included)."""
    entry = library.kb.catalog.article(article_id)
    if entry is None:
        raise HTTPException(404, f"no article {article_id!r}")
    chunks = library.kb.catalog.chunks_of(article_id)
    return {**entry.__dict__, "chunks": [c.__dict__ for c in chunks]}


@router.delete(
    "/articles/{article_id:path}",
    response_model=Deleted,
    summary="Delete an article",
    responses=errors(401, 403, 404),
)
def api_delete(article_id: str, account: AdminDep, store: StoreDep, library: LibraryDep) -> dict:
    """Remove an article from every index; its uploaded original moves to ``deleted/``."""
    try:
        entry = library.delete(article_id)
    except NotFound as err:
        raise HTTPException(404, str(err)) from err
    actions.audit(store, account, "article.delete", article_id, title=entry.title)
    return {"deleted": article_id}


@router.post(
    "/uploads",
    openapi_extra=UPLOAD_SCHEMA,
    response_model=FileResults,
    summary="Upload articles or zip archives",
    responses=errors(401, 403, 413, 422, 507),
)
async def api_upload(
    request: Request, account: AdminDep, store: StoreDep, library: LibraryDep
) -> dict:
    """Upload files or zip archives; one result line per file (``FAILED name: reason``).

    413 when the upload is over ``max_upload_mb`` (nothing ingested), 422 when it is unusable,
    507 when the disk is full.
    """
    try:
        results = await actions.receive_upload(request, library)
    except UploadRejected as err:
        await run_in_threadpool(
            actions.audit, store, account, "article.upload_refused", "upload", reason=err.reason
        )
        raise actions.rejected(err) from err
    await run_in_threadpool(actions.audit_upload, store, account, results)
    return _results(results)


@router.get(
    "/drafts",
    response_model=list[ArticleDraft],
    summary="List article drafts",
    responses=errors(401, 403, 422),
)
def api_drafts(
    _: AdminDep,
    store: StoreDep,
    status: Annotated[str, Query(pattern="^(pending|approved|rejected|all)$")] = "pending",
) -> list[dict]:
    """Article drafts proposed from tickets (pending ones by default), newest first."""
    drafts = store.drafts(status=None if status == "all" else status)
    return [actions.draft_dict(d) for d in drafts]


@router.post(
    "/drafts/{draft_id}/approve",
    response_model=DraftApproved,
    summary="Approve and publish a draft",
    responses=errors(401, 403, 404, 409, 422),
)
def api_approve(
    draft_id: int,
    account: AdminDep,
    store: StoreDep,
    library: LibraryDep,
    edit: DraftEdit | None = None,
) -> dict:
    """Publish a draft (optionally edited) as an article, searchable at once."""
    edit = edit or DraftEdit()
    try:
        draft, result = actions.approve_draft(
            store, library, account, draft_id, edit.title, edit.body
        )
    except NotFound as err:
        raise HTTPException(404, str(err)) from err
    if not result.ok:
        raise HTTPException(422, result.line())
    return {"draft": actions.draft_dict(draft), "result": result.to_dict()}


@router.post(
    "/drafts/{draft_id}/reject",
    response_model=DraftRejected,
    summary="Reject a draft",
    responses=errors(401, 403, 404, 409, 422),
)
def api_reject(draft_id: int, account: AdminDep, store: StoreDep) -> dict:
    """Reject a draft."""
    try:
        draft = actions.reject_draft(store, account, draft_id)
    except NotFound as err:
        raise HTTPException(404, str(err)) from err
    return {"draft": actions.draft_dict(draft)}


@router.get(
    "/audit",
    response_model=list[AuditEvent],
    summary="Read the audit log",
    responses=errors(401, 403, 422),
)
def api_audit(
    _: AdminDep, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[dict]:
    """The latest audited actions of agents and admins, newest first."""
    return [
        {
            "id": e.id,
            "actor": e.actor,
            "action": e.action,
            "target": e.target,
            "detail": e.detail,
            "created_at": e.created_at.isoformat(),
        }
        for e in store.audit_events(limit)
    ]
