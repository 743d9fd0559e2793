"""The one table `servicedesk bench` prints: figure, value, baseline, ratio (same run)."""

from __future__ import annotations

from evals.bench_answers import AnswerLatency

Row = tuple[str, str, str, str]


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def _times(ratio: float) -> str:
    return f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.0f}x"


def ingest_rows(ingest: dict) -> list[Row]:
    """Pipeline vs raw embedder throughput; unchanged re-ingest vs first ingest."""
    pipe, raw = ingest["pipeline_chunks_per_s"], ingest["raw_embedder_chunks_per_s"]
    return [
        (
            "ingest: pipeline vs raw embedder",
            f"{pipe:.1f} chunks/s",
            f"{raw:.1f} chunks/s",
            f"{_times(pipe / raw)} (overhead {ingest['pipeline_overhead'] * 100:.1f} %)",
        ),
        (
            "re-ingest unchanged vs first",
            f"{ingest['unchanged_reingest_s']:.2f} s",
            f"{ingest['first_ingest_s']:.2f} s",
            f"{ingest['reingest_speedup']:.0f}x faster",
        ),
    ]


def search_rows(search: dict) -> list[Row]:
    """Hybrid vs BM25-only latency (p50 and p95) at one index size."""
    rows = []
    for stat in ("p50", "p95"):
        hybrid, bm25 = search[f"hybrid_{stat}_ms"], search[f"bm25_{stat}_ms"]
        rows.append(
            (
                f"search @ {search['size']:,}: hybrid vs BM25 {stat}",
                f"{hybrid:.1f} ms",
                f"{bm25:.1f} ms",
                _times(hybrid / max(bm25, 1e-9)),
            )
        )
    return rows


def answer_rows(answers: list[AnswerLatency]) -> list[Row]:
    """Answer latency p50 / p95 per backend, each against extractive's p95."""
    base = next((a for a in answers if a.backend == "extractive" and a.latencies_ms), None)
    rows = []
    for a in answers:
        label = f"answer {a.backend} p50 / p95"
        if a.skipped:
            rows.append((label, "–", "", a.skipped))
            continue
        value = f"{_ms(a.p50_ms)} / {_ms(a.p95_ms)}"
        n = len(a.latencies_ms)
        if a.backend == "extractive" or base is None:
            rows.append((label, value, "", f"{n} questions"))
            continue
        note = f"{_times(a.p95_ms / max(base.p95_ms, 1e-9))} p95; {a.generated}/{n} generated"
        if a.startup_s is not None:
            note += f"; ready in {a.startup_s:.0f} s"
        rows.append((label, value, f"extractive {_ms(base.p95_ms)}", note))
    return rows


def format_table(report: dict) -> str:
    """Render a bench report (see ``evals.bench.run_bench``) as aligned plain text."""
    ingest = report["ingest"]
    mode = "quick" if report.get("quick") else "full"
    title = (
        f"servicedesk bench ({mode}): embedder {report['embedder']}, {ingest['chunks']} "
        f"sample-KB chunks, {report['cores']} CPU cores"
    )
    rows: list[Row] = [("figure", "value", "baseline", "ratio")]
    rows += ingest_rows(ingest)
    for search in report["searches"]:
        rows += search_rows(search)
    rows += answer_rows(report["answers"])
    engines = report.get("peak_engine_mb") or 0
    rows.append(
        (
            "peak memory: bench vs LLM engine",
            f"{report['peak_mb']:.0f} MB",
            f"{engines:.0f} MB" if engines else "no engine",
            "",
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [title]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
    return "\n".join(lines)
