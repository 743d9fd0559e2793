"""Rendering pages: the shared Jinja2 templates and the sign-in / forbidden error pages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from bot.tickets.records import Account, InvalidChange, NotFound
from bot.web.auth import (
    PageForbidden,
    SignInRequired,
    current_account,
    is_api,
    login_redirect,
    page_context,
)
from bot.web.rate_limit import TooManyRequests

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def when(moment: datetime | None) -> str:
    """A stored (UTC) time for people: ``2025-01-31 14:05 UTC``; ``-`` when unset."""
    if moment is None:
        return "-"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


TEMPLATES.env.filters["when"] = when


def render(
    request: Request,
    template: str,
    account: Account | None = None,
    status_code: int = 200,
    **extra,
) -> HTMLResponse:
    """Render ``template`` with :func:`bot.web.auth.page_context` (texts, language, CSRF token)."""
    context = page_context(request, account, **extra)
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def _error_page(request: Request, status_code: int, key: str) -> Response:
    account = current_account(request)
    return render(request, "error.html", account, status_code=status_code, error_key=key)


def _forbidden(request: Request, exc: PageForbidden) -> Response:
    return _error_page(request, 403, "forbidden")


def _not_found(request: Request, exc: NotFound) -> Response:
    if is_api(request):
        return JSONResponse({"detail": str(exc).strip("'\"")}, status_code=404)
    return _error_page(request, 404, "not_found")


def _too_many(request: Request, exc: TooManyRequests) -> Response:
    if is_api(request):
        return JSONResponse({"detail": exc.detail}, status_code=429, headers=exc.headers)
    page = _error_page(request, 429, "too_many")
    page.headers.update(exc.headers or {})
    return page


def _invalid(request: Request, exc: InvalidChange) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=422)


def install_error_pages(app: FastAPI) -> None:
    """Signed-out page visits go to /login; a wrong role gets a 403 page; unknown records 404;
    a refused change 422 with the reason."""
    app.add_exception_handler(SignInRequired, login_redirect)  # type: ignore[arg-type]
    app.add_exception_handler(PageForbidden, _forbidden)  # type: ignore[arg-type]
    app.add_exception_handler(NotFound, _not_found)  # type: ignore[arg-type]
    app.add_exception_handler(InvalidChange, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(TooManyRequests, _too_many)  # type: ignore[arg-type]
