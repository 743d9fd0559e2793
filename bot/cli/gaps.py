"""`servicedesk gaps`: the knowledge gaps; `servicedesk incidents`: spikes of similar questions."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def _embedder():
    """The knowledge base's configured embedder (no index is opened)."""
    from retrieval.embedders import UnknownEmbedder, make_embedder
    from retrieval.settings import RetrievalSettings

    rs = RetrievalSettings()
    try:
        return make_embedder(rs.embedder, rs.embed_threads, rs.embed_batch_size)
    except UnknownEmbedder as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err


def gaps(
    days: Annotated[int, typer.Option(min=1, max=3650, help="look back this many days")] = 30,
    top: Annotated[int, typer.Option(min=1, max=500, help="show at most this many gaps")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show declined and escalated questions grouped by meaning, with suggested article titles."""
    from bot.insights.gaps import knowledge_gaps
    from bot.cli.store import _bot_settings, _store

    settings = _bot_settings()
    store = _store()
    try:
        found = knowledge_gaps(store, _embedder(), days, settings.gap_similarity, top)
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
    from bot.cli.store import _bot_settings, _store

    settings = _bot_settings()
    store = _store()
    try:
        monitor = IncidentMonitor(store, _embedder(), IncidentRules.from_settings(settings))
        _add_slack(monitor)
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


def _add_slack(monitor) -> None:
    """Alert the Slack operations channel too, when one is configured."""
    from bot.cli.slack import load_slack_settings

    slack = load_slack_settings()
    if slack.enabled and slack.ops_channel:
        from bot.slack.app import web_client
        from bot.slack.incidents import SlackIncidentAlert

        monitor.alerters.append(SlackIncidentAlert(web_client(slack), slack.ops_channel))
