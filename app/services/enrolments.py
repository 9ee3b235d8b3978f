"""Students: enrolment windows, bulk enrolment, cancellation, listing and the census
(R-ACC-6, R-ACC-7, R-BIL-1, R-CONV-4, R-CONV-5).

A batch is one transaction: the rules are checked item by item against what is stored
(loaded with a few set-based queries) and what the batch itself adds; one bad item never
drops the others. The same batch again answers `duplicate` for what it stored."""

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
    census_date,
    census_rule,
    ensure_cancellable,
    ensure_census_read_only,
    ensure_convention_accepts,
    ensure_in_window,
    ensure_not_dated_after_the_call,
    ensure_year_in_convention,
    validate_windows,
    windows_in_force,
)
from app.domain.errors import Conflict, DomainError, PreconditionFailed
from app.domain.ids import new_id
from app.domain.preconditions import Precondition
from app.domain.rules import DEFAULT_RULES, Rules
from app.domain.schools import BeneficiaryPeriod, counted_at_census, ensure_beneficiary
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.enrolments import NewStudentAccount, StudentAccount
from app.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from app.services import audit
from app.services.convention import load_clock
from app.services.schools import beneficiary_periods
from app.services.visibility import ensure_unconfined, school_filter, sees, visible_or_404

# Uids are identifiers, not secrets: a Mersenne Twister seeded from the OS is enough and
# generates the thousands an autumn batch needs quickly.
_rng = random.Random()


def parse_year(label: str) -> int:
    """A malformed academic year → 422 `invalid-academic-year`."""
    return AcademicYear.parse(label).start_year


# ---------------------------------------------------------------- windows


async def _windows_in(uow: UnitOfWork, year: int) -> EnrolmentWindows:
    return windows_in_force(year, await uow.enrolments.stored_windows([year]))


async def get_windows(uow: UnitOfWork, clock: Clock, year: int) -> EnrolmentWindows:
    """The windows in force for N/N+1; 409 `convention-not-active` outside the
    convention (as known today)."""
    async with uow:
        ensure_year_in_convention(await load_clock(uow), year, paris_date(clock.now()))
        return await _windows_in(uow, year)


async def change_windows(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    year: int,
    *,
    expected: Precondition,
    main_opens_on: date,
    main_closes_on: date,
    s2_opens_on: date,
    s2_closes_on: date,
    census_on: date | None,
    rules: Rules = DEFAULT_RULES,
) -> EnrolmentWindows:
    """Change the windows of N/N+1 (R-ACC-6). `expected` names the versions the caller
    read (`If-Match`); another current version → 412. The same windows again answer as
    they are; the census moves with `main_closes_on` (R-BIL-1) unless
    `rules.census_on_main_close` is false (then it stays on 31 Oct N)."""
    ensure_unconfined(actor.principal, "the enrolment windows")
    wanted = validate_windows(
        year, main_opens_on=main_opens_on, main_closes_on=main_closes_on,
        s2_opens_on=s2_opens_on, s2_closes_on=s2_closes_on,
    )
    ensure_census_read_only(wanted, census_on, on_main_close=rules.census_on_main_close)
    now = clock.now()
    async with uow:
        ensure_year_in_convention(await load_clock(uow), year, paris_date(now))
        current = await _windows_in(uow, year)
        if not expected.accepts(str(current.version)):
            if wanted.same_dates(current):
                return current  # a retry of a change already made
            raise PreconditionFailed(
                "the windows changed since they were read", code="precondition-failed"
            )
        if wanted.same_dates(current):
            return current
        changed = replace(wanted, version=current.version + 1, updated_at=now)
        if not await uow.enrolments.save_windows(changed, expected_version=current.version):
            raise PreconditionFailed(
                "the windows changed since they were read", code="precondition-failed"
            )
        await audit.record(
            uow, actor, now=now, action="enrolment-campaign.changed",
            resource_type="enrolment_campaign", resource_id=AcademicYear(year).label,
            old=_window_fields(current, rules), new=_window_fields(changed, rules),
        )
        await uow.commit()
    return changed


def _window_fields(w: EnrolmentWindows, rules: Rules) -> dict[str, object]:
    return {
        "main_opens_on": w.main_opens_on,
        "main_closes_on": w.main_closes_on,
        "s2_opens_on": w.s2_opens_on,
        "s2_closes_on": w.s2_closes_on,
        "census_on": census_date(w, on_main_close=rules.census_on_main_close),
    }


# ---------------------------------------------------------------- batches


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
"""A well-formed item, or the errors that made it malformed (rejected as it is)."""


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
            await uow.enrolments.add_accounts(batch.new_accounts, now=now)
            await uow.enrolments.attach_student_numbers(batch.attached)
            await uow.enrolments.add_many(batch.new_enrolments)
            outcome.accounts_created = len(batch.new_accounts)
            await audit.record(
                uow, actor, now=now, action="enrolments.received",
                resource_type="enrolment_batch", resource_id=new_id(now),
                new={
                    "created": outcome.created,
                    "duplicates": outcome.duplicates,
                    "rejected": outcome.rejected,
                    "accounts_created": outcome.accounts_created,
                    "accounts_attached": len(batch.attached),
                    "academic_years": sorted(
                        AcademicYear(y).label for y in {e.academic_year
                                                        for e in batch.new_enrolments}
                    ),
                },
            )
            if not dry_run:
                await uow.commit()
    return outcome


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


# ---------------------------------------------------------------- one enrolment


def _visible(principal: Principal, enrolment: Enrolment | None) -> Enrolment:
    return visible_or_404(principal, enrolment, lambda e: e.school_code, "no such enrolment")


async def get_enrolment(uow: UnitOfWork, principal: Principal, enrolment_id: str) -> Enrolment:
    async with uow:
        return _visible(principal, await uow.enrolments.get(enrolment_id))


async def cancel_enrolment(
    uow: UnitOfWork, clock: Clock, actor: Actor, enrolment_id: str, *, cancelled_on: date
) -> Enrolment:
    """Cancel an enrolment from `cancelled_on` (R-ACC-7: no role from that day, no
    grace). The same cancellation again answers the stored one; another date → 409; a
    date after today (Paris) → 422 `enrolment-in-future` (R-ACC-6a)."""
    now = clock.now()
    ensure_not_dated_after_the_call(cancelled_on, paris_date(now), "cancelled_on")
    async with uow:
        enrolment = _visible(
            actor.principal, await uow.enrolments.get(enrolment_id, for_update=True)
        )
        if not ensure_cancellable(enrolment, cancelled_on):
            return enrolment
        await uow.enrolments.cancel(enrolment.id, cancelled_on)
        done = replace(enrolment, status=EnrolmentStatus.CANCELLED, cancelled_on=cancelled_on)
        await audit.record(
            uow, actor, now=now, action="enrolment.cancelled", resource_type="enrolment",
            resource_id=enrolment.id,
            old={"status": enrolment.status, "cancelled_on": None},
            new={"status": done.status, "cancelled_on": cancelled_on},
        )
        await uow.commit()
    return done


async def list_enrolments(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    *,
    academic_year: int | None,
    school_code: str | None,
    status: EnrolmentStatus | None,
    after_id: str | None,
    limit: int,
) -> list[Enrolment]:
    """A page ordered by id (creation order); a token confined to schools sees only
    theirs. A year outside the convention → 409 `convention-not-active`."""
    codes = school_filter(principal, school_code)
    async with uow:
        if academic_year is not None:
            ensure_year_in_convention(
                await load_clock(uow), academic_year, paris_date(clock.now())
            )
        if codes == []:
            return []
        return await uow.enrolments.list(
            academic_year=academic_year, school_codes=codes, status=status,
            after_id=after_id, limit=limit,
        )


# ---------------------------------------------------------------- census (R-BIL-1)


@dataclass(frozen=True)
class Census:
    academic_year: int
    census_on: date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def count_census(
    uow: UnitOfWork, academic_year: int, rules: Rules = DEFAULT_RULES
) -> Census:
    """The census of N/N+1 inside the caller's open unit of work (billing's transaction):
    students counted per school on `census_on` = the close of the main campaign in force,
    or 31 Oct N when `rules.census_on_main_close` is false (R-BIL-1, `census_date`);
    schools without a counted student are absent."""
    rule = census_rule(await _windows_in(uow, academic_year),
                       on_main_close=rules.census_on_main_close)
    counts = await uow.enrolments.census(rule)
    periods = await beneficiary_periods(uow, counts)
    counted = {code: n for code, n in counts.items()
               if counted_at_census(periods.get(code, BeneficiaryPeriod()), rule.census_on)}
    return Census(academic_year, rule.census_on, counted)


async def census(
    uow: UnitOfWork, academic_year: int, rules: Rules = DEFAULT_RULES
) -> dict[str, int]:
    """school_code → students counted at the census of N/N+1 (R-BIL-1), in its own
    transaction. Billing inside its own transaction calls `count_census`."""
    async with uow:
        return (await count_census(uow, academic_year, rules)).counts


async def census_view(
    uow: UnitOfWork, clock: Clock, principal: Principal, academic_year: int,
    rules: Rules = DEFAULT_RULES,
) -> Census:
    """The census as a caller sees it: a confined caller counts its schools only."""
    async with uow:
        ensure_year_in_convention(await load_clock(uow), academic_year, paris_date(clock.now()))
        counted = await count_census(uow, academic_year, rules)
    return replace(counted, counts={code: n for code, n in counted.counts.items()
                                    if sees(principal, code)})
