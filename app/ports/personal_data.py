"""Ports of the personal-data capability (implemented in app/adapters/db/personal_data_repo).

Reads gather what is held about a person across the capabilities' tables; writes put
pseudonyms in place. Not hot paths: clear statements, the caller's transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from app.domain.account_requests import AccountRequest
from app.domain.enrolments import Enrolment
from app.domain.support import SupportRequest
from app.domain.trainings import Training
from app.ports.audit import AuditEvent
from app.ports.outbox import OutboxMessage


@dataclass(frozen=True)
class RenewalDecisionRecord:
    academic_year: int
    school_code: str
    kind: str
    decision: str
    decided_at: datetime


@dataclass(frozen=True)
class RequestPseudonyms:
    """The values an account request keeps after erasure."""

    id: str
    given_name: str
    family_name: str
    email: str
    content_sha256: str
    rejection_reason: str | None


@dataclass(frozen=True)
class SupportPseudonyms:
    """The values a support request keeps after erasure."""

    id: str
    from_email: str
    subject: str
    content_sha256: str


@dataclass(frozen=True)
class RetentionFilter:
    """SQL pre-filter of the accounts that may have been without access long enough (a
    superset: the exact rule is applied to each candidate afterwards). Kept out: an
    account with a hosted role valid after `last_day_bound`; with an enrolment of an
    academic year after `enrolment_year_max` not cancelled, or cancelled after
    `cancelled_after` (and after its start); named by a received request. `everyone`:
    the convention's access ended by `last_day_bound`, every account may qualify."""

    last_day_bound: date
    enrolment_year_max: int
    cancelled_after: date
    everyone: bool


class PersonalDataRepository(Protocol):
    # ------------------------------------------------------------ what is held

    async def account_requests_of(self, uid: str, emails: Collection[str]) -> list[AccountRequest]:
        """Requests whose `uid` or `existing_uid` is the uid, or whose e-mail is one of
        `emails` (lower-cased, compared case-insensitively)."""
        ...

    async def support_requests_from(self, emails: Collection[str]) -> list[SupportRequest]: ...

    async def enrolments_of(self, uid: str) -> list[Enrolment]: ...

    async def trainings_of(self, uid: str) -> list[Training]: ...

    async def renewal_decisions_of(self, uid: str) -> list[RenewalDecisionRecord]: ...

    async def audit_events(
        self, *, resource_ids: Collection[str], needles: Collection[str] = ()
    ) -> list[AuditEvent]:
        """Events about one of `resource_ids`, or whose actor or changes contain one of
        the lower-cased `needles` (oldest first)."""
        ...

    async def mails(self, needles: Collection[str]) -> list[OutboxMessage]:
        """Outbox messages whose recipients, copies, subject, bodies or last error
        contain one of the lower-cased `needles` (oldest first)."""
        ...

    # ------------------------------------------------------------ pseudonyms

    async def claim_erasure(
        self, uid: str, *, given_name: str, family_name: str, email: str, now: datetime
    ) -> bool:
        """Put the pseudonyms on the account and set `erased_at` unless it is already
        set; False (nothing changed) when it was. The row stays locked until the end
        of the transaction, so concurrent erasures of one uid happen once."""
        ...

    async def rewrite_account_requests(self, rows: Sequence[RequestPseudonyms]) -> None: ...

    async def rewrite_support_requests(
        self, rows: Sequence[SupportPseudonyms], *, erased_at: datetime
    ) -> None: ...

    async def rewrite_mail(self, mail: OutboxMessage) -> None:
        """Store the mail's recipients, copies, subject, bodies, status and last error."""
        ...

    async def attempt_details(self, message_ids: Collection[int]) -> list[tuple[int, str]]:
        """(attempt id, detail) of these messages' attempts that have a detail."""
        ...

    async def rewrite_attempt_details(self, details: Sequence[tuple[int, str]]) -> None: ...

    async def rewrite_audit_event(
        self, event_id: int, *, actor: str, changes: dict[str, Any]
    ) -> None: ...

    async def rewrite_lock_reasons(self, reasons: Sequence[tuple[str, str]]) -> None:
        """(lock id, reason)."""
        ...

    async def forget_responses(self, needles: Collection[str]) -> int:
        """Delete the stored `Idempotency-Key` responses whose body contains one of the
        lower-cased `needles` (a replay would show erased values); how many."""
        ...

    # ------------------------------------------------------------ retention

    async def purge_expired_responses(self, now: datetime) -> int:
        """Delete the `Idempotency-Key` records expired at `now` (the store purges them
        lazily, on its next claim only); how many."""
        ...

    async def retention_candidates(self, where: RetentionFilter) -> list[str]:
        """Uids of accounts not erased that pass the pre-filter, in uid order."""
        ...

    async def closed_account_requests_before(self, before: datetime) -> list[AccountRequest]:
        """Rejected or cancelled account requests, not yet pseudonymised, closed before
        `before` (R-GDPR-1a)."""
        ...

    async def support_requests_closed_before(self, before: datetime) -> list[SupportRequest]:
        """Closed support requests not erased whose closure is before `before`."""
        ...

    async def erase_old_mails(
        self, *, template: str, before: datetime, subject: str, body: str
    ) -> int:
        """Replace subject and bodies of settled (sent or dead) mails of `template`
        created before `before` and not yet replaced; how many."""
        ...
