"""`servicedesk db ...` and `servicedesk user ...`: the database and who may sign in."""

from __future__ import annotations

from typing import Annotated

import typer

db_app = typer.Typer(help="The tickets and conversations database.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts that sign in to the web app.", no_args_is_help=True)


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _bot_settings():
    """The bot's settings, or exit 2 with the reason."""
    from pydantic import ValidationError

    from bot.settings import BotSettings

    try:
        return BotSettings()
    except ValidationError as err:
        _fail(f"invalid configuration:\n{err}")
        raise  # unreachable; keeps type checkers calm


def _store():
    """The configured store, migrated to the newest schema, or exit 2 when it cannot open."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from bot.store import database_url, open_store
    from retrieval.settings import RetrievalSettings

    settings = _bot_settings()
    data_dir = RetrievalSettings().data_dir
    try:
        return open_store(settings, data_dir)
    except (ArgumentError, OperationalError) as err:
        _fail(f"cannot open the database {database_url(settings, data_dir)!r}: {err}")
        raise


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the configured database (SERVICEDESK_DATABASE_URL) to the newest schema."""
    from bot.store import current_revision

    store = _store()
    typer.echo(f"database at revision {current_revision(store.engine)} (head)")
    store.close()


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="employee | agent | admin")] = "employee",
    email: Annotated[str, typer.Option()] = "",
    name: Annotated[str, typer.Option(help="display name")] = "",
    group: Annotated[list[str] | None, typer.Option(help="a group (repeat for more)")] = None,
    password: Annotated[str | None, typer.Option(help="default: generate and print one")] = None,
) -> None:
    """Add an account; without --password a generated one is printed once."""
    from bot.tickets.accounts import generate_password, hash_password
    from bot.tickets.records import ROLES, Account, InvalidChange

    if role not in ROLES:
        _fail(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if password is not None and not password.strip():
        _fail("the password is empty")
    store = _store()
    secret = password or generate_password()
    account = Account(username.strip(), role, name, email, list(group or []))  # type: ignore[arg-type]
    try:
        store.add_account(account, hash_password(secret))
    except InvalidChange as err:
        _fail(str(err))
    finally:
        store.close()
    typer.echo(f"added {account.username} ({role})")
    if password is None:
        typer.echo(f"password: {secret}")


@user_app.command("list")
def user_list() -> None:
    """List the accounts."""
    store = _store()
    for a in store.accounts():
        groups = f" [{', '.join(a.groups)}]" if a.groups else ""
        state = "" if a.active else " (inactive)"
        typer.echo(f"{a.username:<20} {a.role:<8} {a.display_name}{groups}{state}")
    store.close()
