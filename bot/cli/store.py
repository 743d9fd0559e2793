"""`servicedesk db ...` and `servicedesk user ...`: the database and who may sign in."""

from __future__ import annotations

import sys
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
    stdin: Annotated[
        bool, typer.Option("--stdin", help="read the password from one line of stdin")
    ] = False,
) -> None:
    """Add an account that must choose its own password at first sign-in; without --stdin a
    generated first password is printed once."""
    from bot.tickets.accounts import create_account
    from bot.tickets.records import Account, InvalidChange

    chosen = sys.stdin.readline().rstrip("\r\n") if stdin else None
    store = store_or_exit(config_or_exit())
    account = Account(username, role, name, email, list(group or []))  # type: ignore[arg-type]
    try:
        created, password = create_account(store, account, chosen)
    except InvalidChange as err:  # a taken name, an unknown role, a short password...
        fail(str(err))
    finally:
        store.close()
    typer.echo(f"added {created.username} ({created.role}); a new password is due at first sign-in")
    if chosen is None:
        typer.echo(f"password: {password}")


@user_app.command("list")
def user_list() -> None:
    """List the accounts."""
    store = store_or_exit(config_or_exit())
    for a in store.accounts():
        groups = f" [{', '.join(a.groups)}]" if a.groups else ""
        state = "" if a.active else " (inactive)"
        typer.echo(f"{a.username:<20} {a.role:<8} {a.display_name}{groups}{state}")
    store.close()


def _change(username: str, change) -> None:
    """Run ``change(store, username)`` from ``bot.tickets.accounts``; exit 2 with the reason
    (an unknown user, the last admin, a short password) when it is refused."""
    from bot.tickets.records import InvalidChange, NotFound

    store = store_or_exit(config_or_exit())
    try:
        change(store, username)
    except NotFound:
        fail(f"no account {username!r} (see `servicedesk user list`)")
    except InvalidChange as err:
        fail(str(err))
    finally:
        store.close()


def _new_password(from_stdin: bool) -> str:
    """The new password, from one line of stdin or a hidden prompt (never the command line,
    where ``ps`` and the shell's history would show it)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("new password", hide_input=True, confirmation_prompt=True)


@user_app.command("passwd")
def user_passwd(
    username: str,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="read the password from one line of stdin")
    ] = False,
) -> None:
    """Set a new password (asked for, hidden); the account's existing sessions end."""
    from bot.tickets.accounts import change_password

    password = _new_password(stdin)
    _change(username, lambda store, name: change_password(store, name, password))
    typer.echo(f"password of {username} changed; its sessions are signed out")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Stop an account from signing in; its existing sessions end."""
    from bot.tickets.accounts import set_active

    _change(username, lambda store, name: set_active(store, name, False))
    typer.echo(f"{username} disabled")


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Let a disabled account sign in again."""
    from bot.tickets.accounts import set_active

    _change(username, lambda store, name: set_active(store, name, True))
    typer.echo(f"{username} enabled")


@user_app.command("role")
def user_role(
    username: str, role: Annotated[str, typer.Argument(help="employee | agent | admin")]
) -> None:
    """Give an account another role; its existing sessions end."""
    from bot.tickets.accounts import set_role

    _change(username, lambda store, name: set_role(store, name, role))
    typer.echo(f"{username} is now {role}")


@user_app.command("signout")
def user_signout(username: str) -> None:
    """End every session of an account (all browsers and API clients)."""
    from bot.tickets.accounts import sign_out_everywhere

    _change(username, sign_out_everywhere)
    typer.echo(f"every session of {username} is signed out")


@user_app.command("delete")
def user_delete(username: str) -> None:
    """Delete an account (its tickets and conversations stay under the same name)."""
    from bot.tickets.accounts import delete_account

    _change(username, delete_account)
    typer.echo(f"{username} deleted")
