"""Storage use cases (R-STO-1, R-STO-2, R-STO-3, R-STO-4, R-UNIT-1, R-TIME-1, R-TIME-5),
one room per concern:

* `ingestion`: `ingest_snapshots`, a batch of snapshots in one transaction, levels moved;
* `alerts`: alert events and their French mails, the referents reached, the forecast;
* `jobs`: reminders while critical (R-STO-2), retrieval reminders (R-STO-4), the fold
  of old snapshots, and `storage_jobs` that registers them;
* `size_reading`: `apply_size_reading`, R-UNIT-1a at every start;
* `reads`: `usage`, `history` and `list_alerts`;
* `policy`: `StoragePolicy`, the settings they need, and their limits.

The rules themselves (levels, hysteresis, reminders, buckets, forecast) are the pure
functions of `app.domain.storage`; nothing here re-implements them. The names below
are the ones the HTTP routes and the composition root call."""

from app.services.storage.ingestion import (
    ACCEPTED,
    DUPLICATE,
    REJECTED,
    Candidate,
    IngestReport,
    ItemError,
    ItemResult,
    ingest_snapshots,
)
from app.services.storage.jobs import storage_jobs
from app.services.storage.policy import (
    FOLD_JOB,
    MAX_BATCH_ITEMS,
    REMINDERS_JOB,
    RETRIEVAL_JOB,
    StoragePolicy,
)
from app.services.storage.reads import History, SchoolUsage, Usage, history, list_alerts, usage
from app.services.storage.size_reading import apply_size_reading

__all__ = [
    "ACCEPTED",
    "DUPLICATE",
    "FOLD_JOB",
    "MAX_BATCH_ITEMS",
    "REJECTED",
    "REMINDERS_JOB",
    "RETRIEVAL_JOB",
    "Candidate",
    "History",
    "IngestReport",
    "ItemError",
    "ItemResult",
    "SchoolUsage",
    "StoragePolicy",
    "Usage",
    "apply_size_reading",
    "history",
    "ingest_snapshots",
    "list_alerts",
    "storage_jobs",
    "usage",
]
