"""Periodic jobs of hosted accounts: the June campaign's opening and closing (R-ACC-5)
and the daily digest of UT's account team (R-ACC-4, R-REF-2)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.domain.accounts import RoleKind
from app.domain.renewals import CampaignStatus
from app.domain.trainings import Training, TrainingStatus
from app.services import account_jobs, accounts
from app.services.jobs import JobContext
from tests.fakes import FakeClock
from tests.unit.services.accounts_builders import new_request, store_account
from tests.unit.services.fakes import FakeUnitOfWork, actor_of


def _context(uow: FakeUnitOfWork, at: str) -> JobContext:
    clock = FakeClock(at)
    return JobContext(at=clock.now(), clock=clock, uow_factory=lambda: uow)


async def test_the_campaign_opens_on_1_june_paris_and_once(seeded: FakeUnitOfWork):
    run = account_jobs.open_june_campaign()
    assert await run(_context(seeded, "2026-05-31T21:59:00+00:00")) == {"opened": 0}
    assert await run(_context(seeded, "2026-05-31T22:00:00+00:00")) == {"opened": 1}
    assert await run(_context(seeded, "2026-06-02T04:00:00+00:00")) == {"opened": 0}
    assert list(seeded.campaigns.rows) == [2026]


async def test_no_campaign_opens_in_a_june_outside_the_convention(seeded: FakeUnitOfWork):
    run = account_jobs.open_june_campaign()
    assert await run(_context(seeded, "2030-06-01T04:00:00+00:00")) == {
        "opened": 0, "convention_not_active": 1
    }


async def test_a_campaign_closes_the_day_after_its_last_deadline(seeded: FakeUnitOfWork):
    await store_account(seeded, "ref0001a", (RoleKind.REFERENT, "ifms-rodez",
                                             date(2025, 9, 1), date(2026, 8, 31)))
    await account_jobs.open_june_campaign()(_context(seeded, "2026-06-01T04:00:00+00:00"))
    close = account_jobs.close_june_campaigns
    assert await close(_context(seeded, "2026-06-30T21:59:00+00:00")) == {"closed": 0}
    assert await close(_context(seeded, "2026-06-30T22:00:00+00:00")) == {"closed": 1}
    assert seeded.campaigns.rows[2026].status is CampaignStatus.CLOSED


async def test_the_digest_lists_due_soon_and_overdue_once_per_paris_day(seeded: FakeUnitOfWork):
    for ticket, at in (("T-OLD", "2025-02-10T09:00:00+00:00"),
                       ("T-SOON", "2025-02-12T09:00:00+00:00")):
        await accounts.create_request(seeded, FakeClock(at), actor_of(), new_request(ticket),
                                      skew_seconds=30)
    async with seeded:
        await seeded.trainings.add(Training(
            "t1", "ref0001a", "ifms-rodez", "r1", date(2025, 2, 1), date(2025, 2, 17),
            TrainingStatus.DUE, None, None, None, datetime(2025, 2, 1, tzinfo=UTC),
        ))
        await seeded.commit()
    digest = account_jobs.digest_job("comptes@ut.fr")
    # 26 Feb: T-OLD was due 25 Feb (overdue), T-SOON is due 27 Feb (within 3 days).
    counts = await digest(_context(seeded, "2025-02-25T23:30:00+00:00"))
    assert counts == {"due_soon": 1, "overdue_requests": 1, "overdue_trainings": 1,
                      "mailed": 1}
    (mail,) = seeded.outbox.messages.values()
    assert mail.recipients == ("comptes@ut.fr",) and "T-SOON" in mail.body_text
    again = await digest(_context(seeded, "2025-02-26T10:00:00+00:00"))
    assert again["mailed"] == 0 and len(seeded.outbox.messages) == 1


async def test_no_digest_when_nothing_is_due(seeded: FakeUnitOfWork):
    counts = await account_jobs.digest_job("comptes@ut.fr")(
        _context(seeded, "2025-02-26T10:00:00+00:00")
    )
    assert counts["mailed"] == 0 and seeded.outbox.messages == {}


def test_the_three_jobs_are_registered_with_their_names():
    names = [j.name for j in account_jobs.jobs(accounts_email="comptes@ut.fr")]
    assert names == [account_jobs.CAMPAIGN_OPEN_JOB, account_jobs.CAMPAIGN_CLOSE_JOB,
                     account_jobs.DIGEST_JOB]
