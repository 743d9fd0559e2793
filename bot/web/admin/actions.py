"""What the admin pages and the admin JSON API share: the library, uploads, drafts, audit.

Each action here does the work and audits it (``store.audit``); the routers only translate
between HTTP and these functions.
"""

from __future__ import annotations

import shutil
import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from bot.insights.analytics import Dashboard, build_dashboard
from bot.library.library import FileResult, Library
from bot.tickets.records import (
    Account,
    ArticleDraft,
    AuditEvent,
    NotFound,
    TicketQuery,
    TicketStore,
    utcnow,
)
from bot.library.uploads import (
    UploadLimits,
    UploadRejected,
    disk_full,
    disk_full_error,
    ensure_space,
    safe_name,
)

FILE_FIELDS = ("files", "file")
MAX_FILES = 1000
_library_guard = threading.Lock()


def get_library(request: Request) -> Library:
    """The app's :class:`Library`, made on first use (one per app: one ingest lock)."""
    state = request.app.state
    with _library_guard:
        library = getattr(state, "library", None)
        if library is None:
            limits = UploadLimits.from_mb(state.settings.max_upload_mb)
            library = state.library = Library(state.kb, limits)
    return library


LibraryDep = Annotated[Library, Depends(get_library)]


def audit(store: TicketStore, actor: Account, action: str, target: str, **detail) -> None:
    """Record an admin action."""
    store.audit(AuditEvent(actor=actor.username, action=action, target=target, detail=detail))


def rejected(err: UploadRejected) -> HTTPException:
    """The HTTP error for a refused upload."""
    return HTTPException(err.status, err.reason)


# -- dashboard -------------------------------------------------------------------------------


def dashboard(store: TicketStore, days: int, channel: str | None = None) -> Dashboard:
    """The dashboard over the last ``days`` days (one ``channel`` only when given)."""
    now = utcnow()
    since = now - timedelta(days=days)
    conversations = store.conversations(since=since, limit=1_000_000)
    feedback = store.feedback(since=since)
    tickets = store.tickets(TicketQuery(limit=1_000_000))
    return build_dashboard(conversations, feedback, tickets, now=now, since=since, channel=channel)


# -- uploads ---------------------------------------------------------------------------------


async def _counted(stream, limits: UploadLimits):
    """Pass the request body on, refusing (413) as soon as it grows past the limit."""
    total = 0
    async for chunk in stream:
        total += len(chunk)
        if total > limits.max_bytes:
            raise limits.too_large()
        yield chunk


async def _read_form(request: Request, limits: UploadLimits) -> FormData:
    """Parse the multipart body with the size limit enforced while it streams in."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UploadRejected("send the files as multipart/form-data in the field 'files'")
    try:
        parser = MultiPartParser(
            request.headers, _counted(request.stream(), limits), max_files=MAX_FILES, max_fields=50
        )
        return await parser.parse()
    except MultiPartException as err:
        raise UploadRejected(f"malformed upload: {err.message}") from err
    except RuntimeError as err:
        if "consumed" not in str(err):
            raise
    # A plain form post carries its CSRF token in the body, so the CSRF check read it already.
    form = await request.form()
    if sum(f.size or 0 for f in _uploads(form)) > limits.max_bytes:
        raise limits.too_large()
    return form


def _uploads(form: FormData) -> list[UploadFile]:
    return [v for key in FILE_FIELDS for v in form.getlist(key) if isinstance(v, UploadFile)]


def _save(form: FormData, folder: Path) -> tuple[list[tuple[str, Path]], list[FileResult]]:
    """Write each uploaded file into ``folder``; bad names become failures, not errors."""
    staged: list[tuple[str, Path]] = []
    failures: list[FileResult] = []
    seen: set[str] = set()
    for i, upload in enumerate(_uploads(form)):
        shown = upload.filename or f"file {i + 1}"
        try:
            name = safe_name(upload.filename or "")
        except UploadRejected as err:
            failures.append(FileResult(shown, "failed", reason=err.reason))
            continue
        if name in seen:
            failures.append(FileResult(name, "failed", reason="the same file name twice"))
            continue
        seen.add(name)
        target = folder / str(i) / name
        target.parent.mkdir()
        upload.file.seek(0)
        with target.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)
        staged.append((name, target))
    return staged, failures


async def receive_upload(request: Request, library: Library) -> list[FileResult]:
    """Take in one upload: size-limited, staged on disk, zips unpacked safely, then ingested.

    Raise :class:`UploadRejected` (413 too large, 422 unusable, 507 disk full) when the upload as
    a whole cannot be used; a bad file inside a good upload is one failed line instead.
    """
    declared = int(request.headers.get("content-length") or 0)
    if declared > library.limits.max_bytes:
        raise library.limits.too_large()
    try:
        with library.staging() as folder:
            ensure_space(folder, declared, library.free_bytes)
            form = await _read_form(request, library.limits)
            try:
                staged, failures = await run_in_threadpool(_save, form, folder)
            finally:
                await form.close()
            if not staged and not failures:
                raise UploadRejected("no files in the upload (use the field 'files')")
            return failures + await run_in_threadpool(library.ingest_staged, staged)
    except OSError as err:
        if disk_full(err):
            raise disk_full_error() from err
        raise


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


# -- drafts ----------------------------------------------------------------------------------


def find_draft(store: TicketStore, draft_id: int) -> ArticleDraft:
    """The draft ``draft_id`` (any status), or NotFound."""
    for draft in store.drafts(status=None):
        if draft.id == draft_id:
            return draft
    raise NotFound(f"no draft {draft_id}")


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
    draft = find_draft(store, draft_id)
    if draft.status != "pending":
        raise HTTPException(409, f"draft {draft_id} is already {draft.status}")
    title = (title if title is not None else draft.title).strip()
    body = (body if body is not None else draft.body).strip()
    if not title or not body:
        raise HTTPException(422, "a title and a body are needed")
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
    draft = find_draft(store, draft_id)
    if draft.status != "pending":
        raise HTTPException(409, f"draft {draft_id} is already {draft.status}")
    return store.set_draft_status(draft_id, "rejected", actor.username)


def draft_dict(draft: ArticleDraft) -> dict:
    """One draft, JSON-ready."""
    return {
        "id": draft.id,
        "title": draft.title,
        "body": draft.body,
        "author": draft.author,
        "ticket_number": draft.ticket_number,
        "status": draft.status,
        "article_id": draft.article_id,
        "created_at": draft.created_at.isoformat(),
    }
