"""How many referents a school has per academic year and the validity of a new one
(R-REF-1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from app.domain.accounts import Role, RoleKind, hosted_valid_until
from app.domain.calendar import AcademicYear
from app.domain.errors import Conflict

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
