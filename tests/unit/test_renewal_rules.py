"""Pure rules of the June campaigns (R-ACC-5): window, deadlines, decision merging."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.accounts import RoleKind
from app.domain.convention import ConventionClock
from app.domain.errors import Conflict, InvalidInput
from app.domain.renewals import (
    Campaign,
    CampaignStatus,
    Decision,
    ListedPerson,
    campaign_deadlines,
    ending_on,
    ensure_campaign_can_open,
    ensure_closable,
    listing_etag,
    merge_decisions,
    open_kinds,
    renewed_until,
)

REF, TRA = RoleKind.REFERENT, RoleKind.TRAINER
RENEW, REMOVE = Decision.RENEW, Decision.REMOVE


def campaign(status: CampaignStatus = CampaignStatus.OPEN) -> Campaign:
    referents, trainers = campaign_deadlines(2025)
    return Campaign(2025, status, referents, trainers, datetime(2025, 6, 1, tzinfo=UTC), None)


def test_the_campaign_for_2025_2026_looks_at_roles_ending_in_august_2025():
    assert ending_on(2025) == date(2025, 8, 31)
    assert renewed_until(2025) == date(2026, 8, 31)


@pytest.mark.parametrize(
    ("today", "code"),
    [
        (date(2025, 5, 31), "campaign-window-closed"),
        (date(2025, 6, 1), None),
        (date(2025, 6, 25), None),
        (date(2025, 6, 26), "campaign-window-closed"),
    ],
)
def test_a_campaign_opens_from_the_first_to_the_twenty_fifth_of_june(today, code):
    if code is None:
        ensure_campaign_can_open(2025, today, ConventionClock())
    else:
        with pytest.raises(Conflict) as raised:
            ensure_campaign_can_open(2025, today, ConventionClock())
        assert raised.value.code == code


@pytest.mark.parametrize("year", [2023, 2029])
def test_a_year_outside_the_convention_cannot_open(year):
    with pytest.raises(Conflict) as raised:
        ensure_campaign_can_open(year, date(year, 6, 5), ConventionClock())
    assert raised.value.code == "convention-not-active"


@pytest.mark.parametrize(
    ("today", "kinds"),
    [
        (date(2025, 6, 25), {REF, TRA}),
        (date(2025, 6, 26), {REF}),
        (date(2025, 6, 30), {REF}),
        (date(2025, 7, 1), set()),
    ],
)
def test_each_kind_stays_open_until_the_end_of_its_deadline_day(today, kinds):
    assert open_kinds(campaign(), today) == kinds


def test_a_closed_campaign_has_no_open_kind():
    assert open_kinds(campaign(CampaignStatus.CLOSED), date(2025, 6, 2)) == frozenset()


def test_a_campaign_closes_only_after_its_last_deadline():
    with pytest.raises(Conflict) as raised:
        ensure_closable(campaign(), date(2025, 6, 30))
    assert raised.value.code == "campaign-open"
    ensure_closable(campaign(), date(2025, 7, 1))


LISTED = [("abc1234a", REF), ("abc1234b", REF), ("abc1234c", TRA)]


def test_open_kinds_are_replaced_and_closed_kinds_must_repeat_the_stored_answers():
    stored = {("abc1234c", TRA): RENEW, ("abc1234a", REF): REMOVE}
    merged = merge_decisions(
        listed=LISTED, stored=stored, open_kinds=frozenset({REF}),
        proposed=[("abc1234a", REF, RENEW), ("abc1234c", TRA, RENEW)],
    )
    assert merged == {("abc1234a", REF): RENEW, ("abc1234c", TRA): RENEW}
    with pytest.raises(Conflict) as raised:
        merge_decisions(listed=LISTED, stored=stored, open_kinds=frozenset({REF}),
                        proposed=[("abc1234c", TRA, REMOVE)])
    assert raised.value.code == "campaign-deadline-passed"
    with pytest.raises(Conflict):
        merge_decisions(listed=LISTED, stored=stored, open_kinds=frozenset({REF}),
                        proposed=[("abc1234a", REF, RENEW)])  # the trainer answer dropped


@pytest.mark.parametrize(
    "proposed",
    [
        [("zzz9999z", REF, RENEW)],
        [("abc1234c", REF, RENEW)],
        [("abc1234a", REF, RENEW), ("abc1234a", REF, REMOVE)],
    ],
)
def test_an_unlisted_or_repeated_person_is_invalid(proposed):
    with pytest.raises(InvalidInput):
        merge_decisions(listed=LISTED, stored={}, open_kinds=frozenset({REF, TRA}),
                        proposed=proposed)


def test_the_etag_changes_with_decisions_and_validity_but_not_with_order():
    people = [
        ListedPerson("abc1234a", REF, "A", "B", date(2025, 8, 31), "r1"),
        ListedPerson("abc1234c", TRA, "C", "D", date(2025, 8, 31), "r2"),
    ]
    base = listing_etag(2025, "ifms-rodez", people, {}, CampaignStatus.OPEN)
    assert base == listing_etag(2025, "ifms-rodez", people[::-1], {}, CampaignStatus.OPEN)
    decided = listing_etag(2025, "ifms-rodez", people, {("abc1234a", REF): RENEW},
                           CampaignStatus.OPEN)
    renewed = [ListedPerson("abc1234a", REF, "A", "B", date(2026, 8, 31), "r1"), people[1]]
    assert len({base, decided,
                listing_etag(2025, "ifms-rodez", renewed, {}, CampaignStatus.OPEN),
                listing_etag(2025, "ifms-rodez", people, {}, CampaignStatus.CLOSED)}) == 4
