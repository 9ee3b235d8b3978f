"""Who is calling: the verified identity behind a request (DESIGN.md, Security)."""

from __future__ import annotations

from dataclasses import dataclass, field

SCOPES: dict[str, str] = {
    "schools:read": "Read schools",
    "schools:write": "Create and change schools",
    "convention:read": "Read the convention, its terms, calendar and campaigns",
    "convention:write": "Amend, suspend, terminate; change closures and windows",
    "accounts:read": "Read accounts, requests and trainings",
    "accounts:write": "Fulfil requests, lock accounts, run campaigns",
    "access:read": "The access check only (no names or e-mails)",
    "account-requests:read": "Read account-creation requests",
    "account-requests:write": "File account-creation requests",
    "trainings:write": "Propose and complete referent trainings",
    "renewals:write": "Answer June renewal campaigns",
    "enrolments:read": "Read enrolments",
    "enrolments:write": "Send and cancel enrolments",
    "storage:read": "Read storage usage, history and alerts",
    "storage:write": "Post storage snapshots",
    "support:read": "Read support requests and statistics",
    "support:write": "Record support requests and answers",
    "suspensions:restore": "Ask for a suspension to be lifted (school referents)",
    "billing:read": "Read issued billing statements",
    "billing:write": "Draft, issue and revise statements; record payments",
    "audit:read": "Read the audit trail, outbox and job runs",
    "outbox:write": "Requeue e-mails the outbox gave up (dead)",
    "personal-data:manage": "Export and erase a person's data",
    "obligations:read": "Read the caller's obligations register (its party's, its schools')",
    "obligations:write": "Record evidence and waivers in the obligations register (UT)",
}

PROFILES: dict[str, tuple[str, ...]] = {
    # Files requests, discovers the school codes, polls its requests (`updated_since`).
    "ticketing": ("account-requests:read", "account-requests:write", "schools:read"),
    # Posts snapshots, checks access at login, reads back usage and level (of its schools
    # when the client is registered with `--school`).
    "moodle-plugin": ("storage:write", "access:read", "storage:read"),
    # Reads issued statements (`updated_since`) and the convention.
    "region": ("billing:read", "convention:read", "obligations:read"),
    # The GCS reads its obligations (the yearly needs) and the convention.
    "gcs": ("obligations:read", "convention:read"),
    "schooling-office": ("enrolments:read", "enrolments:write"),
    "school-referent": (
        "schools:read",
        "accounts:read",
        "storage:read",
        "support:read",
        "renewals:write",
        "suspensions:restore",
        "obligations:read",
    ),
    # UT's day-to-day operations: fulfils requests, proposes trainings, records support,
    # issues statements and records payments; no amendment, suspension, school change or
    # erasure (those stay with `ut-admin`).
    "ut-operations": (
        "schools:read",
        "convention:read",
        "accounts:read",
        "accounts:write",
        "account-requests:read",
        "trainings:write",
        "enrolments:read",
        "storage:read",
        "support:read",
        "support:write",
        "billing:read",
        "billing:write",
        "audit:read",
        "obligations:read",
        "obligations:write",
    ),
    "ut-admin": tuple(SCOPES),
}


@dataclass(frozen=True)
class Principal:
    """A verified caller. `schools` is None for callers not confined to schools
    (UT staff, machine clients); a tuple of school codes for school referents."""

    subject: str
    client_id: str | None
    scopes: frozenset[str] = field(default_factory=frozenset)
    schools: tuple[str, ...] | None = None

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def sees_school(self, school_code: str) -> bool:
        return self.schools is None or school_code in self.schools

    @property
    def actor(self) -> str:
        """The audit trail's `actor`: subject, plus the client id when it differs."""
        if self.client_id and self.client_id != self.subject:
            return f"{self.subject} (client {self.client_id})"
        return self.subject


SYSTEM = Principal(subject="system", client_id=None, scopes=frozenset(SCOPES))
