"""The convention's lifecycle (R-CONV-2, R-CONV-3, R-CONV-4, R-CONV-5, R-SCH-1, R-SUS-1,
R-SUS-2), one room per concept: `amendments`, `terminations` (notices) and
`suspensions`. The names below are the ones the HTTP routes call."""

from app.services.lifecycle.amendments import list_amendments, record_amendment
from app.services.lifecycle.suspensions import (
    get_suspension,
    lift,
    list_suspensions,
    refuse_restoration,
    request_restoration,
    suspend,
)
from app.services.lifecycle.terminations import (
    cure_notice,
    file_notice,
    get_notice,
    list_notices,
    notice_status,
)

__all__ = [
    "cure_notice",
    "file_notice",
    "get_notice",
    "get_suspension",
    "lift",
    "list_amendments",
    "list_notices",
    "list_suspensions",
    "notice_status",
    "record_amendment",
    "refuse_restoration",
    "request_restoration",
    "suspend",
]
