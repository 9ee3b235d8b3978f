"""The published contract (openapi/openapi.json) beyond what FastAPI generates.

FastAPI names operations after their functions and paths (`token_api_v1_oauth_token_post`):
such names change with any refactoring and make poor method names in generated clients.
Here every operation gets a hand-chosen, stable `operationId`, the rule ids it applies,
its scopes as OAuth 2.0 security requirements, the conditional and idempotency headers,
the problem `code`s of each error status and realistic examples (French names, seeded
school codes, amounts in cents). A route added without an entry here keeps FastAPI's
generated name, which `tests/contract/test_contract_quality.py` refuses."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.auth import PROFILES, SCOPES

TOKEN_URL = "/api/v1/oauth/token"
OAUTH2 = "oauth2"
BEARER = "bearer"
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


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("get", "/healthz"): _op("getLiveness"),
    ("get", "/readyz"): _op("getReadiness"),
    ("get", "/metrics"): _op("getMetrics"),
    ("get", "/.well-known/jwks.json"): _op("getSigningKeys"),
    ("post", "/api/v1/oauth/token"): _op("issueToken"),
    ("get", "/api/v1/convention"): _op(
        "getConvention", "R-CONV-1", "R-CONV-2", "R-CONV-5", "R-GDPR-1"),
    ("get", "/api/v1/schools"): _op("listSchools", "R-SCH-1"),
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
    "fileTerminationNotice", "cureTerminationNotice",
})

_CODE_IN_TEXT = re.compile(r"\b(4\d\d)\b[^.;()]*?`([a-z0-9]+(?:-[a-z0-9]+)+)`")


# Operations recording an event dated by the caller (R-DATE-1:
# app.domain.calendar.ensure_event_date_in_range).
DATED_EVENTS = frozenset({
    "lockAccount", "unlockAccount", "recordStatementPayment", "createSupportRequest",
    "recordSupportFirstResponse", "closeSupportRequest", "fileTerminationNotice",
    "cureTerminationNotice", "suspendSchool", "requestSuspensionRestoration", "liftSuspension",
    "refuseSuspensionRestoration",
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


# ---------------------------------------------------------------- examples

# One realistic value per field name: the synthesised examples are built from these (and
# validated against their schemas by the contract tests).
FIELD_EXAMPLES: dict[str, Any] = {
    "academic_year": "2026-2027",
    "access_end_on": "2029-08-31",
    "access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImRldi0xIn0.eyJzdWIiOiJ0aWNrZXRpbmcifQ.c2ln",
    "access_until": "2027-08-31",
    "account_uids": ["dur1234a"],
    "action": "account_request.created",
    "actor": "ut-admin (client 3f0c6d1e)",
    "address": "Université de Toulouse, 41 allées Jules Guesde, 31013 Toulouse Cedex 6",
    "amendment_reference": "AV-2026-01",
    "amount": "12650.00",
    "amount_cents": 1265000,
    "bic": "TRPUFRP1",
    "bytes_last": 35_100_000_000,
    "bytes_max": 35_400_000_000,
    "bytes_used": 35_250_000_000,
    "capacity_bytes": 500_000_000_000,
    "cc": ["daip@univ-toulouse.fr"],
    "client_id": "3f0c6d1e",
    "code": "ifms-rodez",
    "content_sha256": "9f2c4e1a7b3d5f60819aa2c4e6f80b1d3f5a7c9e0b2d4f6a8c0e2a4c6e8f0a1b",
    "convention_reference": "CONV-UT-REGION-GCS-2024",
    "corrective_actions": "Mots de passe des formateurs renouvelés, envoi groupé désactivé.",
    "currency": "EUR",
    "dedupe_key": "storage:ifms-rodez:critical:2026-11-30",
    "description": "Fermeture administrative de fin d'année de l'Université",
    "detail": "the referent cap of this school is reached for 2026-2027",
    "details": "Avenant n° 1 : ajout de l'IFSI de Lourdes",
    "email": "camille.durand@ifms-rodez.fr",
    "error": "invalid_client",
    "error_description": "client authentication failed",
    "existing_uid": None,
    "family_name": "Durand",
    "from_email": "secretariat@ifms-rodez.fr",
    "given_name": "Camille",
    "grounds": "Envoi massif de courriels par un compte formateur",
    "group": None,
    "iban": "FR76 1007 1310 0000 0010 0132 788",
    "instance": "/api/v1/account-requests",
    "job": "outbox-delivery",
    "label": "Agent comptable de l'Université de Toulouse",
    "last_error": None,
    "letter_ref": "LRAR 1A 234 567 8901 2",
    "restoration_refusal_ref": None,
    "lifting_ref": "UT/DSI/2026-118",
    "message": "Bonjour, je n'arrive plus à déposer de ressources dans mon cours.",
    "message_id": "<20261130.083012.4711@ifms-rodez.fr>",
    "month": "2026-11",
    "moodle_version": "4.1.12",
    "name": "IFMS Rodez",
    "next_cursor": None,
    "notice_ref": "UT/DAJ/2026-042",
    "number": "2026-2027-v1",
    "party": "ut",
    "phone": "+33 5 61 55 66 11",
    "rate_per_student": "22.00",
    "rate_per_student_cents": 2200,
    "reason": "Demande en double du ticket UT-2026-11-0042",
    "reference": "VIR-REGION-2027-0715",
    "rejection_reason": None,
    "replaces_uid": None,
    "resource_id": "0b8e5a2c-1f3d-4c6b-9a7e-2d4f6b8a0c1e",
    "resource_type": "account_request",
    "revision_reason": None,
    "schedule": "every 1 minute",
    "school_code": "ifms-rodez",
    "school_name": "IFMS Rodez",
    "scope": "account-requests:read account-requests:write",
    "sites": ["Rodez"],
    "siret": "13002991800013",
    "snapshot_id": "moodle-ifms-rodez-2026-11-30T08:30:00Z",
    "state": "active",
    "statement_number": "2026-2027-v1",
    "student_number": "22607431",
    "subject": "Accès impossible au cours de pharmacologie",
    "template": "request_fulfilled",
    "ticket_ref": "UT-2026-11-0042",
    "title": "Conflict",
    "token_type": "Bearer",
    "type": "https://convention.univ-toulouse.fr/problems/referent-cap-reached",
    "uid": "dur1234a",
    "window": "day",
}
FIELD_EXAMPLES.update({
    "accepted": 3, "answered": 41, "attempts": 1, "breached": 2, "budget_seconds": 64800,
    "business_seconds_to_response": 12600, "created": 1, "duplicates": 0, "expires_in": 3600,
    "id": 3, "index": 0, "met": 39, "open_breached": 0, "points_used": 288, "received": 1,
    "rejected": 0, "remove_decisions": 1, "renew_decisions": 2,
    "school_alert_threshold_bytes": 41_000_000_000,
    "storage_capacity_bytes": 500_000_000_000, "students": 575,
    "threshold_bytes": 41_000_000_000, "total": 41, "total_amount": "12650.00",
    "total_amount_cents": 1_265_000, "total_bytes": 212_400_000_000, "total_students": 575,
    "version": 1, "decision": "renew", "defaulting_party": "gcs", "notifying_party": "ut",
    "field": "body.items.0.measured_at", "ground": "mass_mailing", "kind": "referent",
    "kinds": ["trainer"], "recipients": ["referent.ifms-rodez@ifms-rodez.fr"],
    "schools_added": None, "removes_school_codes": [],
    "schools_without_referent": ["prefms-eibo"], "status": "active",
    "superseded_by": None, "supersedes": None,
})
# Fields whose realistic value depends on the schema (`status` of a request is not that
# of a school).
SCHEMA_EXAMPLES: dict[str, dict[str, Any]] = {
    "AccessOut": {"status": "active", "allowed": True},
    "AccessReason": {"code": "role-valid"},
    "AccountRequestOut": {"status": "received", "due_on": "2026-12-15", "uid": None,
                          "fulfilled_at": None, "on_time": None},
    "AccountRequestCreate": {"received_at": "2026-11-30T08:30:00+01:00"},
    "AuditEventOut": {"action": "account_request.created"},
    "CancellationIn": {"reason": "Le référent a quitté l'IFMS avant sa prise de fonction"},
    "ClosureCreate": {"label": "Fermeture de fin d'année", "starts_on": "2026-12-24",
                      "ends_on": "2027-01-01"},
    "ClosureOut": {"label": "Fermeture de fin d'année", "starts_on": "2026-12-24",
                   "ends_on": "2027-01-01"},
    "ConventionOut": {"state": "active"},
    "ErasureIn": {"reason": "Demande d'effacement reçue le 27 novembre 2026 (art. 17 RGPD)"},
    "FieldError": {"code": "instant-in-future",
                   "message": "measured_at is more than 5 minutes ahead"},
    "HostedRoleOut": {"kind": "trainer"},
    "ItemErrorOut": {"code": "unknown-school"},
    "JobOut": {"name": "outbox-delivery"},
    "JobRunOut": {"job": "outbox-delivery"},
    "LockIn": {"reason": "Compte formateur compromis (signalement DSI)"},
    "LockOut": {"reason": "Compte formateur compromis (signalement DSI)"},
    "MailSentOut": {"status": "sent"},
    "OutboxMessageOut": {"template": "request_fulfilled"},
    "Party": {"code": "region", "name": "Région Occitanie"},
    "PartyOut": {"code": "region", "name": "Région Occitanie"},
    "Payee": {"name": "Agent comptable de l'Université de Toulouse"},
    "PayeeOut": {"name": "Agent comptable de l'Université de Toulouse"},
    "PersonalAccountOut": {"status": "active"},
    "Plugin": {"type": "local", "name": "convention"},
    "Problem": {"status": 409, "code": "referent-cap-reached"},
    "RejectionIn": {"reason": "La personne a déjà un compte UT (dur1234a)"},
    "RenewalDecisionOut": {"kind": "referent", "decision": "renew"},
    "RevisionIn": {"reason": "Trois inscriptions annulées avant le recensement oubliées"},
    "RoleOut": {"kind": "referent"},
    "SchoolCreate": {"code": "ifsi-lourdes", "name": "IFSI Lourdes",
                     "amendment_reference": "AV-2026-01", "sites": ["Lourdes"]},
    "SchoolOut": {"status": "active"},
    "SchoolPatch": {"name": "IFMS Rodez – Site Bourran"},
    "SupportRequestHeldOut": {"status": "open"},
    "SuspensionOut": {"scope": "messaging"},
    "TokenResponse": {"scope": "account-requests:read account-requests:write schools:read"},
}
CSV_EXAMPLE = (
    "\ufeffRelevé;2026-2027-v1\r\nVersion;1\r\nRecensement au;2026-10-31\r\n"
    "Échéance;2027-07-15\r\nÉcole;Étudiants;Montant (EUR)\r\n"
    "ifms-rodez;575;12650,00\r\nTotal;575;12650,00\r\n"
)
FORMAT_EXAMPLES = {"date": "2026-11-30", "date-time": "2026-11-30T08:30:00Z"}
ID_EXAMPLE = "0b8e5a2c-1f3d-4c6b-9a7e-2d4f6b8a0c1e"

PARAMETER_EXAMPLES: dict[str, Any] = {
    "code": "ifms-rodez",
    "uid": "dur1234a",
    "id": ID_EXAMPLE,
    "academic_year": "2026-2027",
    "school_code": "ifms-rodez",
    "updated_since": "2026-11-01T00:00:00+01:00",
    "at": "2026-11-30T09:00:00+01:00",
    "limit": 50,
    "name": "outbox-delivery",
    "closure_id": 3,
    "training_id": ID_EXAMPLE,
    "from": "2026-11-30T16:45:00+01:00",
    "to": "2026-12-01T00:00:00+01:00",
    "received_at": "2026-11-30T16:45:00+01:00",
    "days": 15,
}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> tuple[dict[str, Any], str]:
    name = ""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema, name


def example_of(document: dict[str, Any], schema: dict[str, Any], name: str = "",
               depth: int = 0) -> Any:
    """A realistic value of `schema`: the field's example when one is known, else one
    built from the schema (first enum value, a format's example, one item per list)."""
    schema, schema_name = _resolve(document, schema)
    if schema.get("examples"):
        return copy.deepcopy(schema["examples"][0])
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema.get("oneOf")
        concrete = [o for o in options if o.get("type") != "null"]
        if name in FIELD_EXAMPLES and FIELD_EXAMPLES[name] is None:
            return None
        return example_of(document, concrete[0], name, depth) if concrete else None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        if depth > 6:
            return {}
        overrides = SCHEMA_EXAMPLES.get(schema_name, {})
        return {
            prop: copy.deepcopy(overrides[prop]) if prop in overrides
            else example_of(document, sub, prop, depth + 1)
            for prop, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        if name in FIELD_EXAMPLES:
            return copy.deepcopy(FIELD_EXAMPLES[name])
        return [example_of(document, schema.get("items", {}), name, depth + 1)]
    if name in FIELD_EXAMPLES and FIELD_EXAMPLES[name] is not None:
        value = FIELD_EXAMPLES[name]
        fits = (isinstance(value, str) if kind == "string"
                else isinstance(value, int | float) if kind in ("integer", "number")
                else False)
        if fits:
            return value
    if kind == "string":
        if schema.get("format") in FORMAT_EXAMPLES:
            return FORMAT_EXAMPLES[schema["format"]]
        if name.endswith("_on"):
            return FORMAT_EXAMPLES["date"]
        if name.endswith("_at") or name in ("from", "to"):
            return FORMAT_EXAMPLES["date-time"]
        if name == "id" or name.endswith("_id"):
            return ID_EXAMPLE
        return name.replace("_", " ") or "texte"
    if kind == "integer":
        return max(int(schema.get("minimum", 0)), 1 if "count" in name else 12)
    if kind == "number":
        return 0.86
    if kind == "boolean":
        return name not in ("overdue", "late", "locked", "transfer", "final_year")
    return None


def _add_examples(document: dict[str, Any], operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if "example" in parameter or parameter.get("in") not in ("path", "query"):
            continue
        name = parameter.get("name", "")
        if name in PARAMETER_EXAMPLES:
            parameter["example"] = PARAMETER_EXAMPLES[name]
        elif parameter.get("required"):
            parameter["example"] = example_of(document, parameter.get("schema", {}), name)
    body = operation.get("requestBody", {}).get("content", {})
    for media_type, content in body.items():
        if "schema" in content and "example" not in content and "examples" not in content:
            if media_type == "application/x-www-form-urlencoded":
                content["example"] = {"grant_type": "client_credentials",
                                      "client_id": "3f0c6d1e",
                                      "client_secret": "s3cr3t-imprimé-une-seule-fois",
                                      "scope": "account-requests:write"}
            else:
                content["example"] = example_of(document, content["schema"])
    for status, response in operation.get("responses", {}).items():
        for media_type, content in response.get("content", {}).items():
            if "example" in content or "examples" in content or "schema" not in content:
                continue
            if media_type == "application/json" and status.startswith("2"):
                content["example"] = example_of(document, content["schema"])
            elif media_type == "text/csv" and status.startswith("2"):
                content["example"] = CSV_EXAMPLE


def _problem_examples(response: dict[str, Any], status: int, codes: Iterable[str],
                      path: str) -> None:
    content = response.get("content", {}).get("application/problem+json")
    if content is None:
        return
    content["examples"] = {
        code: {"value": {
            "type": f"https://convention.univ-toulouse.fr/problems/{code}",
            "title": _TITLES.get(status, "Error"),
            "status": status,
            "code": code,
            "detail": _DETAILS.get(code, code.replace("-", " ")),
            "instance": path,
        }}
        for code in codes
    }


_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           406: "Not Acceptable", 409: "Conflict", 412: "Precondition Failed",
           413: "Content Too Large", 415: "Unsupported Media Type",
           422: "Unprocessable Content", 428: "Precondition Required",
           429: "Too Many Requests", 503: "Service Unavailable"}
_DETAILS = {
    "unauthorized": "a bearer token is required",
    "insufficient-scope": "the token lacks the scope this operation needs",
    "not-found": "no such resource",
    "validation-error": "the request is not valid",
    "database-unavailable": "the database is unavailable; retry later",
    "concurrent-change": "a concurrent change of the same resource won; read it and retry",
}


# ---------------------------------------------------------------- security


def security_schemes() -> dict[str, Any]:
    profiles = "; ".join(f"`{name}`: " + " ".join(scopes) for name, scopes in PROFILES.items()
                         if name != "ut-admin")
    return {
        OAUTH2: {
            "type": "oauth2",
            "description": (
                "Machine clients (ticketing tool, Moodle plugin, Région's IT, schooling "
                "office): OAuth 2.0 client credentials (RFC 6749 §4.4), the token is an "
                "RS256 JWT. Profiles: " + profiles + "; `ut-admin`: every scope."
            ),
            "flows": {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": dict(SCOPES)}},
        },
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "People (UT staff, school referents): an RS256 JWT minted by "
                "`convention-api tokens mint` or by the configured external issuer, with "
                "the same scopes (and a `schools` claim for referents)."
            ),
        },
    }


def _security(scopes: tuple[str, ...]) -> list[dict[str, list[str]]]:
    return [{OAUTH2: [s]} for s in scopes] + [{BEARER: [s]} for s in scopes]


# ---------------------------------------------------------------- headers

IF_NONE_MATCH = {
    "name": "If-None-Match", "in": "header", "required": False,
    "description": "The `ETag` of a representation already held: unchanged → 304.",
    "schema": {"type": "string"}, "example": '"5d41402abc4b2a76b9719d911017c592"',
}
IF_MATCH = {
    "name": "If-Match", "in": "header", "required": False,
    "description": (
        "Required for the change: the `ETag` of the last GET. Missing → 428 "
        "`precondition-required`; stale → 412 `precondition-failed`."
    ),
    "schema": {"type": "string"}, "example": '"3"',
}
ETAG = {"description": "Validator of this representation (for If-None-Match / If-Match)",
        "schema": {"type": "string"}}


def _add_headers(operation: dict[str, Any], etag_paths: bool) -> None:
    parameters = operation.setdefault("parameters", [])
    names = {p.get("name", "").lower() for p in parameters}
    responses = operation.get("responses", {})
    if "304" in responses and "if-none-match" not in names:
        parameters.append(dict(IF_NONE_MATCH))
    if ("412" in responses or "428" in responses) and "if-match" not in names:
        parameters.append(dict(IF_MATCH))
    if etag_paths:
        for status in ("200", "201"):
            if status in responses:
                responses[status].setdefault("headers", {}).setdefault("ETag", dict(ETAG))
    if not parameters:
        operation.pop("parameters")


# ---------------------------------------------------------------- the document


def _flat_routes(routes: Iterable[Any]) -> Iterable[Any]:
    """Routes with their dependants, also those of included routers (which recent FastAPI
    versions keep behind an inclusion object instead of copying them into the app)."""
    for route in routes:
        if getattr(route, "dependant", None) is not None:
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from _flat_routes(router.routes)
        elif getattr(route, "routes", None):
            yield from _flat_routes(route.routes)


def route_scopes(app_routes: Iterable[Any]) -> dict[tuple[str, str], tuple[str, ...]]:
    """The scopes each route's `require(...)` dependency grants on (any one of them)."""
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in _flat_routes(app_routes):
        dependant = route.dependant
        found: list[str] = []
        stack = [dependant]
        while stack:
            current = stack.pop()
            found += getattr(current.call, "scopes", ())
            stack.extend(current.dependencies)
        if found:
            for method in route.methods:
                out[(method.lower(), route.path)] = tuple(dict.fromkeys(found))
    return out


def document_contract(document: dict[str, Any], scopes: Mapping[tuple[str, str], tuple[str, ...]],
                      etag_operations: frozenset[str]) -> None:
    """Complete FastAPI's document in place (see the module docstring)."""
    components = document.setdefault("components", {})
    components["securitySchemes"] = security_schemes()
    renamed: dict[str, str] = {}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            entry = OPERATIONS.get((method, path))
            if entry is None:
                continue
            renamed[operation.get("operationId", "")] = entry.id
            operation["operationId"] = entry.id
            description = operation.get("description", "").strip()
            missing = [r for r in entry.rules if r not in description]
            if missing:
                description += "\n\nRules: " + ", ".join(missing) + "."
            elif not entry.rules and "R-" not in description:
                description += "\n\n" + NO_RULE
            required = scopes.get((method, path))
            if required:
                operation["security"] = _security(required)
            else:
                operation.pop("security", None)
                if "Scope:" not in description:
                    description += "\n\nScope: none (public)."
            operation["description"] = description.strip()
            _add_headers(operation, entry.id in etag_operations)
            if entry.id in ITEM_CODES:
                operation["responses"]["200"]["x-item-problem-codes"] = list(ITEM_CODES[entry.id])
            for status, codes in problem_codes(operation, method, path, entry).items():
                response = operation["responses"][str(status)]
                # Every error of the service is a problem document (app.api.problems).
                response.setdefault("content", {"application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}}})
                response["description"] = (
                    response.get("description", "").rstrip(".") + ". Problem codes: "
                    + ", ".join(f"`{c}`" for c in codes) + "."
                )
                response["x-problem-codes"] = codes
                _problem_examples(response, status, codes, path)
            _add_examples(document, operation)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                for link in response.get("links", {}).values():
                    if link.get("operationId") in renamed:
                        link["operationId"] = renamed[link["operationId"]]
