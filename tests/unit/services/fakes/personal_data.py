"""Fake of the personal-data port: reads and rewrites the other concepts' fakes (one
store, as the SQL adapter reads the capabilities' tables in one transaction)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from app.domain.account_requests import AccountRequest, RequestStatus
from app.domain.enrolments import Enrolment
from app.domain.personal_data import PSEUDONYM_DOMAIN, PSEUDONYM_PREFIX
from app.domain.support import SupportRequest
from app.domain.trainings import Training
from app.ports.audit import AuditEvent
from app.ports.outbox import OutboxMessage
from app.ports.personal_data import (
    RenewalDecisionRecord,
    RequestPseudonyms,
    RetentionFilter,
    SupportPseudonyms,
)
from tests.unit.services.fakes.store import FakeRepository, serves

SETTLED = ("sent", "dead")


def _holds(value: Any, needles: Collection[str]) -> bool:
    """Whether the text of `value` (lower-cased) contains one of `needles`."""
    text = (value if isinstance(value, str) else json.dumps(value, default=str)).lower()
    return any(n in text for n in needles)


@serves("personal_data")
class FakePersonalDataRepository(FakeRepository):
    def __init__(self) -> None:
        # Idempotency-Key responses (their store is not in the unit of work):
        # key -> (stored body, expires_at).
        self.responses: dict[str, tuple[str, datetime]] = {}

    def _support(self) -> dict[str, SupportRequest]:
        """The support fake's requests, when a support fake serves the unit of work."""
        support = self.uow.repositories["support_requests"]
        return getattr(support, "requests", {}) if isinstance(support, FakeRepository) else {}

    async def account_requests_of(
        self, uid: str, emails: Collection[str]
    ) -> list[AccountRequest]:
        return sorted(
            (r for r in self.uow.account_requests.rows.values()
             if uid in (r.uid, r.existing_uid) or r.email.lower() in emails),
            key=lambda r: r.id,
        )

    async def support_requests_from(self, emails: Collection[str]) -> list[SupportRequest]:
        return sorted((r for r in self._support().values() if r.from_email.lower() in emails),
                      key=lambda r: r.id)

    async def enrolments_of(self, uid: str) -> list[Enrolment]:
        return sorted((e for e in self.uow.enrolments.rows.values() if e.uid == uid),
                      key=lambda e: e.id)

    async def trainings_of(self, uid: str) -> list[Training]:
        return sorted((t for t in self.uow.trainings.rows.values() if t.uid == uid),
                      key=lambda t: t.id)

    async def renewal_decisions_of(self, uid: str) -> list[RenewalDecisionRecord]:
        campaigns = self.uow.campaigns
        return sorted(
            (RenewalDecisionRecord(year, school, kind.value, decision.value,
                                   campaigns.decided_at[(year, school, who, kind)])
             for (year, school, who, kind), decision in campaigns.decision_rows.items()
             if who == uid),
            key=lambda d: (d.academic_year, d.school_code, d.kind),
        )

    async def audit_events(
        self, *, resource_ids: Collection[str], needles: Collection[str] = ()
    ) -> list[AuditEvent]:
        return [
            e for e in self.uow.audit.events
            if e.resource_id in resource_ids
            or (needles and (_holds(e.changes, needles) or _holds(e.actor, needles)))
        ]

    async def mails(self, needles: Collection[str]) -> list[OutboxMessage]:
        if not needles:
            return []
        return [
            m for _, m in sorted(self.uow.outbox.messages.items())
            if any(_holds(v, needles) for v in (m.recipients, m.cc, m.subject, m.body_text,
                                                 m.body_html, m.last_error or ""))
        ]

    async def claim_erasure(
        self, uid: str, *, given_name: str, family_name: str, email: str, now: datetime
    ) -> bool:
        accounts = self.uow.accounts.rows
        if accounts[uid].erased_at is not None:
            return False
        accounts[uid] = replace(accounts[uid], given_name=given_name,
                                family_name=family_name, email=email, erased_at=now)
        return True

    async def rewrite_account_requests(self, rows: Sequence[RequestPseudonyms]) -> None:
        stored = self.uow.account_requests.rows
        for p in rows:
            stored[p.id] = replace(stored[p.id], given_name=p.given_name,
                                   family_name=p.family_name, email=p.email,
                                   content_sha256=p.content_sha256,
                                   rejection_reason=p.rejection_reason)

    async def rewrite_support_requests(
        self, rows: Sequence[SupportPseudonyms], *, erased_at: datetime
    ) -> None:
        stored = self._support()
        for p in rows:
            stored[p.id] = replace(stored[p.id], from_email=p.from_email, subject=p.subject,
                                   content_sha256=p.content_sha256, erased_at=erased_at)

    async def rewrite_mail(self, mail: OutboxMessage) -> None:
        self.uow.outbox.messages[mail.id] = mail

    async def attempt_details(self, message_ids: Collection[int]) -> list[tuple[int, str]]:
        """Attempt ids are their 1-based positions in the outbox fake's log."""
        return [(n, a.detail) for n, a in enumerate(self.uow.outbox.attempt_log, start=1)
                if a.message_id in message_ids and a.detail is not None]

    async def rewrite_attempt_details(self, details: Sequence[tuple[int, str]]) -> None:
        log = self.uow.outbox.attempt_log
        for attempt_id, detail in details:
            log[attempt_id - 1] = replace(log[attempt_id - 1], detail=detail)

    async def rewrite_audit_event(
        self, event_id: int, *, actor: str, changes: dict[str, Any]
    ) -> None:
        events = self.uow.audit.events
        index = next(i for i, e in enumerate(events) if e.id == event_id)
        events[index] = replace(events[index], actor=actor, changes=changes)

    async def rewrite_lock_reasons(self, reasons: Sequence[tuple[str, str]]) -> None:
        locks = self.uow.accounts.lock_rows
        for lock_id, reason in reasons:
            uid, _, lock = locks[lock_id]
            locks[lock_id] = (uid, reason, lock)

    async def forget_responses(self, needles: Collection[str]) -> int:
        gone = [k for k, (body, _) in self.responses.items() if _holds(body, needles)]
        for key in gone:
            del self.responses[key]
        return len(gone)

    async def purge_expired_responses(self, now: datetime) -> int:
        gone = [k for k, (_, expires_at) in self.responses.items() if expires_at <= now]
        for key in gone:
            del self.responses[key]
        return len(gone)

    async def retention_candidates(self, where: RetentionFilter) -> list[str]:
        """Every account not erased: a superset of the SQL pre-filter, so the use case's
        own rule is what decides in these tests."""
        return sorted(uid for uid, a in self.uow.accounts.rows.items() if a.erased_at is None)

    async def closed_account_requests_before(self, before: datetime) -> list[AccountRequest]:
        closed = (RequestStatus.REJECTED, RequestStatus.CANCELLED)
        return sorted(
            (r for r in self.uow.account_requests.rows.values()
             if r.status in closed and r.closed_at is not None and r.closed_at < before
             and not (r.email.startswith(PSEUDONYM_PREFIX)
                      and r.email.endswith("@" + PSEUDONYM_DOMAIN))),
            key=lambda r: r.id,
        )

    async def support_requests_closed_before(self, before: datetime) -> list[SupportRequest]:
        return sorted(
            (r for r in self._support().values()
             if r.status.value == "closed" and r.erased_at is None
             and r.closed_at is not None and r.closed_at < before),
            key=lambda r: r.id,
        )

    async def erase_old_mails(
        self, *, template: str, before: datetime, subject: str, body: str
    ) -> int:
        messages = self.uow.outbox.messages
        due = [m for m in messages.values()
               if m.template == template and m.created_at < before and m.status in SETTLED
               and m.body_text != body]
        for m in due:
            messages[m.id] = replace(m, subject=subject, body_text=body, body_html=body)
        return len(due)
