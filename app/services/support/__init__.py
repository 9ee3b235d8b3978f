"""Support requests to DAIP (R-SUP-1, R-SUP-2, R-SUP-3, R-TIME-1, R-TIME-3, R-TIME-5),
one room per concern:

* `sla`: the 48-hour answer deadline on the opening-hours clock, live SLA states, the
  recomputation of open deadlines when closures change (`SupportDeadlines`);
* `requests`: recording an e-mail, its first response, its closure, reads and lists;
* `sla_statistics`: SLA figures of a period, per school and per Paris month;
* `jobs`: DAIP's digest and the automatic closure of silent requests;
* `mailbox_import`: the import of an export of DAIP's mailbox.

The names below are the ones the HTTP routes, the CLI and the composition root call."""

from app.services.support.jobs import (
    SUPPORT_AUTO_CLOSE_JOB,
    SUPPORT_DIGEST_JOB,
    support_auto_close_job,
    support_digest_job,
)
from app.services.support.mailbox_import import ImportReport, import_mailbox
from app.services.support.requests import (
    NewSupportRequest,
    close_request,
    create_request,
    get_request,
    list_requests,
    record_first_response,
)
from app.services.support.sla import (
    SupportDeadlines,
    SupportPolicy,
    SupportView,
    opening_clock,
    sla_filter,
    support_deadline,
)
from app.services.support.sla_statistics import SlaFigures, SupportStats, statistics

__all__ = [
    "SUPPORT_AUTO_CLOSE_JOB",
    "SUPPORT_DIGEST_JOB",
    "ImportReport",
    "NewSupportRequest",
    "SlaFigures",
    "SupportDeadlines",
    "SupportPolicy",
    "SupportStats",
    "SupportView",
    "close_request",
    "create_request",
    "get_request",
    "import_mailbox",
    "list_requests",
    "opening_clock",
    "record_first_response",
    "sla_filter",
    "statistics",
    "support_auto_close_job",
    "support_deadline",
    "support_digest_job",
]
