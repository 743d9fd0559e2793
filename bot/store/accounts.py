"""Accounts: who may sign in, with which role and groups."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from bot.store import records
from bot.store.base import StoreBase, one_of, required
from bot.store.schema import AccountRow
from bot.tickets.records import ROLES, Account, InvalidChange, NotFound


class AccountRecords(StoreBase):
    """The accounts part of the store."""

    def add_account(self, account: Account, password_hash: str | None) -> Account:
        """Create ``account``; a username already taken is InvalidChange."""
        row = AccountRow(
            username=required(account.username, "username"),
            role=one_of(account.role, ROLES, "role"),
            display_name=account.display_name,
            email=account.email,
            groups=list(account.groups),
            password_hash=password_hash,
            active=account.active,
            created_at=account.created_at,
            must_change_password=account.must_change_password,
        )
        try:
            with self._write() as session:
                session.add(row)
        except IntegrityError as err:
            raise InvalidChange(f"the username {row.username!r} is taken") from err
        return records.account(row)

    def account(self, username: str) -> Account | None:
        """The account called ``username``, or None."""
        with self._read() as session:
            row = session.scalar(select(AccountRow).where(AccountRow.username == username))
            return records.account(row) if row else None

    def password_hash(self, username: str) -> str | None:
        """The stored password hash of ``username`` (None: no account, or no password)."""
        with self._read() as session:
            return session.scalar(
                select(AccountRow.password_hash).where(AccountRow.username == username)
            )

    def set_password_hash(self, username: str, password_hash: str) -> None:
        """Replace the password hash of ``username``; NotFound when there is no such account."""
        with self._write() as session:
            self._account_row(session, username).password_hash = password_hash

    def update_account(
        self,
        username: str,
        *,
        role: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        groups: list[str] | None = None,
        active: bool | None = None,
        must_change_password: bool | None = None,
    ) -> Account:
        """Change the given fields of an account (e.g. groups from SSO, deactivation)."""
        with self._write() as session:
            row = self._account_row(session, username)
            if role is not None:
                row.role = one_of(role, ROLES, "role")
            if display_name is not None:
                row.display_name = display_name
            if email is not None:
                row.email = email
            if groups is not None:
                row.groups = list(groups)
            if active is not None:
                row.active = active
            if must_change_password is not None:
                row.must_change_password = must_change_password
            return records.account(row)

    def revoke_sessions(self, username: str) -> Account:
        """Bump the account's session version, so every cookie issued before stops working."""
        with self._write() as session:
            row = self._account_row(session, username)
            row.session_version = (row.session_version or 0) + 1
            return records.account(row)

    def delete_account(self, username: str) -> None:
        """Remove the account (its tickets and conversations keep the name); NotFound if none."""
        with self._write() as session:
            self._account_row(session, username)
            session.execute(delete(AccountRow).where(AccountRow.username == username))

    def accounts(self) -> list[Account]:
        """Every account, by username."""
        with self._read() as session:
            rows = session.scalars(select(AccountRow).order_by(AccountRow.username))
            return [records.account(r) for r in rows]

    def account_count(self) -> int:
        """How many accounts exist (seeding happens only at zero)."""
        with self._read() as session:
            return session.scalar(select(func.count(AccountRow.id))) or 0

    @staticmethod
    def _account_row(session, username: str) -> AccountRow:
        row = session.scalar(
            select(AccountRow).where(AccountRow.username == username).with_for_update()
        )
        if row is None:
            raise NotFound(f"no account {username!r}")
        return row
