"""Fulfilment of an account request: the account, its role, the referent's
training and the creation mail (R-ACC-2, R-ACC-3, R-ACC-9a, R-REF-1a,
R-REF-2)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

from app.domain.account_requests import (
    AccountRequest,
    RequestStatus,
    ensure_transition,
)
from app.domain.accounts import (
    Account,
    Role,
    RoleKind,
    StoredRole,
    creation_mail_validity,
    generate_uid,
    hosted_valid_until,
    validate_uid,
)
from app.domain.calendar import (
    ensure_not_ahead,
    paris_date,
)
from app.domain.convention import ensure_accepts_new
from app.domain.errors import Conflict, InvalidInput
from app.domain.formatting import french_date
from app.domain.ids import new_id
from app.domain.referents import referent_fulfilment_validity, years_covered
from app.domain.rules import DEFAULT_RULES, Rules
from app.domain.schools import ensure_beneficiary
from app.domain.trainings import Training, TrainingStatus, training_due_on
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.accounts.deadlines import deadline_calendar
from app.services.accounts.referents import as_role, referent_count
from app.services.accounts.views import account_schools
from app.services.convention import load_clock
from app.services.mail import queue_mail
from app.services.schools import beneficiary_of
from app.services.visibility import confined, sees, visible_or_404

_rng = random.SystemRandom()


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
            "no such account request",
        )
        if _already_fulfilled(request, uid):
            return request
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
        valid_from, valid_until = await _role_validity(uow, request, on, rules)
        account, created = await _account_for(uow, actor, request, uid, now)
        role = StoredRole(
            id=new_id(now), uid=account.uid, kind=request.kind,
            school_code=request.school_code, valid_from=valid_from, valid_until=valid_until,
        )
        await uow.accounts.add_role(role, request_id=request.id, now=now)
        # R-REF-1a: a role starting later (June crossover) replaces at the year's end.
        replaced_until = on if valid_from == on else valid_from - timedelta(days=1)
        await _end_replaced_roles(uow, request, on, replaced_until, now)
        if request.kind is RoleKind.REFERENT:
            await _add_training(uow, request, role, now, rules)
        done = replace(request, status=RequestStatus.FULFILLED, uid=account.uid,
                       fulfilled_at=at, closed_at=now)
        await uow.account_requests.update(done)
        if created:
            access_end_on = convention.status_on(paris_date(now)).prospective_access_end_on
            await _queue_creation_mail(uow, account, as_role(role), access_end_on, now,
                                       moodle_url=moodle_url, activation_url=activation_url)
        await _audit_fulfilment(uow, actor, request, done, role, now)
        await uow.commit()
    return done


def _already_fulfilled(request: AccountRequest, uid: str | None) -> bool:
    """A retry of the fulfilment (True); another uid for a fulfilled request is a 409."""
    if request.status is not RequestStatus.FULFILLED:
        return False
    if uid is None or uid == request.uid:
        return True
    raise Conflict("the request was fulfilled with another uid", code="already-fulfilled")


async def _role_validity(
    uow: UnitOfWork, request: AccountRequest, on: date, rules: Rules
) -> tuple[date, date]:
    """R-ACC-3 for a trainer; for a referent, R-REF-1a with the R-REF-1 counts of every
    academic year the role would cover (the school locked while they are read)."""
    valid_until = hosted_valid_until(on, rules.renewal_season_starts)
    if request.kind is not RoleKind.REFERENT:
        return on, valid_until
    await uow.accounts.lock_school(request.school_code)
    counts = {
        year: await referent_count(
            uow, school_code=request.school_code, year=year, checked_on=on,
            exclude_request_id=request.id,
            extra_replaced=[request.replaces_uid] if request.replaces_uid else (),
        )
        for year in years_covered(on, valid_until)
    }
    return referent_fulfilment_validity(
        request.received_on, on, counts, rules.renewal_season_starts
    )


async def _account_for(
    uow: UnitOfWork, actor: Actor, request: AccountRequest, uid: str | None, now: datetime
) -> tuple[Account, bool]:
    """The account that gets the role, and whether it is created now: the uid given, the
    request's existing uid, or a new account under a generated uid."""
    chosen = uid or request.existing_uid
    account = await uow.accounts.get(chosen) if chosen else None
    if account is not None and account.erased_at is not None:
        raise Conflict("this uid belongs to an erased account and is never reused",
                       code="uid-erased")
    if account is not None and confined(actor.principal) and not sees(
        actor.principal, await account_schools(uow, account.uid)
    ):
        # A confined caller never adds a role to an account it may not see (it would
        # see that person's name and e-mail through the new role).
        raise Conflict("this uid is taken", code="uid-taken")
    if account is not None:
        return account, False
    account = Account(
        uid=chosen or await _new_uid(uow), given_name=request.given_name,
        family_name=request.family_name, email=request.email, created_at=now,
    )
    await uow.accounts.add(account)
    return account, True


async def _end_replaced_roles(
    uow: UnitOfWork, request: AccountRequest, on: date, replaced_until: date, now: datetime
) -> None:
    """The referent role of `replaces_uid` in the school, valid on `on`, ends on
    `replaced_until` (never lengthened)."""
    if not request.replaces_uid:
        return
    for old in await uow.accounts.roles(request.replaces_uid):
        if (
            old.kind is RoleKind.REFERENT
            and old.school_code == request.school_code
            and old.valid_from <= on <= old.valid_until
            and old.valid_until > replaced_until
        ):
            await uow.accounts.set_valid_until(old.id, replaced_until, now=now)


async def _add_training(
    uow: UnitOfWork, request: AccountRequest, role: StoredRole, now: datetime, rules: Rules
) -> None:
    """R-REF-2: the new referent's training, due from DAIP's notification (default: the
    request's reception)."""
    notified = request.daip_notified_on or request.received_on
    calendar = await deadline_calendar(uow, rules)
    await uow.trainings.add(
        Training(
            id=new_id(now), uid=role.uid, school_code=request.school_code,
            role_id=role.id, daip_notified_on=notified,
            due_on=training_due_on(calendar, notified), status=TrainingStatus.DUE,
            proposed_on=None, session_on=None, completed_on=None, created_at=now,
        )
    )


async def _queue_creation_mail(
    uow: UnitOfWork, account: Account, role: Role, access_end_on: date, now: datetime, *,
    moodle_url: str, activation_url: str,
) -> None:
    """R-ACC-9a: the French creation mail, stating the validity the API answers."""
    told_from, told_until = creation_mail_validity(role, access_end_on)
    await queue_mail(
        uow, now=now, template="account-created", to=[account.email],
        dedupe_key=f"account-created:{account.uid}",
        context={
            "given_name": account.given_name,
            "uid": account.uid,
            "kind": role.kind.value,
            "valid_from": french_date(told_from),
            "valid_until": french_date(told_until),
            "activation_url": activation_url,
            "moodle_url": moodle_url,
        },
    )


async def _audit_fulfilment(
    uow: UnitOfWork, actor: Actor, request: AccountRequest, done: AccountRequest,
    role: StoredRole, now: datetime,
) -> None:
    await audit.record(
        uow, actor, now=now, action="account-request.fulfilled",
        resource_type="account_request", resource_id=request.id,
        old={"status": request.status, "uid": None},
        new={"status": done.status, "uid": done.uid, "fulfilled_at": done.fulfilled_at},
    )
    await audit.record(
        uow, actor, now=now, action="role.created", resource_type="account",
        resource_id=role.uid,
        new={"kind": role.kind, "school_code": role.school_code,
             "valid_from": role.valid_from, "valid_until": role.valid_until},
    )
