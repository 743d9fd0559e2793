"""`servicedesk eval ...` and `servicedesk bench`: the command line of ``evals``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import config_or_exit, fail

if TYPE_CHECKING:
    from bot.wiring import Config

eval_app = typer.Typer(
    help="Measure retrieval and answer quality on datasets.", no_args_is_help=True
)

# Every eval command appends its figures to the history file unless told not to.
NoHistory = Annotated[
    bool, typer.Option("--no-history", help="do not append this run to the history file")
]
HistoryFile = Annotated[
    Path | None,
    typer.Option("--history", help="history file (default: SERVICEDESK_EVAL_HISTORY, else "
                 "evals/history.jsonl)"),
]  # fmt: skip


@eval_app.command("retrieval")
def eval_retrieval(
    dataset: Annotated[str, typer.Option(help="dataset folder or name (e.g. sample)")],
    json_out: Annotated[Path | None, typer.Option("--json", help="write results here")] = None,
    limit: Annotated[int | None, typer.Option(help="evaluate a subset of N questions")] = None,
    thresholds: Annotated[
        Path | None, typer.Option(help="fail if a metric falls below this file's minimums")
    ] = None,
    no_history: NoHistory = False,
    history: HistoryFile = None,
) -> None:
    """Index DATASET's KB in a temporary store and score hybrid, BM25-only and dense-only."""
    from evals.retrieval_eval import format_table, run_retrieval_eval

    config = config_or_exit()
    data = _load(dataset, limit, config)
    run = run_retrieval_eval(data, config.retrieval, ingest_settings=config.ingest)
    typer.echo(format_table(run.result))
    _finish(run, json_out, thresholds, run.result["dataset"], _history(config, no_history, history))


def _check_backend(backend: str | None) -> None:
    """Exit 2 unless ``backend`` is an answer backend (or unset)."""
    if backend not in (None, "extractive", "llm"):
        fail(f"unknown backend {backend!r}")


def _load(dataset: str, limit: int | None, config: Config):
    """The dataset (or a subset), or exit 2 with the reason."""
    from evals.datasets import DatasetError, load_dataset

    try:
        return load_dataset(dataset, config.evals.dirs).subset(limit)
    except DatasetError as err:
        fail(str(err))


def _history(config: Config, no_history: bool, history: Path | None) -> tuple[bool, Path]:
    """Whether to append the run to the history, and to which file (``--history`` or the
    configured one)."""
    return not no_history, history or config.evals.history


def _finish(
    run,
    json_out: Path | None,
    thresholds: Path | None,
    section: str,
    keep: tuple[bool, Path],
) -> None:
    """Write the run's JSON if asked, append it to the history, then fail on any metric below
    its minimum."""
    from evals.history import append
    from evals.thresholds import check

    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        payload = {**run.result, "per_question": run.per_question}
        json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        typer.echo(f"wrote {json_out}")
    if keep[0]:
        # The thresholds section names the command: "NAME" (retrieval) or "NAME:run" etc.
        command = section.split(":", 1)[1] if ":" in section else "retrieval"
        line = append(run.result, keep[1], command)
        typer.echo(f"history: appended {line['command']} {line['dataset']} ({line['commit'][:10]})")
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
    judge: Annotated[
        bool, typer.Option("--judge", help="grade answers with the configured LLM endpoint")
    ] = False,
    judge_cutoff: Annotated[
        float, typer.Option(help="token F1 counted as correct when comparing with the judge")
    ] = 0.5,
    no_history: NoHistory = False,
    history: HistoryFile = None,
) -> None:
    """Run the whole Desk on every question: FCR, escalation, citations, token F1, latency."""
    from bot.wiring import build_chat_model
    from evals.desk_eval import format_run, run_desk_eval

    _check_backend(backend)
    updates: dict = {"answer_backend": backend} if backend else {}
    if threshold is not None:
        updates["decision_threshold"] = threshold
    config = config_or_exit(bot=updates)
    data = _load(dataset, limit, config)
    chat = build_chat_model(config.llm, config.bot)
    if chat is not None and not chat.available():
        fail(
            f"no LLM answers at {chat.settings.api_base}: start it with "
            "`servicedesk llm serve` or use --backend extractive"
        )

    def progress(n: int, total: int) -> None:
        if n % 10 == 0 or n == total:
            typer.echo(f"  {n}/{total} questions", err=True)

    grader = None
    if judge:
        from evals.judge import configured_judge

        grader, note = configured_judge(config.llm)
        typer.echo(note, err=True)
    run = run_desk_eval(
        data,
        config.retrieval,
        config.bot,
        chat,
        config.ingest.model_copy(update={"progress": False}),
        progress=progress,
        judge=grader,
        judge_cutoff=judge_cutoff,
    )
    typer.echo(format_run(run.result))
    keep = _history(config, no_history, history)
    _finish(run, json_out, thresholds, f"{run.result['dataset']}:run", keep)


@eval_app.command("triage")
def eval_triage(
    dataset: Annotated[str, typer.Option(help="JSONL of {text, category}, or sample")],
    json_out: Annotated[Path | None, typer.Option("--json", help="write results here")] = None,
    folds: Annotated[int, typer.Option(help="cross-validation folds")] = 5,
    backend: Annotated[str, typer.Option(help="classifier | llm")] = "classifier",
    embedders: Annotated[
        str | None, typer.Option(help="comma-separated embedders ('' = TF-IDF only)")
    ] = None,
    finetune: Annotated[
        str | None,
        typer.Option(help="encoder fine-tuned per fold ('' = none; default: settings)"),
    ] = None,
    thresholds: Annotated[
        Path | None, typer.Option(help="fail if a metric falls below this file's minimums")
    ] = None,
    no_history: NoHistory = False,
    history: HistoryFile = None,
) -> None:
    """Cross-validate triage: accuracy and macro-F1 per category against the majority class."""
    from bot.tickets.triage.examples import ExamplesError
    from bot.wiring import build_chat_model
    from evals.triage_eval import format_triage, load_triage_dataset, run_cli_eval

    config = config_or_exit()
    cache = config.app.data_dir / "triage-embeddings.sqlite"
    chat = None
    if backend == "llm":
        chat = build_chat_model(config.llm, config.bot.model_copy(update={"answer_backend": "llm"}))
    try:
        name, examples = load_triage_dataset(dataset, config.evals.dirs)
        run = run_cli_eval(
            name, examples, folds, backend, config.bot, cache, chat, embedders, finetune
        )
    except ExamplesError as err:
        fail(str(err))
    typer.echo(format_triage(run.result))
    _finish(run, json_out, thresholds, f"{name}:triage", _history(config, no_history, history))


@eval_app.command("report")
def eval_report(
    runs: Annotated[list[Path], typer.Argument(help="run JSONs written with --json")],
    out: Annotated[Path, typer.Option(help="the HTML file to write")] = Path("report.html"),
    failures: Annotated[int, typer.Option(help="worst failures shown per run")] = 20,
) -> None:
    """Write one self-contained HTML report (plots, per-language tables, worst failures)."""
    from evals.history import HistoryError
    from evals.report import write_report

    try:
        write_report(runs, out, failures)
    except HistoryError as err:
        fail(str(err))
    typer.echo(f"wrote {out}")


@eval_app.command("compare")
def eval_compare(
    a: Annotated[str, typer.Argument(help="run JSON, or history:N (history:-1 = latest)")],
    b: Annotated[str, typer.Argument(help="run JSON, or history:N")],
    history: HistoryFile = None,
) -> None:
    """Print each metric of B against A: the delta, its direction, and better or worse."""
    from evals.history import HistoryError, format_compare, load_reference

    _, path = _history(config_or_exit(), False, history)
    try:
        old, new = load_reference(a, path), load_reference(b, path)
    except HistoryError as err:
        fail(str(err))
    typer.echo(format_compare(old, new))


@eval_app.command("datasets")
def eval_datasets() -> None:
    """List the datasets the eval commands know by name, and where each one is."""
    from evals.registry import format_registry

    typer.echo(format_registry(config_or_exit().evals.dirs))


@eval_app.command("conversations")
def eval_conversations(
    dataset: Annotated[str, typer.Option(help="dataset with conversations.jsonl (e.g. sample)")],
    json_out: Annotated[Path | None, typer.Option("--json", help="write results here")] = None,
    backend: Annotated[str | None, typer.Option(help="extractive | llm")] = None,
    thresholds: Annotated[
        Path | None, typer.Option(help="fail if a metric falls below this file's minimums")
    ] = None,
    no_history: NoHistory = False,
    history: HistoryFile = None,
) -> None:
    """Play DATASET's scripted multi-turn conversations through the Desk and score each turn."""
    from bot.wiring import build_chat_model
    from evals.conversations_eval import format_conversations, load, run_conversations_eval
    from evals.datasets import DatasetError

    _check_backend(backend)
    config = config_or_exit(bot={"answer_backend": backend} if backend else {})
    try:
        data = load(dataset, config.evals.dirs)
    except DatasetError as err:
        fail(str(err))
    bot = config.bot
    chat = build_chat_model(config.llm, bot)
    if chat is not None and not chat.available():
        typer.echo(f"note: no LLM answers at {chat.settings.api_base}; answers are extractive")
        bot, chat = bot.model_copy(update={"answer_backend": "extractive"}), None
    quiet = config.ingest.model_copy(update={"progress": False})
    run = run_conversations_eval(data, config.retrieval, bot, chat, quiet)
    typer.echo(format_conversations(run))
    keep = _history(config, no_history, history)
    _finish(run, json_out, thresholds, f"{data.name}:conversations", keep)


@eval_app.command("export")
def eval_export(
    escalated: Annotated[
        bool, typer.Option("--escalated", help="export conversations that became tickets")
    ] = False,
    since: Annotated[
        str | None, typer.Option(help="only conversations started on/after DATE (YYYY-MM-DD)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="questions.jsonl to write (default: stdout)")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="the desk's database (default: SERVICEDESK_DATABASE_URL)")
    ] = None,
) -> None:
    """Turn escalated conversations (resolution, article finally used) into eval questions."""
    import sys

    from bot.store import open_store
    from evals.export import escalated_cases, parse_since, write_jsonl

    if not escalated:
        fail("say what to export: --escalated")
    try:
        start = parse_since(since)
    except ValueError as err:
        fail(str(err))
    config = config_or_exit(bot={"database_url": database_url} if database_url else {})
    cases = escalated_cases(open_store(config.bot, config.app.data_dir), start)
    if out is None:
        for case in cases:
            sys.stdout.write(json.dumps(case, ensure_ascii=False) + "\n")
    else:
        write_jsonl(cases, out)
        typer.echo(f"wrote {len(cases)} escalated conversations to {out}")


def bench(
    sizes: Annotated[
        str | None, typer.Option(help="index sizes for search latency [10000,100000; quick 10000]")
    ] = None,
    texts: Annotated[int, typer.Option(help="texts for the ingestion benchmark")] = 96,
    queries: Annotated[int | None, typer.Option(help="queries per size [200; quick 50]")] = None,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick", help="one 10k index, 40 questions, raw embedder on 96 chunks, no LLM"
        ),
    ] = False,
    llm: Annotated[
        bool | None,
        typer.Option("--llm/--no-llm", help="answer latency of llama.cpp (0.5B) [on; quick off]"),
    ] = None,
    vllm: Annotated[
        bool, typer.Option("--vllm", help="answer latency of vLLM on the CPU (.venv-vllm; minutes)")
    ] = False,
    questions: Annotated[
        int | None, typer.Option(help="sample questions for extractive answers [all; quick 40]")
    ] = None,
    llm_questions: Annotated[
        int | None, typer.Option(help="of those, asked of each LLM engine [20; quick 5]")
    ] = None,
) -> None:
    """Benchmark ingestion, search and answers (per backend) in one run; print one table of
    ratios."""
    from dataclasses import replace

    from evals.bench import BenchOptions, quick_options, run_bench

    options = quick_options() if quick else BenchOptions()
    given = {
        "sizes": [int(s) for s in sizes.split(",") if s] if sizes else None,
        "queries": queries,
        "answer_questions": questions,
        "llm_questions": llm_questions,
        "llamacpp": llm,
    }
    options = replace(options, vllm=vllm, **{k: v for k, v in given.items() if v is not None})
    typer.echo(run_bench(options, config_or_exit(), texts))


def abuse(
    url: Annotated[str, typer.Argument(help="the served app, e.g. http://127.0.0.1:8000")],
) -> None:
    """Try the anonymous attacks of a security review against a running app; print a table.

    Bounded (about 200 requests); it spends the caller address's ask rate for a minute and
    trips the sign-in throttle for that address. Exit 1 when any attack got a 5xx."""
    from evals.abuse import run_abuse

    report = run_abuse(url.rstrip("/"))
    typer.echo(report.table())
    if report.server_errors or report.healthz_failures:
        raise typer.Exit(1)
