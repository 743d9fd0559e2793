"""The dense index: chunk embeddings in a Chroma collection, through LangChain's integration."""

from __future__ import annotations

from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma

from retrieval.embedders import TokenAwareEmbeddings
from retrieval.schema import ArticleEntry, Chunk


class EmbedderMismatch(RuntimeError):
    """The collection was built with another embedder; its vectors are not comparable."""


def connect_chroma(mode: str, path: Path, host: str, port: int) -> chromadb.ClientAPI:
    """Open Chroma on disk (``persistent``) or on a server (``http``); never at import time."""
    settings = ChromaSettings(anonymized_telemetry=False)
    if mode == "http":
        return chromadb.HttpClient(host=host, port=port, settings=settings)
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def chunk_metadata(entry: ArticleEntry, chunk: Chunk) -> dict:
    """Flatten what a hit needs into Chroma's scalar metadata.

    Groups become one boolean key each (``g:it-staff``) because Chroma filters cannot test list
    membership; ``public`` marks articles everyone may see.
    """
    meta = {
        "article_id": entry.article_id,
        "title": entry.title,
        "section": chunk.section,
        "source": entry.source,
        "lang": entry.lang,
        "tags": ",".join(entry.tags),
        "allowed_groups": ",".join(entry.allowed_groups),
        "updated": entry.updated,
        "content_hash": entry.content_hash,
        "public": entry.is_public,
    }
    meta.update({f"g:{g}": True for g in entry.allowed_groups})
    return meta


def matches(metadata: dict, entry: ArticleEntry) -> bool:
    """Whether a stored chunk's metadata still carries the catalog's version and groups."""
    stored_groups = {k[2:] for k, v in metadata.items() if k.startswith("g:") and v}
    return (
        metadata.get("content_hash") == entry.content_hash
        and bool(metadata.get("public")) == entry.is_public
        and stored_groups == set(entry.allowed_groups)
    )


def _visible(metadata: dict, groups: frozenset[str]) -> bool:
    return bool(metadata.get("public")) or any(metadata.get(f"g:{g}") for g in groups)


def acl_filter(groups: frozenset[str] | None) -> dict | None:
    """Chroma ``where`` clause admitting public chunks and those of the user's groups."""
    if groups is None:
        return None
    clauses = [{"public": True}] + [{f"g:{g}": True} for g in sorted(groups)]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


class DenseIndex:
    """Chunk vectors in one Chroma collection that records the embedder it was built with."""

    def __init__(self, client: chromadb.ClientAPI, name: str, embedder: TokenAwareEmbeddings):
        self._check_embedder(client, name, embedder)
        self.embedder = embedder
        self._client = client
        self._name = name
        self.store = Chroma(
            client=client,
            collection_name=name,
            embedding_function=embedder,
            collection_metadata={"embedder": embedder.name, "dim": embedder.dim},
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        self._collection = client.get_collection(name)

    @staticmethod
    def _check_embedder(client: chromadb.ClientAPI, name: str, embedder: TokenAwareEmbeddings):
        existing = {c.name: c for c in client.list_collections()}
        if name not in existing:
            return
        built_with = (existing[name].metadata or {}).get("embedder")
        if built_with and built_with != embedder.name:
            raise EmbedderMismatch(
                f"the index was built with embedder {built_with!r} but {embedder.name!r} is "
                "configured; re-index with `servicedesk ingest --reindex PATH...` or set "
                f"SERVICEDESK_EMBEDDER={built_with}"
            )

    def add(self, entry: ArticleEntry, chunks: list[Chunk]) -> None:
        """Embed through LangChain and store an article's chunks (stable ids: this upserts)."""
        if chunks:
            self.store.add_texts(
                [c.indexed_text for c in chunks],
                metadatas=[chunk_metadata(entry, c) for c in chunks],
                ids=[c.chunk_id for c in chunks],
            )

    def add_vectors(
        self, pairs: list[tuple[ArticleEntry, Chunk]], vectors: list[list[float]]
    ) -> None:
        """Store (article, chunk) pairs with vectors computed elsewhere (bulk loads, benchmarks)."""
        # Chroma caps one write at a few thousand records.
        step = 4000
        for i in range(0, len(pairs), step):
            part = pairs[i : i + step]
            self._collection.add(
                ids=[c.chunk_id for _, c in part],
                embeddings=vectors[i : i + step],
                metadatas=[chunk_metadata(entry, c) for entry, c in part],
                documents=[c.indexed_text for _, c in part],
            )

    def delete_ids(self, ids: list[str]) -> None:
        """Remove chunks by id."""
        for i in range(0, len(ids), 5000):
            self.store.delete(ids=ids[i : i + 5000])

    def delete_article(self, article_id: str) -> None:
        """Remove every chunk of an article."""
        self.delete_articles([article_id])

    def delete_articles(self, article_ids: list[str]) -> None:
        """Remove every chunk of several articles."""
        for i in range(0, len(article_ids), 500):
            part = article_ids[i : i + 500]
            where = {"article_id": part[0]} if len(part) == 1 else {"article_id": {"$in": part}}
            self._collection.delete(where=where)

    def ids(self) -> set[str]:
        """All chunk ids stored."""
        return set(self.store.get(include=[])["ids"])

    def metadata(self) -> dict[str, dict]:
        """Every stored chunk's metadata by chunk id (read in pages: Chroma caps one read)."""
        out: dict[str, dict] = {}
        step, offset = 5000, 0
        while True:
            page = self._collection.get(include=["metadatas"], limit=step, offset=offset)
            out.update(zip(page["ids"], page["metadatas"] or [], strict=False))
            if len(page["ids"]) < step:
                return out
            offset += step

    def search(
        self, vector: list[float], k: int, groups: frozenset[str] | None
    ) -> list[tuple[str, float, dict]]:
        """Nearest chunks a user in ``groups`` may see, as (chunk id, cosine, metadata).

        Chroma's metadata filter builds an allow-list by scanning metadata on every query, which
        costs hundreds of milliseconds at 100k chunks. So the index is first searched unfiltered
        with room to spare and the ACL applied to the results; only when that leaves too few
        hits is the filtered search run. Either way a restricted chunk never comes back.
        """
        n = self._collection.count()
        if n == 0:
            return []
        k = min(k, n)
        found = self._query(vector, min(n, 2 * k), None)
        visible = [hit for hit in found if groups is None or _visible(hit[2], groups)]
        if len(visible) >= k or len(found) == n:
            return visible[:k]
        return self._query(vector, k, acl_filter(groups))

    def _query(self, vector: list[float], k: int, where: dict | None):
        found = self.store.similarity_search_by_vector_with_relevance_scores(
            vector, k=k, filter=where
        )
        return [(doc.id, 1.0 - float(dist), doc.metadata) for doc, dist in found]
