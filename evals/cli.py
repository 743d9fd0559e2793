"""`servicedesk eval ...` and `servicedesk bench`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

eval_app = typer.Typer(
    help="Measure retrieval and answer quality on datasets.", no_args_is_help=True
)


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
    from evals.retrieval_eval import format_table, run_retrieval_eval
    from ingest.settings import IngestSettings
    from retrieval.settings import RetrievalSettings

    data = _load(dataset, limit)
    run = run_retrieval_eval(data, RetrievalSettings(), ingest_settings=IngestSettings())
    typer.echo(format_table(run.result))
    _finish(run, json_out, thresholds, run.result["dataset"])


def _load(dataset: str, limit: int | None):
    """The dataset (or a subset), or exit 2 with the reason."""
    from evals.datasets import DatasetError, load_dataset

    try:
        return load_dataset(dataset).subset(limit)
    except DatasetError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err


def _finish(run, json_out: Path | None, thresholds: Path | None, section: str) -> None:
    """Write the run's JSON if asked, then fail on any metric below its minimum."""
    from evals.thresholds import check

    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        payload = {**run.result, "per_question": run.per_question}
        json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        typer.echo(f"wrote {json_out}")
    if thresholds:
        problems = check(run.result, thresholds, section=section)
        for line in problems:
            typer.echo(f"REGRESSION {line}", err=True)
        if problems:
            raise typer.Exit(1)


@eval_app.command("run")
def eval_run(
    dataset: Annotated[str, typer.Option(help="dataset folder or name (e.g. sample)")],
    json_out: Annotated[Path | None, typer.Option("--json", help="write results here")] = None,
    backend: Annotated[str | None, typer.Option(help="extractive | llm")] = None,
    limit: Annotated[int | None, typer.Option(help="evaluate a subset of N questions")] = None,
    threshold: Annotated[float | None, typer.Option(help="decision threshold to report")] = None,
    thresholds: Annotated[
        Path | None, typer.Option(help="fail if a metric falls below this file's minimums")
    ] = None,
) -> None:
    """Run the whole Desk on every question: FCR, escalation, citations, token F1, latency."""
    from bot.settings import BotSettings
    from bot.wiring import build_chat_model
    from evals.desk_eval import format_run, run_desk_eval
    from ingest.settings import IngestSettings
    from llm_server.cli import llm_settings
    from retrieval.settings import RetrievalSettings

    if backend not in (None, "extractive", "llm"):
        typer.echo(f"error: unknown backend {backend!r}", err=True)
        raise typer.Exit(2)
    data = _load(dataset, limit)
    bot = BotSettings()
    updates: dict = {"answer_backend": backend} if backend else {}
    if threshold is not None:
        updates["decision_threshold"] = threshold
    bot = bot.model_copy(update=updates)
    chat = build_chat_model(llm_settings(), bot)
    if chat is not None and not chat.available():
        typer.echo(
            f"error: no LLM answers at {chat.settings.api_base}: start it with "
            "`servicedesk llm serve` or use --backend extractive",
            err=True,
        )
        raise typer.Exit(2)

    def progress(n: int, total: int) -> None:
        if n % 10 == 0 or n == total:
            typer.echo(f"  {n}/{total} questions", err=True)

    run = run_desk_eval(
        data, RetrievalSettings(), bot, chat, IngestSettings(progress=False), progress=progress
    )
    typer.echo(format_run(run.result))
    _finish(run, json_out, thresholds, f"{run.result['dataset']}:run")


@eval_app.command("triage")
def eval_triage(
    dataset: Annotated[str, typer.Option(help="JSONL of {text, category}, or sample")],
    json_out: Annotated[Path | None, typer.Option("--json", help="write results here")] = None,
    folds: Annotated[int, typer.Option(help="cross-validation folds")] = 5,
    backend: Annotated[str, typer.Option(help="classifier | llm")] = "classifier",
    embedders: Annotated[
        str | None, typer.Option(help="comma-separated embedders ('' = TF-IDF only)")
    ] = None,
    thresholds: Annotated[
        Path | None, typer.Option(help="fail if a metric falls below this file's minimums")
    ] = None,
) -> None:
    """Cross-validate triage: accuracy and macro-F1 per category against the majority class."""
    from bot.triage import ExamplesError
    from evals.triage_eval import format_triage, load_triage_dataset, run_cli_eval

    try:
        name, examples = load_triage_dataset(dataset)
        run = run_cli_eval(name, examples, folds, backend, embedders)
    except ExamplesError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(format_triage(run.result))
    _finish(run, json_out, thresholds, f"{name}:triage")


def bench(
    sizes: Annotated[str, typer.Option(help="index sizes for search latency")] = "10000,100000",
    texts: Annotated[int, typer.Option(help="texts for the ingestion benchmark")] = 96,
    queries: Annotated[int, typer.Option(help="queries per size")] = 200,
) -> None:
    """Benchmark ingestion, re-ingestion and search latency; print a table of ratios."""
    from evals.bench import run_bench

    typer.echo(run_bench([int(s) for s in sizes.split(",") if s], texts, queries))
