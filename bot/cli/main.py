"""The `servicedesk` command line: the commands on the knowledge base, `ask` and `serve` here, the
others in their own modules (added below). Every command gets its components from
``bot.wiring`` through ``bot.cli.common``; heavy modules are imported inside the commands so that
``servicedesk --help`` loads no model."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import config_or_exit, fail, kb_or_exit, store_or_exit
from bot.cli.evals import abuse, bench, eval_app
from bot.cli.gaps import gaps, incidents
from bot.cli.llm import llm_app
from bot.cli.slack import slack_app, slack_for_serve
from bot.cli.store import db_app, user_app
from bot.cli.worker import worker

app = typer.Typer(help="servicedesk: a self-hosted GenAI IT service desk.", no_args_is_help=True)
kb_app = typer.Typer(help="Inspect and edit the indexed knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")


def _drop_index(rs) -> None:
    """Forget the whole index (catalog, BM25, local or remote Chroma collection)."""
    from retrieval.dense import connect_chroma

    shutil.rmtree(rs.index_dir, ignore_errors=True)
    if rs.chroma_mode == "http":
        client = connect_chroma("http", rs.index_dir, rs.chroma_host, rs.chroma_port)
        if rs.collection in {c.name for c in client.list_collections()}:
            client.delete_collection(rs.collection)


@app.callback()
def main() -> None:
    """Models load offline only: no hub download is ever attempted."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="files or folders")] = None,
    prune: Annotated[bool, typer.Option(help="remove articles whose files are gone")] = False,
    reindex: Annotated[bool, typer.Option(help="drop the index and rebuild it")] = False,
    sample: Annotated[bool, typer.Option(help="ingest the bundled sample KB")] = False,
) -> None:
    """Ingest files and folders into the knowledge base (idempotent)."""
    from ingest.pipeline import Ingestor

    config = config_or_exit()
    targets = list(paths or []) + ([config.bot.sample_kb] if sample else [])
    if not targets:
        fail("give at least one PATH (or --sample)")
    if reindex:
        _drop_index(config.retrieval)
    kb = kb_or_exit(config)
    report = Ingestor(kb, config.ingest).run(targets, prune=prune)
    for failure in report.failures:
        typer.echo(failure.line(), err=True)
    if report.repair.removed_orphans or report.repair.restored_chunks or report.repair.reindexed:
        typer.echo(
            f"repaired index: {report.repair.removed_orphans} orphan chunks removed, "
            f"{report.repair.restored_chunks} missing chunks restored, "
            f"{len(report.repair.reindexed)} articles re-indexed"
        )
    typer.echo(report.summary())
    raise typer.Exit(0 if report.ok else 1)


@kb_app.command("list")
def kb_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List indexed articles."""
    entries = kb_or_exit(config_or_exit()).catalog.articles()
    if as_json:
        typer.echo(json.dumps([e.__dict__ for e in entries], ensure_ascii=False, indent=1))
        return
    for e in entries:
        groups = f" [{','.join(e.allowed_groups)}]" if e.allowed_groups else ""
        typer.echo(f"{e.article_id:<28} {e.lang}  {e.chunk_count:>3} chunks  {e.title}{groups}")
    typer.echo(f"{len(entries)} articles")


@kb_app.command("show")
def kb_show(article_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show one article's metadata and chunks."""
    kb = kb_or_exit(config_or_exit())
    entry = kb.catalog.article(article_id)
    if entry is None:
        fail(f"no article {article_id!r}", 1)
    chunks = kb.catalog.chunks_of(article_id)
    if as_json:
        data = {**entry.__dict__, "chunks": [c.__dict__ for c in chunks]}
        typer.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    for key, value in entry.__dict__.items():
        typer.echo(f"{key:>14}: {value}")
    for c in chunks:
        typer.echo(f"\n--- chunk {c.ordinal} [{c.section or '-'}]\n{c.text}")


@kb_app.command("delete")
def kb_delete(article_id: str) -> None:
    """Delete one article from every index."""
    kb = kb_or_exit(config_or_exit())
    if not kb.delete(article_id):
        fail(f"no article {article_id!r}", 1)
    kb.refresh_keyword()
    typer.echo(f"deleted {article_id}")


@app.command()
def search(
    query: str,
    k: Annotated[int, typer.Option("-k", min=1, max=100)] = 5,
    groups: Annotated[str, typer.Option(help="comma-separated groups of the asker")] = "",
    mode: Annotated[str, typer.Option(help="hybrid | bm25_only | dense_only")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Search the knowledge base as a user in GROUPS would."""
    from bot.wiring import build_retriever
    from retrieval.schema import User

    if not query.strip():
        fail("the query is empty")
    if mode not in ("hybrid", "bm25_only", "dense_only"):
        fail(f"unknown mode {mode!r}")
    retriever = build_retriever(kb_or_exit(config_or_exit()))
    hits = retriever.search(query, User.with_groups("cli", groups.split(",")), k, mode=mode)
    if as_json:
        payload = {
            "query": query,
            "hits": [h.to_dict() for h in hits],
            "timings_ms": retriever.last_timings.stages,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    if not hits:
        typer.echo("no matching articles")
    for n, h in enumerate(hits, start=1):
        where = f" > {h.section}" if h.section else ""
        typer.echo(f"{n}. [{h.confidence:.2f}] {h.title}{where}  ({h.article_id})")
        typer.echo(f"   {h.snippet}")


@app.command()
def ask(
    question: str,
    user: Annotated[str, typer.Option(help="who asks")] = "cli",
    groups: Annotated[str, typer.Option(help="comma-separated groups of the asker")] = "",
    backend: Annotated[str | None, typer.Option(help="llm | extractive")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    stream: Annotated[bool, typer.Option(help="print the answer as it is generated")] = True,
) -> None:
    """Ask the Desk a question: a grounded answer with sources, or a decline offering a ticket."""
    from bot.wiring import build_desk
    from retrieval.schema import User

    if backend not in (None, "llm", "extractive"):
        fail(f"unknown backend {backend!r}")
    config = config_or_exit(bot={"answer_backend": backend} if backend else {})
    desk = build_desk(kb_or_exit(config), config.bot, config.llm)
    asker = User.with_groups(user, groups.split(","))
    answer = None
    streamed = False
    for event in desk.ask_stream(question, asker):
        if event.kind == "answer":
            answer = event.data
        elif event.kind == "token" and stream and not as_json:
            typer.echo(event.data, nl=False)
            streamed = True
        elif event.kind == "reset" and streamed:
            typer.echo(f"\n[replaced: {event.data}]")
    assert answer is not None
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
        return
    typer.echo("" if streamed else answer.text)
    for c in answer.citations or answer.related:
        where = f" > {c.section}" if c.section else ""
        typer.echo(f"  [{c.n}] {c.title}{where} ({c.article_id})")
    if answer.offer_ticket:
        typer.echo(
            "AI-generated from the articles above."
            if answer.answered
            else "Not answered: talk to a person to open a ticket."
        )
    typer.echo(
        f"decision={answer.decision} confidence={answer.confidence:.2f} "
        f"backend={answer.backend} model={answer.model or '-'} "
        f"total={answer.latencies_ms.get('total', 0):.0f} ms"
        + (f" fallback={answer.fallback_reason}" if answer.fallback_reason else ""),
        err=True,
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Serve the web app and JSON API (and start the LLM engine in the background).

    The first start creates admin, agent and employee accounts; their passwords go to
    <data_dir>/first-start-passwords.txt (0600), and to the terminal only when it is one.
    SIGTERM or Ctrl-C: requests in flight finish (up to SERVICEDESK_SHUTDOWN_TIMEOUT_S), then
    the engine this command started stops with it.
    """
    import signal

    from bot.observability.readiness import status_probe
    from bot.tickets.accounts import seed_demo_accounts
    from bot.wiring import build_chat_model, build_services

    # uvicorn shuts down gracefully on SIGTERM or SIGINT, then raises it again: as SystemExit
    # here rather than the default action, so `finally` stops the engine instead of leaving it.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_on_signal)
    config = config_or_exit()
    bs, data_dir = config.bot, config.app.data_dir
    _configure_logs(bs.log_format)
    engine = _background_engine(config)  # None unless answers use an engine `serve` starts
    try:
        chat = engine.chat(build_chat_model(config.llm, bs)) if engine else None  # type: ignore[arg-type]
        # As services_or_exit builds them, with the chat model bound to our own engine.
        kb, store = kb_or_exit(config), store_or_exit(config)  # store: migrated to the newest
        services = build_services(config, kb=kb, store=store, chat=chat)
        if engine is not None:
            services.readiness.add("llm", status_probe(engine.status), required=False)
            engine.start()
        _print_demo_accounts(seed_demo_accounts(services.store), data_dir)
        _serve_web(services, host or bs.web_host, port or bs.web_port)
    finally:
        if engine is not None:
            engine.stop()


def _exit_on_signal(signum: int, _frame) -> None:
    """Exit as a signal's default action would (status 128 + signal), through ``finally``."""
    raise SystemExit(128 + signum)


def _configure_logs(log_format: str) -> None:
    """JSON lines from the start (``json``); in text, the engine's messages at INFO."""
    import logging
    import logging.config

    from bot.web.access_log import log_config

    if log_format == "json":
        logging.config.dictConfig(log_config("json"))
    else:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")


def _background_engine(config):
    """The engine `serve` starts (not started yet), or None: answers are extractive, the
    engine is external or SERVICEDESK_START_LLM is false."""
    from llm_server.background import BackgroundEngine

    bs, ls = config.bot, config.llm
    if bs.answer_backend != "llm" or not bs.start_llm or ls.engine == "external":
        return None
    typer.echo(f"starting the {ls.engine} engine in the background; answers are extractive "
               "until it is ready")  # fmt: skip
    return BackgroundEngine(ls, config.app.data_dir / "logs")


def _serve_web(services, host: str, port: int) -> None:
    """Run the web app (and the Slack bot in HTTP mode) until SIGTERM or Ctrl-C."""
    import uvicorn

    from bot.slack.web import install_slack
    from bot.web.access_log import log_config
    from bot.web.app import create_app
    from bot.web.auth import behind_proxies
    from bot.worker import serve_jobs

    config = services.config
    typer.echo(f"serving {services.kb.catalog.counts()[0]} articles on http://{host}:{port}")
    slack = slack_for_serve(config.slack)  # None unless a Slack bot token is set
    services.library.discard_staging()  # no upload is in flight before the app serves
    web = create_app(services)
    if slack is not None:
        install_slack(web, services, slack)
    # Incident checks, reply delivery and retention: on threads here (SERVICEDESK_WORKER=embedded)
    # or left to `servicedesk worker` (external), which this process then only wakes.
    jobs = serve_jobs(services)
    # Proxy headers inside, the real peer kept outside: SSO trusts hops, not header claims.
    forwarded = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")  # uvicorn's own variable
    try:
        uvicorn.run(
            behind_proxies(web, forwarded),
            host=host,
            port=port,
            proxy_headers=False,
            log_config=log_config(config.bot.log_format),  # no query strings (?q=...) in any log
            access_log=config.bot.log_format == "text",  # JSON: request_ids logs requests
            timeout_graceful_shutdown=config.bot.shutdown_timeout_s,
        )
    finally:
        jobs.stop()


def _print_demo_accounts(
    created: dict[str, str], data_dir: Path, to_terminal: bool | None = None
) -> None:
    """Keep the seeded accounts' generated passwords (only on the first start) in a file only
    its owner may read, and print them only to a terminal: a container's stdout is its log,
    which many can read and which outlives the passwords' use. ``to_terminal`` defaults to
    whether stdout is a TTY."""
    from bot.tickets.accounts import keep_first_start_passwords

    if not created:
        return
    path = keep_first_start_passwords(created, data_dir)
    if to_terminal is None:
        to_terminal = sys.stdout.isatty()
    names = ", ".join(created)
    typer.echo(f"first start: created {names}; each must change its password at first sign-in")
    if to_terminal:
        for username, password in created.items():
            typer.echo(f"  {username:<9} / {password}")
    typer.echo(f"passwords: {path} (only this user may read it); read it, then delete it")


app.add_typer(eval_app, name="eval")
app.add_typer(llm_app, name="llm")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(slack_app, name="slack")
app.command()(bench)
app.command()(abuse)
app.command()(gaps)
app.command()(incidents)
app.command()(worker)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
