"""Students: enrolment windows, batches of enrolments, one enrolment, the census.

One room per concept; this package answers every name its callers import.
"""

from __future__ import annotations

from app.services.enrolments.batches import (
    BatchItem,
    BatchOutcome,
    ItemOutcome,
    ItemStatus,
    enrol_batch,
    import_enrolments,
)
from app.services.enrolments.census_count import Census, census, census_view, count_census
from app.services.enrolments.records import cancel_enrolment, get_enrolment, list_enrolments
from app.services.enrolments.windows import change_windows, get_windows, parse_year, windows_in

__all__ = [
    "BatchItem",
    "BatchOutcome",
    "Census",
    "ItemOutcome",
    "ItemStatus",
    "cancel_enrolment",
    "census",
    "census_view",
    "change_windows",
    "count_census",
    "enrol_batch",
    "get_enrolment",
    "get_windows",
    "import_enrolments",
    "list_enrolments",
    "parse_year",
    "windows_in",
]
