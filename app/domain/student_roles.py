"""Student roles from enrolments (R-ACC-7): a role per enrolment, from the start of its
academic year to the end of the next year's main window, and the grace after it.

Pure Python: dates are inclusive Paris days."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from app.domain.accounts import (
    Role,
    RoleKind,
)
from app.domain.calendar import AcademicYear

_ONE_DAY = timedelta(days=1)


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
