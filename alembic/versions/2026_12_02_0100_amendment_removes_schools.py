"""amendments: the beneficiary schools an amendment removes (R-CONV-2a)

An amendment may remove beneficiary schools: each is a beneficiary until the day before
the amendment's effective date. Existing amendments removed none: the column stays null.

Revision ID: 5c1a7e3d9b24
Revises: 9d2e4f6a8b10
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "5c1a7e3d9b24"
down_revision: str | None = "9d2e4f6a8b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removes_school_codes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.drop_column("removes_school_codes")
