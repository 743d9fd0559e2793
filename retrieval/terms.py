"""Keyword terms for BM25: Korean morphemes from Kiwi plus lower-cased Latin words and numbers."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

# Content-bearing parts of speech: nouns, numerals, verb and adjective stems, roots, foreign words.
_KEEP_TAGS = {"NNG", "NNP", "NR", "NP", "VV", "VA", "XR", "SN", "SL", "SH", "W_URL", "W_EMAIL"}
# Light verbs carry no topic ("설정하다" is about 설정, not 하다).
_LIGHT = {"하", "되", "있", "않", "없", "이", "같", "보", "주", "드리"}
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
_CJK = re.compile(r"[\u3131-\u318e\uac00-\ud7a3\u4e00-\u9fff]")
# Function words that only add noise to BM25 scores of questions.
_STOP = set(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "did",
        "for",
        "from",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "am",
        "been",
        "being",
        "have",
        "has",
        "had",
        "should",
        "would",
        "could",
        "there's",
        "i'm",
        "it's",
    ]
)
_lock = threading.Lock()
_kiwi = None
_stemmer = None


def _get_kiwi():
    global _kiwi
    with _lock:
        if _kiwi is None:
            from kiwipiepy import Kiwi

            _kiwi = Kiwi(num_workers=1)
    return _kiwi


def _get_stemmer():
    global _stemmer
    with _lock:
        if _stemmer is None:
            import Stemmer

            _stemmer = Stemmer.Stemmer("english")
    return _stemmer


def _latin_terms(text: str) -> list[str]:
    out: list[str] = []
    for word in _LATIN_WORD.findall(text.lower()):
        if word in _STOP:
            continue
        out.append(word)
        # "wi-fi", "outlook.exe": also index the parts and the joined form, so "wifi" meets "wi-fi".
        if any(c in word for c in "._-"):
            parts = [p for p in re.split(r"[._-]", word) if p and p not in _STOP]
            out.extend(parts)
            out.append("".join(parts))
    return _get_stemmer().stemWords(out)


def _from_tokens(tokens) -> list[str]:
    terms: list[str] = []
    for tok in tokens:
        tag = tok.tag
        if tag not in _KEEP_TAGS:
            continue
        form = tok.form
        if tag in ("SL", "SN", "SH", "W_URL", "W_EMAIL"):
            terms.extend(_latin_terms(form) or [form.lower()])
        elif form not in _LIGHT:
            terms.append(form)
    return terms


def terms(text: str) -> list[str]:
    """Return the BM25 terms of one text."""
    return terms_many([text])[0]


def terms_many(texts: Iterable[str]) -> list[list[str]]:
    """Return the BM25 terms of many texts; Korean texts go through Kiwi in one batch."""
    texts = list(texts)
    result: list[list[str]] = [[] for _ in texts]
    korean = [i for i, t in enumerate(texts) if _CJK.search(t)]
    korean_set = set(korean)
    for i, t in enumerate(texts):
        if i not in korean_set:
            result[i] = _latin_terms(t)
    if korean:
        kiwi = _get_kiwi()
        for i, tokens in zip(korean, kiwi.tokenize([texts[i] for i in korean]), strict=True):
            result[i] = _from_tokens(tokens)
    return result
