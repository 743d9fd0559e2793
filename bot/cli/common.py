"""What every command shares: one way to fail, and the components from ``bot.wiring`` or the
reason they cannot be built.

``bot.wiring`` is imported inside these functions, as are the heavy modules inside the commands:
``servicedesk --help`` then loads neither Chroma nor the models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from pydantic import ValidationError

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
    except ValidationError as err:
        fail(f"invalid configuration:\n{validation_message(err)}")
    except ConfigError as err:
        fail(f"invalid configuration:\n{err}")


def validation_message(err: ValidationError) -> str:
    """Each rejected setting with the reason, never the value (it may be a token or password)."""
    lines = [f"{err.error_count()} invalid setting(s) in {err.title}"]
    for error in err.errors(include_input=False, include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "(settings)"
        lines.append(f"  {field}: {error['msg']}")
    return "\n".join(lines)


def redacted_url(url: str) -> str:
    """``url`` with its password masked (``***``); a URL that does not parse is not shown."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(not shown: it does not parse as a SQLAlchemy URL)"


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
    except (ArgumentError, ValueError):
        # SQLAlchemy's message quotes the whole URL, password included.
        fail("cannot parse SERVICEDESK_DATABASE_URL as a SQLAlchemy URL (value not shown)")
    except OperationalError as err:
        url = redacted_url(database_url(config.bot, config.app.data_dir))
        fail(f"cannot open the database {url}: {_without(err.orig or err, config.bot)}")


def _without(err: BaseException, bot) -> str:
    """The driver's message with the configured database password masked, should it echo it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    message = str(err).strip()
    try:
        password = make_url(bot.database_url).password if bot.database_url else None
    except (ArgumentError, ValueError):
        password = None
    return message.replace(str(password), "***") if password else message


def services_or_exit(config: Config) -> Services:
    """Every component, built once from ``config``, or exit 2 when the knowledge base or the
    store cannot open."""
    from bot.wiring import build_services

    return build_services(config, kb=kb_or_exit(config), store=store_or_exit(config))
