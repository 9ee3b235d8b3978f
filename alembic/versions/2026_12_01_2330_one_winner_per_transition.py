"""one winner per transition: at most one open lock per account, one role per request

Partial unique indexes behind the row locks of the transitions (app/adapters/db/
row_locks.py): an account has at most one open lock (`unlocked_at IS NULL`), and a
fulfilled account request made at most one role (`request_id IS NOT NULL`). Both work on
PostgreSQL and SQLite (partial indexes). On a database where concurrent calls already
left duplicates, the upgrade stops on the unique violation naming the index; the
duplicates are then closed by hand (an unlock, or the extra role removed) and the upgrade
run again.

Revision ID: 7c1f0a2b9d44
Revises: 6d499b52e3b8
Create Date: 2026-12-01 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "7c1f0a2b9d44"
down_revision: str | None = "6d499b52e3b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "uq_account_locks_open", "account_locks", ["uid"], unique=True,
        postgresql_where=sa.text("unlocked_at IS NULL"),
        sqlite_where=sa.text("unlocked_at IS NULL"),
    )
    op.create_index(
        "uq_roles_request_id", "roles", ["request_id"], unique=True,
        postgresql_where=sa.text("request_id IS NOT NULL"),
        sqlite_where=sa.text("request_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_roles_request_id", table_name="roles")
    op.drop_index("uq_account_locks_open", table_name="account_locks")
