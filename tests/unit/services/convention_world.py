"""The convention as seeded_uow, on the fakes: what the use-case tests of the storage,
support, billing, lifecycle, calendar, mail and jobs services start from."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from app.domain.accounts import RoleKind
from app.domain.auth import SCOPES, Principal
from app.domain.enrolments import Enrolment, EnrolmentStatus
from app.domain.reference import SCHOOLS, initial_reference
from app.domain.schools import School
from app.ports.audit import Actor
from tests.fakes import FakeClock
from tests.unit.services.accounts_builders import store_account
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


async def add_referent(uow: FakeUnitOfWork, school_code: str, email: str,
                       valid_from: date = date(2024, 9, 1),
                       valid_until: date = date(2029, 8, 31)) -> None:
    """A referent of `school_code` reached at `email`, valid on those days."""
    await add_role(uow, email.split("@")[0], "referent", school_code, valid_from, valid_until)
    uid = email.split("@")[0]
    uow.accounts.rows[uid] = replace(uow.accounts.rows[uid], email=email)


async def add_role(uow: FakeUnitOfWork, uid: str, kind: str, school_code: str,
                   valid_from: date = date(2024, 9, 1),
                   valid_until: date = date(2029, 8, 31)) -> None:
    """An account `uid` holding a hosted role in `school_code`."""
    await store_account(uow, uid, (RoleKind(kind), school_code, valid_from, valid_until))


def set_census(uow: FakeUnitOfWork, counts: dict[str, int], academic_year: int = 2025) -> None:
    """Students counted per school at the census of `academic_year` (enrolled on its
    first day, never cancelled); replaces the enrolments stored before."""
    uow.enrolments.rows.clear()
    for school_code, count in counts.items():
        for n in range(count):
            key = f"{school_code}-{n}"
            uow.enrolments.rows[key] = Enrolment(
                key, f"student-{key}", f"N{key}", school_code, academic_year,
                date(academic_year, 9, 1), False, False, EnrolmentStatus.ACTIVE, None, "",
                datetime(academic_year, 9, 1, tzinfo=UTC))
