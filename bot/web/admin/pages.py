"""Admin pages: dashboard, articles (search, read, delete, re-index), upload, drafts, audit.

Admins only: employees and agents get the 403 page, signed-out visitors the sign-in page. Every
form carries the CSRF token; the JSON twins of these pages live in :mod:`bot.web.admin.api`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.library.library import FileResult
from bot.library.uploads import UploadRejected
from bot.tickets.records import NotFound
from bot.web.admin import accounts_api, actions, analytics_api
from bot.web.admin import api as admin_api
from bot.web.admin import insights as admin_insights
from bot.web.admin.accounts import pages as account_pages
from bot.web.admin.views import charts, kpis
from bot.web.auth import AdminDep, language
from bot.web.deps import IncidentsDep, LibraryDep, QuestionsDep, SettingsDep, StoreDep
from bot.web.i18n import texts
from bot.web.pages import render

pages = APIRouter(prefix="/admin", include_in_schema=False)

Days = Annotated[int, Query(ge=1, le=3650)]


@pages.get("", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    account: AdminDep,
    store: StoreDep,
    questions: QuestionsDep,
    settings: SettingsDep,
    monitor: IncidentsDep,
    days: Days = 90,
):
    """The dashboard: headline figures, weekly lines, bars, per-channel table, top declines."""
    dash = actions.dashboard(store, days)
    t = render_texts(request)
    gaps = admin_insights.gaps_of(questions, store, settings, days)
    incidents = admin_insights.active_incidents(monitor)
    return render(
        request,
        "admin_dashboard.html",
        account,
        section="dashboard",
        dash=dash,
        days=days,
        kpis=kpis(dash.overall, t),
        charts=charts(dash, t),
        gaps=gaps,
        incidents=incidents,
    )


def render_texts(request: Request) -> dict[str, str]:
    """The UI texts in the request's language (the charts need them before rendering)."""
    return texts(language(request))


# -- articles --------------------------------------------------------------------------------


def _articles_page(
    request: Request, account, library, q: str = "", results: list[FileResult] | None = None
) -> HTMLResponse:
    articles, chunks = library.kb.catalog.counts()
    return render(
        request,
        "admin_articles.html",
        account,
        section="articles",
        q=q,
        entries=library.find(q),
        total_articles=articles,
        total_chunks=chunks,
        results=results or [],
    )


@pages.get("/articles", response_class=HTMLResponse)
def articles_page(
    request: Request,
    account: AdminDep,
    library: LibraryDep,
    q: Annotated[str, Query(max_length=200)] = "",
):
    """Every indexed article, searchable by title, id and tags."""
    return _articles_page(request, account, library, q)


@pages.post("/articles/reindex", response_class=HTMLResponse)
def reindex_all_form(request: Request, account: AdminDep, store: StoreDep, library: LibraryDep):
    """Re-index everything; the page lists one line per file."""
    results = library.reindex_all()
    failed = [r.name for r in results if not r.ok]
    actions.audit(store, account, "kb.reindex", "*", files=len(results), failed=failed)
    return _articles_page(request, account, library, results=results)


@pages.post("/articles/{article_id:path}/reindex", response_class=HTMLResponse)
def reindex_form(
    request: Request, article_id: str, account: AdminDep, store: StoreDep, library: LibraryDep
):
    """Re-index one article."""
    try:
        result = library.reindex(article_id)
    except NotFound as err:
        raise HTTPException(404, str(err)) from err
    actions.audit(store, account, "article.reindex", article_id, ok=result.ok, line=result.line())
    return _articles_page(request, account, library, results=[result])


@pages.post("/articles/{article_id:path}/delete", response_class=HTMLResponse)
def delete_form(
    request: Request,
    article_id: str,
    account: AdminDep,
    store: StoreDep,
    library: LibraryDep,
    confirm: Annotated[str, Form()] = "",
):
    """Delete one article (the form must say ``confirm=yes``)."""
    if confirm != "yes":
        raise HTTPException(422, "confirm the deletion (confirm=yes)")
    try:
        entry = library.delete(article_id)
    except NotFound as err:
        raise HTTPException(404, str(err)) from err
    actions.audit(store, account, "article.delete", article_id, title=entry.title)
    deleted = FileResult(article_id, "deleted", [article_id])
    return _articles_page(request, account, library, results=[deleted])


@pages.get("/articles/{article_id:path}", response_class=HTMLResponse)
def article_page(request: Request, article_id: str, account: AdminDep, library: LibraryDep):
    """One article: metadata, chunks, delete and re-index."""
    entry = library.kb.catalog.article(article_id)
    if entry is None:
        raise HTTPException(404, f"no article {article_id!r}")
    chunks = library.kb.catalog.chunks_of(article_id)
    return render(
        request, "admin_article.html", account, section="articles", entry=entry, chunks=chunks
    )


# -- upload ----------------------------------------------------------------------------------


def _upload_page(request, account, library, results=None, error="", status_code=200):
    return render(
        request,
        "admin_upload.html",
        account,
        status_code=status_code,
        section="upload",
        max_mb=library.limits.max_bytes // 1_048_576,
        max_bytes=library.limits.max_bytes,
        results=results or [],
        error=error,
    )


@pages.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request, account: AdminDep, library: LibraryDep):
    """Upload files or a zip; the script shows progress and one line per file."""
    return _upload_page(request, account, library)


@pages.post("/upload", response_class=HTMLResponse)
async def upload_form(request: Request, account: AdminDep, store: StoreDep, library: LibraryDep):
    """The same upload without JavaScript: the page comes back with the lines."""
    try:
        results = await actions.receive_upload(request, library)
    except UploadRejected as err:
        await run_in_threadpool(
            actions.audit, store, account, "article.upload_refused", "upload", reason=err.reason
        )
        return _upload_page(request, account, library, error=err.reason, status_code=err.status)
    await run_in_threadpool(actions.audit_upload, store, account, results)
    return _upload_page(request, account, library, results=results)


# -- drafts and audit ------------------------------------------------------------------------


def _drafts_page(request, account, store, result: FileResult | None = None, status_code=200):
    return render(
        request,
        "admin_drafts.html",
        account,
        status_code=status_code,
        section="drafts",
        drafts=store.drafts(status="pending"),
        recent=[d for d in store.drafts(status=None) if d.status != "pending"][:20],
        result=result,
    )


@pages.get("/drafts", response_class=HTMLResponse)
def drafts_page(request: Request, account: AdminDep, store: StoreDep):
    """Pending drafts to edit, approve (publish) or reject."""
    return _drafts_page(request, account, store)


@pages.post("/drafts/{draft_id}", response_class=HTMLResponse)
def draft_form(
    request: Request,
    draft_id: int,
    account: AdminDep,
    store: StoreDep,
    library: LibraryDep,
    action: Annotated[str, Form(pattern="^(approve|reject)$")],
    title: Annotated[str | None, Form(max_length=300)] = None,
    body: Annotated[str | None, Form(max_length=200_000)] = None,
) -> Response:
    """Approve (publish, with the edits) or reject one draft."""
    try:
        if action == "reject":
            draft = actions.reject_draft(store, account, draft_id)
            result = FileResult(draft.title, "rejected")
        else:
            _, result = actions.approve_draft(store, library, account, draft_id, title, body)
    except NotFound as err:
        raise HTTPException(404, str(err)) from err
    return _drafts_page(request, account, store, result, 200 if result.ok else 422)


@pages.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    account: AdminDep,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
):
    """The latest audited actions."""
    events = store.audit_events(limit)
    return render(request, "admin_audit.html", account, section="audit", events=events)


# The one router the app includes: these pages and their JSON twins under /api/v1/admin.
router = APIRouter()
router.include_router(pages)
router.include_router(account_pages)
router.include_router(admin_api.router)
router.include_router(accounts_api.router)
router.include_router(analytics_api.router)  # agents may read it too
router.include_router(admin_insights.router)
