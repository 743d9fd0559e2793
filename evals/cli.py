"""`servicedesk eval ...` and `servicedesk bench`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

eval_app = typer.Typer(help="Measure retrieval quality on datasets.", no_args_is_help=True)


@eval_app.command("retrieval")
def eval_retrieval(
    dataset: Annotated[str, typer.Option(help="dataset folder or name (e.g. sample)")],
    json_out: Annotated[Path | None, typer.Option("--json", help="write results here")] = None,
    limit: Annotated[int | None, typer.Option(help="evaluate a subset of N questions")] = None,
    thresholds: Annotated[
        Path | None, typer.Option(help="fail if a metric falls below this file's minimums")
    ] = None,
) -> None:
    """Index DATASET's KB in a temporary store and score hybrid, BM25-only and dense-only."""
    from evals.datasets import DatasetError, load_dataset
    from evals.retrieval_eval import format_table, run_retrieval_eval
    from evals.thresholds import check
    from ingest.settings import IngestSettings
    from retrieval.settings import RetrievalSettings

    try:
        data = load_dataset(dataset).subset(limit)
    except DatasetError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    run = run_retrieval_eval(data, RetrievalSettings(), ingest_settings=IngestSettings())
    typer.echo(format_table(run.result))
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        payload = {**run.result, "per_question": run.per_question}
        json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        typer.echo(f"wrote {json_out}")
    if thresholds:
        problems = check(run.result, thresholds)
        for line in problems:
            typer.echo(f"REGRESSION {line}", err=True)
        if problems:
            raise typer.Exit(1)


def bench(
    sizes: Annotated[str, typer.Option(help="index sizes for search latency")] = "10000,100000",
    texts: Annotated[int, typer.Option(help="texts for the ingestion benchmark")] = 96,
    queries: Annotated[int, typer.Option(help="queries per size")] = 200,
) -> None:
    """Benchmark ingestion, re-ingestion and search latency; print a table of ratios."""
    from evals.bench import run_bench

    typer.echo(run_bench([int(s) for s in sizes.split(",") if s], texts, queries))
