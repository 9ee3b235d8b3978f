"""The convention as seeded_uow, on the fakes: what the use-case tests of the storage,
support, billing, lifecycle, calendar, mail and jobs services start from."""

from __future__ import annotations

from datetime import date, datetime

from app.domain.auth import SCOPES, Principal
from app.domain.reference import SCHOOLS, initial_reference
from app.domain.schools import School
from app.services.ports import Actor
from tests.fakes import FakeClock
from tests.unit.services.fakes import FakeUnitOfWork

UT_ADMIN = Principal(subject="ut-admin", client_id=None, scopes=frozenset(SCOPES))
RODEZ = "ifms-rodez"
ALBI = "ifms-albi"


def confined_to(*codes: str) -> Principal:
    """A caller holding every scope but confined to `codes`."""
    return Principal(
        subject="referent", client_id=None, scopes=frozenset(SCOPES), schools=tuple(codes)
    )


def actor(principal: Principal = UT_ADMIN) -> Actor:
    return Actor(principal, request_id="req-1")


def seeded_uow(at: datetime | None = None) -> FakeUnitOfWork:
    """A unit of work whose fakes hold the convention and its 20 schools."""
    uow = FakeUnitOfWork()
    uow.convention.reference = initial_reference()
    created = at or datetime.fromisoformat("2024-09-01T00:00:00+00:00")
    for seed in SCHOOLS:
        uow.schools.rows[seed.code] = School(
            seed.code,
            seed.name,
            seed.group,
            seed.sites,
            uow.convention.reference.reference,
            1,
            created,
            created,
        )
    return uow


def clock_at(instant: str) -> FakeClock:
    return FakeClock(instant)


def add_referent(
    uow: FakeUnitOfWork,
    school_code: str,
    email: str,
    valid_from: date = date(2024, 9, 1),
    valid_until: date = date(2029, 8, 31),
) -> None:
    uow.accounts.referents.append((school_code, email, valid_from, valid_until))


def add_role(uow: FakeUnitOfWork, uid: str, kind: str, school_code: str) -> None:
    from app.domain.accounts import RoleKind
    from app.domain.hosted import StoredRole

    uow.accounts.role_rows.setdefault(uid, []).append(
        StoredRole(
            f"role-{uid}-{school_code}",
            uid,
            RoleKind(kind),
            school_code,
            date(2024, 9, 1),
            date(2029, 8, 31),
        )
    )


def set_census(uow: FakeUnitOfWork, counts: dict[str, int]) -> None:
    """Students counted per school at the census, whatever the year."""
    uow.enrolments.counts = dict(counts)
