"""The IT glossary bridges slang and the two languages for the keyword ranker."""

from __future__ import annotations

import pytest

from retrieval.glossary import DEFAULT, Glossary, load_glossary
from retrieval.terms import terms

pytestmark = pytest.mark.unit


def test_korean_slang_reaches_the_english_and_formal_words() -> None:
    extra = load_glossary(str(DEFAULT)).expand(terms("비번 까먹었어요"))
    assert "password" in extra and "패스워드" in extra


def test_english_word_reaches_korean() -> None:
    assert "노트북" in load_glossary(str(DEFAULT)).expand(terms("my laptop is slow"))


def test_multi_word_phrase_needs_all_its_words() -> None:
    g = Glossary.from_text("원격 데스크톱, rdp\n")
    assert "rdp" in g.expand(terms("원격 데스크톱 연결"))
    assert g.expand(terms("원격 근무")) == []


def test_terms_already_in_the_query_are_not_repeated() -> None:
    g = Glossary.from_text("# comment\nvpn, globalprotect\n\nsingle\n")
    assert len(g) == 1
    assert g.expand(["vpn", "globalprotect"]) == []
