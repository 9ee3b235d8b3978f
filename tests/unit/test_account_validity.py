"""R-ACC-1, R-ACC-3, R-ACC-7 and R-REF-1: uids, hosted validity, student roles, counting."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.accounts import (
    UID_PATTERN,
    Role,
    RoleKind,
    generate_uid,
    hosted_valid_until,
    renew_valid_until,
    validate_uid,
)
from app.domain.errors import InvalidInput
from app.domain.referents import (
    REFERENT_CAP,
    HeldRole,
    count_referents_for_year,
    referent_year_for,
    years_covered,
)
from app.domain.student_roles import StudentEnrolment, student_roles

# --- R-ACC-1 ------------------------------------------------------------------------


def test_a_lowercase_uid_of_three_letters_four_digits_one_letter_is_accepted() -> None:
    assert validate_uid("abc1234d") == "abc1234d"


@pytest.mark.parametrize(
    "uid",
    ["ABC1234D", "abc1234", "abc12345", "abc1234d ", " abc1234d", "abc1234d\n", "ab1234de", ""],
)
def test_a_malformed_uid_is_refused_with_invalid_uid(uid: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_uid(uid)
    assert caught.value.code == "invalid-uid"


def test_a_non_string_uid_is_refused() -> None:
    with pytest.raises(InvalidInput):
        validate_uid(1234)


@given(st.integers(min_value=0, max_value=2**32))
def test_a_generated_uid_is_always_well_formed(seed: int) -> None:
    uid = generate_uid(random.Random(seed))
    assert UID_PATTERN.fullmatch(uid)
    assert validate_uid(uid) == uid


def test_uid_generation_is_reproducible_from_the_seed() -> None:
    assert generate_uid(random.Random(7)) == generate_uid(random.Random(7))


# --- R-ACC-3 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("created_on", "expected"),
    [
        pytest.param(date(2025, 3, 10), date(2025, 8, 31), id="created in March: this August"),
        pytest.param(date(2025, 6, 8), date(2026, 8, 31), id="created in June: next August"),
        pytest.param(date(2025, 5, 31), date(2025, 8, 31), id="31 May: still this August"),
        pytest.param(date(2025, 6, 1), date(2026, 8, 31), id="1 June: next August"),
        pytest.param(date(2025, 8, 31), date(2026, 8, 31), id="31 Aug: next August"),
        pytest.param(date(2025, 9, 1), date(2026, 8, 31), id="1 Sep: end of the new year"),
        pytest.param(date(2025, 12, 31), date(2026, 8, 31), id="31 Dec: next August"),
        pytest.param(date(2024, 2, 29), date(2024, 8, 31), id="leap day: this August"),
    ],
)
def test_hosted_role_validity_follows_the_academic_year_and_the_renewal_season(
    created_on: date, expected: date
) -> None:
    assert hosted_valid_until(created_on) == expected


def test_the_renewal_season_start_is_a_parameter() -> None:
    assert hosted_valid_until(date(2025, 6, 8), renewal_season_starts=(7, 1)) == date(2025, 8, 31)


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        (date(2026, 8, 31), date(2025, 8, 31), date(2026, 8, 31)),
        (date(2025, 8, 31), date(2026, 8, 31), date(2026, 8, 31)),
    ],
)
def test_a_renewal_never_shortens_a_validity(current: date, new: date, expected: date) -> None:
    assert renew_valid_until(current, new) == expected


# --- R-ACC-7 ------------------------------------------------------------------------


def enrol(
    year: int,
    enrolled_on: date,
    *,
    final_year: bool = False,
    cancelled_on: date | None = None,
    school: str = "IFSI-A",
) -> StudentEnrolment:
    return StudentEnrolment(
        school_code=school,
        academic_year_start=year,
        enrolled_on=enrolled_on,
        final_year=final_year,
        cancelled_on=cancelled_on,
    )


def student(
    valid_from: date, valid_until: date, grace_until: date | None, school: str = "IFSI-A"
) -> Role:
    return Role(RoleKind.STUDENT, school, valid_from, valid_until, grace_until)


@pytest.mark.parametrize(
    ("enrolments", "expected"),
    [
        pytest.param(
            [enrol(2024, date(2024, 9, 15))],
            [student(date(2024, 9, 15), date(2025, 8, 31), date(2025, 10, 31))],
            id="a continuing student gets grace until the next main campaign closes",
        ),
        pytest.param(
            [enrol(2024, date(2024, 9, 15), final_year=True)],
            [student(date(2024, 9, 15), date(2025, 8, 31), None)],
            id="a final-year student gets no grace",
        ),
        pytest.param(
            [enrol(2024, date(2024, 9, 15)), enrol(2025, date(2025, 10, 15))],
            [
                student(date(2024, 9, 15), date(2025, 8, 31), date(2025, 10, 14)),
                student(date(2025, 10, 15), date(2026, 8, 31), date(2026, 10, 31)),
            ],
            id="re-enrolling in October ends the grace the day before",
        ),
        pytest.param(
            [enrol(2024, date(2024, 9, 15)), enrol(2025, date(2025, 7, 10), final_year=True)],
            [student(date(2024, 9, 15), date(2026, 8, 31), None)],
            id="re-enrolling in July gives one continuous role ending with the last year",
        ),
        pytest.param(
            [enrol(2024, date(2024, 9, 15)), enrol(2026, date(2026, 9, 5))],
            [
                student(date(2024, 9, 15), date(2025, 8, 31), date(2025, 10, 31)),
                student(date(2026, 9, 5), date(2027, 8, 31), date(2027, 10, 31)),
            ],
            id="a year without enrolment leaves a gap between two roles",
        ),
        pytest.param(
            [enrol(2024, date(2024, 9, 15), cancelled_on=date(2025, 2, 1))],
            [student(date(2024, 9, 15), date(2025, 1, 31), None)],
            id="a cancelled enrolment ends the day before cancellation with no grace",
        ),
        pytest.param(
            [enrol(2024, date(2024, 9, 15), cancelled_on=date(2024, 9, 15))],
            [],
            id="an enrolment cancelled on its first day gives nothing",
        ),
        pytest.param(
            [
                enrol(2024, date(2024, 9, 15)),
                enrol(2025, date(2025, 9, 20), cancelled_on=date(2025, 10, 1)),
            ],
            [
                student(date(2024, 9, 15), date(2025, 8, 31), date(2025, 9, 19)),
                student(date(2025, 9, 20), date(2025, 9, 30), None),
            ],
            id="a cancelled re-enrolment ends access at its cancellation",
        ),
        pytest.param(
            [
                enrol(2024, date(2024, 9, 15)),
                enrol(2025, date(2025, 9, 20), cancelled_on=date(2025, 9, 10)),
            ],
            [student(date(2024, 9, 15), date(2025, 8, 31), date(2025, 9, 19))],
            id="R-ACC-7a: a re-enrolment ends the grace the day before its enrolled_on, "
               "whatever its cancellation",
        ),
        pytest.param(
            [
                enrol(2024, date(2024, 9, 15), school="IFSI-B"),
                enrol(2024, date(2024, 9, 1), final_year=True, school="IFSI-A"),
            ],
            [
                student(date(2024, 9, 1), date(2025, 8, 31), None, school="IFSI-A"),
                student(date(2024, 9, 15), date(2025, 8, 31), date(2025, 10, 31), "IFSI-B"),
            ],
            id="each school gives its own role ordered by start",
        ),
    ],
)
def test_student_roles_from_enrolments(
    enrolments: list[StudentEnrolment], expected: list[Role]
) -> None:
    assert student_roles(enrolments) == expected


def test_a_changed_main_campaign_close_moves_the_grace_end() -> None:
    roles = student_roles(
        [enrol(2024, date(2024, 9, 15))], main_closes_on=lambda n: date(n, 11, 15)
    )
    assert roles[0].grace_until == date(2025, 11, 15)


# --- R-REF-1 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_on", "year"),
    [
        pytest.param(date(2026, 5, 20), 2025, id="received in May: the current year"),
        pytest.param(date(2026, 6, 3), 2026, id="received in June: the next year"),
        pytest.param(date(2025, 9, 1), 2025, id="received on 1 Sep: the new year"),
    ],
)
def test_a_referent_request_targets_the_year_ending_on_its_hosted_validity(
    received_on: date, year: int
) -> None:
    assert referent_year_for(received_on) == year


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "years"),
    [
        (date(2025, 6, 8), date(2026, 8, 31), [2024, 2025]),
        (date(2025, 3, 10), date(2025, 8, 31), [2024]),
        (date(2025, 9, 1), date(2027, 8, 31), [2025, 2026]),
        (date(2025, 9, 2), date(2025, 9, 1), []),
    ],
)
def test_years_covered_by_a_role(valid_from: date, valid_until: date, years: list[int]) -> None:
    assert years_covered(valid_from, valid_until) == years


def referent(uid: str, valid_from: date, valid_until: date) -> HeldRole:
    return HeldRole(uid, Role(RoleKind.REFERENT, "IFSI-A", valid_from, valid_until))


THREE_REFERENTS = [
    referent("aaa0001a", date(2024, 9, 1), date(2026, 8, 31)),
    referent("bbb0002b", date(2025, 6, 8), date(2026, 8, 31)),
    referent("ccc0003c", date(2025, 9, 10), date(2026, 8, 31)),
]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, 3, id="three referents valid in the year count three"),
        pytest.param(
            {"replaced_uids": {"aaa0001a"}, "pending_referent_requests_for_year": 1},
            3,
            id="a replacement leaves the count unchanged",
        ),
        pytest.param(
            {"pending_referent_requests_for_year": 1},
            4,
            id="a fourth pending request goes over the cap",
        ),
        pytest.param(
            {"renew_decisions": 2, "referent_roles": []},
            2,
            id="renew decisions are counted",
        ),
        pytest.param(
            {
                "referent_roles": [referent("ddd0004d", date(2024, 9, 1), date(2025, 10, 1))],
                "checked_on": date(2025, 10, 2),
            },
            0,
            id="a role ending before the check date is not counted",
        ),
        pytest.param(
            {
                "referent_roles": [referent("ddd0004d", date(2024, 9, 1), date(2025, 10, 1))],
                "checked_on": date(2025, 10, 1),
            },
            1,
            id="a role valid on the check date is counted",
        ),
        pytest.param(
            {
                "referent_roles": [
                    referent("ddd0004d", date(2024, 9, 1), date(2025, 8, 31)),
                    referent("ddd0004d", date(2025, 9, 1), date(2026, 8, 31)),
                ]
            },
            1,
            id="a person is counted once",
        ),
        pytest.param(
            {
                "referent_roles": [
                    HeldRole(
                        "eee0005e",
                        Role(RoleKind.TRAINER, "IFSI-A", date(2025, 9, 1), date(2026, 8, 31)),
                    )
                ]
            },
            0,
            id="trainer roles are not counted",
        ),
    ],
)
def test_referent_count_for_an_academic_year(kwargs: dict, expected: int) -> None:
    arguments = {
        "year_start": 2025,
        "checked_on": date(2025, 6, 15),
        "referent_roles": THREE_REFERENTS,
        "replaced_uids": set(),
        "pending_referent_requests_for_year": 0,
        "renew_decisions": 0,
    } | kwargs
    assert count_referents_for_year(**arguments) == expected


def test_a_fourth_referent_is_over_the_cap() -> None:
    count = count_referents_for_year(
        year_start=2025,
        checked_on=date(2025, 6, 15),
        referent_roles=THREE_REFERENTS,
        replaced_uids=set(),
        pending_referent_requests_for_year=1,
        renew_decisions=0,
    )
    assert count > REFERENT_CAP
