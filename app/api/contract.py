"""The published contract (openapi/openapi.json) beyond what FastAPI generates.

FastAPI names operations after their functions and paths (`token_api_v1_oauth_token_post`):
such names change with any refactoring and make poor method names in generated clients.
Here every operation gets a hand-chosen, stable `operationId`, the rule ids it applies,
its scopes as OAuth 2.0 security requirements, the conditional and idempotency headers,
the problem `code`s of each error status and realistic examples (French names, seeded
school codes, amounts in cents). A route added without an entry here keeps FastAPI's
generated name, which `tests/contract/test_contract_quality.py` refuses.

This module is the table (`OPERATIONS`, the problem codes); the examples are in
`app.api.contract_examples`, and `app.api.openapi` writes both into the document."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TOKEN_URL = "/api/v1/oauth/token"
NO_RULE = "No rule of RULES.md applies (operations endpoint)."


@dataclass(frozen=True)
class Operation:
    """What the contract says of one operation beyond FastAPI's document."""

    id: str
    rules: tuple[str, ...] = ()
    # Problem codes an error status can carry that its description does not name.
    codes: Mapping[int, tuple[str, ...]] = field(default_factory=dict)


def _op(id: str, *rules: str, **codes: tuple[str, ...]) -> Operation:
    return Operation(id, rules, {int(k[1:]): v for k, v in codes.items()})


OBLIGATION_RULES = (
    "R-OBL-1", "R-OBL-2", "R-OBL-3", "R-OBL-4", "R-OBL-5", "R-OBL-6", "R-OBL-7", "R-OBL-8",
    "R-OBL-9", "R-OBL-10", "R-OBL-11", "R-OBL-12", "R-OBL-13", "R-OBL-14", "R-OBL-15",
    "R-OBL-16", "R-OBL-17",
)

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("get", "/healthz"): _op("getLiveness"),
    ("get", "/readyz"): _op("getReadiness"),
    ("get", "/metrics"): _op("getMetrics"),
    ("get", "/.well-known/jwks.json"): _op("getSigningKeys"),
    ("post", "/api/v1/oauth/token"): _op("issueToken"),
    ("get", "/api/v1/convention"): _op(
        "getConvention", "R-CONV-1", "R-CONV-2", "R-CONV-5", "R-CONV-6", "R-GDPR-1"),
    ("post", "/api/v1/convention/signatures"): _op("recordSignature", "R-CONV-6"),
    ("post", "/api/v1/convention/obligations-contacts"): _op("setObligationsContact"),
    ("get", "/api/v1/schools"): _op("listSchools", "R-SCH-1"),
    ("get", "/api/v1/obligations"): _op("listObligations", *OBLIGATION_RULES, "R-TIME-5"),
    ("get", "/api/v1/obligations/summary"): _op(
        "getObligationsSummary", *OBLIGATION_RULES, "R-TIME-5"),
    ("get", "/api/v1/obligations/{obligation_id}"): _op(
        "getObligation", *OBLIGATION_RULES, "R-TIME-5"),
    ("post", "/api/v1/obligations/{obligation_id}/evidence"): _op(
        "recordObligationEvidence", "R-OBL-4", "R-OBL-9", "R-OBL-12", "R-OBL-13", "R-OBL-14",
        "R-OBL-16", "R-DATE-1", "R-TIME-5"),
    ("post", "/api/v1/obligations/{obligation_id}/waiver"): _op(
        "waiveObligation", *OBLIGATION_RULES),
    ("post", "/api/v1/schools"): _op(
        "createSchool", "R-SCH-1", "R-CONV-2",
        s409=("school-exists",), s422=("unknown-amendment", "invalid-school-code")),
    ("get", "/api/v1/schools/{code}"): _op("getSchool", "R-SCH-1"),
    ("patch", "/api/v1/schools/{code}"): _op("updateSchool", "R-SCH-1"),
    ("get", "/api/v1/audit-events"): _op("listAuditEvents", "R-GDPR-2"),
    ("get", "/api/v1/calendar/closures"): _op("listClosures", "R-TIME-3"),
    ("post", "/api/v1/calendar/closures"): _op(
        "createClosure", "R-TIME-3", "R-TIME-4", "R-SUP-2", s422=("invalid-closure",)),
    ("get", "/api/v1/calendar/closures/{closure_id}"): _op("getClosure", "R-TIME-3"),
    ("delete", "/api/v1/calendar/closures/{closure_id}"): _op(
        "deleteClosure", "R-TIME-3", "R-TIME-4", "R-SUP-2"),
    ("get", "/api/v1/calendar/deadline"): _op("computeDeadline", "R-TIME-3", "R-TIME-4"),
    ("get", "/api/v1/outbox-messages"): _op("listOutboxMessages", "R-ACC-9", "R-GDPR-2"),
    ("post", "/api/v1/outbox-messages/{id}/requeue"): _op(
        "requeueOutboxMessage", s409=("message-sent", "message-without-recipient")),
    ("get", "/api/v1/jobs"): _op("listJobs"),
    ("get", "/api/v1/jobs/{name}/runs"): _op("listJobRuns", s404=("job-not-found",)),
    ("post", "/api/v1/account-requests"): _op(
        "createAccountRequest", "R-ACC-4", "R-REF-1", "R-TIME-4", "R-TIME-5", "R-CONV-4",
        "R-CONV-4a", "R-CONV-2a",
        s409=("ticket-conflict", "referent-cap-reached", "convention-not-active",
              "school-not-beneficiary"),
        s422=("unknown-school", "invalid-kind", "invalid-replacement", "invalid-uid",
              "instant-in-future")),
    ("get", "/api/v1/account-requests"): _op("listAccountRequests", "R-ACC-4"),
    ("get", "/api/v1/account-requests/{id}"): _op("getAccountRequest", "R-ACC-4"),
    ("post", "/api/v1/account-requests/{id}/fulfilment"): _op(
        "fulfilAccountRequest", "R-ACC-1", "R-ACC-2", "R-ACC-3", "R-ACC-9", "R-REF-1",
        "R-REF-2", "R-TIME-5",
        s409=("already-fulfilled", "invalid-transition", "uid-erased", "uid-exhausted",
              "uid-taken",
              "referent-cap-reached", "convention-not-active", "school-not-beneficiary"),
        s422=("invalid-uid", "out-of-order", "instant-in-future")),
    ("post", "/api/v1/account-requests/{id}/rejection"): _op(
        "rejectAccountRequest", "R-ACC-4", s409=("invalid-transition",)),
    ("post", "/api/v1/account-requests/{id}/cancellation"): _op(
        "cancelAccountRequest", "R-ACC-4", s409=("invalid-transition",)),
    ("get", "/api/v1/accounts"): _op("listAccounts", "R-ACC-8"),
    ("get", "/api/v1/accounts/{uid}"): _op("getAccount", "R-ACC-1", "R-ACC-2", "R-ACC-8",
                                           "R-ACC-8a"),
    ("get", "/api/v1/accounts/{uid}/access"): _op("checkAccountAccess", "R-ACC-1", "R-ACC-8",
                                                  "R-ACC-8a", "R-CONV-2a"),
    ("post", "/api/v1/accounts/{uid}/lock"): _op(
        "lockAccount", "R-ACC-8", "R-TIME-5",
        s409=("already-locked", "out-of-order"), s422=("instant-in-future",)),
    ("post", "/api/v1/accounts/{uid}/unlock"): _op(
        "unlockAccount", "R-ACC-8", "R-TIME-5",
        s409=("not-locked",), s422=("out-of-order", "instant-in-future")),
    ("get", "/api/v1/trainings"): _op("listTrainings", "R-REF-2", "R-TIME-4"),
    ("post", "/api/v1/trainings/{training_id}/proposal"): _op(
        "proposeTraining", "R-REF-2", s409=("invalid-transition",),
        s422=("date-in-future", "out-of-order")),
    ("post", "/api/v1/trainings/{training_id}/completion"): _op(
        "completeTraining", "R-REF-2", s409=("invalid-transition",),
        s422=("date-in-future", "out-of-order")),
    ("post", "/api/v1/renewal-campaigns"): _op(
        "openRenewalCampaign", "R-ACC-5",
        s409=("campaign-window-closed", "convention-not-active")),
    ("get", "/api/v1/renewal-campaigns/{academic_year}"): _op("getRenewalCampaign", "R-ACC-5"),
    ("get", "/api/v1/renewal-campaigns/{academic_year}/schools/{code}"): _op(
        "getSchoolRenewals", "R-ACC-5"),
    ("put", "/api/v1/renewal-campaigns/{academic_year}/schools/{code}/decisions"): _op(
        "putSchoolRenewalDecisions", "R-ACC-5", "R-REF-1", "R-CONV-2a",
        s409=("campaign-deadline-passed", "referent-minimum", "referent-cap-reached",
              "school-not-beneficiary"),
        s422=("duplicate-decision", "not-listed")),
    ("post", "/api/v1/renewal-campaigns/{academic_year}/closing"): _op(
        "closeRenewalCampaign", "R-ACC-5", "R-ACC-3", "R-REF-1", "R-CONV-2a",
        s409=("campaign-open", "referent-cap-reached")),
    ("post", "/api/v1/convention/amendments"): _op(
        "recordAmendment", "R-CONV-2", "R-CONV-2a", s409=("amendment-exists",),
        s422=("invalid-amendment", "empty-amendment", "out-of-order", "unknown-school")),
    ("get", "/api/v1/convention/amendments"): _op("listAmendments", "R-CONV-2"),
    ("post", "/api/v1/convention/termination-notices"): _op(
        "fileTerminationNotice", "R-CONV-3", "R-CONV-3a", "R-CONV-4",
        s409=("notice-conflict", "convention-not-active"),
        s422=("invalid-notice", "out-of-order")),
    ("get", "/api/v1/convention/termination-notices"): _op(
        "listTerminationNotices", "R-CONV-3"),
    ("get", "/api/v1/convention/termination-notices/{id}"): _op(
        "getTerminationNotice", "R-CONV-3"),
    ("post", "/api/v1/convention/termination-notices/{id}/cure"): _op(
        "cureTerminationNotice", "R-CONV-3", s409=("cure-too-late", "invalid-transition"),
        s422=("out-of-order",)),
    ("post", "/api/v1/schools/{code}/suspensions"): _op(
        "suspendSchool", "R-SUS-1", "R-SUS-2", "R-SUS-2a",
        s422=("invalid-suspension", "out-of-order")),
    ("post", "/api/v1/suspensions/{id}/restoration-request"): _op(
        "requestSuspensionRestoration", "R-SUS-2", s409=("invalid-transition",),
        s422=("out-of-order",)),
    ("post", "/api/v1/suspensions/{id}/restoration-refusal"): _op(
        "refuseSuspensionRestoration", "R-SUS-2", "R-SUS-2b", s409=("invalid-transition",),
        s422=("out-of-order",)),
    ("post", "/api/v1/suspensions/{id}/lifting"): _op(
        "liftSuspension", "R-SUS-2", s409=("invalid-transition",), s422=("out-of-order",)),
    ("get", "/api/v1/suspensions"): _op("listSuspensions", "R-SUS-2"),
    ("get", "/api/v1/suspensions/{id}"): _op("getSuspension", "R-SUS-2"),
    ("get", "/api/v1/calendar/support-deadline"): _op(
        "computeSupportDeadline", "R-SUP-1", s422=("instant-out-of-range",)),
    ("post", "/api/v1/support-requests"): _op(
        "createSupportRequest", "R-SUP-1", "R-TIME-5", s409=("message-conflict",),
        s422=("unknown-school", "invalid-email", "instant-out-of-range",
              "instant-in-future")),
    ("get", "/api/v1/support-requests"): _op("listSupportRequests", "R-SUP-1", "R-SUP-2"),
    ("get", "/api/v1/support-requests/stats"): _op(
        "getSupportRequestStats", "R-SUP-1", "R-SUP-2", s422=("invalid-period",)),
    ("get", "/api/v1/support-requests/{id}"): _op("getSupportRequest", "R-SUP-1"),
    ("post", "/api/v1/support-requests/{id}/first-response"): _op(
        "recordSupportFirstResponse", "R-SUP-2", "R-TIME-5",
        s409=("already-answered", "already-closed"),
        s422=("out-of-order", "instant-in-future")),
    ("post", "/api/v1/support-requests/{id}/closure"): _op(
        "closeSupportRequest", "R-SUP-2", s409=("already-closed",),
        s422=("out-of-order", "instant-in-future")),
    ("get", "/api/v1/enrolment-campaigns/{academic_year}"): _op(
        "getEnrolmentCampaign", "R-ACC-6", "R-BIL-1", s422=("invalid-academic-year",)),
    ("put", "/api/v1/enrolment-campaigns/{academic_year}"): _op(
        "putEnrolmentCampaign", "R-ACC-6", "R-ACC-7",
        s409=("census-read-only",),
        s422=("invalid-enrolment-windows", "invalid-academic-year")),
    ("get", "/api/v1/enrolment-campaigns/{academic_year}/census"): _op(
        "getEnrolmentCensus", "R-BIL-1", s422=("invalid-academic-year",)),
    ("post", "/api/v1/enrolments"): _op(
        "postEnrolments", "R-ACC-6", "R-ACC-6a", "R-ACC-7", "R-ACC-7a", "R-CONV-2a",
        "R-CONV-4a", s413=("batch-too-large",)),
    ("get", "/api/v1/enrolments"): _op(
        "listEnrolments", "R-ACC-6", s422=("invalid-academic-year",)),
    ("get", "/api/v1/enrolments/{id}"): _op("getEnrolment", "R-ACC-6"),
    ("post", "/api/v1/enrolments/{id}/cancellation"): _op(
        "cancelEnrolment", "R-ACC-6a", "R-ACC-7", "R-BIL-1",
        s409=("already-cancelled",),
        s422=("cancelled-before-enrolment", "enrolment-in-future")),
    ("post", "/api/v1/storage/snapshots"): _op(
        "postStorageSnapshots", "R-STO-2", "R-STO-3", "R-TIME-5", "R-UNIT-1"),
    ("get", "/api/v1/storage/usage"): _op(
        "getStorageUsage", "R-STO-1", "R-STO-2", "R-STO-3", "R-UNIT-1"),
    ("get", "/api/v1/schools/{code}/storage"): _op(
        "getSchoolStorageHistory", "R-STO-2", "R-STO-3", "R-UNIT-1",
        s422=("invalid-range",)),
    ("get", "/api/v1/storage/alerts"): _op("listStorageAlerts", "R-STO-1", "R-STO-2", "R-STO-4"),
    ("post", "/api/v1/billing/statements"): _op(
        "createStatement", "R-BIL-1", "R-BIL-2", "R-CONV-2", "R-MONEY-1",
        s422=("invalid-academic-year",)),
    ("get", "/api/v1/billing/statements"): _op(
        "listStatements", "R-BIL-3", "R-MONEY-1", s422=("invalid-academic-year",)),
    ("get", "/api/v1/billing/statements/{id}"): _op(
        "getStatement", "R-BIL-2", "R-BIL-3", "R-MONEY-1"),
    ("get", "/api/v1/billing/statements/{id}/csv"): _op(
        "getStatementCsv", "R-BIL-2", "R-BIL-3", "R-MONEY-1"),
    ("get", "/api/v1/billing/statements/{id}/pdf"): _op(
        "getStatementPdf", "R-BIL-2", "R-BIL-3", "R-MONEY-1"),
    ("post", "/api/v1/billing/statements/{id}/issuing"): _op(
        "issueStatement", "R-BIL-3", s409=("statement-superseded",)),
    ("post", "/api/v1/billing/statements/{id}/revision"): _op("reviseStatement", "R-BIL-3"),
    ("post", "/api/v1/billing/statements/{id}/discard"): _op("discardStatement", "R-BIL-3"),
    ("post", "/api/v1/billing/statements/{id}/payments"): _op(
        "recordStatementPayment", "R-BIL-3", "R-MONEY-1"),
    ("get", "/api/v1/accounts/{uid}/personal-data"): _op("exportPersonalData", "R-GDPR-2"),
    ("post", "/api/v1/accounts/{uid}/erasure"): _op(
        "eraseAccount", "R-GDPR-1", "R-GDPR-2"),
    ("post", "/api/v1/breaches"): _op("recordBreach", "R-OBL-16", "R-DATE-1"),
    ("get", "/api/v1/breaches"): _op("listBreaches", "R-OBL-16"),
    ("get", "/api/v1/breaches/{id}"): _op("getBreach", "R-OBL-16"),
    ("post", "/api/v1/breaches/{id}/dpo-notifications"): _op(
        "recordDpoNotification", "R-OBL-16", "R-DATE-1"),
}

# Codes of the items of a batch (its answer is 200 with one result per item).
ITEM_CODES: dict[str, tuple[str, ...]] = {
    "postEnrolments": ("enrolment-window-closed", "enrolment-conflict", "uid-conflict",
                       "uid-erased", "uid-exhausted", "unknown-school",
                       "convention-not-active", "invalid-uid", "validation-error",
                       "enrolment-in-future", "school-not-beneficiary"),
    "postStorageSnapshots": ("unknown-school", "instant-in-future", "validation-error",
                             "school-not-beneficiary"),
}

# Codes any operation may answer for a status (the HTTP edge's own).
GENERIC_CODES: dict[int, tuple[str, ...]] = {
    400: ("bad-request",),
    401: ("unauthorized",),
    403: ("insufficient-scope",),
    404: ("not-found",),
    406: ("not-acceptable",),
    409: ("concurrent-change",),
    412: ("precondition-failed",),
    413: ("payload-too-large",),
    415: ("unsupported-media-type",),
    422: ("validation-error",),
    428: ("precondition-required",),
    503: ("database-unavailable",),
}
POST_CODES: dict[int, tuple[str, ...]] = {
    409: ("idempotency-key-in-progress",),
    422: ("idempotency-key-reused",),
}
# The body guard's (app.api.middleware), for every operation with a JSON body.
BODY_CODES: dict[int, tuple[str, ...]] = {422: ("invalid-json", "json-too-deep")}
CURSOR_CODES: dict[int, tuple[str, ...]] = {422: ("invalid-cursor",)}
# Convention-wide changes that a caller confined to schools may not make
# (app.services.visibility.ensure_unconfined).
UNCONFINED_ONLY = frozenset({
    "createClosure", "deleteClosure", "openRenewalCampaign", "closeRenewalCampaign",
    "createSchool", "putEnrolmentCampaign", "createStatement", "recordAmendment",
    "fileTerminationNotice", "cureTerminationNotice", "recordBreach", "recordSignature",
    "setObligationsContact",
})

_CODE_IN_TEXT = re.compile(r"\b(4\d\d)\b[^.;()]*?`([a-z0-9]+(?:-[a-z0-9]+)+)`")


# Operations recording an event dated by the caller (R-DATE-1:
# app.domain.calendar.ensure_event_date_in_range).
DATED_EVENTS = frozenset({
    "lockAccount", "unlockAccount", "recordStatementPayment", "createSupportRequest",
    "recordSupportFirstResponse", "closeSupportRequest", "fileTerminationNotice",
    "cureTerminationNotice", "suspendSchool", "requestSuspensionRestoration", "liftSuspension",
    "refuseSuspensionRestoration", "recordBreach", "recordDpoNotification", "recordSignature",
})


def problem_codes(operation: dict[str, Any], method: str, path: str,
                  entry: Operation) -> dict[int, list[str]]:
    """Every problem `code` each 4xx status of the operation can carry (none for the token
    endpoint: its errors are RFC 6749's, not problems)."""
    if path == TOKEN_URL:
        return {}
    text = operation.get("description", "")
    named: dict[int, list[str]] = {}
    for status, code in _CODE_IN_TEXT.findall(text):
        named.setdefault(int(status), []).append(code)
    has_cursor = any(p.get("name") == "cursor" for p in operation.get("parameters", []))
    out: dict[int, list[str]] = {}
    for status_text in operation.get("responses", {}):
        if not status_text.isdigit() or not 400 <= int(status_text) < 600:
            continue
        status = int(status_text)
        codes = [*GENERIC_CODES.get(status, ()), *named.get(status, ()),
                 *entry.codes.get(status, ())]
        if method == "post" and path != TOKEN_URL:
            codes += POST_CODES.get(status, ())
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            codes += BODY_CODES.get(status, ())
        if has_cursor:
            codes += CURSOR_CODES.get(status, ())
        if status == 403 and entry.id in UNCONFINED_ONLY:
            codes.append("school-confined")
        if status == 422 and entry.id in DATED_EVENTS:
            codes.append("date-out-of-range")
        out[status] = list(dict.fromkeys(codes))
    return out
