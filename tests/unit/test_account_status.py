"""R-ACC-8: the effective status of an account at an instant."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.access import AccountStatus, Lock, SuspensionCover, SuspensionScope, evaluate_access
from app.domain.accounts import Role, RoleKind, capped_valid_until, hosted_valid_until
from app.domain.student_roles import StudentEnrolment, student_roles

UID = "abc1234d"
OTHER_UID = "xyz9876q"
FAR_END = date(2030, 8, 31)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hosted(kind: RoleKind, created_on: date, school: str = "IFSI-A") -> Role:
    return Role(kind, school, created_on, hosted_valid_until(created_on))


def enrolled(*enrolments: StudentEnrolment) -> list[Role]:
    return student_roles(enrolments)


def enrol(year: int, enrolled_on: date, *, final_year: bool = False) -> StudentEnrolment:
    return StudentEnrolment("IFSI-A", year, enrolled_on, final_year)


def suspension(
    scope: SuspensionScope = SuspensionScope.PLATFORM,
    *,
    school: str = "IFSI-A",
    kinds: frozenset[RoleKind] | None = None,
    uids: frozenset[str] | None = None,
    starts_at: datetime = utc(2025, 1, 1),
    ends_at: datetime | None = None,
) -> SuspensionCover:
    return SuspensionCover("susp-1", school, scope, starts_at, ends_at, kinds, uids)


REFERENT_MARCH = [hosted(RoleKind.REFERENT, date(2025, 3, 10))]
REFERENT_JUNE = [hosted(RoleKind.REFERENT, date(2025, 6, 8))]
CONTINUING = enrolled(enrol(2024, date(2024, 9, 15)))
RE_ENROLLED = enrolled(enrol(2024, date(2024, 9, 15)), enrol(2025, date(2025, 10, 15)))
FINAL_YEAR = enrolled(enrol(2024, date(2024, 9, 15), final_year=True))
TRAINER_AND_REFERENT = [
    Role(RoleKind.TRAINER, "IFSI-A", date(2025, 9, 1), date(2026, 8, 31)),
    Role(RoleKind.REFERENT, "IFSI-B", date(2025, 9, 1), date(2027, 8, 31)),
]


@pytest.mark.parametrize(
    ("roles", "at", "status", "access_until"),
    [
        pytest.param(
            REFERENT_MARCH,
            utc(2025, 8, 31, 21, 59),
            AccountStatus.ACTIVE,
            date(2025, 8, 31),
            id="a referent created in March is active at 23:59 Paris on 31 August",
        ),
        pytest.param(
            REFERENT_MARCH,
            utc(2025, 8, 31, 22, 30),
            AccountStatus.EXPIRED,
            None,
            id="a referent created in March has expired at 00:30 Paris on 1 September",
        ),
        pytest.param(
            REFERENT_JUNE,
            utc(2026, 8, 31, 12),
            AccountStatus.ACTIVE,
            date(2026, 8, 31),
            id="a referent created in June is active until the next August",
        ),
        pytest.param(
            REFERENT_JUNE,
            utc(2025, 6, 7, 12),
            AccountStatus.PENDING,
            date(2026, 8, 31),
            id="a role is pending before its first day",
        ),
        pytest.param(
            TRAINER_AND_REFERENT,
            utc(2026, 3, 1, 12),
            AccountStatus.ACTIVE,
            date(2027, 8, 31),
            id="access lasts until the longest role",
        ),
        pytest.param(
            TRAINER_AND_REFERENT,
            utc(2026, 9, 1, 12),
            AccountStatus.ACTIVE,
            date(2027, 8, 31),
            id="the longer role keeps the account active once the shorter ended",
        ),
        pytest.param(
            CONTINUING,
            utc(2025, 9, 1, 8),
            AccountStatus.GRACE,
            date(2025, 10, 31),
            id="a continuing student not re-enrolled is in grace on 1 September",
        ),
        pytest.param(
            CONTINUING,
            utc(2025, 10, 31, 22, 59),
            AccountStatus.GRACE,
            date(2025, 10, 31),
            id="the grace lasts until 23:59 Paris on 31 October",
        ),
        pytest.param(
            CONTINUING,
            utc(2025, 10, 31, 23, 0),
            AccountStatus.EXPIRED,
            None,
            id="the grace is over at midnight Paris on 1 November",
        ),
        pytest.param(
            CONTINUING,
            utc(2025, 3, 1, 12),
            AccountStatus.ACTIVE,
            date(2025, 10, 31),
            id="a continuing student's access runs to the end of the grace",
        ),
        pytest.param(
            RE_ENROLLED,
            utc(2025, 10, 14, 12),
            AccountStatus.GRACE,
            date(2026, 10, 31),
            id="a student is in grace the day before re-enrolling",
        ),
        pytest.param(
            RE_ENROLLED,
            utc(2025, 10, 15, 12),
            AccountStatus.ACTIVE,
            date(2026, 10, 31),
            id="a student is active from the re-enrolment day",
        ),
        pytest.param(
            FINAL_YEAR,
            utc(2025, 9, 1, 8),
            AccountStatus.EXPIRED,
            None,
            id="a final-year student has expired on 1 September",
        ),
        pytest.param(
            [],
            utc(2025, 9, 1, 8),
            AccountStatus.EXPIRED,
            None,
            id="an account without roles has expired",
        ),
    ],
)
def test_status_of_an_account(
    roles: list[Role], at: datetime, status: AccountStatus, access_until: date | None
) -> None:
    decision = evaluate_access(uid=UID, roles=roles, at=at, access_end_on=FAR_END)
    assert decision.status is status
    assert decision.access_until == access_until
    assert decision.allowed is (status in {AccountStatus.ACTIVE, AccountStatus.GRACE})
    assert decision.messaging_allowed is decision.allowed
    assert decision.reason_code
    assert decision.reason_fr


@pytest.mark.parametrize(
    ("status", "reason_code"),
    [
        (AccountStatus.ACTIVE, "active-role"),
        (AccountStatus.GRACE, "grace-period"),
        (AccountStatus.PENDING, "role-not-started"),
        (AccountStatus.EXPIRED, "no-valid-role"),
    ],
)
def test_each_status_has_a_stable_reason_code(status: AccountStatus, reason_code: str) -> None:
    at = {
        AccountStatus.ACTIVE: utc(2025, 3, 1, 12),
        AccountStatus.GRACE: utc(2025, 9, 1, 12),
        AccountStatus.PENDING: utc(2024, 9, 1, 12),
        AccountStatus.EXPIRED: utc(2025, 12, 1, 12),
    }[status]
    decision = evaluate_access(uid=UID, roles=CONTINUING, at=at, access_end_on=FAR_END)
    assert (decision.status, decision.reason_code) == (status, reason_code)


# --- The convention's access end (R-CONV-5) ------------------------------------------


@pytest.mark.parametrize(
    ("at", "status", "access_until"),
    [
        pytest.param(
            utc(2026, 2, 1, 12),
            AccountStatus.ACTIVE,
            date(2026, 3, 31),
            id="access_until is capped by an earlier access end",
        ),
        pytest.param(
            utc(2026, 3, 31, 21, 59),
            AccountStatus.ACTIVE,
            date(2026, 3, 31),
            id="the account is active on the access end's last minute",
        ),
        pytest.param(
            utc(2026, 3, 31, 22, 0),
            AccountStatus.DISABLED,
            None,
            id="the account is disabled after the access end",
        ),
    ],
)
def test_no_role_is_valid_after_the_convention_access_end(
    at: datetime, status: AccountStatus, access_until: date | None
) -> None:
    decision = evaluate_access(uid=UID, roles=REFERENT_JUNE, at=at, access_end_on=date(2026, 3, 31))
    assert (decision.status, decision.access_until) == (status, access_until)
    assert decision.reason_code in {"active-role", "convention-ended"}


def test_grace_is_capped_by_the_access_end() -> None:
    decision = evaluate_access(
        uid=UID, roles=CONTINUING, at=utc(2025, 9, 10, 12), access_end_on=date(2025, 9, 30)
    )
    assert (decision.status, decision.access_until) == (AccountStatus.GRACE, date(2025, 9, 30))


def test_a_role_starting_after_the_access_end_is_not_pending() -> None:
    decision = evaluate_access(
        uid=UID, roles=REFERENT_JUNE, at=utc(2025, 6, 1, 12), access_end_on=date(2025, 6, 5)
    )
    assert (decision.status, decision.access_until) == (AccountStatus.EXPIRED, None)


def test_the_displayed_validity_is_capped_by_the_access_end() -> None:
    assert capped_valid_until(REFERENT_JUNE[0], date(2026, 3, 31)) == date(2026, 3, 31)
    assert capped_valid_until(REFERENT_JUNE[0], FAR_END) == date(2026, 8, 31)


# --- Suspensions ---------------------------------------------------------------------

TRAINER_A_REFERENT_B = [
    Role(RoleKind.TRAINER, "IFSI-A", date(2025, 9, 1), date(2026, 8, 31)),
    Role(RoleKind.REFERENT, "IFSI-B", date(2025, 9, 1), date(2026, 8, 31)),
]
TRAINER_AND_REFERENT_A = [
    Role(RoleKind.TRAINER, "IFSI-A", date(2025, 9, 1), date(2026, 8, 31)),
    Role(RoleKind.REFERENT, "IFSI-A", date(2025, 9, 1), date(2026, 8, 31)),
]
TRAINER_A = [TRAINER_A_REFERENT_B[0]]
NOW = utc(2026, 1, 15, 10)


@pytest.mark.parametrize(
    ("roles", "cover", "status"),
    [
        pytest.param(
            TRAINER_A,
            suspension(),
            AccountStatus.SUSPENDED,
            id="a platform suspension of the school suspends its only role",
        ),
        pytest.param(
            TRAINER_A_REFERENT_B,
            suspension(),
            AccountStatus.ACTIVE,
            id="a role in another school keeps the account active",
        ),
        pytest.param(
            TRAINER_AND_REFERENT_A,
            suspension(kinds=frozenset({RoleKind.TRAINER})),
            AccountStatus.ACTIVE,
            id="a suspension restricted to trainers leaves a referent role active",
        ),
        pytest.param(
            TRAINER_A,
            suspension(kinds=frozenset({RoleKind.TRAINER})),
            AccountStatus.SUSPENDED,
            id="a suspension restricted to trainers covers a trainer role",
        ),
        pytest.param(
            TRAINER_A,
            suspension(kinds=frozenset({RoleKind.REFERENT})),
            AccountStatus.ACTIVE,
            id="a suspension restricted to referents does not cover a trainer role",
        ),
        pytest.param(
            TRAINER_A,
            suspension(uids=frozenset({UID})),
            AccountStatus.SUSPENDED,
            id="a suspension restricted to this account covers it",
        ),
        pytest.param(
            TRAINER_A,
            suspension(uids=frozenset({OTHER_UID})),
            AccountStatus.ACTIVE,
            id="a suspension restricted to another account does not cover it",
        ),
        pytest.param(
            TRAINER_A,
            suspension(starts_at=utc(2026, 2, 1)),
            AccountStatus.ACTIVE,
            id="a suspension not started yet does not cover",
        ),
        pytest.param(
            TRAINER_A,
            suspension(ends_at=NOW),
            AccountStatus.ACTIVE,
            id="a suspension lifted at the instant no longer covers",
        ),
        pytest.param(
            TRAINER_A,
            suspension(SuspensionScope.MESSAGING),
            AccountStatus.ACTIVE,
            id="a messaging suspension leaves access",
        ),
    ],
)
def test_platform_suspensions(
    roles: list[Role], cover: SuspensionCover, status: AccountStatus
) -> None:
    decision = evaluate_access(
        uid=UID, roles=roles, at=NOW, access_end_on=FAR_END, suspensions=[cover]
    )
    assert decision.status is status
    assert decision.access_until == date(2026, 8, 31)
    if status is AccountStatus.SUSPENDED:
        assert (decision.allowed, decision.reason_code) == (False, "platform-suspension")
        assert decision.suspension_id == "susp-1"
        assert decision.messaging_allowed is False
    else:
        assert decision.allowed is True
        assert decision.suspension_id is None


def test_a_student_in_grace_is_suspended_by_a_platform_suspension() -> None:
    decision = evaluate_access(
        uid=UID,
        roles=CONTINUING,
        at=utc(2025, 9, 10, 12),
        access_end_on=FAR_END,
        suspensions=[suspension(kinds=frozenset({RoleKind.STUDENT}))],
    )
    assert decision.status is AccountStatus.SUSPENDED


def test_a_platform_suspension_does_not_turn_an_expired_account_into_suspended() -> None:
    decision = evaluate_access(
        uid=UID,
        roles=FINAL_YEAR,
        at=utc(2025, 9, 10, 12),
        access_end_on=FAR_END,
        suspensions=[suspension()],
    )
    assert decision.status is AccountStatus.EXPIRED


@pytest.mark.parametrize(
    ("roles", "cover", "messaging_allowed"),
    [
        pytest.param(TRAINER_A, suspension(SuspensionScope.MESSAGING), False, id="school-wide"),
        pytest.param(
            TRAINER_A_REFERENT_B,
            suspension(SuspensionScope.MESSAGING),
            False,
            id="one covered role in another school is enough",
        ),
        pytest.param(
            TRAINER_A,
            suspension(SuspensionScope.MESSAGING, kinds=frozenset({RoleKind.REFERENT})),
            True,
            id="restricted to another kind",
        ),
        pytest.param(
            TRAINER_A,
            suspension(SuspensionScope.MESSAGING, uids=frozenset({OTHER_UID})),
            True,
            id="restricted to another account",
        ),
        pytest.param(
            TRAINER_A,
            suspension(SuspensionScope.MESSAGING, school="IFSI-B"),
            True,
            id="of another school",
        ),
    ],
)
def test_a_messaging_suspension_removes_messaging_but_not_access(
    roles: list[Role], cover: SuspensionCover, messaging_allowed: bool
) -> None:
    decision = evaluate_access(
        uid=UID, roles=roles, at=NOW, access_end_on=FAR_END, suspensions=[cover]
    )
    assert decision.status is AccountStatus.ACTIVE
    assert decision.allowed is True
    assert decision.messaging_allowed is messaging_allowed


# --- Locks and erasure ---------------------------------------------------------------

LOCK = Lock(starts_at=utc(2026, 1, 10, 9), ends_at=utc(2026, 1, 20, 9))


@pytest.mark.parametrize(
    ("at", "status"),
    [
        pytest.param(utc(2026, 1, 10, 8, 59), AccountStatus.ACTIVE, id="before the lock"),
        pytest.param(utc(2026, 1, 10, 9), AccountStatus.SUSPENDED, id="at the lock instant"),
        pytest.param(utc(2026, 1, 20, 8, 59), AccountStatus.SUSPENDED, id="inside the lock"),
        pytest.param(utc(2026, 1, 20, 9), AccountStatus.ACTIVE, id="at the unlock instant"),
    ],
)
def test_a_lock_suspends_the_account_during_its_interval(
    at: datetime, status: AccountStatus
) -> None:
    decision = evaluate_access(uid=UID, roles=TRAINER_A, at=at, access_end_on=FAR_END, locks=[LOCK])
    assert decision.status is status
    assert decision.access_until == date(2026, 8, 31)
    if status is AccountStatus.SUSPENDED:
        assert decision.reason_code == "account-locked"
        assert decision.suspension_id is None


@pytest.mark.parametrize(
    ("roles", "at", "status"),
    [
        pytest.param(FINAL_YEAR, utc(2025, 12, 1), AccountStatus.EXPIRED, id="expired"),
        # Last second of 31 Aug in Paris: still active, so the lock suspends it; the
        # next second the role has ended and the locked account reads expired.
        pytest.param(FINAL_YEAR, utc(2025, 8, 31, 21, 59, 59), AccountStatus.SUSPENDED,
                     id="suspended on the last day of validity"),
        pytest.param(FINAL_YEAR, utc(2025, 8, 31, 22), AccountStatus.EXPIRED,
                     id="expired from 1 Sept 00:00 Paris"),
        pytest.param(CONTINUING, utc(2025, 10, 31, 22, 59), AccountStatus.SUSPENDED,
                     id="in grace on 31 Oct: suspended"),
        pytest.param(CONTINUING, utc(2025, 10, 31, 23), AccountStatus.EXPIRED,
                     id="grace over on 1 Nov: expired"),
        pytest.param(REFERENT_JUNE, utc(2025, 6, 8, 12), AccountStatus.SUSPENDED,
                     id="active from its first day"),
        pytest.param([Role(RoleKind.TRAINER, "IFSI-A", date(2025, 9, 1), date(2026, 8, 31))],
                     utc(2025, 8, 15), AccountStatus.PENDING, id="pending"),
    ],
)
def test_r_acc_8a_a_lock_suspends_only_an_account_that_would_otherwise_have_access(
    roles: list[Role], at: datetime, status: AccountStatus
) -> None:
    """R-ACC-8a: a lock changes the status to `suspended` only when it would otherwise be
    `active` or `grace`; a locked account with no valid role is `expired` (or `pending`).
    `locked` and `locked_since` are given whatever the status."""
    lock_start = utc(2025, 3, 30, 1)  # the spring DST change instant
    decision = evaluate_access(
        uid=UID, roles=roles, at=at, access_end_on=FAR_END, locks=[Lock(lock_start, None)]
    )
    assert decision.status is status
    assert (decision.locked, decision.locked_since) == (True, lock_start)
    assert decision.allowed is False
    if status is AccountStatus.SUSPENDED:
        assert decision.reason_code == "account-locked"
    else:
        assert decision.reason_code != "account-locked"


def test_r_acc_8a_locked_is_false_and_locked_since_null_outside_a_lock() -> None:
    """R-ACC-8a: the answer says whether a lock is open at `at`, also for erased and
    disabled accounts."""
    outside = evaluate_access(uid=UID, roles=TRAINER_A, at=utc(2026, 1, 20, 9),
                              access_end_on=FAR_END, locks=[LOCK])
    assert (outside.locked, outside.locked_since) == (False, None)
    disabled = evaluate_access(uid=UID, roles=TRAINER_A, at=utc(2026, 5, 1),
                               access_end_on=date(2026, 3, 31),
                               locks=[Lock(utc(2026, 1, 1), None)])
    assert disabled.status is AccountStatus.DISABLED
    assert (disabled.locked, disabled.locked_since) == (True, utc(2026, 1, 1))


def _messaging(suspension_id: str, starts_at: datetime, **kw) -> SuspensionCover:
    return SuspensionCover(suspension_id, kw.pop("school", "IFSI-A"),
                           SuspensionScope.MESSAGING, starts_at, None, **kw)


def test_r_acc_8a_messaging_is_one_flag_per_person_and_names_its_suspension() -> None:
    """R-ACC-8a: a `messaging` suspension covering one role valid at t closes messaging
    for the person; `messaging_suspension_id` is the earliest `starts_at`, then the
    smallest id."""
    covers = [
        _messaging("s-b", utc(2026, 1, 5)),
        _messaging("s-a", utc(2026, 1, 5)),
        _messaging("s-0", utc(2026, 1, 6)),
        _messaging("s-other", utc(2026, 1, 1), school="IFSI-B",
                   kinds=frozenset({RoleKind.STUDENT})),
    ]
    decision = evaluate_access(uid=UID, roles=TRAINER_A_REFERENT_B, at=NOW,
                               access_end_on=FAR_END, suspensions=covers)
    assert decision.status is AccountStatus.ACTIVE
    assert (decision.messaging_allowed, decision.messaging_suspension_id) == (False, "s-a")
    free = evaluate_access(uid=UID, roles=TRAINER_A_REFERENT_B, at=NOW,
                           access_end_on=FAR_END, suspensions=covers[3:])
    assert (free.messaging_allowed, free.messaging_suspension_id) == (True, None)


def test_r_acc_8a_messaging_is_closed_whenever_access_is() -> None:
    """R-ACC-8a: not `active`/`grace` → messaging_allowed false, with no messaging
    suspension to name; a messaging suspension of a role that has ended is not named."""
    locked = evaluate_access(uid=UID, roles=TRAINER_A, at=NOW, access_end_on=FAR_END,
                             locks=[Lock(utc(2026, 1, 1), None)])
    assert (locked.status, locked.messaging_allowed, locked.messaging_suspension_id) == (
        AccountStatus.SUSPENDED, False, None)
    expired = evaluate_access(uid=UID, roles=FINAL_YEAR, at=utc(2025, 12, 1),
                              access_end_on=FAR_END,
                              suspensions=[_messaging("s-1", utc(2025, 1, 1))])
    assert (expired.status, expired.messaging_allowed, expired.messaging_suspension_id) == (
        AccountStatus.EXPIRED, False, None)


@pytest.mark.parametrize(
    ("at", "status"),
    [
        pytest.param(utc(2026, 1, 15, 9, 59), AccountStatus.SUSPENDED, id="before erasure"),
        pytest.param(utc(2026, 1, 15, 10), AccountStatus.ERASED, id="at the erasure instant"),
        pytest.param(utc(2030, 9, 1), AccountStatus.ERASED, id="even after the access end"),
    ],
)
def test_an_erased_account_is_erased_even_if_locked(at: datetime, status: AccountStatus) -> None:
    decision = evaluate_access(
        uid=UID,
        roles=TRAINER_A,
        at=at,
        access_end_on=FAR_END,
        locks=[Lock(utc(2026, 1, 1), None)],
        suspensions=[suspension()],
        erased_at=utc(2026, 1, 15, 10),
    )
    assert decision.status is status
    if status is AccountStatus.ERASED:
        assert decision.reason_code == "account-erased"
        assert decision.access_until is None
        assert decision.allowed is False
        assert decision.messaging_allowed is False


def test_a_disabled_account_wins_over_a_lock() -> None:
    decision = evaluate_access(
        uid=UID,
        roles=TRAINER_A,
        at=utc(2026, 5, 1),
        access_end_on=date(2026, 3, 31),
        locks=[Lock(utc(2026, 1, 1), None)],
    )
    assert decision.status is AccountStatus.DISABLED


# --- Instants and Paris days ---------------------------------------------------------


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError):
        evaluate_access(
            uid=UID, roles=TRAINER_A, at=datetime(2026, 1, 1, 12), access_end_on=FAR_END
        )


@pytest.mark.parametrize(
    ("at", "status"),
    [
        pytest.param(utc(2025, 3, 29, 22, 59), AccountStatus.ACTIVE, id="23:59 CET on 29 March"),
        pytest.param(utc(2025, 3, 29, 23, 0), AccountStatus.EXPIRED, id="00:00 CET on 30 March"),
        pytest.param(utc(2025, 3, 30, 0, 59), AccountStatus.EXPIRED, id="01:59 CET on 30 March"),
        pytest.param(utc(2025, 3, 30, 1, 0), AccountStatus.EXPIRED, id="03:00 CEST on 30 March"),
    ],
)
def test_a_validity_ending_the_day_before_the_spring_change_ends_at_paris_midnight(
    at: datetime, status: AccountStatus
) -> None:
    roles = [Role(RoleKind.TRAINER, "IFSI-A", date(2024, 9, 1), date(2025, 3, 29))]
    decision = evaluate_access(uid=UID, roles=roles, at=at, access_end_on=FAR_END)
    assert decision.status is status


@pytest.mark.parametrize(
    ("at", "status"),
    [
        pytest.param(utc(2025, 3, 30, 0, 59), AccountStatus.SUSPENDED, id="just before"),
        pytest.param(utc(2025, 3, 30, 1, 0), AccountStatus.ACTIVE, id="at the change"),
    ],
)
def test_a_lock_ending_at_the_spring_change_instant_is_half_open(
    at: datetime, status: AccountStatus
) -> None:
    roles = [Role(RoleKind.TRAINER, "IFSI-A", date(2024, 9, 1), date(2025, 8, 31))]
    locks = [Lock(utc(2025, 3, 1), utc(2025, 3, 30, 1, 0))]
    decision = evaluate_access(uid=UID, roles=roles, at=at, access_end_on=FAR_END, locks=locks)
    assert decision.status is status


def test_a_grace_period_on_a_non_student_role_is_ignored() -> None:
    roles = [
        Role(
            RoleKind.TRAINER,
            "IFSI-A",
            date(2024, 9, 1),
            date(2025, 8, 31),
            grace_until=date(2025, 10, 31),
        )
    ]
    decision = evaluate_access(uid=UID, roles=roles, at=utc(2025, 9, 10, 12), access_end_on=FAR_END)
    assert (decision.status, decision.access_until) == (AccountStatus.EXPIRED, None)
