"""`servicedesk db ...` and `servicedesk user ...`: the database and who may sign in."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import config_or_exit, fail, store_or_exit

db_app = typer.Typer(help="The tickets and conversations database.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts that sign in to the web app.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the configured database (SERVICEDESK_DATABASE_URL) to the newest schema."""
    from bot.store import current_revision

    store = store_or_exit(config_or_exit())
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
        fail(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if password is not None and not password.strip():
        fail("the password is empty")
    store = store_or_exit(config_or_exit())
    secret = password or generate_password()
    account = Account(username.strip(), role, name, email, list(group or []))  # type: ignore[arg-type]
    try:
        store.add_account(account, hash_password(secret))
    except InvalidChange as err:
        fail(str(err))
    finally:
        store.close()
    typer.echo(f"added {account.username} ({role})")
    if password is None:
        typer.echo(f"password: {secret}")


@user_app.command("list")
def user_list() -> None:
    """List the accounts."""
    store = store_or_exit(config_or_exit())
    for a in store.accounts():
        groups = f" [{', '.join(a.groups)}]" if a.groups else ""
        state = "" if a.active else " (inactive)"
        typer.echo(f"{a.username:<20} {a.role:<8} {a.display_name}{groups}{state}")
    store.close()
