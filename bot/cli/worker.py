"""`servicedesk worker`: the desk's background jobs in a process of their own (incident checks,
agents' replies to Slack through the outbox, retention), for ``SERVICEDESK_WORKER=external``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import config_or_exit, kb_or_exit, store_or_exit

if TYPE_CHECKING:
    from bot.settings import SlackSettings
    from bot.wiring import Services


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="run each job once and exit (cron, a quick check)")
    ] = False,
) -> None:
    """Run the task worker until SIGTERM or Ctrl-C (running jobs finish first).

    Jobs: the incident check, delivery of agents' replies to Slack (retried with backoff while
    Slack is down) and retention. Run it with SERVICEDESK_WORKER=external on the app nodes;
    with the default (embedded), `servicedesk serve` runs the same jobs itself.
    """
    from bot.wiring import build_services
    from bot.worker.runner import NoTriage, Worker

    config = config_or_exit()
    _configure_logs(config.bot.log_format)
    kb, store = kb_or_exit(config), store_or_exit(config)
    services = build_services(config, kb=kb, store=store, triage=NoTriage())
    try:
        connect_slack(services, config.slack)
        jobs = Worker(services)
        typer.echo(f"worker: {jobs.describe()}")
        if once:
            jobs.run_once()
        else:
            jobs.run()
        typer.echo("worker stopped")
    finally:
        services.close()


def connect_slack(services: Services, settings: SlackSettings) -> None:
    """With a bot token: deliver replies to Slack threads and alert the ops channel from here
    (as ``serve`` does in Socket Mode)."""
    if not settings.enabled:
        return
    from bot.slack.app import web_client
    from bot.slack.notifier import SlackNotifier
    from bot.slack.web import alert_ops_channel, base_url

    links = base_url(services, settings)
    alert_ops_channel(services.incidents, settings, links)
    services.notifiers.register("slack", SlackNotifier(web_client(settings), links))


def _configure_logs(log_format: str) -> None:
    """The worker's log lines: JSON (``SERVICEDESK_LOG_FORMAT=json``, as ``serve`` writes them)
    or text, at INFO (each delivery retry, each alert, each retention pass)."""
    import logging
    import logging.config

    from bot.web.access_log import log_config

    if log_format == "json":
        logging.config.dictConfig(log_config("json"))
    else:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
