"""Batches of enrolments and the CSV import (R-ACC-2, R-ACC-6, R-ACC-6a,
R-CONV-2a, R-CONV-4, R-CONV-5)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from app.domain.accounts import generate_uid, validate_uid
from app.domain.auth import Principal
from app.domain.calendar import AcademicYear, paris_date
from app.domain.convention import ConventionClock
from app.domain.enrolments import (
    MAX_BATCH_ITEMS,
    Enrolment,
    EnrolmentRequest,
    EnrolmentStatus,
    EnrolmentWindows,
    ItemError,
    ensure_convention_accepts,
    ensure_in_window,
    ensure_not_dated_after_the_call,
    windows_in_force,
)
from app.domain.errors import Conflict, DomainError
from app.domain.ids import new_id
from app.domain.schools import BeneficiaryPeriod, ensure_beneficiary
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.enrolments import NewStudentAccount, StudentAccount
from app.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from app.services import audit
from app.services.convention import load_clock
from app.services.schools import beneficiary_periods
from app.services.visibility import sees

_rng = random.Random()


class ItemStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ItemOutcome:
    index: int
    status: ItemStatus
    enrolment_id: str | None = None
    uid: str | None = None
    errors: tuple[ItemError, ...] = ()


@dataclass
class BatchOutcome:
    results: list[ItemOutcome] = field(default_factory=list)
    accounts_created: int = 0

    def count(self, status: ItemStatus) -> int:
        return sum(1 for r in self.results if r.status is status)

    @property
    def created(self) -> int:
        return self.count(ItemStatus.CREATED)

    @property
    def duplicates(self) -> int:
        return self.count(ItemStatus.DUPLICATE)

    @property
    def rejected(self) -> int:
        return self.count(ItemStatus.REJECTED)


BatchItem = EnrolmentRequest | Sequence[ItemError]


class _Batch:
    """The state of one batch: what is stored and what the batch adds, by key."""

    def __init__(
        self,
        accounts: list[StudentAccount],
        stored: list[Enrolment],
        free_uids: list[str],
    ):
        self.by_number = {a.student_number: a for a in accounts if a.student_number}
        self.by_uid = {a.uid: a for a in accounts}
        self.enrolments = {(e.student_number, e.academic_year): e for e in stored}
        self.free_uids = free_uids
        self.new_accounts: list[NewStudentAccount] = []
        self.attached: list[tuple[str, str]] = []
        self.new_enrolments: list[Enrolment] = []

    def resolve(self, item: EnrolmentRequest) -> StudentAccount | None:
        """The existing account of the item's student (None: a new account); raises when
        the uid given belongs to another student or the account was erased."""
        account = self.by_number.get(item.student_number)
        if item.uid is not None:
            validate_uid(item.uid)
            if account is None:
                account = self.by_uid.get(item.uid)
            if account is not None and (
                account.uid != item.uid
                or account.student_number not in (None, item.student_number)
            ):
                raise _uid_conflict()
        if account is not None and account.erased:
            raise Conflict("this student's account was erased and is never reused",
                           code="uid-erased")
        return account

    def uid_for(self, item: EnrolmentRequest, account: StudentAccount | None) -> str:
        if account is not None:
            return account.uid
        return item.uid if item.uid is not None else self.free_uids.pop()

    def add(
        self, item: EnrolmentRequest, account: StudentAccount | None, enrolment: Enrolment
    ) -> None:
        if account is None:
            account = StudentAccount(enrolment.uid, item.student_number, erased=False)
            self.new_accounts.append(
                NewStudentAccount(
                    uid=enrolment.uid, student_number=item.student_number,
                    given_name=item.given_name, family_name=item.family_name,
                    email=item.email,
                )
            )
        elif account.student_number is None:
            self.attached.append((account.uid, item.student_number))
            account = replace(account, student_number=item.student_number)
        self.by_number[item.student_number] = account
        self.by_uid[account.uid] = account
        self.enrolments[(item.student_number, item.academic_year)] = enrolment
        self.new_enrolments.append(enrolment)


class _DateRules:
    """The convention's and the windows' verdict on (year, date, transfer), computed once
    per distinct key: a batch shares a few dozen dates among its items."""

    def __init__(
        self, convention: ConventionClock, stored: dict[int, EnrolmentWindows], call_on: date,
        periods: dict[str, BeneficiaryPeriod],
    ):
        self.convention = convention
        self.call_on = call_on
        self.periods = periods
        self.stored = stored
        self.verdicts: dict[tuple[int, date, bool, str], DomainError | None] = {}

    def check(self, item: EnrolmentRequest) -> None:
        key = (item.academic_year, item.enrolled_on, item.transfer, item.school_code)
        if key not in self.verdicts:
            try:
                ensure_convention_accepts(self.convention, item.academic_year,
                                          item.enrolled_on, self.call_on)
                ensure_beneficiary(self.periods.get(item.school_code, BeneficiaryPeriod()),
                                   event_on=item.enrolled_on, call_on=self.call_on)
                ensure_in_window(windows_in_force(item.academic_year, self.stored),
                                 item.enrolled_on, transfer=item.transfer)
                self.verdicts[key] = None
            except DomainError as exc:
                self.verdicts[key] = exc
        verdict = self.verdicts[key]
        if verdict is not None:
            raise verdict


def _uid_conflict() -> Conflict:
    return Conflict("this uid belongs to another student", code="uid-conflict")


async def _free_uids(uow: UnitOfWork, needed: int, reserved: set[str]) -> list[str]:
    """`needed` generated uids that no account holds (one query per round)."""
    free: list[str] = []
    for _ in range(20):
        if len(free) >= needed:
            return free
        candidates = {generate_uid(_rng) for _ in range(needed - len(free) + 8)}
        candidates -= reserved | set(free)
        taken = await uow.accounts.uids_taken(sorted(candidates))
        free += sorted(candidates - taken)
    if len(free) < needed:  # pragma: no cover - 26^4 * 10^4 uids
        raise Conflict("no free uid could be generated; retry", code="uid-exhausted")
    return free


async def enrol_batch(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    items: Sequence[BatchItem],
    *,
    dry_run: bool = False,
) -> BatchOutcome:
    """Enrol a batch (R-ACC-6, R-CONV-4, R-CONV-5): per item `created`, `duplicate` (the same
    enrolment is stored) or `rejected` with its errors. One transaction, one audit event
    with the counts; `dry_run` checks everything and stores nothing."""
    now = clock.now()
    outcome = BatchOutcome()
    requests = [item for item in items if isinstance(item, EnrolmentRequest)]
    async with uow:
        await uow.enrolments.lock_for_batch()
        convention = await load_clock(uow)
        schools = await uow.schools.codes()
        years = {r.academic_year for r in requests}
        numbers = {r.student_number for r in requests}
        given_uids = {r.uid for r in requests if r.uid is not None}
        rules = _DateRules(convention, await uow.enrolments.stored_windows(years),
                           paris_date(now), await beneficiary_periods(uow))
        accounts = await uow.enrolments.accounts_matching(numbers, given_uids)
        known = {a.student_number for a in accounts}
        unknown = {r.student_number for r in requests if r.uid is None} - known
        batch = _Batch(
            accounts,
            await uow.enrolments.of_students(numbers, years),
            await _free_uids(uow, len(unknown), given_uids),
        )

        for index, item in enumerate(items):
            if not isinstance(item, EnrolmentRequest):
                outcome.results.append(
                    ItemOutcome(index, ItemStatus.REJECTED, errors=tuple(item))
                )
                continue
            try:
                outcome.results.append(
                    _enrol_one(index, item, batch, actor.principal, schools, rules, now)
                )
            except DomainError as exc:
                outcome.results.append(
                    ItemOutcome(index, ItemStatus.REJECTED,
                                errors=(ItemError(exc.code, exc.detail, exc.field),))
                )

        if batch.new_enrolments:
            await _store(uow, actor, batch, outcome, now)
            if not dry_run:
                await uow.commit()
    return outcome


async def _store(
    uow: UnitOfWork, actor: Actor, batch: _Batch, outcome: BatchOutcome, now: datetime
) -> None:
    """Write what the batch adds (accounts, student numbers, enrolments) and its one
    audit event with the counts."""
    await uow.enrolments.add_accounts(batch.new_accounts, now=now)
    await uow.enrolments.attach_student_numbers(batch.attached)
    await uow.enrolments.add_many(batch.new_enrolments)
    outcome.accounts_created = len(batch.new_accounts)
    years = {e.academic_year for e in batch.new_enrolments}
    await audit.record(
        uow, actor, now=now, action="enrolments.received",
        resource_type="enrolment_batch", resource_id=new_id(now),
        new={
            "created": outcome.created,
            "duplicates": outcome.duplicates,
            "rejected": outcome.rejected,
            "accounts_created": outcome.accounts_created,
            "accounts_attached": len(batch.attached),
            "academic_years": sorted(AcademicYear(y).label for y in years),
        },
    )


def _enrol_one(
    index: int,
    item: EnrolmentRequest,
    batch: _Batch,
    principal: Principal,
    schools: set[str],
    rules: _DateRules,
    now: datetime,
) -> ItemOutcome:
    if item.uid is not None:
        validate_uid(item.uid)  # a field error comes before R-ACC-6a
    ensure_not_dated_after_the_call(item.enrolled_on, paris_date(now), "enrolled_on")
    # First: another school's item answers as an unknown school's, before any lookup.
    if item.school_code not in schools or not sees(principal, item.school_code):
        raise Conflict("unknown school", code="unknown-school", field="school_code")
    account = batch.resolve(item)
    fingerprint = item.fingerprint
    existing = batch.enrolments.get((item.student_number, item.academic_year))
    if existing is not None:
        if existing.content_sha256 == fingerprint:
            return ItemOutcome(index, ItemStatus.DUPLICATE, existing.id, existing.uid)
        raise Conflict(
            "the student already has another enrolment for this academic year",
            code="enrolment-conflict",
        )
    rules.check(item)
    enrolment = Enrolment(
        id=new_id(now), uid=batch.uid_for(item, account), student_number=item.student_number,
        school_code=item.school_code, academic_year=item.academic_year,
        enrolled_on=item.enrolled_on, final_year=item.final_year, transfer=item.transfer,
        status=EnrolmentStatus.ACTIVE, cancelled_on=None, content_sha256=fingerprint,
        created_at=now,
    )
    batch.add(item, account, enrolment)
    return ItemOutcome(index, ItemStatus.CREATED, enrolment.id, enrolment.uid)


async def import_enrolments(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    actor: Actor,
    items: Sequence[BatchItem],
    *,
    dry_run: bool = False,
    on_batch: Callable[[BatchOutcome, int], None] | None = None,
) -> BatchOutcome:
    """A long list (the CSV import) as successive batches of MAX_BATCH_ITEMS, each its own
    transaction; results are re-indexed over the whole list. `on_batch(outcome, size)`
    reports progress. A dry run stores nothing (each batch is rolled back, so a student
    twice in the file in different batches is seen as new twice)."""
    total = BatchOutcome()
    for start in range(0, len(items), MAX_BATCH_ITEMS):
        chunk = items[start:start + MAX_BATCH_ITEMS]
        outcome = await enrol_batch(uow_factory(), clock, actor, chunk, dry_run=dry_run)
        total.results += [replace(r, index=r.index + start) for r in outcome.results]
        total.accounts_created += outcome.accounts_created
        if on_batch is not None:
            on_batch(outcome, len(chunk))
    return total
