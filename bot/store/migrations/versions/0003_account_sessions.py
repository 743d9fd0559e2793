"""Account session versions: a number carried in the session cookie; bumping it (a password
change, disabling, a role change, "sign out everywhere") revokes the account's existing sessions;
and a flag that sends an account with a seeded password to the change-password page.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("must_change_password")
        batch.drop_column("session_version")
