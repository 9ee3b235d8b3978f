"""Accounts: uids, role validity, student grace and the effective status (R-ACC-1, R-ACC-2, R-ACC-3,
R-ACC-4, R-ACC-5, R-ACC-6, R-ACC-7, R-ACC-8),
plus the referent counting of R-REF-1.

Pure Python: time is an argument, dates are inclusive Paris days, instants are aware
datetimes. The convention's access end (R-CONV-4, R-CONV-5) is computed by the caller from the
convention clock and passed in as a `date`; it is applied here when a status or a
validity is evaluated, never stored (stored validities are never cut).
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from app.domain.calendar import AcademicYear, paris_date
from app.domain.errors import Conflict, InvalidInput

_ONE_DAY = timedelta(days=1)


# --- R-ACC-1: uid ---------------------------------------------------------------------

# The one written form of the uid (R-ACC-1): the schemas and the OpenAPI use this text.
UID_REGEX = r"^[a-z]{3}[0-9]{4}[a-z]$"
UID_PATTERN = re.compile(UID_REGEX)
UID_FORMAT_TEXT = "3 lowercase letters, 4 digits and 1 lowercase letter"


def validate_uid(uid: object) -> str:
    """R-ACC-1: return `uid` unchanged when it is well-formed (lowercase only, no
    surrounding whitespace, no trailing newline); raise InvalidInput `invalid-uid`
    otherwise."""
    if not isinstance(uid, str) or UID_PATTERN.fullmatch(uid) is None:
        raise InvalidInput(
            f"The uid must be {UID_FORMAT_TEXT}.",
            code="invalid-uid",
            field="uid",
        )
    return uid


def generate_uid(rng: random.Random) -> str:
    """A random well-formed uid. Uniqueness (never reused, even after erasure) is the
    caller's business: it retries on collision."""
    letters = string.ascii_lowercase
    return (
        "".join(rng.choice(letters) for _ in range(3))
        + "".join(rng.choice(string.digits) for _ in range(4))
        + rng.choice(letters)
    )


# --- R-ACC-2: roles -------------------------------------------------------------------


class RoleKind(StrEnum):
    STUDENT = "student"
    REFERENT = "referent"
    TRAINER = "trainer"


HOSTED_KINDS: frozenset[RoleKind] = frozenset({RoleKind.REFERENT, RoleKind.TRAINER})


@dataclass(frozen=True)
class Role:
    """One role of an account in one school. `valid_from`/`valid_until` are inclusive
    Paris days. `grace_until` (inclusive) is only meaningful for students: it is ignored
    for other kinds. Stored values are never cut by the convention's access end."""

    kind: RoleKind
    school_code: str
    valid_from: date
    valid_until: date
    grace_until: date | None = None
    role_id: str | None = None

    def effective_grace_until(self) -> date | None:
        """The grace end when this role has a real grace period after its validity."""
        if (
            self.kind is RoleKind.STUDENT
            and self.grace_until is not None
            and self.grace_until > self.valid_until
        ):
            return self.grace_until
        return None

    def last_access_day(self) -> date:
        """Last day (uncapped) on which this role gives access, grace included."""
        grace = self.effective_grace_until()
        return grace if grace is not None else self.valid_until


@dataclass(frozen=True)
class Account:
    uid: str
    given_name: str
    family_name: str
    email: str
    created_at: datetime
    erased_at: datetime | None = None
    student_number: str | None = None


@dataclass(frozen=True)
class StoredRole:
    id: str
    uid: str
    kind: RoleKind
    school_code: str
    valid_from: date
    valid_until: date


def capped_valid_until(role: Role, access_end_on: date) -> date:
    """The validity end to display: the stored one capped by the access end
    (`ConventionClock.access_end_on`)."""
    return min(role.valid_until, access_end_on)


def creation_mail_validity(role: Role, access_end_on: date) -> tuple[date, date]:
    """R-ACC-9a: the validity the account-creation mail states, as the API answers it
    when the mail is queued: the role's `valid_from` and its `valid_until` capped by
    the access end in force that day (created 2029-06-10, valid by `hosted_valid_until` to
    2030-08-31, the convention ending 2029-08-31: the mail says 31 Aug 2029)."""
    return role.valid_from, capped_valid_until(role, access_end_on)


def is_valid_on(role: Role, day: date, access_end_on: date) -> bool:
    """valid_from ≤ day ≤ min(valid_until, access_end_on)."""
    return role.valid_from <= day <= capped_valid_until(role, access_end_on)


def is_in_grace_on(role: Role, day: date, access_end_on: date) -> bool:
    """A student role with valid_until < day ≤ min(grace_until, access_end_on)."""
    grace = role.effective_grace_until()
    return grace is not None and role.valid_until < day <= min(grace, access_end_on)


# --- R-ACC-3: hosted accounts ---------------------------------------------------------


def hosted_valid_until(created_on: date, renewal_season_starts: tuple[int, int] = (6, 1)) -> date:
    """R-ACC-3: validity end of a referent or trainer role created (or renewed) on `created_on`:
    the 31 Aug that ends the academic year (1 Sep – 31 Aug) containing it, except on or
    after `renewal_season_starts` (month, day; 1 June) — then 31 Aug of the next year."""
    year = AcademicYear.containing(created_on)
    in_closing_calendar_year = created_on.year == year.ends_on.year
    if in_closing_calendar_year and (created_on.month, created_on.day) >= renewal_season_starts:
        year = year.next()
    return year.ends_on


def renew_valid_until(current: date, new: date) -> date:
    """A renewal never shortens a validity."""
    return max(current, new)


# --- R-ACC-7: students ----------------------------------------------------------------


@dataclass(frozen=True)
class StudentEnrolment:
    """One administrative enrolment for academic year `academic_year_start`/+1."""

    school_code: str
    academic_year_start: int
    enrolled_on: date
    final_year: bool
    cancelled_on: date | None = None
    transfer: bool = False
    enrolment_id: str | None = None

    @property
    def year_end(self) -> date:
        return AcademicYear(self.academic_year_start).ends_on

    def validity(self) -> tuple[date, date] | None:
        """The inclusive days this enrolment makes the student valid, or None. A
        cancelled enrolment ends the day before its cancellation date."""
        end = self.year_end
        if self.cancelled_on is not None:
            end = min(end, self.cancelled_on - _ONE_DAY)
        if end < self.enrolled_on:
            return None
        return self.enrolled_on, end


def default_main_closes_on(year_start: int) -> date:
    """Default close of the main enrolment campaign of N/N+1 (`enrolments.default_windows`):
    31 Oct N."""
    return date(year_start, 10, 31)


def student_roles(
    enrolments: Iterable[StudentEnrolment],
    main_closes_on: Callable[[int], date] = default_main_closes_on,
) -> list[Role]:
    """The student roles given by an account's enrolments (R-ACC-7), ordered by
    valid_from (then school code).

    Per school, the validities of the enrolments (enrolled_on → 31 Aug N+1, or the day
    before cancellation) are merged when they overlap or touch; a gap (a year without
    enrolment, or a re-enrolment after 1 Sep) starts a new role. A role ending on the
    31 Aug N+1 of a non-cancelled, non-final-year enrolment of year N has a grace period
    from 1 Sep N+1 to `main_closes_on(N+1)`, cut by any enrolment of the person for a
    later academic year, in any school (`last_grace_day_before_later_enrolment`). Student roles
    carry no role_id (they derive from enrolments)."""
    enrolments = list(enrolments)
    by_school: dict[str, list[StudentEnrolment]] = {}
    for enrolment in enrolments:
        by_school.setdefault(enrolment.school_code, []).append(enrolment)

    roles: list[Role] = []
    for school_code, school_enrolments in by_school.items():
        intervals: list[tuple[date, date, StudentEnrolment]] = []
        for enrolment in school_enrolments:
            validity = enrolment.validity()
            if validity is not None:
                intervals.append((validity[0], validity[1], enrolment))
        intervals.sort(key=lambda item: (item[0], item[1]))
        segments: list[tuple[date, date, list[StudentEnrolment]]] = []
        for start, end, enrolment in intervals:
            if segments and start <= segments[-1][1] + _ONE_DAY:
                seg_start, seg_end, members = segments[-1]
                members.append(enrolment)
                segments[-1] = (seg_start, max(seg_end, end), members)
            else:
                segments.append((start, end, [enrolment]))

        for seg_start, seg_end, members in segments:
            grace_until = _student_grace_until(seg_end, members, enrolments, main_closes_on)
            roles.append(
                Role(
                    kind=RoleKind.STUDENT,
                    school_code=school_code,
                    valid_from=seg_start,
                    valid_until=seg_end,
                    grace_until=grace_until,
                )
            )
    roles.sort(key=lambda role: (role.valid_from, role.school_code))
    return roles


def roles_under_student_grace(roles: Iterable[Role], student_grace: bool) -> list[Role]:
    """`student_roles` under the `STUDENT_GRACE` reading: with the grace (the default) the roles
    are as `student_roles` gives them; without it a continuing student's access ends on
    31 Aug N+1 like a final-year student's, so every student role loses its grace. Hosted
    roles never have one."""
    if student_grace:
        return list(roles)
    return [
        replace(role, grace_until=None) if role.kind is RoleKind.STUDENT else role
        for role in roles
    ]


def last_grace_day_before_later_enrolment(
    year_start: int, enrolments: Iterable[StudentEnrolment]
) -> date | None:
    """R-ACC-7a: an enrolment of the same person for a later academic year than
    `year_start`/+1, in any school, ends the grace of the earlier ones: the grace's last
    day is the day before the earliest such `enrolled_on`. Its cancellation, even a later
    one, does not bring the grace back. None when there is no later enrolment."""
    later = [e.enrolled_on for e in enrolments if e.academic_year_start > year_start]
    return min(later) - _ONE_DAY if later else None


def _student_grace_until(
    seg_end: date,
    members: list[StudentEnrolment],
    all_enrolments: list[StudentEnrolment],
    main_closes_on: Callable[[int], date],
) -> date | None:
    # The enrolments whose full academic year ends the segment.
    closing = [e for e in members if e.cancelled_on is None and e.year_end == seg_end]
    if not closing:
        return None  # the segment ends on a cancellation: no grace
    latest = max(closing, key=lambda e: e.enrolled_on)
    if latest.final_year:
        return None
    year = latest.academic_year_start
    grace_end = main_closes_on(year + 1)
    cut = last_grace_day_before_later_enrolment(year, all_enrolments)
    if cut is not None:
        grace_end = min(grace_end, cut)
    return grace_end if grace_end > seg_end else None


# --- Locks, suspensions, erasure ------------------------------------------------------


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


# --- R-ACC-8: effective status --------------------------------------------------------


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
    platform = [s for s in suspensions if s.scope is SuspensionScope.PLATFORM]
    if live:
        covering: list[str] = []
        for role in live:
            cover = next((s for s in platform if s.covers(role, uid, at)), None)
            if cover is None:
                break
            covering.append(cover.suspension_id)
        else:
            return _decision(
                AccountStatus.SUSPENDED,
                access_until,
                False,
                *_SUSPENDED,
                suspension_id=covering[0],
                **locking,
            )

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


# --- R-REF-1: referent counting -------------------------------------------------------

REFERENT_CAP = 3
REFERENT_MIN = 1


def referent_year_for(
    received_on: date, renewal_season_starts: tuple[int, int] = (6, 1)
) -> int:
    """N of the academic year N/N+1 targeted by a referent request received on
    `received_on`: the year that ends on hosted_valid_until(received_on)."""
    return hosted_valid_until(received_on, renewal_season_starts).year - 1


def ensure_referent_count_allowed(count: int) -> None:
    """R-REF-1: a school has 1 to 3 referents per academic year. `count` is the R-REF-1
    count for the year with what is being created, fulfilled or decided included; more
    than 3 → 409 `referent-cap-reached`, none → 409 `referent-minimum`. The one place
    that answers the cap, for requests, fulfilments and campaign decisions."""
    if count > REFERENT_CAP:
        raise Conflict(
            "the school would have more than 3 referents for the academic year (R-REF-1)",
            code="referent-cap-reached",
        )
    if count < REFERENT_MIN:
        raise Conflict(
            "the school would have no referent for the academic year (R-REF-1)",
            code="referent-minimum",
        )


def referent_fulfilment_validity(
    received_on: date, fulfilled_on: date, counts: Mapping[int, int],
    renewal_season_starts: tuple[int, int] = (6, 1),
) -> tuple[date, date]:
    """R-REF-1a: the validity of the referent role a fulfilment creates, given
    the `count_referents_for_year` `counts` (without the new role) of the academic years in
    `years_covered(fulfilled_on, hosted_valid_until(fulfilled_on))`.

    Normally from the fulfilment date (`hosted_valid_until`), the cap
    (`ensure_referent_count_allowed`) checked for every year covered.
    June crossover (R-REF-1a): a request received in the renewal season of year C
    targets C+1; when C's count is full and C+1's is not, the role runs through C+1
    only, from its 1 Sept (received 2026-06-10 → 2026-09-01 to 2027-08-31,
    `pending` until then) and the cap is checked for C+1 only. 409
    `referent-cap-reached` otherwise."""
    valid_until = hosted_valid_until(fulfilled_on, renewal_season_starts)
    years = years_covered(fulfilled_on, valid_until)
    current = AcademicYear.containing(received_on)
    target = referent_year_for(received_on, renewal_season_starts)
    if (
        target == current.next().start_year
        and years == [current.start_year, target]
        and counts[current.start_year] + 1 > REFERENT_CAP
        and counts[target] + 1 <= REFERENT_CAP
    ):
        return AcademicYear(target).starts_on, AcademicYear(target).ends_on
    for year in years:
        ensure_referent_count_allowed(counts[year] + 1)
    return fulfilled_on, valid_until


def years_covered(valid_from: date, valid_until: date) -> list[int]:
    """Start years N of the academic years N/N+1 in which [valid_from, valid_until]
    has at least one day; empty when valid_until < valid_from."""
    if valid_until < valid_from:
        return []
    first, last = AcademicYear.containing(valid_from), AcademicYear.containing(valid_until)
    return list(range(first.start_year, last.start_year + 1))


@dataclass(frozen=True)
class HeldRole:
    """A role together with the uid of the account that holds it."""

    uid: str
    role: Role


def count_referents_for_year(
    *,
    year_start: int,
    checked_on: date,
    referent_roles: Sequence[HeldRole],
    replaced_uids: set[str] | frozenset[str],
    pending_referent_requests_for_year: int,
    renew_decisions: int,
) -> int:
    """The count `ensure_referent_count_allowed` caps, for academic year `year_start`/+1
    checked on `checked_on`: the school's referent roles valid on some day of the year
    on or after `checked_on`
    (counted once per uid; non-referent roles are ignored), minus those held by
    `replaced_uids`, plus pending referent requests targeting the year, plus `renew`
    decisions of an open campaign for the year. The caller compares the result with
    REFERENT_CAP / REFERENT_MIN (and includes the request being created or fulfilled
    in `pending_referent_requests_for_year` when that is the rule's moment)."""
    year = AcademicYear(year_start)
    first, last = year.starts_on, year.ends_on
    window_start = max(first, checked_on)
    holders: set[str] = set()
    if window_start <= last:
        for held in referent_roles:
            role = held.role
            if role.kind is not RoleKind.REFERENT:
                continue
            if role.valid_from <= last and role.valid_until >= window_start:
                holders.add(held.uid)
    holders -= set(replaced_uids)
    return len(holders) + pending_referent_requests_for_year + renew_decisions
