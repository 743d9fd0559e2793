"""`servicedesk gaps`: the knowledge gaps; `servicedesk incidents`: spikes of similar questions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import config_or_exit, fail, store_or_exit

if TYPE_CHECKING:
    from bot.wiring import Config


def _embedder(config: Config):
    """The knowledge base's configured embedder (no index is opened)."""
    from retrieval.embedders import UnknownEmbedder, make_embedder

    rs = config.retrieval
    try:
        return make_embedder(rs.embedder, rs.embed_threads, rs.embed_batch_size)
    except UnknownEmbedder as err:
        fail(str(err))


def gaps(
    days: Annotated[int, typer.Option(min=1, max=3650, help="look back this many days")] = 30,
    top: Annotated[int, typer.Option(min=1, max=500, help="show at most this many gaps")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show declined and escalated questions grouped by meaning, with suggested article titles."""
    from bot.insights.gaps import knowledge_gaps

    config = config_or_exit()
    store = store_or_exit(config)
    try:
        found = knowledge_gaps(store, _embedder(config), days, config.bot.gap_similarity, top)
    finally:
        store.close()
    if as_json:
        data = {"days": days, "gaps": [g.to_dict() for g in found]}
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo(f"no declined or escalated questions in the last {days} days")
        return
    for gap in found:
        languages = ", ".join(f"{k} {v}" for k, v in gap.languages.items())
        typer.echo(f"{gap.count:>4}  {gap.title}  [{languages}; {gap.users} people]")
        for example in gap.examples:
            typer.echo(f"        - {example}")


def incidents(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Check for spikes of similar questions now (alerting new ones) and list the active ones."""
    from bot.insights.incidents import IncidentMonitor, IncidentRules
    from bot.slack.web import alert_ops_channel

    config = config_or_exit()
    store = store_or_exit(config)
    try:
        rules = IncidentRules.from_settings(config.bot)
        monitor = IncidentMonitor(store, _embedder(config), rules)
        alert_ops_channel(monitor, config.slack)
        monitor.check()
        active = monitor.active()
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([i.to_dict() for i in active], ensure_ascii=False, indent=2))
        return
    if not active:
        typer.echo("no active incidents")
    for incident in active:
        typer.echo(f"{incident.count:>4}  {incident.title}  [{incident.users} people]")
