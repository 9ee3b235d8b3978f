"""breaches and breach_notifications: personal-data breach records (art. 12)

A party that discovers a personal-data breach informs the other parties' DPOs (the
obligations register's R-OBL-16). A breach record names the discovering party and the
instant of discovery; each notification records the instant one other party's DPO was
informed (one per breach and party). New tables: nothing to carry over.

Revision ID: 7b3f1c9e5a20
Revises: 0b7e19c4d2a6
Create Date: 2026-12-02 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import app.adapters.db.types
from alembic import op

revision: str = "7b3f1c9e5a20"
down_revision: str | None = "0b7e19c4d2a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "breaches",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("discovered_by", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("discovered_at", app.adapters.db.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("recorded_at", app.adapters.db.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.CheckConstraint("discovered_by IN ('region', 'ut', 'gcs')",
                           name=op.f("ck_breaches_party_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaches")),
        sa.UniqueConstraint("reference", name=op.f("uq_breaches_reference")),
    )
    op.create_table(
        "breach_notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("breach_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("party", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("informed_at", app.adapters.db.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("recorded_at", app.adapters.db.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.CheckConstraint("party IN ('region', 'ut', 'gcs')",
                           name=op.f("ck_breach_notifications_party_known")),
        sa.ForeignKeyConstraint(["breach_id"], ["breaches.id"],
                                name=op.f("fk_breach_notifications_breach_id_breaches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_notifications")),
        sa.UniqueConstraint("breach_id", "party",
                            name=op.f("uq_breach_notifications_breach_id_party")),
    )


def downgrade() -> None:
    op.drop_table("breach_notifications")
    op.drop_table("breaches")
