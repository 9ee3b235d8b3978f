"""Suspensions under art. 6.1 (messaging, mass mailing) and 6.2 (R-SUS-1, R-SUS-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.domain.access import SuspensionCover, SuspensionScope
from app.domain.accounts import RoleKind
from app.domain.errors import Conflict, InvalidInput


class Ground(StrEnum):
    BREACH_OF_OBLIGATIONS = "breach_of_obligations"
    FRAUDULENT_USE = "fraudulent_use"
    OBSTRUCTION = "obstruction"
    SECURITY_THREAT = "security_threat"
    MASS_MAILING = "mass_mailing"  # art. 6.1


class SuspensionStatus(StrEnum):
    ACTIVE = "active"
    RESTORATION_REQUESTED = "restoration_requested"
    LIFTED = "lifted"


@dataclass(frozen=True)
class Suspension:
    id: str
    school_code: str
    ground: Ground
    scope: SuspensionScope
    kinds: frozenset[RoleKind] | None
    account_uids: frozenset[str] | None
    starts_at: datetime
    notified_at: datetime | None
    notice_ref: str | None
    details: str
    status: SuspensionStatus
    restoration_requested_at: datetime | None
    corrective_actions: str | None
    lifted_at: datetime | None
    lifting_ref: str | None
    created_at: datetime
    restoration_refused_at: datetime | None = None
    restoration_refusal_ref: str | None = None

    def cover(self) -> SuspensionCover:
        """The interval [starts_at, lifting's notified_at) for `accounts.evaluate_access`."""
        return SuspensionCover(
            suspension_id=self.id,
            school_code=self.school_code,
            scope=self.scope,
            starts_at=self.starts_at,
            ends_at=self.lifted_at,
            kinds=self.kinds,
            account_uids=self.account_uids,
        )

    def active_at(self, at: datetime) -> bool:
        return self.starts_at <= at and (self.lifted_at is None or at < self.lifted_at)

    @property
    def whole_school_platform(self) -> bool:
        return (
            self.scope is SuspensionScope.PLATFORM
            and self.kinds is None
            and self.account_uids is None
        )


def normalise_new_suspension(
    *,
    ground: Ground,
    scope: SuspensionScope,
    kinds: frozenset[RoleKind] | None,
    account_uids: frozenset[str] | None,
    starts_at: datetime | None,
    notified_at: datetime | None,
    notice_ref: str | None,
    now: datetime,
) -> tuple[frozenset[RoleKind] | None, datetime]:
    """Check a new suspension's fields; returns (kinds, starts_at) with their defaults.

    Art. 6.2 grounds need a notification (`notified_at`, `notice_ref`) and start when
    notified or later (`suspension_start`). `mass_mailing` (art. 6.1) suspends
    trainers' messaging only, without prior notice (default start: now)."""
    if ground is Ground.MASS_MAILING:
        if scope is not SuspensionScope.MESSAGING:
            raise InvalidInput("a mass-mailing suspension covers messaging only",
                               code="invalid-suspension", field="scope")
        if kinds is None:
            kinds = frozenset({RoleKind.TRAINER})
        if kinds != frozenset({RoleKind.TRAINER}):
            raise InvalidInput("a mass-mailing suspension covers trainers only",
                               code="invalid-suspension", field="kinds")
        return kinds, suspension_start(ground, starts_at=starts_at, notified_at=notified_at,
                                       now=now)
    if notified_at is None or notice_ref is None:
        raise InvalidInput("an art. 6.2 suspension is notified: notified_at and notice_ref",
                           code="invalid-suspension", field="notified_at")
    if kinds is not None and not kinds:
        raise InvalidInput("kinds, when given, names at least one role kind",
                           code="invalid-suspension", field="kinds")
    if account_uids is not None and not account_uids:
        raise InvalidInput("account_uids, when given, names at least one account",
                           code="invalid-suspension", field="account_uids")
    return kinds, suspension_start(ground, starts_at=starts_at, notified_at=notified_at,
                                   now=now)


def suspension_start(
    ground: Ground, *, starts_at: datetime | None, notified_at: datetime | None,
    now: datetime,
) -> datetime:
    """R-SUS-2a: when a suspension starts. An art. 6.2 suspension starts at or after its
    notification instant (`starts_at` defaults to `notified_at`; earlier → 422
    `out-of-order`); an art. 6.1 `mass_mailing` one may start before the school is
    informed (default: now)."""
    if ground is Ground.MASS_MAILING:
        return starts_at or now
    if notified_at is None:
        raise InvalidInput("an art. 6.2 suspension is notified: notified_at",
                           code="invalid-suspension", field="notified_at")
    if starts_at is None:
        return notified_at
    if starts_at < notified_at:
        raise InvalidInput(
            "an art. 6.2 suspension starts at or after its notification (R-SUS-2a)",
            code="out-of-order", field="starts_at",
        )
    return starts_at


def check_restoration(s: Suspension, requested_at: datetime) -> bool:
    """True to record the request; False when it is the same request again."""
    if s.status is SuspensionStatus.RESTORATION_REQUESTED:
        if s.restoration_requested_at == requested_at:
            return False
        raise Conflict("restoration was already requested", code="invalid-transition")
    if s.status is not SuspensionStatus.ACTIVE:
        raise Conflict("a lifted suspension cannot be restored", code="invalid-transition")
    if requested_at < s.starts_at:
        raise InvalidInput("requested before the suspension started", code="out-of-order",
                           field="requested_at")
    return True


def check_restoration_refusal(s: Suspension, refused_at: datetime, refusal_ref: str) -> bool:
    """R-SUS-2b: UT may answer a restoration request by a written refusal (date and
    reference); the suspension goes back to `active`. True to record it; False when it
    is the refusal already recorded (a retry). A refusal of a suspension with no pending
    request, or another refusal of the same request, → 409 `invalid-transition`; dated
    before the request → 422 `out-of-order`."""
    if s.status is SuspensionStatus.ACTIVE and (
        s.restoration_refused_at == refused_at and s.restoration_refusal_ref == refusal_ref
    ):
        return False
    if s.status is not SuspensionStatus.RESTORATION_REQUESTED:
        raise Conflict("no restoration request is pending", code="invalid-transition")
    if s.restoration_requested_at is not None and refused_at < s.restoration_requested_at:
        raise InvalidInput("refused before the restoration was requested",
                           code="out-of-order", field="notified_at")
    return True


def check_lifting(s: Suspension, notified_at: datetime, notice_ref: str) -> bool:
    """True to lift; False when it is the same lifting again (a retry)."""
    if s.status is SuspensionStatus.LIFTED:
        if s.lifted_at == notified_at and s.lifting_ref == notice_ref:
            return False
        raise Conflict("the suspension was already lifted", code="invalid-transition")
    if notified_at < s.starts_at:
        raise InvalidInput("lifted before it started", code="out-of-order",
                           field="notified_at")
    return True
