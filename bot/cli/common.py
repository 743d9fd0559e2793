"""What every command shares: one way to fail, and the components from ``bot.wiring`` or the
reason they cannot be built.

``bot.wiring`` is imported inside these functions, as are the heavy modules inside the commands:
``servicedesk --help`` then loads neither Chroma nor the models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from bot.store import SqlStore
    from bot.wiring import Config, Services
    from retrieval.knowledge_base import KnowledgeBase


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def config_or_exit(**overrides: dict) -> Config:
    """Every settings class, loaded and validated once (``overrides`` per class, as
    ``bot.wiring.load_config`` takes them), or exit 2 with the reason."""
    from pydantic import ValidationError

    from bot.wiring import ConfigError, load_config

    try:
        return load_config(**overrides)
    except (ConfigError, ValidationError) as err:
        fail(f"invalid configuration:\n{err}")


def kb_or_exit(config: Config) -> KnowledgeBase:
    """The configured knowledge base, or exit 2 when its embedder is unknown or not the one the
    index was built with."""
    from bot.wiring import open_knowledge_base
    from retrieval.dense import EmbedderMismatch
    from retrieval.embedders import UnknownEmbedder

    try:
        return open_knowledge_base(config.retrieval)
    except (EmbedderMismatch, UnknownEmbedder) as err:
        fail(str(err))


def store_or_exit(config: Config) -> SqlStore:
    """The configured store, migrated to the newest schema, or exit 2 when it cannot open."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from bot.store import database_url, open_store

    try:
        return open_store(config.bot, config.app.data_dir)
    except (ArgumentError, OperationalError) as err:
        url = database_url(config.bot, config.app.data_dir)
        fail(f"cannot open the database {url!r}: {err}")


def services_or_exit(config: Config) -> Services:
    """Every component, built once from ``config``, or exit 2 when the knowledge base or the
    store cannot open."""
    from bot.wiring import build_services

    return build_services(config, kb=kb_or_exit(config), store=store_or_exit(config))
