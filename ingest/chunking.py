"""Heading-aware chunking sized in the embedder's tokens, with LangChain's text splitters."""

from __future__ import annotations

from collections.abc import Callable

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from ingest.articles import Article
from retrieval.schema import Chunk

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]
# Paragraphs, lines, then sentence ends in both languages before falling back to words.
_SEPARATORS = ["\n\n", "\n", ". ", "다. ", "요. ", "? ", "! ", "; ", ", ", " ", ""]


def _section_path(metadata: dict, title: str) -> str:
    parts = [metadata[key] for key, _ in ((k, None) for _, k in _HEADERS) if metadata.get(key)]
    # The top heading usually repeats the title; the title is already in every chunk.
    if parts and parts[0].strip() == title.strip():
        parts = parts[1:]
    return " > ".join(p.strip() for p in parts)


def chunk_article(
    article: Article, count_tokens: Callable[[str], int], size: int, overlap: int
) -> list[Chunk]:
    """Split an article into chunks of at most ``size`` tokens, keeping each one's section path.

    The budget leaves room for the title and section, which :class:`Chunk` prepends when indexing.
    """
    sections = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True).split_text(article.text)
    chunks: list[Chunk] = []
    for section in sections:
        path = _section_path(section.metadata, article.title)
        head_tokens = (
            count_tokens(f"{article.title} > {path}") if path else count_tokens(article.title)
        )
        budget = max(32, size - head_tokens)
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=min(overlap, budget // 2),
            length_function=count_tokens,
            separators=_SEPARATORS,
            keep_separator="end",
        )
        for piece in splitter.split_text(section.page_content):
            text = piece.strip()
            if text:
                chunks.append(Chunk(article.article_id, len(chunks), path, text, article.title))
    if not chunks and article.title.strip():
        # A title-only article (e.g. an FAQ whose answer is a link) still deserves to be found.
        chunks.append(Chunk(article.article_id, 0, "", article.title.strip(), article.title))
    return chunks
