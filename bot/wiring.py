"""The one place that builds real components from settings (nothing connects at import time)."""

from __future__ import annotations

from bot.desk.desk import Desk
from bot.settings import BotSettings
from llm_server.client import OpenAIChatModel
from llm_server.settings import LLMSettings
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


def build_chat_model(llm: LLMSettings, bot: BotSettings) -> OpenAIChatModel | None:
    """The LLM client, or ``None`` when answers are extractive by configuration."""
    if bot.answer_backend != "llm":
        return None
    # One HTTP request never outlives the answer deadline: the Desk falls back instead.
    timeout = min(llm.timeout_s, bot.answer_deadline_s)
    return OpenAIChatModel(llm.model_copy(update={"timeout_s": timeout}))


def build_desk(kb: KnowledgeBase, bot: BotSettings, llm: LLMSettings | None = None) -> Desk:
    """The Desk over ``kb`` with the configured answer backend."""
    chat = build_chat_model(llm or LLMSettings(), bot)
    return Desk(build_retriever(kb), bot, chat)
