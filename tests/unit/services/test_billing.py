"""app/services/billing.py on the fakes: the Region's yearly statement (R-BIL-1,
R-BIL-2, R-BIL-3, R-MONEY-1), its versions, payments, reading and July reminders."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.auth import Principal
from app.domain.billing import StatementStatus
from app.domain.convention import TermChanges
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.services import billing, billing_reminders, lifecycle
from app.services.jobs import JobContext
from tests.unit.services.convention_world import (
    ALBI,
    RODEZ,
    UT_ADMIN,
    actor,
    clock_at,
    confined_to,
    seeded_uow,
    set_census,
)

# 2025's census is on 31 October 2025: a statement from 1 November, Paris time.
CENSUS_OVER = clock_at("2025-10-31T23:00:00+00:00")
REGION = Principal(subject="region", client_id="region", scopes=frozenset({"billing:read"}))


def _uow():
    uow = seeded_uow()
    set_census(uow, {RODEZ: 120, ALBI: 80})
    return uow


async def _draft(uow, clock=CENSUS_OVER):
    return await billing.create_statement(uow, clock, actor(), 2025)


async def test_a_statement_is_not_generated_on_the_census_day_itself_in_paris():
    uow = _uow()
    with pytest.raises(Conflict) as early:
        await _draft(uow, clock_at("2025-10-31T22:59:59+00:00"))
    assert early.value.code == "census-not-reached"
    assert uow.billing.statements == {}


async def test_the_draft_counts_the_census_at_the_rate_in_force_on_the_census_date():
    uow = _uow()
    await lifecycle.record_amendment(
        uow,
        clock_at("2025-10-01T10:00:00+00:00"),
        actor(),
        reference="AV-RATE",
        signed_on=date(2025, 10, 1),
        effective_on=date(2025, 10, 31),
        changes=TermChanges(rate_per_student_cents=2500),
        schools_added=None,
    )

    draft = await _draft(uow)

    assert (draft.status, draft.version, draft.number) == (StatementStatus.DRAFT, 1, "2025-2026-v1")
    assert (draft.census_on, draft.rate_per_student_cents) == (date(2025, 10, 31), 2500)
    assert (draft.total_students, draft.total_amount_cents) == (200, 200 * 2500)
    assert uow.audit.actions()[-1] == "statement.generated"


async def test_one_current_statement_per_year_and_none_outside_the_convention():
    uow = _uow()
    await _draft(uow)
    with pytest.raises(Conflict) as twice:
        await _draft(uow)
    assert twice.value.code == "statement-exists"
    with pytest.raises(Conflict) as outside:
        await billing.create_statement(uow, CENSUS_OVER, actor(), 2023)
    assert outside.value.code == "convention-not-active"
    with pytest.raises(Forbidden):
        await billing.create_statement(uow, CENSUS_OVER, actor(confined_to(RODEZ)), 2026)


async def test_issuing_freezes_the_content_with_a_fingerprint_and_is_idempotent():
    uow = _uow()
    draft = await _draft(uow)
    later = clock_at("2026-07-16T08:00:00+00:00")  # past the 15 July due date

    issued = await billing.issue_statement(uow, later, actor(), draft.id)
    again = await billing.issue_statement(uow, later, actor(), draft.id)

    assert issued.status is StatementStatus.ISSUED
    assert issued.content_sha256 == billing.fingerprint(issued.content)
    assert issued.content["late"] is True
    assert again.content_sha256 == issued.content_sha256
    assert uow.audit.actions().count("statement.issued") == 1


async def test_a_revision_is_a_new_version_that_supersedes_the_issued_one_when_issued():
    uow = _uow()
    v1 = await billing.issue_statement(uow, CENSUS_OVER, actor(), (await _draft(uow)).id)
    set_census(uow, {RODEZ: 121, ALBI: 80})

    v2, created = await billing.revise_statement(
        uow, CENSUS_OVER, actor(), v1.id, reason="un étudiant oublié"
    )
    same, created_again = await billing.revise_statement(
        uow, CENSUS_OVER, actor(), v1.id, reason="un étudiant oublié"
    )
    await billing.issue_statement(uow, CENSUS_OVER, actor(), v2.id)

    assert (created, created_again, same.id) == (True, False, v2.id)
    assert (v2.version, v2.total_students, v2.supersedes_id) == (2, 201, v1.id)
    old = await billing.get_statement(uow, UT_ADMIN, v1.id)
    assert (old.status, old.superseded_by_id) == (StatementStatus.SUPERSEDED, v2.id)
    with pytest.raises(Conflict) as superseded:
        await billing.revise_statement(uow, CENSUS_OVER, actor(), v1.id, reason="encore")
    assert superseded.value.code == "statement-superseded"


async def test_a_draft_is_discarded_not_revised_and_an_issued_one_never_discarded():
    uow = _uow()
    draft = await _draft(uow)
    with pytest.raises(Conflict) as not_issued:
        await billing.revise_statement(uow, CENSUS_OVER, actor(), draft.id, reason="x")
    assert not_issued.value.code == "statement-not-issued"
    await billing.discard_statement(uow, CENSUS_OVER, actor(), draft.id)
    assert uow.billing.statements == {}
    issued = await billing.issue_statement(uow, CENSUS_OVER, actor(), (await _draft(uow)).id)
    with pytest.raises(Conflict) as kept:
        await billing.discard_statement(uow, CENSUS_OVER, actor(), issued.id)
    assert kept.value.code == "statement-not-draft"
    with pytest.raises(NotFound):
        await billing.discard_statement(uow, CENSUS_OVER, actor(), "nope")


async def test_payments_against_the_issued_version_once_per_reference():
    uow = _uow()
    issued = await billing.issue_statement(uow, CENSUS_OVER, actor(), (await _draft(uow)).id)
    clock = clock_at("2026-07-15T21:59:59+00:00")  # still 15 July in Paris

    paid, stored = await billing.record_payment(
        uow,
        clock,
        actor(),
        issued.id,
        received_on=date(2026, 7, 15),
        amount_cents=440000,
        reference="VIR-1",
    )
    again, stored_again = await billing.record_payment(
        uow,
        clock,
        actor(),
        issued.id,
        received_on=date(2026, 7, 15),
        amount_cents=440000,
        reference="VIR-1",
    )

    assert (stored, stored_again) == (True, False)
    assert (
        [p.reference for p in paid.payments] == [p.reference for p in again.payments] == ["VIR-1"]
    )
    with pytest.raises(Conflict) as other:
        await billing.record_payment(
            uow,
            clock,
            actor(),
            issued.id,
            received_on=date(2026, 7, 14),
            amount_cents=440000,
            reference="VIR-1",
        )
    assert other.value.code == "payment-conflict"


@pytest.mark.parametrize(("received_on", "amount"), [(date(2026, 7, 16), 1), (date(2026, 7, 1), 0)])
async def test_a_payment_in_the_future_or_not_positive_is_refused(received_on, amount):
    uow = _uow()
    issued = await billing.issue_statement(uow, CENSUS_OVER, actor(), (await _draft(uow)).id)
    with pytest.raises(InvalidInput) as refused:
        await billing.record_payment(
            uow,
            clock_at("2026-07-15T21:59:59+00:00"),
            actor(),
            issued.id,
            received_on=received_on,
            amount_cents=amount,
            reference="VIR-1",
        )
    assert refused.value.code == "invalid-payment"
    assert uow.billing.payments == []


async def test_a_draft_takes_no_payment():
    uow = _uow()
    draft = await _draft(uow)
    with pytest.raises(Conflict) as refused:
        await billing.record_payment(
            uow,
            CENSUS_OVER,
            actor(),
            draft.id,
            received_on=date(2025, 10, 31),
            amount_cents=1,
            reference="VIR-1",
        )
    assert refused.value.code == "statement-not-issued"


async def test_readers_see_issued_versions_only_and_confined_callers_none():
    uow = _uow()
    draft = await _draft(uow)
    with pytest.raises(NotFound):
        await billing.get_statement(uow, REGION, draft.id)
    assert (await billing.get_statement(uow, UT_ADMIN, draft.id)).id == draft.id

    def listing(principal, **kw):
        return billing.list_statements(
            uow,
            CENSUS_OVER,
            principal,
            academic_year=kw.get("year"),
            status=None,
            updated_since=None,
            after=None,
            limit=10,
        )

    assert await listing(REGION) == []
    assert [s.id for s in await listing(UT_ADMIN)] == [draft.id]
    await billing.issue_statement(uow, CENSUS_OVER, actor(), draft.id)
    assert [s.id for s in await listing(REGION, year=2025)] == [draft.id]
    assert await listing(confined_to(RODEZ)) == []
    with pytest.raises(NotFound):
        await billing.get_statement(uow, confined_to(RODEZ), draft.id)
    with pytest.raises(Conflict):
        await listing(UT_ADMIN, year=2030)


def _context(uow, at: str) -> JobContext:
    clock = clock_at(at)
    return JobContext(at=clock.now(), clock=clock, uow_factory=lambda: uow)


@pytest.mark.parametrize(
    ("at", "reminded", "notified"),
    [
        ("2026-06-30T21:59:59+00:00", 0, 0),  # 30 June, 23:59:59 in Paris
        ("2026-06-30T22:00:00+00:00", 1, 0),  # 1 July, midnight in Paris
        ("2026-07-15T21:59:59+00:00", 1, 0),  # the due date's last second
        ("2026-07-15T22:00:00+00:00", 0, 1),  # 16 July: overdue
        ("2026-12-31T22:59:59+00:00", 0, 1),  # still the year's end in Paris
    ],
)
async def test_the_july_jobs_mail_finance_on_their_days(at, reminded, notified):
    uow = _uow()
    reminder, overdue = billing_reminders.billing_jobs(finance_email="finance@univ-tlse3.fr")
    assert await reminder.run(_context(uow, at)) == {"reminded": reminded}
    assert await overdue.run(_context(uow, at)) == {"notified": notified}


async def test_the_reminder_is_sent_once_a_year_and_not_once_the_statement_is_issued():
    uow = _uow()
    reminder, overdue = billing_reminders.billing_jobs(finance_email="finance@univ-tlse3.fr")
    first = await reminder.run(_context(uow, "2026-07-01T06:00:00+00:00"))
    second = await reminder.run(_context(uow, "2026-07-02T06:00:00+00:00"))
    assert (first, second) == ({"reminded": 1}, {"reminded": 0})
    assert uow.outbox.templates() == ["billing-reminder"]

    draft = await _draft(uow)
    await billing.issue_statement(uow, CENSUS_OVER, actor(), draft.id)
    assert await overdue.run(_context(uow, "2026-07-16T06:00:00+00:00")) == {"notified": 0}
