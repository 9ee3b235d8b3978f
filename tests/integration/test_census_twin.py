"""R-BIL-1 has one home, `CensusRule.counts`; the census aggregate of
`SqlEnrolmentRepository.census` is its SQL twin (the hot path). This test runs both on
the same cases — a table of awkward dates around each census date — on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL, and requires the same answers."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from app.adapters.db.engine import create_engine, session_factory
from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.domain.enrolments import CensusRule, Enrolment, EnrolmentStatus
from app.ports.enrolments import NewStudentAccount
from app.services.seed import seed_reference_data
from tests.fakes import FakeClock

ONE_DAY = timedelta(days=1)
SCHOOLS = ("ifms-albi", "ifms-rodez", "ifms-lot")
# Census dates: the default close (31 Oct), a campaign closed on 29 Feb of a leap year,
# one on the autumn DST Sunday, one on a public holiday (11 Nov) and one closed on
# 31 Aug, the year's last day.
CENSUS_DATES = [
    (2024, date(2024, 10, 31)),
    (2027, date(2028, 2, 29)),
    (2025, date(2025, 10, 26)),
    (2026, date(2026, 11, 11)),
    (2025, date(2026, 8, 31)),
]


def _cases(year: int, census_on: date) -> list[tuple[int, date, date | None, bool]]:
    """(academic year, enrolled_on, cancelled_on, transfer): every combination of dates
    one day around the census, the year's first day, and the other years."""
    around = [census_on - ONE_DAY, census_on, census_on + ONE_DAY]
    enrolled = [date(year, 7, 1), date(year, 9, 1), *around]
    cancelled: list[date | None] = [None, *around, date(year + 1, 8, 31)]
    out = [
        (year, e, c, t)
        for e, c, t in itertools.product(enrolled, cancelled, (False, True))
        if c is None or c >= e
    ]
    out += [(year - 1, census_on - ONE_DAY, None, False), (year + 1, date(year, 7, 1), None,
                                                           False)]
    return out


@pytest.mark.parametrize(("year", "census_on"), CENSUS_DATES,
                         ids=[d.isoformat() for _, d in CENSUS_DATES])
async def test_r_bil_1_the_sql_census_counts_exactly_what_the_domain_rule_counts(
    databases, year, census_on
):
    url = await databases.fresh()
    engine = create_engine(url)
    try:
        factory = SqlUnitOfWorkFactory(session_factory(engine))
        now = datetime(2024, 6, 1, tzinfo=UTC)
        await seed_reference_data(factory(), FakeClock(now.isoformat()), _actor())
        enrolments = [
            Enrolment(
                id=f"00000000-0000-7000-8000-{n:012d}", uid=f"cen{n:04d}x",
                student_number=f"N{n}", school_code=SCHOOLS[n % len(SCHOOLS)],
                academic_year=y, enrolled_on=e, final_year=False, transfer=t,
                status=EnrolmentStatus.CANCELLED if c else EnrolmentStatus.ACTIVE,
                cancelled_on=c, content_sha256=f"{n}", created_at=now,
            )
            for n, (y, e, c, t) in enumerate(_cases(year, census_on))
        ]
        async with factory() as uow:
            await uow.enrolments.add_accounts(
                [NewStudentAccount(e.uid, e.student_number, "A", "B", "a.b@example.org")
                 for e in enrolments], now=now)
            await uow.enrolments.add_many(enrolments)
            await uow.commit()
        for count_transfers in (False, True):
            rule = CensusRule(year, census_on, count_transfers=count_transfers)
            expected: dict[str, int] = {}
            for e in enrolments:
                if rule.counts(e):
                    expected[e.school_code] = expected.get(e.school_code, 0) + 1
            async with factory() as uow:
                assert await uow.enrolments.census(rule) == expected
            assert sum(expected.values()) > 0
    finally:
        await engine.dispose()
        await databases.drop(url)


def _actor():
    from app.cli import CLI_ACTOR

    return CLI_ACTOR
