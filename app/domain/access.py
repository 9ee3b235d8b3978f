"""Whether an account may sign in now (R-ACC-8): its roles, locks and the suspensions
covering it give one decision with its reason, for the access check and the account
view.

Pure Python: instants are aware datetimes; the convention's access end is an argument."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from app.domain.accounts import (
    Role,
    RoleKind,
    is_in_grace_on,
    is_valid_on,
)
from app.domain.calendar import paris_date


def _active_at(starts_at: datetime, ends_at: datetime | None, at: datetime) -> bool:
    return starts_at <= at and (ends_at is None or at < ends_at)


@dataclass(frozen=True)
class Lock:
    """An account lock, half-open [starts_at, ends_at); ends_at None = still locked."""

    starts_at: datetime
    ends_at: datetime | None = None

    def active_at(self, at: datetime) -> bool:
        return _active_at(self.starts_at, self.ends_at, at)


class SuspensionScope(StrEnum):
    PLATFORM = "platform"
    MESSAGING = "messaging"


@dataclass(frozen=True)
class SuspensionCover:
    """What a suspension covers, half-open [starts_at, ends_at) (ends_at None = not
    lifted). `kinds` None = every role kind; `account_uids` None = the whole school."""

    suspension_id: str
    school_code: str
    scope: SuspensionScope
    starts_at: datetime
    ends_at: datetime | None
    kinds: frozenset[RoleKind] | None = None
    account_uids: frozenset[str] | None = None

    def active_at(self, at: datetime) -> bool:
        return _active_at(self.starts_at, self.ends_at, at)

    def covers(self, role: Role, uid: str, at: datetime) -> bool:
        return (
            self.active_at(at)
            and role.school_code == self.school_code
            and (self.kinds is None or role.kind in self.kinds)
            and (self.account_uids is None or uid in self.account_uids)
        )


class AccountStatus(StrEnum):
    ERASED = "erased"
    DISABLED = "disabled"
    SUSPENDED = "suspended"
    ACTIVE = "active"
    GRACE = "grace"
    PENDING = "pending"
    EXPIRED = "expired"


@dataclass(frozen=True)
class AccessDecision:
    status: AccountStatus
    allowed: bool
    reason_code: str
    reason_fr: str
    access_until: date | None
    messaging_allowed: bool
    suspension_id: str | None = None
    locked: bool = False
    locked_since: datetime | None = None
    messaging_suspension_id: str | None = None


_REASONS: dict[AccountStatus, tuple[str, str]] = {
    AccountStatus.ERASED: ("account-erased", "Le compte a été effacé."),
    AccountStatus.DISABLED: (
        "convention-ended",
        "La convention a pris fin : aucun compte n'est plus valide.",
    ),
    AccountStatus.ACTIVE: ("active-role", "Le compte a un rôle valide."),
    AccountStatus.GRACE: (
        "grace-period",
        "Période de grâce : l'accès est maintenu jusqu'à la réinscription.",
    ),
    AccountStatus.PENDING: ("role-not-started", "Le rôle du compte n'a pas encore commencé."),
    AccountStatus.EXPIRED: ("no-valid-role", "Le compte n'a aucun rôle valide."),
}


_LOCKED = ("account-locked", "Le compte est verrouillé.")
_SUSPENDED = ("platform-suspension", "L'accès est suspendu pour l'établissement.")


def account_access_until(roles: Iterable[Role], day: date, access_end_on: date) -> date | None:
    """The last Paris day on which the roles or their grace give access, capped by the
    access end, among roles whose access period has not ended before `day` (roles not
    started yet count); None if none."""
    best: date | None = None
    for role in roles:
        if role.valid_from > access_end_on:
            continue
        last = min(role.last_access_day(), access_end_on)
        if last < day or last < role.valid_from:
            continue
        if best is None or last > best:
            best = last
    return best


# Seventy lines, a third of them its docstring: the decision order (first match wins)
# reads top to bottom in one place.
def evaluate_access(
    *,
    uid: str,
    roles: Sequence[Role],
    at: datetime,
    access_end_on: date,
    locks: Iterable[Lock] = (),
    suspensions: Iterable[SuspensionCover] = (),
    erased_at: datetime | None = None,
) -> AccessDecision:
    """Effective status of the account `uid` at instant `at` (R-ACC-8), first match wins:
    erased → disabled → suspended → active → grace → pending → expired.

    - `at` must be aware (ValueError otherwise); the day is its Paris date.
    - `roles` are the account's stored roles (all schools, all kinds); `access_end_on`
      is the convention's access end (`ConventionClock.access_end_on`), applied here as a cap.
    - `allowed` is True only for `active` and `grace`.
    - A lock makes the status `suspended` only when it would otherwise be `active` or
      `grace`; a locked account with no valid role is `expired` or `pending`
      (R-ACC-8a). `locked` and `locked_since` (the start of the lock open at `at`) are
      given whatever the status (`locked_at`).
    - `messaging_allowed` (one flag per person, R-ACC-8a) is False when the status is not
      `active`/`grace`, or when a `messaging` suspension active at `at` covers a role
      valid or in grace on the day; `messaging_suspension_id` names it
      (`messaging_suspension_at`).
    - `access_until` (`account_access_until`): locks and suspensions never extend or cut
      it; None when erased, disabled, or no role gives access on or after the day.
    - `suspension_id` names a covering platform suspension when the status is
      `suspended` for that reason (None for a lock)."""
    day = paris_date(at)
    locks = tuple(locks)
    suspensions = tuple(suspensions)
    lock = locked_at(locks, at)
    locking: dict[str, Any] = {
        "locked": lock is not None, "locked_since": lock.starts_at if lock is not None else None
    }

    if erased_at is not None and erased_at <= at:
        return _decision(AccountStatus.ERASED, None, False, *_REASONS[AccountStatus.ERASED],
                         **locking)
    if day > access_end_on:
        return _decision(AccountStatus.DISABLED, None, False,
                         *_REASONS[AccountStatus.DISABLED], **locking)

    access_until = account_access_until(roles, day, access_end_on)
    valid = [r for r in roles if is_valid_on(r, day, access_end_on)]
    in_grace = [r for r in roles if is_in_grace_on(r, day, access_end_on)]
    live = valid + in_grace
    messaging = messaging_suspension_at(uid, live, suspensions, at)
    locking["messaging_suspension_id"] = messaging

    if live and lock is not None:
        return _decision(AccountStatus.SUSPENDED, access_until, False, *_LOCKED, **locking)
    covering = platform_suspension_covering(uid, live, suspensions, at)
    if covering is not None:
        return _decision(AccountStatus.SUSPENDED, access_until, False, *_SUSPENDED,
                         suspension_id=covering, **locking)

    if valid or in_grace:
        status = AccountStatus.ACTIVE if valid else AccountStatus.GRACE
        return _decision(status, access_until, messaging is None, *_REASONS[status],
                         **locking)

    if any(day < r.valid_from <= access_end_on for r in roles):
        return _decision(
            AccountStatus.PENDING, access_until, False, *_REASONS[AccountStatus.PENDING],
            **locking,
        )
    return _decision(AccountStatus.EXPIRED, access_until, False,
                     *_REASONS[AccountStatus.EXPIRED], **locking)


def platform_suspension_covering(
    uid: str, live: Sequence[Role], suspensions: Iterable[SuspensionCover], at: datetime
) -> str | None:
    """The platform suspension covering the first of the `live` roles (valid or in grace)
    when every one of them is covered by one at `at`; None otherwise (or with no role)."""
    platform = [s for s in suspensions if s.scope is SuspensionScope.PLATFORM]
    covering: list[str] = []
    for role in live:
        cover = next((s for s in platform if s.covers(role, uid, at)), None)
        if cover is None:
            return None
        covering.append(cover.suspension_id)
    return covering[0] if covering else None


def locked_at(locks: Iterable[Lock], at: datetime) -> Lock | None:
    """The lock open at `at` (the earliest-started one if several overlap), or
    None. A lock is a fact shown whatever the status; it changes the status
    (`evaluate_access`) only of an account that would otherwise be `active` or `grace`."""
    open_locks = [lock for lock in locks if lock.active_at(at)]
    return min(open_locks, key=lambda lock: lock.starts_at) if open_locks else None


def messaging_suspension_at(
    uid: str, live_roles: Iterable[Role], suspensions: Iterable[SuspensionCover], at: datetime
) -> str | None:
    """For `evaluate_access`: the `messaging` suspension that takes the person's messaging away at
    `at` — active then and covering one of the roles valid or in grace (`live_roles`) —
    the earliest `starts_at` first, then the smallest id; None when messaging is open.
    Moodle's messaging is per user, so one such suspension closes it for every role."""
    live_roles = tuple(live_roles)
    covering = [
        s for s in suspensions
        if s.scope is SuspensionScope.MESSAGING
        and any(s.covers(role, uid, at) for role in live_roles)
    ]
    if not covering:
        return None
    return min(covering, key=lambda s: (s.starts_at, s.suspension_id)).suspension_id


def _decision(
    status: AccountStatus,
    access_until: date | None,
    messaging_allowed: bool,
    reason_code: str,
    reason_fr: str,
    *,
    suspension_id: str | None = None,
    locked: bool = False,
    locked_since: datetime | None = None,
    messaging_suspension_id: str | None = None,
) -> AccessDecision:
    return AccessDecision(
        status=status,
        allowed=status in (AccountStatus.ACTIVE, AccountStatus.GRACE),
        reason_code=reason_code,
        reason_fr=reason_fr,
        access_until=access_until,
        messaging_allowed=messaging_allowed,
        suspension_id=suspension_id,
        locked=locked,
        locked_since=locked_since,
        messaging_suspension_id=messaging_suspension_id,
    )
