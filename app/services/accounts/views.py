"""An account as the R-ACC-8 decision sees it: reading, listing and the access
check (R-ACC-7, R-ACC-8, R-CONV-2a, R-CONV-5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.domain.access import AccessDecision, evaluate_access
from app.domain.accounts import Account, Role, RoleKind
from app.domain.auth import Principal
from app.domain.calendar import (
    paris_date,
)
from app.domain.convention import ConventionClock
from app.domain.errors import NotFound
from app.domain.rules import Rules
from app.domain.schools import roles_within_beneficiary
from app.domain.student_roles import roles_under_student_grace
from app.ports.accounts import AccountFacts
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services.accounts.referents import as_role
from app.services.convention import load_clock
from app.services.visibility import account_or_404, school_filter


@dataclass(frozen=True)
class AccountView:
    account: Account
    roles: list[Role]
    decision: AccessDecision
    access_end_on: date
    locks: list[tuple[str, str, object]]


def view_of(facts: AccountFacts, account: Account, convention: ConventionClock,
             at: datetime, rules: Rules) -> AccountView:
    """The R-ACC-8 decision at `at` from what is stored (`facts`): every role (stored
    hosted roles, then student roles under the R-ACC-7 grace reading, each cut as its
    school's `BeneficiaryPeriod` says), locks, suspensions of the roles' schools."""
    roles = roles_within_beneficiary(
        [as_role(r) for r in facts.stored_roles]
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


async def account_view(uow: UnitOfWork, account: Account, at: datetime) -> AccountView:
    """The view of `account` (as given) at `at`, read inside the caller's transaction."""
    facts = (await uow.accounts.facts([account.uid])).get(account.uid)
    if facts is None:  # pragma: no cover - the caller just read the account
        raise NotFound("no such account")
    return view_of(facts, account, await load_clock(uow), at, uow.rules)


async def get_account(
    uow: UnitOfWork, clock: Clock, principal: Principal, uid: str
) -> AccountView:
    async with uow:
        facts = (await uow.accounts.facts([uid])).get(uid)
        if facts is None:
            raise NotFound("no such account")
        view = view_of(facts, facts.account, await load_clock(uow), clock.now(), uow.rules)
    return account_or_404(principal, view, role_schools(view.roles))


def role_schools(roles: Sequence[Role]) -> list[str]:
    return [r.school_code for r in roles]


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
        views = [view_of(facts[a.uid], a, convention, now, uow.rules) for a in accounts]
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
    return view_of(facts, facts.account, convention, at, uow.rules).decision


async def account_schools(uow: UnitOfWork, uid: str) -> list[str]:
    """The schools of every role of the account, hosted and student."""
    facts = (await uow.accounts.facts([uid])).get(uid)
    if facts is None:
        return []
    return [r.school_code for r in facts.stored_roles] + [
        r.school_code for r in facts.student_roles]
