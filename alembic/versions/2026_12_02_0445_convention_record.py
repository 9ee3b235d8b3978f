"""party_records: the convention record's entry of each party (R-CONV-6)

Each party's signature date (UT's is 2025-03-31, the others are recorded through the
API when known) and its obligations contact (an e-mail managed by UT, never a DPO's
address; none until set). One row per party, made here so that every later change is an
update of an existing row under its lock.

Revision ID: 4e8a2d6c1f37
Revises: 7b3f1c9e5a20
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
import sqlmodel

import app.adapters.db.types
from alembic import op

revision: str = "4e8a2d6c1f37"
down_revision: str | None = "7b3f1c9e5a20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "party_records",
        sa.Column("party", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("obligations_contact", sqlmodel.sql.sqltypes.AutoString(length=320),
                  nullable=True),
        sa.Column("updated_at", app.adapters.db.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.CheckConstraint("party IN ('region', 'ut', 'gcs')",
                           name=op.f("ck_party_records_party_known")),
        sa.PrimaryKeyConstraint("party", name=op.f("pk_party_records")),
    )
    made = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    op.bulk_insert(table, [
        {"party": "region", "signed_on": None, "obligations_contact": None, "updated_at": made},
        {"party": "ut", "signed_on": date(2025, 3, 31), "obligations_contact": None,
         "updated_at": made},
        {"party": "gcs", "signed_on": None, "obligations_contact": None, "updated_at": made},
    ])


def downgrade() -> None:
    op.drop_table("party_records")
