"""Chunking keeps section paths and respects the token budget."""

from __future__ import annotations

import pytest

from ingest.articles import Article
from ingest.chunking import chunk_article
from tests.fakes import HashEmbeddings

pytestmark = pytest.mark.unit
count = HashEmbeddings().count_tokens


def _article(text: str, title: str = "VPN guide") -> Article:
    return Article("KB-1", title, text, "kb/vpn.md")


def test_section_path_follows_nested_headings() -> None:
    text = (
        "# VPN guide\n\nIntro text.\n\n## Install\n\nRun the installer.\n\n### Errors\n\nCode 12."
    )
    chunks = chunk_article(_article(text), count, size=50, overlap=5)
    assert [c.section for c in chunks] == ["", "Install", "Install > Errors"]
    assert chunks[2].text == "Code 12."


def test_chunks_fit_the_token_budget_and_overlap() -> None:
    body = " ".join(f"word{i}." for i in range(400))
    chunks = chunk_article(_article(f"## Long\n\n{body}"), count, size=60, overlap=10)
    assert len(chunks) > 5
    assert all(count(c.indexed_text) <= 60 for c in chunks)
    # Overlap: each chunk starts with words the previous one ended with.
    first_words = chunks[1].text.split()[:3]
    assert all(w in chunks[0].text.split() for w in first_words)


def test_every_word_survives_chunking() -> None:
    body = " ".join(f"w{i}" for i in range(300))
    chunks = chunk_article(_article(body), count, size=40, overlap=0)
    seen = {w for c in chunks for w in c.text.split()}
    assert seen == set(body.split())


def test_chunk_ids_are_stable_and_ordered() -> None:
    chunks = chunk_article(_article("## A\n\none\n\n## B\n\ntwo"), count, size=50, overlap=5)
    assert [c.chunk_id for c in chunks] == ["KB-1#0", "KB-1#1"]


def test_title_only_article_still_gets_a_chunk() -> None:
    chunks = chunk_article(_article("", title="Connecting with an HDMI cable"), count, 50, 5)
    assert [c.text for c in chunks] == ["Connecting with an HDMI cable"]


def test_indexed_text_carries_title_and_section() -> None:
    chunks = chunk_article(_article("## 설치\n\n클라이언트를 설치합니다."), count, 50, 5)
    assert chunks[0].indexed_text.startswith("VPN guide > 설치\n")
