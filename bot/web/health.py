"""``/healthz`` (liveness: the process answers) and ``/readyz`` (readiness: what it depends on
answers too), for load balancers, compose healthchecks and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from bot.web.deps import KnowledgeBaseDep, ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(kb: KnowledgeBaseDep) -> dict:
    """Liveness, with the number of indexed articles and chunks."""
    articles, chunks = kb.catalog.counts()
    return {"status": "ok", "articles": articles, "chunks": chunks}


@router.get("/readyz")
def readyz(services: ServicesDep) -> JSONResponse:
    """Each dependency's status and latency: 200 when ready (or degraded: the LLM is down and
    answers are extractive), 503 when a required one (database, Chroma, task queue) is down."""
    report = services.readiness.report()
    return JSONResponse(report, status_code=503 if report["status"] == "unready" else 200)
