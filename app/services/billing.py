"""Billing: the yearly statement for the Region — generation from the census, issuing,
revisions, discarding, payments and reading (R-BIL-1, R-BIL-2, R-BIL-3, R-MONEY-1,
R-CONV-2). The July reminders to UT finance live in `app.services.billing_reminders`.

Each use case is one transaction holding the year's lock, with one audit event per
state change. An issued version is never edited (R-BIL-3): only its supersession and the
payments change after issuing; its fingerprint is SHA-256 of the RFC 8785 canonical JSON
of its frozen fields (`app.domain.billing.frozen_fields`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import rfc8785

from app.domain.auth import Principal
from app.domain.billing import (
    BeneficiarySchool,
    Payment,
    Statement,
    StatementStatus,
    build_content,
    ensure_census_reached,
    ensure_payment_matches,
    frozen_fields,
    issued_content,
    statement_lines,
)
from app.domain.calendar import AcademicYear, ensure_event_date_in_range, paris_date
from app.domain.convention import ConventionClock
from app.domain.enrolments import ensure_year_in_convention
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.ids import new_id
from app.domain.rules import DEFAULT_RULES, Rules
from app.ports.audit import Actor
from app.ports.billing import StatementPage
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.billing_reminders import billing_jobs as billing_jobs  # its old home
from app.services.convention import load_clock
from app.services.enrolments import count_census
from app.services.visibility import confined, ensure_unconfined, unschooled_or_404

RESOURCE = "statement"
WRITE_SCOPE = "billing:write"
_MAX_SCHOOLS = 10_000


def fingerprint(document: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the RFC 8785 canonical JSON of the document's frozen fields."""
    return hashlib.sha256(rfc8785.dumps(frozen_fields(document))).hexdigest()


def _summary(s: Statement) -> dict[str, Any]:
    """What the audit trail records of a version (figures, never personal data)."""
    return {
        "number": s.number,
        "status": s.status,
        "census_on": s.census_on,
        "rate_per_student_cents": s.rate_per_student_cents,
        "total_students": s.total_students,
        "total_amount_cents": s.total_amount_cents,
        "content_sha256": s.content_sha256,
        "issued_at": s.issued_at,
        "supersedes": s.supersedes_id,
        "superseded_by": s.superseded_by_id,
        "revision_reason": s.revision_reason,
    }


async def _record(uow: UnitOfWork, actor: Actor, now: datetime, action: str, s: Statement,
                  *, old: Statement | None = None, new: Mapping[str, Any] | None = None
                  ) -> None:
    await audit.record(
        uow, actor, now=now, action=action, resource_type=RESOURCE, resource_id=s.id,
        old=_summary(old) if old is not None else None,
        new=new if new is not None else _summary(s),
    )


# ------------------------------------------------------------------------ computing


async def _beneficiaries(uow: UnitOfWork, convention: ConventionClock) -> list[BeneficiarySchool]:
    """Every stored school; one added by an amendment joins on its effective date."""
    joined = {a.reference: a.effective_on for a in convention.amendments}
    schools = await uow.schools.list(codes=None, after=None, limit=_MAX_SCHOOLS)
    return [BeneficiarySchool(s.code, s.name, joined.get(s.amendment_reference))
            for s in schools]


async def _compute(
    uow: UnitOfWork,
    *,
    academic_year: int,
    version: int,
    now: datetime,
    rules: Rules,
    supersedes: str | None = None,
    revision_reason: str | None = None,
) -> Statement:
    """A draft of `academic_year` computed now: the census (R-BIL-1, its date under
    `rules.census_on_main_close`), the rate in force on the census date (R-CONV-2), every
    beneficiary school, the payee (R-BIL-2)."""
    today = paris_date(now)
    convention = await load_clock(uow)
    ensure_year_in_convention(convention, academic_year, today)
    census = await count_census(uow, academic_year, rules)
    ensure_census_reached(census.census_on, today)
    reference = await uow.convention.get()
    if reference is None:  # pragma: no cover - load_clock raised already
        raise NotFound("the convention's reference data are not loaded (run the seed)")
    rate = convention.terms_on(census.census_on).rate_per_student_cents
    lines = statement_lines(
        await _beneficiaries(uow, convention), census.counts,
        rate_per_student_cents=rate, census_on=census.census_on,
    )
    statement_id = new_id(now)
    content = build_content(
        statement_id=statement_id, academic_year=academic_year, version=version,
        census_on=census.census_on, rate_per_student_cents=rate, lines=lines,
        payee=reference.payee, parties=reference.parties,
        convention_reference=reference.reference, generated_at=now,
        supersedes=supersedes, revision_reason=revision_reason,
    )
    return Statement(
        id=statement_id,
        number=content["number"],
        academic_year=academic_year,
        version=version,
        status=StatementStatus.DRAFT,
        census_on=census.census_on,
        rate_per_student_cents=rate,
        total_students=content["total_students"],
        total_amount_cents=content["total_amount_cents"],
        content=content,
        content_sha256=None,
        generated_at=now,
        issued_at=None,
        supersedes_id=supersedes,
        superseded_by_id=None,
        revision_reason=revision_reason,
        updated_at=now,
    )


def _current_exists(academic_year: int) -> Conflict:
    return Conflict(
        f"{AcademicYear(academic_year).label} already has a current statement (a draft or "
        "the issued version): issue or discard the draft, or revise the issued version",
        code="statement-exists",
    )


# ------------------------------------------------------------------------ use cases


async def create_statement(
    uow: UnitOfWork, clock: Clock, actor: Actor, academic_year: int,
    rules: Rules = DEFAULT_RULES,
) -> Statement:
    """Generate the first draft of N/N+1. 409 `convention-not-active` outside the
    convention, `census-not-reached` until the day after the census date (Paris),
    `statement-exists` when the year has a current statement."""
    ensure_unconfined(actor.principal, "billing statements")
    now = clock.now()
    async with uow:
        await uow.billing.lock_year(academic_year)
        versions = await uow.billing.of_year(academic_year)
        if any(v.is_current for v in versions):
            raise _current_exists(academic_year)
        draft = await _compute(
            uow, academic_year=academic_year,
            version=max((v.version for v in versions), default=0) + 1, now=now,
            rules=rules,
        )
        await uow.billing.add(draft)
        await _record(uow, actor, now, "statement.generated", draft)
        await uow.commit()
    return draft


async def _locked(uow: UnitOfWork, statement_id: str) -> Statement:
    """A version (any status: the caller holds `billing:write`), read again under its
    year's lock."""
    found = await uow.billing.get(statement_id)
    if found is None:
        raise NotFound("no such statement")
    await uow.billing.lock_year(found.academic_year)
    found = await uow.billing.get(statement_id)
    if found is None:  # discarded meanwhile
        raise NotFound("no such statement")
    return found


async def issue_statement(
    uow: UnitOfWork, clock: Clock, actor: Actor, statement_id: str
) -> Statement:
    """Issue a draft: `issued_at`, `late` (issued after its due date, Paris) and the
    fingerprint are set and the content frozen; the version it revises becomes
    `superseded` in the same transaction. Issuing again answers the version as it is."""
    unschooled_or_404(actor.principal, "no such statement")
    now = clock.now()
    async with uow:
        draft = await _locked(uow, statement_id)
        if draft.status is not StatementStatus.DRAFT:
            return draft
        content = issued_content(draft.content, issued_at=now, issued_on=paris_date(now))
        issued = replace(
            draft, status=StatementStatus.ISSUED, content=content,
            content_sha256=fingerprint(content), issued_at=now, updated_at=now,
        )
        await uow.billing.save(issued)
        await _record(uow, actor, now, "statement.issued", issued, old=draft)
        if draft.supersedes_id is not None:
            old = await uow.billing.get(draft.supersedes_id)
            if old is None or old.status is not StatementStatus.ISSUED:
                raise Conflict("the version this draft revises is no longer the issued one",
                               code="statement-superseded")
            superseded = replace(old, status=StatementStatus.SUPERSEDED,
                                 superseded_by_id=issued.id, updated_at=now)
            await uow.billing.save(superseded)
            await _record(uow, actor, now, "statement.superseded", superseded, old=old)
        await uow.commit()
    return issued


async def revise_statement(
    uow: UnitOfWork, clock: Clock, actor: Actor, statement_id: str, *, reason: str,
    rules: Rules = DEFAULT_RULES,
) -> tuple[Statement, bool]:
    """A new draft (version + 1, recomputed now) revising the issued version, with a
    reason (R-BIL-3); True when created. The same revision again answers its draft;
    another draft of the year → 409 `statement-exists`; a draft → 409
    `statement-not-issued`; a superseded version → 409 `statement-superseded`."""
    unschooled_or_404(actor.principal, "no such statement")
    now = clock.now()
    async with uow:
        statement = await _locked(uow, statement_id)
        if statement.status is StatementStatus.DRAFT:
            raise Conflict("only an issued statement is revised; a draft is changed by "
                           "discarding it", code="statement-not-issued")
        versions = await uow.billing.of_year(statement.academic_year)
        pending = next((v for v in versions if v.status is StatementStatus.DRAFT), None)
        if pending is not None:
            if pending.supersedes_id == statement.id and pending.revision_reason == reason:
                again = await uow.billing.get(pending.id)
                assert again is not None
                return again, False
            raise _current_exists(statement.academic_year)
        if statement.status is StatementStatus.SUPERSEDED:
            raise Conflict("this version is superseded: revise the current one",
                           code="statement-superseded")
        draft = await _compute(
            uow, academic_year=statement.academic_year,
            version=max(v.version for v in versions) + 1, now=now, rules=rules,
            supersedes=statement.id, revision_reason=reason,
        )
        await uow.billing.add(draft)
        await _record(uow, actor, now, "statement.revision-generated", draft)
        created = await uow.billing.get(draft.id)
        assert created is not None
        await uow.commit()
    return created, True


async def discard_statement(
    uow: UnitOfWork, clock: Clock, actor: Actor, statement_id: str
) -> None:
    """Delete a draft (only a draft: else 409 `statement-not-draft`)."""
    unschooled_or_404(actor.principal, "no such statement")
    now = clock.now()
    async with uow:
        statement = await _locked(uow, statement_id)
        if statement.status is not StatementStatus.DRAFT:
            raise Conflict("only a draft can be discarded (R-BIL-3)",
                           code="statement-not-draft")
        await uow.billing.delete(statement.id)
        await audit.record(
            uow, actor, now=now, action="statement.discarded", resource_type=RESOURCE,
            resource_id=statement.id, old=_summary(statement),
        )
        await uow.commit()


async def record_payment(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    statement_id: str,
    *,
    received_on: date,
    amount_cents: int,
    reference: str,
) -> tuple[Statement, bool]:
    """Record a payment received against the issued version; True when stored. The same
    reference again (in this version or the ones it supersedes) with the same figures
    answers the statement as it is; with other figures → 409 `payment-conflict`. Only an
    issued version takes payments (409 `statement-not-issued`); a date after today (Paris)
    → 422."""
    now = clock.now()
    if received_on > paris_date(now):
        raise InvalidInput("a payment is not received in the future", code="invalid-payment",
                           field="received_on")
    ensure_event_date_in_range(received_on, "received_on")
    if amount_cents <= 0:
        raise InvalidInput("a payment is a positive amount", code="invalid-payment",
                           field="amount_cents")
    unschooled_or_404(actor.principal, "no such statement")
    async with uow:
        statement = await _locked(uow, statement_id)
        existing = next((p for p in statement.payments if p.reference == reference), None)
        if not ensure_payment_matches(existing, received_on, amount_cents):
            return statement, False
        if statement.status is not StatementStatus.ISSUED:
            raise Conflict("payments are recorded against the issued version",
                           code="statement-not-issued")
        payment = Payment(
            id=new_id(now), statement_id=statement.id, statement_number=statement.number,
            received_on=received_on, amount_cents=amount_cents, reference=reference,
            created_at=now,
        )
        await uow.billing.add_payment(payment)
        updated = replace(statement, updated_at=now,
                          payments=(*statement.payments, payment))
        await uow.billing.save(updated)
        await audit.record(
            uow, actor, now=now, action="statement.payment-recorded", resource_type=RESOURCE,
            resource_id=statement.id,
            new={"payment_reference": reference, "received_on": received_on,
                 "amount_cents": amount_cents},
        )
        await uow.commit()
    return updated, True


# ------------------------------------------------------------------------ reading


def _sees(principal: Principal, statement: Statement) -> bool:
    """Statements name every school: none is visible to a caller confined to schools."""
    return not confined(principal) and (
        statement.visible_to_readers or principal.has(WRITE_SCOPE))


async def get_statement(uow: UnitOfWork, principal: Principal, statement_id: str) -> Statement:
    """One version; a draft answers 404 to a reader without `billing:write`."""
    async with uow:
        statement = await uow.billing.get(statement_id)
    if statement is None or not _sees(principal, statement):
        raise NotFound("no such statement")
    return statement


async def list_statements(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    *,
    academic_year: int | None,
    status: StatementStatus | None,
    updated_since: datetime | None,
    after: StatementPage | None,
    limit: int,
) -> list[Statement]:
    """Versions by (`updated_at`, `id`), for polling with `updated_since` (inclusive).
    Drafts only for `billing:write`. A year outside the convention → 409."""
    statuses = set(StatementStatus)
    if not principal.has(WRITE_SCOPE):
        statuses.discard(StatementStatus.DRAFT)
    if status is not None:
        statuses &= {status}
    async with uow:
        if academic_year is not None:
            ensure_year_in_convention(await load_clock(uow), academic_year,
                                      paris_date(clock.now()))
        if confined(principal):
            return []
        return await uow.billing.list(
            academic_year=academic_year, statuses=statuses, updated_since=updated_since,
            after=after, limit=limit,
        )
