"""The one place that builds real components from settings (nothing connects at import time)."""

from __future__ import annotations

from retrieval.knowledge_base import KnowledgeBase
from retrieval.reranker import Reranker
from retrieval.retriever import HybridRetriever
from retrieval.settings import RetrievalSettings


def open_knowledge_base(settings: RetrievalSettings | None = None) -> KnowledgeBase:
    """Open (creating if needed) the configured knowledge base."""
    return KnowledgeBase(settings or RetrievalSettings())


def build_retriever(kb: KnowledgeBase) -> HybridRetriever:
    """Hybrid retriever over ``kb``, with the reranker if one is configured."""
    model = kb.settings.rerank_model
    return HybridRetriever(kb, reranker=Reranker(model) if model else None)
