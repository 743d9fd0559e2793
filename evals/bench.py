"""`servicedesk bench`: ingestion, search and answer benchmarks, one table of ratios from one run.

Ingestion (pipeline vs the bare embedder, unchanged re-ingest vs first), search latency (hybrid
vs BM25-only at each index size), answer latency per backend (:mod:`evals.bench_answers`) and
peak memory; :mod:`evals.bench_table` prints them.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.settings import SAMPLE_KB, BotSettings
from evals.bench_answers import AnswerLatency, bench_answers
from evals.bench_table import format_table
from evals.datasets import load_dataset
from evals.metrics import percentiles
from ingest.pipeline import Ingestor
from ingest.settings import IngestSettings
from llm_server.settings import LLMSettings
from retrieval.embedders import make_embedder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.retriever import HybridRetriever
from retrieval.schema import ArticleEntry, Chunk
from retrieval.settings import RetrievalSettings
from retrieval.terms import terms_many


class BenchSettings(Protocol):
    """The settings a bench runs with (``bot.wiring.Config`` has them)."""

    retrieval: RetrievalSettings
    ingest: IngestSettings
    bot: BotSettings
    llm: LLMSettings


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_ingest(
    tmp: Path, settings: RetrievalSettings, quiet: IngestSettings, raw_texts: int | None = None
) -> dict:
    """Pipeline chunks/s vs the raw embedder on the same texts (``raw_texts`` of them, evenly
    spread, when given), and unchanged re-ingest speed."""
    # A cold embedding cache of its own, wherever the configured one is: the first ingest is
    # measured embedding every chunk.
    fresh = settings.model_copy(update={"data_dir": tmp / "ingest", "embedding_cache": None})
    kb = KnowledgeBase(fresh)
    kb.embedder.inner.embed_documents(["warm up"] * 4)
    first = Ingestor(kb, quiet).run([SAMPLE_KB])
    second = Ingestor(kb, quiet).run([SAMPLE_KB])
    texts = [
        c.indexed_text for a in kb.catalog.articles() for c in kb.catalog.chunks_of(a.article_id)
    ]
    if raw_texts:
        texts = texts[:: max(1, len(texts) // raw_texts)][:raw_texts]
    raw = make_embedder(settings.embedder, settings.embed_threads, settings.embed_batch_size)
    started = time.perf_counter()
    raw.embed_documents(texts)
    raw_rate = len(texts) / (time.perf_counter() - started)
    pipe_rate = first.chunks_indexed / first.seconds
    kb.close()
    return {
        "chunks": first.chunks_indexed,
        "pipeline_chunks_per_s": pipe_rate,
        "raw_embedder_chunks_per_s": raw_rate,
        "pipeline_overhead": 1 - pipe_rate / raw_rate,
        "first_ingest_s": first.seconds,
        "unchanged_reingest_s": second.seconds,
        "reingest_speedup": first.seconds / max(second.seconds, 1e-9),
    }


def _fill(kb: KnowledgeBase, size: int, seed: int = 7) -> None:
    """Index ``size`` synthetic chunks: real KB sentences for BM25, random unit vectors."""
    rng = np.random.default_rng(seed)
    pool = [
        line
        for path in SAMPLE_KB.rglob("*.md")
        for line in path.read_text("utf-8").splitlines()
        if len(line) > 20
    ]
    # Analyse each sentence once; a synthetic chunk's terms are those of its three sentences.
    pool_terms = terms_many(pool)
    batch = 5000
    for start in range(0, size, batch):
        n = min(batch, size - start)
        picks = rng.integers(0, len(pool), size=(n, 3))
        texts = [" ".join(pool[i] for i in row) for row in picks]
        terms = [[t for i in row for t in pool_terms[i]] for row in picks]
        vectors = rng.normal(size=(n, kb.embedder.dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        items = []
        # One synthetic article per 5 chunks, like a real KB.
        for a0 in range(0, n, 5):
            aid = f"BENCH-{start + a0:07d}"
            entry = ArticleEntry(aid, f"bench {aid}", "bench", "ko", "x", origin="bench")
            chunks = [Chunk(aid, i, "", texts[a0 + i], entry.title) for i in range(min(5, n - a0))]
            items.append((entry, chunks, terms[a0 : a0 + len(chunks)]))
        kb.catalog.replace_articles(items)
        pairs = [(entry, c) for entry, chunks, _ in items for c in chunks]
        kb.dense.add_vectors(pairs, vectors.tolist())
    kb.refresh_keyword(force=True)


def bench_search(tmp: Path, settings: RetrievalSettings, size: int, queries: int) -> dict:
    """Search latency (query embedding included) on an index of ``size`` chunks."""
    kb = KnowledgeBase(settings.model_copy(update={"data_dir": tmp / f"search-{size}"}))
    started = time.perf_counter()
    _fill(kb, size)
    fill_s = time.perf_counter() - started
    retriever = HybridRetriever(kb)
    qs = [q.question for q in load_dataset("sample").questions]
    lat: dict[str, list[float]] = {"hybrid": [], "bm25_only": []}
    for i in range(queries + 5):
        q = qs[i % len(qs)]
        for mode in lat:
            t = time.perf_counter()
            retriever.search(q, None, 10, mode=mode)
            if i >= 5:  # the first few warm caches up
                lat[mode].append((time.perf_counter() - t) * 1000)
    kb.close()
    hybrid, bm25 = percentiles(lat["hybrid"]), percentiles(lat["bm25_only"])
    return {
        "size": size,
        "fill_s": fill_s,
        "hybrid_p50_ms": hybrid["p50"],
        "hybrid_p95_ms": hybrid["p95"],
        "bm25_p50_ms": bm25["p50"],
        "bm25_p95_ms": bm25["p95"],
        "hybrid_vs_bm25_p95": hybrid["p95"] / max(bm25["p95"], 1e-9),
    }


@dataclass
class BenchOptions:
    """What one ``servicedesk bench`` measures."""

    sizes: list[int] = field(default_factory=lambda: [10_000, 100_000])
    queries: int = 200
    answer_questions: int | None = None  # None: every sample question
    llm_questions: int = 20
    llamacpp: bool = True
    vllm: bool = False
    quick: bool = False
    raw_texts: int | None = None  # None: the raw embedder embeds every chunk the pipeline did


def quick_options(**overrides) -> BenchOptions:
    """The ``--quick`` run: one 10k index, fewer queries and questions, the raw embedder on 96
    chunks, no LLM engines."""
    base = BenchOptions([10_000], 50, 40, 5, llamacpp=False, vllm=False, quick=True, raw_texts=96)
    return replace(base, **overrides)


def _peak_children_mb() -> float:
    """The largest resident size of any finished child (the LLM engines)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _ran_engine(answers: AnswerLatency) -> bool:
    return answers.backend != "extractive" and not answers.skipped


def run_bench(options: BenchOptions, configured: BenchSettings, texts: int = 96) -> str:
    """Run every benchmark with the ``configured`` settings and return the printed table."""
    settings, bot, llm = configured.retrieval, configured.bot, configured.llm
    quiet = configured.ingest.model_copy(update={"progress": False})
    questions = load_dataset("sample").questions[: options.answer_questions]
    with tempfile.TemporaryDirectory(prefix="sd-bench-") as tmp:
        ingest = bench_ingest(Path(tmp), settings, quiet, options.raw_texts)
        kb = KnowledgeBase(settings.model_copy(update={"data_dir": Path(tmp) / "ingest"}))
        try:
            engines = (options.llm_questions, options.llamacpp, options.vllm)
            answers = bench_answers(kb, questions, engines, bot, llm)
        finally:
            kb.close()
        searches = [bench_search(Path(tmp), settings, n, options.queries) for n in options.sizes]
    report = {
        "embedder": settings.embedder,
        "cores": os.cpu_count() or 1,
        "quick": options.quick,
        "ingest": ingest,
        "searches": searches,
        "answers": answers,
        "peak_mb": _peak_mb(),
        "peak_engine_mb": _peak_children_mb() if any(_ran_engine(a) for a in answers) else 0,
    }
    return format_table(report)
