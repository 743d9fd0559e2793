"""What the admin pages and the admin JSON API share: the library, uploads, drafts, audit.

Draft review and the audit record are the library's rules (``bot.library.review``); this module
adds what is HTTP's (multipart uploads, status codes) and the routers only call it.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from bot.insights.analytics import Dashboard, build_dashboard
from bot.library import review
from bot.library.library import FileResult, Library
from bot.library.review import DraftReviewed
from bot.library.review import audit as audit  # the routers audit through here
from bot.library.review import audit_upload as audit_upload
from bot.library.uploads import (
    UploadLimits,
    UploadRejected,
    disk_full,
    disk_full_error,
    ensure_space,
    safe_name,
)
from bot.tickets.records import (
    Account,
    ArticleDraft,
    InvalidChange,
    TicketQuery,
    TicketStore,
    utcnow,
)

FILE_FIELDS = ("files", "file")
MAX_FILES = 1000


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


# -- drafts ----------------------------------------------------------------------------------


def approve_draft(
    store: TicketStore,
    library: Library,
    actor: Account,
    draft_id: int,
    title: str | None = None,
    body: str | None = None,
) -> tuple[ArticleDraft, FileResult]:
    """Publish a pending draft (with the admin's edits): ``review.approve_draft`` over HTTP."""
    try:
        return review.approve_draft(store, library, actor, draft_id, title, body)
    except DraftReviewed as err:
        raise HTTPException(409, str(err)) from err
    except InvalidChange as err:
        raise HTTPException(422, str(err)) from err


def reject_draft(store: TicketStore, actor: Account, draft_id: int) -> ArticleDraft:
    """Reject a pending draft: ``review.reject_draft`` over HTTP."""
    try:
        return review.reject_draft(store, actor, draft_id)
    except DraftReviewed as err:
        raise HTTPException(409, str(err)) from err


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
