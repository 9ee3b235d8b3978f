"""June renewal campaigns (R-ACC-5, R-REF-1, R-REF-1b): opening with the referents' mail,
the school listing, decisions and closing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.domain.accounts import RoleKind
from app.domain.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from app.domain.preconditions import Precondition
from app.domain.renewals import CampaignStatus, Decision
from app.domain.rules import DEFAULT_RULES
from app.services import renewals
from tests.fakes import FakeClock
from tests.unit.services.accounts_builders import store_account
from tests.unit.services.fakes import FakeUnitOfWork, actor_of, referent, staff

ENDING = (date(2025, 9, 1), date(2026, 8, 31))
OPENING = "2026-05-31T22:00:00+00:00"  # 1 June 2026, 00:00 in Paris
ANY = Precondition(any_version=True)


@pytest.fixture
async def school(seeded: FakeUnitOfWork) -> FakeUnitOfWork:
    await store_account(seeded, "ref0001a", (RoleKind.REFERENT, "ifms-rodez", *ENDING))
    await store_account(seeded, "ref0002b", (RoleKind.REFERENT, "ifms-rodez", *ENDING))
    await store_account(seeded, "tra0003c", (RoleKind.TRAINER, "ifms-rodez", *ENDING))
    await store_account(seeded, "tra0004d", (RoleKind.TRAINER, "ifms-albi",
                                             date(2025, 9, 1), date(2027, 8, 31)))
    return seeded


async def _open(uow, clock=None, principal=None):
    return await renewals.open_campaign(uow, clock or FakeClock(OPENING), actor_of(principal),
                                        2026)


async def test_opening_on_1_june_mails_the_referents_of_schools_with_people_to_review(
    school: FakeUnitOfWork,
):
    summary, created = await _open(school)
    assert created and summary.campaign.status is CampaignStatus.OPEN
    assert (summary.campaign.referent_deadline, summary.campaign.trainer_deadline) == (
        date(2026, 6, 30), date(2026, 6, 25)
    )
    (mail,) = school.outbox.messages.values()
    assert mail.template == "renewal-campaign"
    assert mail.recipients == ("ref0001a@ifms.fr", "ref0002b@ifms.fr")
    assert "31 août 2027" in mail.body_text
    again, created_again = await _open(school)
    assert not created_again and again.campaign == summary.campaign
    assert school.audit.actions() == ["renewal-campaign.opened"]


@pytest.mark.parametrize("now", ["2026-05-31T21:59:00+00:00", "2026-06-25T22:00:00+00:00"])
async def test_a_campaign_opens_from_1_to_25_june_only(school: FakeUnitOfWork, now):
    with pytest.raises(Conflict) as refused:
        await _open(school, FakeClock(now))
    assert refused.value.code == "campaign-window-closed"
    assert school.campaigns.rows == {} and school.outbox.messages == {}


async def test_a_confined_caller_neither_opens_nor_closes(school: FakeUnitOfWork):
    with pytest.raises(Forbidden):
        await _open(school, principal=referent("ifms-rodez"))
    with pytest.raises(Forbidden):
        await renewals.close_campaign(school, FakeClock(OPENING),
                                      actor_of(referent("ifms-rodez")), 2026)


async def test_the_listing_shows_the_schools_people_ending_on_31_august(school):
    await _open(school)
    clock = FakeClock(OPENING)
    listing = await renewals.school_listing(school, clock, referent("ifms-rodez"), 2026,
                                            "ifms-rodez")
    assert [(p.uid, p.kind) for p in listing.people] == [
        ("ref0001a", RoleKind.REFERENT), ("ref0002b", RoleKind.REFERENT),
        ("tra0003c", RoleKind.TRAINER),
    ]
    assert listing.open_kinds == {RoleKind.REFERENT, RoleKind.TRAINER}
    with pytest.raises(NotFound, match="no such school"):
        await renewals.school_listing(school, clock, referent("ifms-rodez"), 2026, "ifms-albi")
    with pytest.raises(NotFound, match="no campaign"):
        await renewals.get_campaign(school, staff(), 2025)


async def _decide(uow, clock, decisions, *, if_match=ANY, school_code="ifms-rodez"):
    return await renewals.replace_decisions(
        uow, clock, actor_of(), 2026, school_code, if_match=if_match, decisions=decisions
    )


async def test_decisions_are_replaced_under_the_listings_tag_and_counted(school):
    await _open(school)
    clock = FakeClock("2026-06-10T08:00:00+00:00")
    listing = await _decide(school, clock, [
        ("ref0001a", RoleKind.REFERENT, Decision.RENEW),
        ("tra0003c", RoleKind.TRAINER, Decision.REMOVE),
    ])
    assert listing.decisions == {("ref0001a", RoleKind.REFERENT): Decision.RENEW,
                                 ("tra0003c", RoleKind.TRAINER): Decision.REMOVE}
    with pytest.raises(PreconditionFailed):
        await _decide(school, clock, [("ref0002b", RoleKind.REFERENT, Decision.RENEW)],
                      if_match=Precondition(tags=frozenset({"stale"})))
    retry = await _decide(school, clock, [
        ("ref0001a", RoleKind.REFERENT, Decision.RENEW),
        ("tra0003c", RoleKind.TRAINER, Decision.REMOVE),
    ], if_match=Precondition(tags=frozenset({"stale"})))
    assert retry.decisions == listing.decisions
    summary = await renewals.get_campaign(school, staff(), 2026)
    assert (summary.renew_decisions, summary.remove_decisions) == (1, 1)
    assert (await renewals.get_campaign(school, referent("ifms-albi"), 2026)).renew_decisions == 0


async def test_removing_every_referent_is_refused_by_the_referent_minimum(school):
    await _open(school)
    clock = FakeClock("2026-06-10T08:00:00+00:00")
    with pytest.raises(Conflict) as refused:
        await _decide(school, clock, [("ref0001a", RoleKind.REFERENT, Decision.REMOVE),
                                      ("ref0002b", RoleKind.REFERENT, Decision.REMOVE)])
    assert refused.value.code == "referent-minimum"
    assert school.campaigns.decision_rows == {}


async def test_after_the_trainer_deadline_only_referents_may_change(school):
    await _open(school)
    clock = FakeClock("2026-06-25T22:00:00+00:00")  # 26 June in Paris
    with pytest.raises(Conflict) as refused:
        await _decide(school, clock, [("tra0003c", RoleKind.TRAINER, Decision.RENEW)])
    assert refused.value.code == "campaign-deadline-passed"


async def test_closing_renews_to_31_august_next_year_and_lists_schools_left_without_referent(
    school: FakeUnitOfWork,
):
    await _open(school)
    await _decide(school, FakeClock("2026-06-10T08:00:00+00:00"), [
        ("ref0001a", RoleKind.REFERENT, Decision.RENEW),
        ("tra0003c", RoleKind.TRAINER, Decision.RENEW),
    ])
    with pytest.raises(Conflict) as early:
        await renewals.close_campaign(school, FakeClock("2026-06-30T08:00:00+00:00"),
                                      actor_of(), 2026)
    assert early.value.code == "campaign-open"
    clock = FakeClock("2026-06-30T22:00:00+00:00")  # 1 July in Paris
    summary = await renewals.close_campaign(school, clock, actor_of(), 2026)
    ends = {r.uid: r.valid_until for r in school.accounts.role_rows.values()}
    assert ends == {"ref0001a": date(2027, 8, 31), "ref0002b": date(2026, 8, 31),
                    "tra0003c": date(2027, 8, 31), "tra0004d": date(2027, 8, 31)}
    assert summary.campaign.status is CampaignStatus.CLOSED
    assert "ifms-rodez" not in summary.schools_without_referent
    assert "ifms-albi" in summary.schools_without_referent
    assert await renewals.close_campaign(school, clock, actor_of(), 2026) == summary
    assert school.audit.actions().count("role.renewed") == 2


async def test_changed_deadline_readings_move_open_campaigns_only(school: FakeUnitOfWork):
    await _open(school)
    later = replace(DEFAULT_RULES, referent_answer_deadline=(6, 28))
    async with school:
        changed = await renewals.CampaignDeadlines(later).recompute(
            school, calendar=None, now=FakeClock(OPENING).now()
        )
        await school.commit()
    assert changed == 1
    assert school.campaigns.rows[2026].referent_deadline == date(2026, 6, 28)


def test_a_campaign_year_label_is_parsed():
    assert renewals.parse_year("2026-2027") == 2026
