"""support requests: the last message's instant and how a request was closed (R-SUP-3)

`last_message_at` is the instant of the latest message recorded on the request
(reception, first response, follow-up mail); existing rows take their response, else
their reception. `closure` says how a closed request was closed: `manual` (through the
API) or `automatic` (30 Paris days without a message after the answer); existing closed
rows were closed by hand.

Revision ID: 3b7e5c91a2d0
Revises: 7c1f0a2b9d44
Create Date: 2026-12-01 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import app.adapters.db.types
from alembic import op

revision: str = "3b7e5c91a2d0"
down_revision: str | None = "7c1f0a2b9d44"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "last_message_at", app.adapters.db.types.UTCDateTime(timezone=True), nullable=True
        ))
        batch_op.add_column(sa.Column(
            "closure", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True
        ))
    op.execute(
        "UPDATE support_requests SET last_message_at = COALESCE(responded_at, received_at)"
    )
    op.execute("UPDATE support_requests SET closure = 'manual' WHERE status = 'closed'")
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.alter_column("last_message_at", nullable=False)
        batch_op.create_check_constraint(
            "closure_known", "closure IS NULL OR closure IN ('manual', 'automatic')"
        )
        batch_op.create_index("ix_support_requests_status_last_message",
                              ["status", "last_message_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_support_requests_status_last_message")
        batch_op.drop_constraint("closure_known", type_="check")
        batch_op.drop_column("closure")
        batch_op.drop_column("last_message_at")
