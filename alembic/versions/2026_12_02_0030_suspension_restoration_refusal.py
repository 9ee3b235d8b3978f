"""suspensions: the last written refusal of a restoration request (R-SUS-2b)

UT may answer a restoration request by a written refusal (date and reference): the
suspension goes back to `active`, and the refusal is kept on it so that the same refusal
sent again is recognised (a retry answers the suspension as it is). Existing rows were
never refused: both columns stay null.

Revision ID: 9d2e4f6a8b10
Revises: 3b7e5c91a2d0
Create Date: 2026-12-02 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import app.adapters.db.types
from alembic import op

revision: str = "9d2e4f6a8b10"
down_revision: str | None = "3b7e5c91a2d0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("suspensions", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "restoration_refused_at", app.adapters.db.types.UTCDateTime(timezone=True),
            nullable=True,
        ))
        batch_op.add_column(sa.Column(
            "restoration_refusal_ref", sqlmodel.sql.sqltypes.AutoString(length=128),
            nullable=True,
        ))


def downgrade() -> None:
    with op.batch_alter_table("suspensions", schema=None) as batch_op:
        batch_op.drop_column("restoration_refusal_ref")
        batch_op.drop_column("restoration_refused_at")
