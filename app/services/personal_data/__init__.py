"""Personal data (R-GDPR-1, R-GDPR-2): export, erasure on request, the retention job.

One room per concept; this package answers every name its callers import.
"""

from __future__ import annotations

from app.services.personal_data.erasure import Erasure, erase_account
from app.services.personal_data.export import PersonalData, export_personal_data
from app.services.personal_data.retention import (
    RETENTION_JOB,
    RETENTION_REASON,
    SUPPORT_DIGEST_TEMPLATE,
    RetentionPolicy,
    erase_closed_account_requests,
    erase_closed_support_requests,
    erase_inactive_accounts,
    retention_job,
)

__all__ = [
    "RETENTION_JOB",
    "RETENTION_REASON",
    "SUPPORT_DIGEST_TEMPLATE",
    "Erasure",
    "PersonalData",
    "RetentionPolicy",
    "erase_account",
    "erase_closed_account_requests",
    "erase_closed_support_requests",
    "erase_inactive_accounts",
    "export_personal_data",
    "retention_job",
]
