"""obligations register: recorded evidence and waivers

Observed obligations are computed from the data when asked; only what people record is
stored: the evidence that met an evidence-kind obligation and UT's waivers, one of each
per obligation id.

Revision ID: 0b7e19c4d2a6
Revises: 5c1a7e3d9b24
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from app.adapters.db.types import UTCDateTime

revision: str = "0b7e19c4d2a6"
down_revision: str | None = "5c1a7e3d9b24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "obligation_evidence",
        sa.Column("obligation_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("document_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.CheckConstraint(
            "(occurred_on IS NULL) <> (occurred_at IS NULL)",
            name=op.f("ck_obligation_evidence_one_occurrence"),
        ),
        sa.PrimaryKeyConstraint("obligation_id", name=op.f("pk_obligation_evidence")),
    )
    op.create_table(
        "obligation_waivers",
        sa.Column("obligation_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.PrimaryKeyConstraint("obligation_id", name=op.f("pk_obligation_waivers")),
    )


def downgrade() -> None:
    op.drop_table("obligation_waivers")
    op.drop_table("obligation_evidence")
