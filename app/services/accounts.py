"""Hosted accounts: creation requests, fulfilment, accounts, locks and the access check
(R-ACC-1, R-ACC-2, R-ACC-3, R-ACC-4, R-ACC-8, R-ACC-9, R-REF-1, R-REF-2, R-CONV-4, R-CONV-5,
R-TIME-4, R-TIME-5)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from app.domain.account_requests import (
    AccountRequest,
    RequestStatus,
    account_due_on,
    ensure_transition,
    request_fingerprint,
)
from app.domain.accounts import (
    AccessDecision,
    Account,
    HeldRole,
    Role,
    RoleKind,
    StoredRole,
    count_referents_for_year,
    creation_mail_validity,
    ensure_referent_count_allowed,
    evaluate_access,
    generate_uid,
    hosted_valid_until,
    referent_fulfilment_validity,
    referent_year_for,
    roles_under_student_grace,
    validate_uid,
    years_covered,
)
from app.domain.auth import Principal
from app.domain.calendar import (
    AcademicYear,
    WorkingCalendar,
    ensure_event_date_in_range,
    ensure_not_ahead,
    paris_date,
)
from app.domain.convention import ConventionClock, ensure_accepts_new
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.ids import new_id
from app.domain.renewals import Decision
from app.domain.rules import DEFAULT_RULES, Rules
from app.domain.schools import beneficiary_period, ensure_beneficiary, roles_within_beneficiary
from app.domain.trainings import Training, TrainingStatus, training_due_on
from app.ports.accounts import AccountFacts
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.convention import load_clock
from app.services.mail import french_date, queue_mail
from app.services.schools import beneficiary_of
from app.services.visibility import confined, school_filter, sees, visible_or_404

_rng = random.SystemRandom()


# ---------------------------------------------------------------- shared helpers


async def calendar_in(uow: UnitOfWork) -> WorkingCalendar:
    """Today's working-day calendar, read inside the caller's transaction."""
    return WorkingCalendar(c for _, c in await uow.closures.list())


async def deadline_calendar(uow: UnitOfWork, rules: Rules) -> WorkingCalendar:
    """The calendar of account and training deadlines: with UT's closures unless the
    R-TIME-3 reading limits closures to support deadlines."""
    if rules.closures_for_all_deadlines:
        return await calendar_in(uow)
    return WorkingCalendar()


def _as_role(stored: StoredRole) -> Role:
    return Role(
        kind=stored.kind,
        school_code=stored.school_code,
        valid_from=stored.valid_from,
        valid_until=stored.valid_until,
        role_id=stored.id,
    )


async def referent_count(
    uow: UnitOfWork,
    *,
    school_code: str,
    year: int,
    checked_on: date,
    exclude_request_id: str | None = None,
    extra_replaced: Sequence[str] = (),
    renew_decisions: int | None = None,
) -> int:
    """R-REF-1 count for academic year `year` of a school, checked on `checked_on`."""
    roles = await uow.accounts.school_roles(school_code, RoleKind.REFERENT)
    pending = [
        r for r in await uow.account_requests.pending_referents(school_code)
        if r.id != exclude_request_id
    ]
    replaced = {r.replaces_uid for r in pending if r.replaces_uid} | set(extra_replaced)
    if renew_decisions is None:
        renew_decisions = 0
        campaign = await uow.campaigns.get(year)
        if campaign is not None and campaign.status.value == "open":
            renew_decisions = sum(
                1
                for _, _, kind, decision in await uow.campaigns.decisions(year, school_code)
                if kind is RoleKind.REFERENT and decision is Decision.RENEW
            )
    return count_referents_for_year(
        year_start=year,
        checked_on=checked_on,
        referent_roles=[HeldRole(r.uid, _as_role(r)) for r in roles],
        replaced_uids=replaced,
        pending_referent_requests_for_year=sum(1 for r in pending if r.academic_year == year),
        renew_decisions=renew_decisions,
    )




# ---------------------------------------------------------------- creation requests


@dataclass(frozen=True)
class NewRequest:
    ticket_ref: str
    school_code: str
    kind: RoleKind
    given_name: str
    family_name: str
    email: str
    received_at: datetime | None
    existing_uid: str | None
    replaces_uid: str | None
    daip_notified_on: date | None


def _request_fields(r: AccountRequest) -> dict[str, object]:
    return {
        "ticket_ref": r.ticket_ref,
        "school_code": r.school_code,
        "kind": r.kind,
        "given_name": r.given_name,
        "family_name": r.family_name,
        "email": r.email,
        "status": r.status,
        "uid": r.uid,
        "due_on": r.due_on,
    }


async def create_request(
    uow: UnitOfWork, clock: Clock, actor: Actor, data: NewRequest, *, skew_seconds: int,
    rules: Rules = DEFAULT_RULES,
) -> tuple[AccountRequest, bool]:
    """File a request. Returns (request, created); the same ticket with the same content
    returns the stored one (created False), other content is a 409 `ticket-conflict`."""
    if data.kind not in (RoleKind.REFERENT, RoleKind.TRAINER):
        raise InvalidInput("students get their account by enrolment", code="invalid-kind",
                           field="kind")
    for field, uid in (("existing_uid", data.existing_uid), ("replaces_uid", data.replaces_uid)):
        if uid is not None:
            try:
                validate_uid(uid)
            except InvalidInput as exc:
                raise InvalidInput(exc.detail, code=exc.code, field=field) from None
    if data.replaces_uid is not None and data.kind is not RoleKind.REFERENT:
        raise InvalidInput("only a referent replaces a referent", code="invalid-replacement",
                           field="replaces_uid")
    now = clock.now()
    received_at = data.received_at or now
    ensure_not_ahead(received_at, now, skew_seconds, "received_at")
    received_on = paris_date(received_at)
    fingerprint = _fingerprint(data, received_at)
    async with uow:
        # Another school's ticket is not even looked up: it answers as an unknown school.
        if not sees(actor.principal, data.school_code):
            raise InvalidInput("unknown school", code="unknown-school", field="school_code")
        filing = await uow.account_requests.filing_context(data.ticket_ref, data.school_code)
        if filing.same_ticket is not None:
            return _same_ticket(filing.same_ticket, data), False
        if filing.school is None:
            raise InvalidInput("unknown school", code="unknown-school", field="school_code")
        convention = await load_clock(uow)
        ensure_accepts_new(convention, call_on=paris_date(now), event_on=received_on,
                           what="account request")
        ensure_beneficiary(
            beneficiary_period(filing.school, convention.amendments),
            event_on=received_on, call_on=paris_date(now),
        )
        calendar = (
            WorkingCalendar(filing.closures) if rules.closures_for_all_deadlines
            else WorkingCalendar()
        )
        year = referent_year_for(received_on, rules.renewal_season_starts)
        request = AccountRequest(
            id=new_id(now),
            ticket_ref=data.ticket_ref,
            content_sha256=fingerprint,
            school_code=data.school_code,
            kind=data.kind,
            given_name=data.given_name,
            family_name=data.family_name,
            email=data.email,
            received_at=received_at,
            existing_uid=data.existing_uid,
            replaces_uid=data.replaces_uid,
            daip_notified_on=data.daip_notified_on,
            academic_year=year,
            due_on=account_due_on(calendar, received_on),
            status=RequestStatus.RECEIVED,
            uid=None,
            fulfilled_at=None,
            rejection_reason=None,
            closed_at=None,
            created_at=now,
        )
        if data.kind is RoleKind.REFERENT:
            await uow.accounts.lock_school(data.school_code)
            count = await referent_count(
                uow, school_code=data.school_code, year=year, checked_on=received_on,
                extra_replaced=[data.replaces_uid] if data.replaces_uid else (),
            )
            ensure_referent_count_allowed(count + 1)
        received = audit.event(
            actor, now=now, action="account-request.received",
            resource_type="account_request", resource_id=request.id,
            new=_request_fields(request),
        )
        if not await uow.account_requests.add(request, audit=received):
            await uow.rollback()
            twin = await uow.account_requests.by_ticket(data.ticket_ref)
            if twin is None:  # pragma: no cover - the conflicting row vanished
                raise Conflict("the ticket is being filed; retry", code="ticket-conflict")
            return _same_ticket(twin, data), False
        await uow.commit()
    return request, True


def _fingerprint(data: NewRequest, received_at: datetime) -> str:
    return request_fingerprint(
        school_code=data.school_code, kind=data.kind.value, given_name=data.given_name,
        family_name=data.family_name, email=data.email, received_at=received_at,
        existing_uid=data.existing_uid, replaces_uid=data.replaces_uid,
        daip_notified_on=data.daip_notified_on,
    )


def _same_ticket(existing: AccountRequest, data: NewRequest) -> AccountRequest:
    """A retry of the same ticket (200) or a conflicting one (409). A retry without
    `received_at` cannot repeat "now": it is compared with the stored reception."""
    if existing.content_sha256 == _fingerprint(data, data.received_at or existing.received_at):
        return existing
    raise Conflict("this ticket was filed with other content", code="ticket-conflict")


async def get_request(uow: UnitOfWork, principal: Principal, request_id: str) -> AccountRequest:
    async with uow:
        request = await uow.account_requests.get(request_id)
    return visible_or_404(principal, request, _request_school, "no such account request")


def _request_school(request: AccountRequest) -> str:
    return request.school_code


def _role_schools(roles: Sequence[Role]) -> list[str]:
    return [r.school_code for r in roles]


async def list_requests(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    *,
    status: RequestStatus | None,
    school_code: str | None,
    overdue: bool | None,
    after_id: str | None,
    limit: int,
    updated_since: datetime | None = None,
) -> list[AccountRequest]:
    """`updated_since` (the ticketing tool's polling): the requests created, fulfilled,
    rejected or cancelled at or after that instant (their `updated_at`)."""
    codes = school_filter(principal, school_code)
    if codes == []:
        return []
    today = paris_date(clock.now())
    async with uow:
        return await uow.account_requests.list(
            status=status,
            school_codes=codes,
            overdue_before=today if overdue is True else None,
            not_overdue_on=today if overdue is False else None,
            after_id=after_id,
            limit=limit,
            changed_since=updated_since,
        )


# ---------------------------------------------------------------- fulfilment


async def _new_uid(uow: UnitOfWork) -> str:
    for _ in range(20):
        candidates = [generate_uid(_rng) for _ in range(5)]
        taken = await uow.accounts.uids_taken(candidates)
        free = [c for c in candidates if c not in taken]
        if free:
            return free[0]
    raise Conflict("no free uid could be generated; retry", code="uid-exhausted")


async def fulfil_request(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    request_id: str,
    *,
    uid: str | None,
    fulfilled_at: datetime | None,
    skew_seconds: int,
    moodle_url: str,
    activation_url: str,
    rules: Rules = DEFAULT_RULES,
) -> AccountRequest:
    if uid is not None:
        validate_uid(uid)
    now = clock.now()
    at = fulfilled_at or now
    ensure_not_ahead(at, now, skew_seconds, "fulfilled_at")
    async with uow:
        request = visible_or_404(
            actor.principal, await uow.account_requests.get(request_id, for_update=True),
            _request_school, "no such account request",
        )
        if request.status is RequestStatus.FULFILLED:
            if uid is None or uid == request.uid:
                return request
            raise Conflict("the request was fulfilled with another uid",
                           code="already-fulfilled")
        ensure_transition(request.status, RequestStatus.FULFILLED)
        if at < request.received_at:
            raise InvalidInput("fulfilled before it was received", code="out-of-order",
                               field="fulfilled_at")
        on = paris_date(at)
        convention = await load_clock(uow)
        ensure_accepts_new(convention, call_on=paris_date(now), event_on=on, what="account")
        ensure_beneficiary(
            await beneficiary_of(uow, request.school_code, convention.amendments),
            event_on=on, call_on=paris_date(now),
        )
        valid_from, valid_until = on, hosted_valid_until(on, rules.renewal_season_starts)
        if request.kind is RoleKind.REFERENT:
            await uow.accounts.lock_school(request.school_code)
            counts = {
                year: await referent_count(
                    uow, school_code=request.school_code, year=year, checked_on=on,
                    exclude_request_id=request.id,
                    extra_replaced=[request.replaces_uid] if request.replaces_uid else (),
                )
                for year in years_covered(on, valid_until)
            }
            valid_from, valid_until = referent_fulfilment_validity(
                request.received_on, on, counts, rules.renewal_season_starts
            )
        # R-REF-1a: a role starting later (June crossover) replaces at the year's end.
        replaced_until = on if valid_from == on else valid_from - timedelta(days=1)
        chosen = uid or request.existing_uid
        account = await uow.accounts.get(chosen) if chosen else None
        created = False
        if account is not None and account.erased_at is not None:
            raise Conflict("this uid belongs to an erased account and is never reused",
                           code="uid-erased")
        if account is not None and confined(actor.principal) and not sees(
            actor.principal, await _account_schools(uow, account.uid)
        ):
            # A confined caller never adds a role to an account it may not see (it would
            # see that person's name and e-mail through the new role).
            raise Conflict("this uid is taken", code="uid-taken")
        if account is None:
            account = Account(
                uid=chosen or await _new_uid(uow),
                given_name=request.given_name,
                family_name=request.family_name,
                email=request.email,
                created_at=now,
            )
            await uow.accounts.add(account)
            created = True
        role = StoredRole(
            id=new_id(now), uid=account.uid, kind=request.kind,
            school_code=request.school_code, valid_from=valid_from, valid_until=valid_until,
        )
        await uow.accounts.add_role(role, request_id=request.id, now=now)
        if request.replaces_uid:
            for old in await uow.accounts.roles(request.replaces_uid):
                if (
                    old.kind is RoleKind.REFERENT
                    and old.school_code == request.school_code
                    and old.valid_from <= on <= old.valid_until
                    and old.valid_until > replaced_until
                ):
                    await uow.accounts.set_valid_until(old.id, replaced_until, now=now)
        if request.kind is RoleKind.REFERENT:
            notified = request.daip_notified_on or request.received_on
            calendar = await deadline_calendar(uow, rules)
            await uow.trainings.add(
                Training(
                    id=new_id(now), uid=account.uid, school_code=request.school_code,
                    role_id=role.id, daip_notified_on=notified,
                    due_on=training_due_on(calendar, notified), status=TrainingStatus.DUE,
                    proposed_on=None, session_on=None, completed_on=None, created_at=now,
                )
            )
        done = replace(request, status=RequestStatus.FULFILLED, uid=account.uid,
                       fulfilled_at=at, closed_at=now)
        await uow.account_requests.update(done)
        if created:
            told_from, told_until = creation_mail_validity(
                _as_role(role), convention.status_on(paris_date(now)).prospective_access_end_on
            )
            await queue_mail(
                uow, now=now, template="account-created", to=[account.email],
                dedupe_key=f"account-created:{account.uid}",
                context={
                    "given_name": account.given_name,
                    "uid": account.uid,
                    "kind": request.kind.value,
                    "valid_from": french_date(told_from),
                    "valid_until": french_date(told_until),
                    "activation_url": activation_url,
                    "moodle_url": moodle_url,
                },
            )
        await audit.record(
            uow, actor, now=now, action="account-request.fulfilled",
            resource_type="account_request", resource_id=request.id,
            old={"status": request.status, "uid": None},
            new={"status": done.status, "uid": done.uid, "fulfilled_at": at},
        )
        await audit.record(
            uow, actor, now=now, action="role.created", resource_type="account",
            resource_id=account.uid,
            new={"kind": role.kind, "school_code": role.school_code,
                 "valid_from": role.valid_from, "valid_until": role.valid_until},
        )
        await uow.commit()
    return done


async def close_request(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    request_id: str,
    *,
    target: RequestStatus,
    reason: str | None,
) -> AccountRequest:
    """Rejection or cancellation; repeated with the same body answers the same."""
    now = clock.now()
    async with uow:
        request = visible_or_404(
            actor.principal, await uow.account_requests.get(request_id, for_update=True),
            _request_school, "no such account request",
        )
        if request.status is target:
            if target is RequestStatus.REJECTED and reason != request.rejection_reason:
                raise Conflict("the request was rejected for another reason",
                               code="invalid-transition")
            return request
        ensure_transition(request.status, target)
        done = replace(request, status=target, rejection_reason=reason, closed_at=now)
        await uow.account_requests.update(done)
        await audit.record(
            uow, actor, now=now, action=f"account-request.{target.value}",
            resource_type="account_request", resource_id=request.id,
            old={"status": request.status}, new={"status": target, "reason": reason},
        )
        await uow.commit()
    return done


# ---------------------------------------------------------------- accounts


@dataclass(frozen=True)
class AccountView:
    account: Account
    roles: list[Role]
    decision: AccessDecision
    access_end_on: date
    locks: list[tuple[str, str, object]]


def _view_of(facts: AccountFacts, account: Account, convention: ConventionClock,
             at: datetime, rules: Rules) -> AccountView:
    """The R-ACC-8 decision at `at` from what is stored (`facts`): every role (stored
    hosted roles, then student roles under the R-ACC-7 grace reading, each cut as its
    school's `BeneficiaryPeriod` says), locks, suspensions of the roles' schools."""
    roles = roles_within_beneficiary(
        [_as_role(r) for r in facts.stored_roles]
        + roles_under_student_grace(facts.student_roles, rules.student_grace),
        convention.amendments,
    )
    status = convention.status_on(paris_date(at))
    decision = evaluate_access(
        uid=account.uid,
        roles=roles,
        at=at,
        access_end_on=status.prospective_access_end_on,
        locks=[lock for _, _, lock in facts.locks],
        suspensions=facts.suspensions,
        erased_at=account.erased_at,
    )
    return AccountView(account=account, roles=roles, decision=decision,
                       access_end_on=status.prospective_access_end_on, locks=facts.locks)


async def _view(uow: UnitOfWork, account: Account, at: datetime) -> AccountView:
    """The view of `account` (as given) at `at`, read inside the caller's transaction."""
    facts = (await uow.accounts.facts([account.uid])).get(account.uid)
    if facts is None:  # pragma: no cover - the caller just read the account
        raise NotFound("no such account")
    return _view_of(facts, account, await load_clock(uow), at, uow.rules)


async def get_account(
    uow: UnitOfWork, clock: Clock, principal: Principal, uid: str
) -> AccountView:
    async with uow:
        facts = (await uow.accounts.facts([uid])).get(uid)
        if facts is None:
            raise NotFound("no such account")
        view = _view_of(facts, facts.account, await load_clock(uow), clock.now(), uow.rules)
    return visible_or_404(principal, view, lambda v: _role_schools(v.roles),
                          "no such account")


async def list_accounts(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    *,
    school_code: str | None,
    kind: RoleKind | None,
    status: str | None,
    q: str | None,
    after_uid: str | None,
    limit: int,
) -> tuple[list[AccountView], str | None]:
    """A page of accounts; the status filter is applied to the evaluated status, so a
    page may hold fewer than `limit` items while `next` is still given."""
    codes = school_filter(principal, school_code)
    if codes == []:
        return [], None
    now = clock.now()
    async with uow:
        accounts = await uow.accounts.list(
            school_codes=codes, kind=kind, q=q, after_uid=after_uid, limit=limit + 1
        )
        more = len(accounts) > limit
        accounts = accounts[:limit]
        facts = await uow.accounts.facts([a.uid for a in accounts])
        convention = await load_clock(uow)
        views = [_view_of(facts[a.uid], a, convention, now, uow.rules) for a in accounts]
    if status is not None:
        views = [v for v in views if v.decision.status.value == status]
    return views, (accounts[-1].uid if more and accounts else None)


async def access_check(uow: UnitOfWork, uid: str, at: datetime) -> AccessDecision:
    """Moodle's hot path: the R-ACC-8 decision at `at` (no names or e-mails). One read of
    the account's facts (one statement on PostgreSQL) and the cached convention clock."""
    async with uow:
        facts = (await uow.accounts.facts([uid])).get(uid)
        if facts is None:
            raise NotFound("no such account")
        convention = await load_clock(uow)
    return _view_of(facts, facts.account, convention, at, uow.rules).decision


async def _account_schools(uow: UnitOfWork, uid: str) -> list[str]:
    """The schools of every role of the account, hosted and student."""
    facts = (await uow.accounts.facts([uid])).get(uid)
    if facts is None:
        return []
    return [r.school_code for r in facts.stored_roles] + [
        r.school_code for r in facts.student_roles]


async def _ensure_account_visible(uow: UnitOfWork, principal: Principal, uid: str) -> None:
    """Another school's account answers as a missing one, before any state is read."""
    if confined(principal) and not sees(principal, await _account_schools(uow, uid)):
        raise NotFound("no such account")


async def lock_account(
    uow: UnitOfWork, clock: Clock, actor: Actor, uid: str, *, reason: str,
    locked_at: datetime | None, skew_seconds: int,
) -> AccountView:
    now = clock.now()
    at = locked_at or now
    ensure_not_ahead(at, now, skew_seconds, "locked_at")
    ensure_event_date_in_range(at, "locked_at")
    async with uow:
        account = await uow.accounts.get(uid, for_update=True)
        if account is None:
            raise NotFound("no such account")
        await _ensure_account_visible(uow, actor.principal, uid)
        locks = await uow.accounts.locks(uid)
        open_lock = next((lock for lock in locks if lock[2].ends_at is None), None)
        if open_lock is not None:
            if open_lock[1] == reason and (locked_at is None or open_lock[2].starts_at == at):
                return await _view(uow, account, now)
            raise Conflict("the account is already locked", code="already-locked")
        if any(lock.ends_at is not None and lock.ends_at > at for _, _, lock in locks):
            raise Conflict("a lock cannot start inside an earlier lock", code="out-of-order")
        await uow.accounts.add_lock(new_id(now), uid, reason, at)
        await audit.record(
            uow, actor, now=now, action="account.locked", resource_type="account",
            resource_id=uid, new={"locked_at": at, "reason": reason},
        )
        view = await _view(uow, account, now)
        await uow.commit()
    return view


async def unlock_account(
    uow: UnitOfWork, clock: Clock, actor: Actor, uid: str, *, unlocked_at: datetime | None,
    skew_seconds: int,
) -> AccountView:
    now = clock.now()
    at = unlocked_at or now
    ensure_not_ahead(at, now, skew_seconds, "unlocked_at")
    ensure_event_date_in_range(at, "unlocked_at")
    async with uow:
        account = await uow.accounts.get(uid, for_update=True)
        if account is None:
            raise NotFound("no such account")
        await _ensure_account_visible(uow, actor.principal, uid)
        locks = await uow.accounts.locks(uid)
        open_lock = next((lock for lock in locks if lock[2].ends_at is None), None)
        if open_lock is None:
            last = locks[-1] if locks else None
            if last is not None and (unlocked_at is None or last[2].ends_at == at):
                return await _view(uow, account, now)
            raise Conflict("the account is not locked", code="not-locked")
        if at < open_lock[2].starts_at:
            raise InvalidInput("unlocked before it was locked", code="out-of-order",
                               field="unlocked_at")
        await uow.accounts.close_lock(open_lock[0], at)
        await audit.record(
            uow, actor, now=now, action="account.unlocked", resource_type="account",
            resource_id=uid, new={"unlocked_at": at},
        )
        view = await _view(uow, account, now)
        await uow.commit()
    return view


class RequestDeadlines:
    """R-TIME-4: due dates of requests still received and trainings still without a
    proposal, recomputed when closures change and at start-up (a changed R-TIME-3
    reading moves them)."""

    name = "account-requests-and-trainings"

    def __init__(self, rules: Rules = DEFAULT_RULES):
        self.rules = rules

    async def recompute(self, uow: UnitOfWork, *, calendar: WorkingCalendar, now: datetime) -> int:
        if not self.rules.closures_for_all_deadlines:
            calendar = WorkingCalendar()  # R-TIME-3 reading: closures do not count here
        changed = 0
        for request in await uow.account_requests.received():
            due = account_due_on(calendar, request.received_on)
            if due != request.due_on:
                await uow.account_requests.set_due_on(request.id, due)
                changed += 1
        for training in await uow.trainings.without_proposal():
            due = training_due_on(calendar, training.daip_notified_on)
            if due != training.due_on:
                await uow.trainings.update(replace(training, due_on=due))
                changed += 1
        return changed


__all__ = ["AcademicYear"]
