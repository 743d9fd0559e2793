"""``/healthz``: liveness, with what the knowledge base holds."""

from __future__ import annotations

from fastapi import APIRouter

from bot.web.deps import KnowledgeBaseDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(kb: KnowledgeBaseDep) -> dict:
    """Liveness, with the number of indexed articles and chunks."""
    articles, chunks = kb.catalog.counts()
    return {"status": "ok", "articles": articles, "chunks": chunks}
