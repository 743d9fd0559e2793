"""What the Desk says in its own words, in Korean and English."""

from __future__ import annotations

import re

DECLINE = {
    "low_confidence": {
        "ko": "죄송합니다. 지식 문서에서 이 질문에 대한 확실한 답을 찾지 못했습니다. "
        "담당자에게 연결해 드릴까요? 티켓을 만들면 IT 담당자가 이 대화를 보고 이어서 도와드립니다.",
        "en": "Sorry, I can't answer this from our knowledge base. Shall I connect you with a "
        "person? A ticket takes this conversation to an IT agent.",
    },
    "no_sources": {
        "ko": "죄송합니다. 이 질문과 관련된 지식 문서가 없습니다. 담당자에게 연결해 드릴까요?",
        "en": "Sorry, there is no article about this in our knowledge base. "
        "Shall I connect you with a person?",
    },
}

FALLBACK_NOTICE = {
    "llm_unavailable": {
        "ko": "(AI 답변 모델에 연결할 수 없어 관련 문서의 내용을 그대로 보여 드립니다.)",
        "en": "(The AI model is not available right now, so here are the most relevant "
        "passages from our articles.)",
    },
    "timeout": {
        "ko": "(AI 답변이 늦어져 관련 문서의 내용을 그대로 보여 드립니다.)",
        "en": "(The AI answer took too long, so here are the most relevant passages.)",
    },
    "rejected": {
        "ko": "(AI 답변이 검증을 통과하지 못해 관련 문서의 내용을 그대로 보여 드립니다.)",
        "en": "(The AI answer did not pass our checks, so here are the most relevant passages.)",
    },
}

# Ways a model says it cannot answer (it may paraphrase the exact sentence it was given).
_REFUSALS = ("답할 수 없", "답변할 수 없", "찾을 수 없", "문서에 없", "can't answer",
             "cannot answer", "can not answer", "not covered", "do not contain",
             "don't contain")  # fmt: skip


def lang_key(language: str) -> str:
    """The message language for an answer language (Korean or English)."""
    return "ko" if language == "ko" else "en"


def is_refusal(text: str) -> bool:
    """Whether a generated answer says that the sources do not answer the question at all.

    An answer that cites a source while saying one part is not covered is a partial answer.
    """
    low = text.lower()
    return any(r in low for r in _REFUSALS) and not re.search(r"\[\d{1,2}\]", text)
