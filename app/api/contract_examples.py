"""Realistic examples of the contract (French names, seeded school codes, amounts in
cents), synthesised from the schemas and the field names, and validated against their
schemas by the contract tests."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

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
_OBLIGATION_EVIDENCE = {"occurred": "2026-06-30", "document_ref": "CR-2026-06",
                        "note": "Revue du stockage ; présents : ifms-rodez, ifms-albi"}
SCHEMA_EXAMPLES: dict[str, dict[str, Any]] = {
    "ObligationOut": {
        "id": "R-OBL-13:2025", "rule": "R-OBL-13", "article": "3.1.2", "party": "ut",
        "school_code": None, "title": "Faire le point annuel sur le stockage 2025-2026",
        "due": "2026-08-31", "opened": None, "state": "met", "met_at": "2026-06-30",
        "waiver": None,
    },
    "Subject": {"kind": "academic-year", "id": "2025-2026", "link": None},
    "EvidenceOut": {"link": None, **_OBLIGATION_EVIDENCE,
                    "recorded_at": "2026-07-01T09:15:00Z"},
    "EvidenceIn": {"occurred_on": "2026-06-30", "occurred_at": None,
                   "document_ref": "CR-2026-06", "note": _OBLIGATION_EVIDENCE["note"]},
    "WaiverIn": {"reason": "Besoins exprimés en comité de pilotage, sans écrit du GCS"},
    "WaiverOut": {"reason": "Besoins exprimés en comité de pilotage, sans écrit du GCS"},
    "ObligationSummary": {
        "total": 131,
        "parties": {"ut": {"met": 118, "overdue": 2, "upcoming": 5},
                    "school:ifms-rodez": {"due_soon": 1, "upcoming": 5}},
        "rules": {"R-OBL-1": {"met": 118, "overdue": 2},
                  "R-OBL-14": {"due_soon": 1, "upcoming": 10}},
    },
    "AccessOut": {"status": "active", "allowed": True},
    "AccessReason": {"code": "role-valid"},
    "AccountRequestOut": {"status": "received", "due_on": "2026-12-15", "uid": None,
                          "fulfilled_at": None, "on_time": None},
    "AccountRequestCreate": {"received_at": "2026-11-30T08:30:00+01:00"},
    "AuditEventOut": {"action": "account_request.created"},
    "BreachIn": {"reference": "VDP-2026-03", "discovered_by": "ut",
                 "discovered_at": "2026-11-27T09:00:00Z",
                 "description": "Export des comptes formateurs envoyé à un mauvais destinataire"},
    "BreachOut": {"reference": "VDP-2026-03", "discovered_by": "ut",
                  "discovered_at": "2026-11-27T09:00:00Z",
                  "description": "Export des comptes formateurs envoyé à un mauvais destinataire",
                  "recorded_at": "2026-11-27T10:15:00Z",
                  "parties_to_inform": ["region", "gcs"]},
    "DpoNotificationIn": {"party": "region", "informed_at": "2026-11-28T08:30:00Z",
                          "reference": "MEL-DPO-2026-03", "note": None},
    "DpoNotificationOut": {"party": "region", "informed_at": "2026-11-28T08:30:00Z",
                           "reference": "MEL-DPO-2026-03", "note": None,
                           "recorded_at": "2026-11-28T08:40:00Z"},
    "CancellationIn": {"reason": "Le référent a quitté l'IFMS avant sa prise de fonction"},
    "ClosureCreate": {"label": "Fermeture de fin d'année", "starts_on": "2026-12-24",
                      "ends_on": "2027-01-01"},
    "ClosureOut": {"label": "Fermeture de fin d'année", "starts_on": "2026-12-24",
                   "ends_on": "2027-01-01"},
    "ConventionOut": {"state": "active"},
    "Deliberation": {"reference": "2025/03/CFVU – 40", "held_on": "2025-03-11", "members": 41,
                     "present_or_represented": 20, "votes_for": 20, "votes_against": 0,
                     "abstentions": 0},
    "SignatureIn": {"party": "region", "signed_on": "2025-04-14"},
    "ObligationsContactIn": {"party": "region", "email": "conventions.numerique@laregion.fr"},
    "PartyRecordOut": {"party": "region", "signed_on": "2025-04-14",
                       "obligations_contact": "conventions.numerique@laregion.fr"},
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
    "Party": {"code": "region", "name": "Région Occitanie", "signed_on": "2025-04-14",
              "obligations_contact": "conventions.numerique@laregion.fr"},
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
    "obligation_id": "R-OBL-13:2025",
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


def add_examples(document: dict[str, Any], operation: dict[str, Any]) -> None:
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


def problem_examples(response: dict[str, Any], status: int, codes: Iterable[str],
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
