"""Locks and unlocks of an account (R-ACC-9)."""

from __future__ import annotations

from datetime import datetime

from app.domain.accounts import Account
from app.domain.auth import Principal
from app.domain.calendar import (
    ensure_event_date_in_range,
    ensure_not_ahead,
)
from app.domain.errors import Conflict, InvalidInput
from app.domain.ids import new_id
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.accounts.views import AccountView, account_schools, account_view
from app.services.visibility import account_or_404


async def _account_to_change(uow: UnitOfWork, principal: Principal, uid: str) -> Account:
    """The account, row-locked; another school's answers as a missing one, before any
    state is read."""
    account = await uow.accounts.get(uid, for_update=True)
    return account_or_404(principal, account, await account_schools(uow, uid))


async def lock_account(
    uow: UnitOfWork, clock: Clock, actor: Actor, uid: str, *, reason: str,
    locked_at: datetime | None, skew_seconds: int,
) -> AccountView:
    now = clock.now()
    at = locked_at or now
    ensure_not_ahead(at, now, skew_seconds, "locked_at")
    ensure_event_date_in_range(at, "locked_at")
    async with uow:
        account = await _account_to_change(uow, actor.principal, uid)
        locks = await uow.accounts.locks(uid)
        open_lock = next((lock for lock in locks if lock[2].ends_at is None), None)
        if open_lock is not None:
            if open_lock[1] == reason and (locked_at is None or open_lock[2].starts_at == at):
                return await account_view(uow, account, now)
            raise Conflict("the account is already locked", code="already-locked")
        if any(lock.ends_at is not None and lock.ends_at > at for _, _, lock in locks):
            raise Conflict("a lock cannot start inside an earlier lock", code="out-of-order")
        await uow.accounts.add_lock(new_id(now), uid, reason, at)
        await audit.record(
            uow, actor, now=now, action="account.locked", resource_type="account",
            resource_id=uid, new={"locked_at": at, "reason": reason},
        )
        view = await account_view(uow, account, now)
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
        account = await _account_to_change(uow, actor.principal, uid)
        locks = await uow.accounts.locks(uid)
        open_lock = next((lock for lock in locks if lock[2].ends_at is None), None)
        if open_lock is None:
            last = locks[-1] if locks else None
            if last is not None and (unlocked_at is None or last[2].ends_at == at):
                return await account_view(uow, account, now)
            raise Conflict("the account is not locked", code="not-locked")
        if at < open_lock[2].starts_at:
            raise InvalidInput("unlocked before it was locked", code="out-of-order",
                               field="unlocked_at")
        await uow.accounts.close_lock(open_lock[0], at)
        await audit.record(
            uow, actor, now=now, action="account.unlocked", resource_type="account",
            resource_id=uid, new={"unlocked_at": at},
        )
        view = await account_view(uow, account, now)
        await uow.commit()
    return view
