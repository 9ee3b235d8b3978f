"""Accounts: uids, roles and their validity (R-ACC-1, R-ACC-2, R-ACC-3). Student roles live
in `student_roles`, the access decision in `access`, the referents' count in `referents`.

Pure Python: time is an argument, dates are inclusive Paris days. The convention's access
end is computed by the caller from the convention clock and passed in as a `date`; it is
applied when a validity is evaluated, never stored (stored validities are never cut).
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from app.domain.calendar import AcademicYear
from app.domain.errors import InvalidInput

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
