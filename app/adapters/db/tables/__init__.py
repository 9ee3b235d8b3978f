"""SQLModel tables (`<X>Row`), one module per concept. Alembic owns the schema; `alembic
check` keeps the two equal. Importing this package registers every table."""

from __future__ import annotations

from app.adapters.db.tables.accounts import (
    AccountLockRow,
    AccountRequestRow,
    AccountRow,
    RenewalCampaignRow,
    RenewalDecisionRow,
    RoleRow,
    TrainingRow,
)
from app.adapters.db.tables.billing import PaymentRow, StatementRow
from app.adapters.db.tables.lifecycle import AmendmentRow, SuspensionRow, TerminationNoticeRow
from app.adapters.db.tables.obligations import ObligationEvidenceRow, ObligationWaiverRow
from app.adapters.db.tables.platform import (
    AuditEventRow,
    ClosureRow,
    IdempotencyKeyRow,
    JobRunRow,
    OutboxAttemptRow,
    OutboxMessageRow,
)
from app.adapters.db.tables.records import BreachNotificationRow, BreachRow, PartyRecordRow
from app.adapters.db.tables.reference import ApiClientRow, ConventionRow, SchoolRow
from app.adapters.db.tables.storage import (
    StorageAlertRow,
    StorageDailyRow,
    StorageLevelRow,
    StorageSnapshotRow,
)
from app.adapters.db.tables.students import EnrolmentCampaignRow, EnrolmentRow
from app.adapters.db.tables.support import SupportRequestRow

__all__ = [
    "AccountLockRow",
    "AccountRequestRow",
    "AccountRow",
    "AmendmentRow",
    "ApiClientRow",
    "AuditEventRow",
    "BreachNotificationRow",
    "BreachRow",
    "ClosureRow",
    "ConventionRow",
    "EnrolmentCampaignRow",
    "EnrolmentRow",
    "IdempotencyKeyRow",
    "JobRunRow",
    "ObligationEvidenceRow",
    "ObligationWaiverRow",
    "OutboxAttemptRow",
    "OutboxMessageRow",
    "PartyRecordRow",
    "PaymentRow",
    "RenewalCampaignRow",
    "RenewalDecisionRow",
    "RoleRow",
    "SchoolRow",
    "StatementRow",
    "StorageAlertRow",
    "StorageDailyRow",
    "StorageLevelRow",
    "StorageSnapshotRow",
    "SupportRequestRow",
    "SuspensionRow",
    "TerminationNoticeRow",
    "TrainingRow",
]
