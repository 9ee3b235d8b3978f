"""R-CONV-2a, second half: a school removed by an amendment effective on E is a
beneficiary until E − 1 day; from E nothing new is accepted or renewed for it, its roles
give access until 31 Aug of the academic year containing E, and a census counts it only
before E."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.access import AccountStatus, evaluate_access
from app.domain.accounts import Role, RoleKind
from app.domain.auth import SCOPES
from app.domain.calendar import PARIS
from app.domain.convention import Amendment, TermChanges
from app.domain.schools import (
    BeneficiaryPeriod,
    School,
    beneficiary_period,
    counted_at_census,
    is_beneficiary_for,
    removal_period,
    roles_within_beneficiary,
)
from tests.api.accounts_helpers import file_request, fulfil
from tests.api.hosted_helpers import hosted
from tests.conftest import bearer

AMENDMENTS = "/api/v1/convention/amendments"
REMOVED = "ifms-rodez"
KEPT = "prefms-eibo"


def removal(effective_on: date, *codes: str, reference: str = "AV-R") -> Amendment:
    return Amendment(reference, effective_on - timedelta(days=90), effective_on,
                     TermChanges(), removes_school_codes=codes)


@pytest.fixture
def admin(make_token) -> dict[str, str]:
    return bearer(make_token(*SCOPES, sub="ut-admin"))


async def record_removal(client, admin, effective_on: str, *codes: str,
                         reference: str = "AV-RETRAIT", signed_on: str = "2025-06-10"):
    response = await client.post(AMENDMENTS, headers=admin, json={
        "reference": reference, "signed_on": signed_on, "effective_on": effective_on,
        "removes_school_codes": list(codes)})
    assert response.status_code == 201, response.text
    return response.json()


# ---------------------------------------------------------------- domain


@pytest.mark.parametrize(
    ("effective_on", "until", "cap"),
    [
        (date(2026, 9, 1), date(2026, 8, 31), date(2027, 8, 31)),  # the brief's example
        (date(2026, 8, 31), date(2026, 8, 30), date(2026, 8, 31)),  # last day of a year
        (date(2028, 2, 29), date(2028, 2, 28), date(2028, 8, 31)),  # a leap day
        (date(2028, 3, 1), date(2028, 2, 29), date(2028, 8, 31)),  # the day after it
        (date(2026, 10, 25), date(2026, 10, 24), date(2027, 8, 31)),  # DST ends that day
    ],
)
def test_r_conv_2a_a_removed_school_is_a_beneficiary_until_the_day_before_and_its_roles_are_capped_at_the_31_august_of_e(  # noqa: E501
    effective_on, until, cap
):
    period = removal_period(REMOVED, [removal(effective_on, REMOVED)])
    assert (period.beneficiary_until, period.removed_on, period.role_cap) == (
        until, effective_on, cap)
    assert removal_period(KEPT, [removal(effective_on, REMOVED)]) == BeneficiaryPeriod()


def test_r_conv_2a_the_earliest_removal_wins_and_the_adding_amendment_is_kept():
    now = datetime(2025, 6, 1, tzinfo=UTC)
    school = School("ifsi-nouvelle", "IFSI Nouvelle", None, (), "AV-ADD", 1, now, now)
    amendments = [removal(date(2027, 9, 1), "ifsi-nouvelle", reference="AV-2"),
                  Amendment("AV-ADD", date(2025, 6, 1), date(2025, 9, 1), TermChanges()),
                  removal(date(2026, 9, 1), "ifsi-nouvelle", reference="AV-1")]
    assert beneficiary_period(school, amendments) == BeneficiaryPeriod(
        beneficiary_from=date(2025, 9, 1), beneficiary_until=date(2026, 8, 31))


@pytest.mark.parametrize(
    ("event_on", "call_on", "accepted"),
    [
        (date(2026, 8, 31), date(2026, 8, 31), True),  # 31 Aug, E = 1 Sept
        (date(2026, 8, 31), date(2026, 9, 1), False),  # dated before E, sent on E
        (date(2026, 9, 1), date(2026, 8, 31), False),  # dated on E
        (date(2026, 9, 1), date(2026, 9, 1), False),
    ],
)
def test_r_conv_2a_nothing_is_accepted_for_a_removed_school_dated_or_sent_from_e(
    event_on, call_on, accepted
):
    period = removal_period(REMOVED, [removal(date(2026, 9, 1), REMOVED)])
    assert is_beneficiary_for(period, event_on=event_on, call_on=call_on) is accepted


@pytest.mark.parametrize(
    ("effective_on", "census_on", "counted"),
    [
        (date(2025, 11, 1), date(2025, 10, 31), True),  # census the day before E
        (date(2025, 10, 31), date(2025, 10, 31), False),  # census on E
        (date(2028, 2, 29), date(2028, 2, 28), True),
        (date(2028, 2, 29), date(2028, 2, 29), False),
    ],
)
def test_r_conv_2a_a_census_counts_a_removed_school_only_before_e(
    effective_on, census_on, counted
):
    period = removal_period(REMOVED, [removal(effective_on, REMOVED)])
    assert counted_at_census(period, census_on) is counted


def test_r_conv_2a_a_removed_schools_roles_are_expired_after_the_cap_not_disabled():
    """E = 2026-09-01: a referent role stored until 2028-08-31 and a student role in grace
    until 2027-10-31 both end on 2027-08-31; the other school's role is untouched; a role
    starting after the cap never gives access."""
    roles = [
        Role(RoleKind.REFERENT, REMOVED, date(2026, 3, 1), date(2028, 8, 31)),
        Role(RoleKind.STUDENT, REMOVED, date(2026, 9, 1), date(2027, 8, 31),
             grace_until=date(2027, 10, 31)),
        Role(RoleKind.TRAINER, REMOVED, date(2027, 9, 1), date(2028, 8, 31)),
        Role(RoleKind.TRAINER, KEPT, date(2026, 3, 1), date(2027, 8, 31)),
    ]
    capped = roles_within_beneficiary(roles, [removal(date(2026, 9, 1), REMOVED)])
    assert [(r.school_code, r.valid_until, r.effective_grace_until()) for r in capped] == [
        (REMOVED, date(2027, 8, 31), None), (REMOVED, date(2027, 8, 31), None),
        (KEPT, date(2027, 8, 31), None)]
    removed_only = [r for r in capped if r.school_code == REMOVED]

    def status(day: date) -> AccountStatus:
        return evaluate_access(uid="abcd1234", roles=removed_only,
                               at=datetime(day.year, day.month, day.day, 12, tzinfo=PARIS),
                               access_end_on=date(2029, 8, 31)).status

    assert status(date(2027, 8, 31)) is AccountStatus.ACTIVE
    assert status(date(2027, 9, 1)) is AccountStatus.EXPIRED


# ---------------------------------------------------------------- API


async def test_r_conv_2a_an_amendment_removes_schools_and_the_schools_show_beneficiary_until(
    client, clock, admin
):
    clock.set("2025-06-15T12:00:00+02:00")
    unknown = await client.post(AMENDMENTS, headers=admin, json={
        "reference": "AV-X", "signed_on": "2025-06-10", "effective_on": "2026-09-01",
        "removes_school_codes": ["ifsi-inconnue"]})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown-school"
    malformed = await client.post(AMENDMENTS, headers=admin, json={
        "reference": "AV-X", "signed_on": "2025-06-10", "effective_on": "2026-09-01",
        "removes_school_codes": ["IFMS Rodez"]})
    assert malformed.status_code == 422
    assert (await client.get(AMENDMENTS, headers=admin)).json()["items"] == []

    recorded = await record_removal(client, admin, "2026-09-01", REMOVED)
    assert recorded["removes_school_codes"] == [REMOVED]
    listed = (await client.get(AMENDMENTS, headers=admin)).json()["items"]
    assert [a["removes_school_codes"] for a in listed] == [[REMOVED]]
    school = (await client.get(f"/api/v1/schools/{REMOVED}", headers=admin)).json()
    assert (school["beneficiary_from"], school["beneficiary_until"]) == (None, "2026-08-31")
    kept = (await client.get(f"/api/v1/schools/{KEPT}", headers=admin)).json()
    assert kept["beneficiary_until"] is None


async def test_r_conv_2a_requests_and_fulfilments_for_a_removed_school_are_refused_from_e(
    client, clock, admin
):
    """E = 2026-10-25, the day summer time ends in Paris: 00:30 that night is still
    22:30Z on the 24th."""
    clock.set("2026-06-15T12:00:00+02:00")
    await record_removal(client, admin, "2026-10-25", REMOVED, signed_on="2026-06-10")
    clock.set("2026-10-24T23:59:30+02:00")
    before = await file_request(client, admin, school=REMOVED,
                                received_at="2026-10-24T21:59:00Z")
    assert before.status_code == 201, before.text
    clock.set("2026-10-24T22:40:00Z")  # 00:40 on E in Paris, still summer time
    dated_on_e = await file_request(client, admin, school=REMOVED,
                                    received_at="2026-10-24T22:30:00Z")
    assert dated_on_e.status_code == 409, dated_on_e.text
    assert dated_on_e.json()["code"] == "school-not-beneficiary"
    assert "Camille" not in dated_on_e.text

    clock.set("2026-10-25T09:00:00+01:00")  # call on E for a request dated before it
    late = await file_request(client, admin, school=REMOVED,
                              received_at="2026-10-24T21:00:00Z")
    assert late.status_code == 409 and late.json()["code"] == "school-not-beneficiary"
    refused = await fulfil(client, admin, before.json()["id"],
                           fulfilled_at="2026-10-25T08:00:00+01:00")
    assert refused.status_code == 409 and refused.json()["code"] == "school-not-beneficiary"
    other = await file_request(client, admin, school=KEPT,
                               received_at="2026-10-25T08:00:00+01:00")
    assert other.status_code == 201, other.text


async def test_r_conv_2a_enrolments_and_snapshots_of_a_removed_school_are_rejected_per_item(
    client, clock, admin, make_token
):
    clock.set("2025-06-15T12:00:00+02:00")
    await record_removal(client, admin, "2025-09-15", REMOVED)
    office = bearer(make_token(profile="schooling-office", sub="scolarite"))
    plugin = bearer(make_token(profile="moodle-plugin", sub="moodle-plugin"))

    def item(number: str, on: str, school: str = REMOVED) -> dict:
        return {"student_number": number, "school_code": school,
                "academic_year": "2025-2026", "enrolled_on": on, "given_name": "Léa",
                "family_name": "Dupont", "email": f"{number.lower()}@example.org"}

    clock.set("2025-09-14T12:00:00+02:00")
    before = await client.post("/api/v1/enrolments", headers=office,
                               json={"items": [item("N-1", "2025-09-14")]})
    assert [r["status"] for r in before.json()["results"]] == ["created"], before.text
    clock.set("2025-09-15T12:00:00+02:00")
    batch = await client.post("/api/v1/enrolments", headers=office, json={"items": [
        item("N-2", "2025-09-14"), item("N-3", "2025-09-15"),
        item("N-4", "2025-09-15", school=KEPT)]})
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "created"]
    assert [e["code"] for r in results[:2] for e in r["errors"]] == [
        "school-not-beneficiary", "school-not-beneficiary"]

    snapshots = await client.post("/api/v1/storage/snapshots", headers=plugin, json={
        "items": [
            {"snapshot_id": "r-1", "school_code": REMOVED,
             "measured_at": "2025-09-14T21:59:00Z", "bytes_used": 1000},
            {"snapshot_id": "r-2", "school_code": REMOVED,
             "measured_at": "2025-09-14T22:00:00Z", "bytes_used": 1000},
            {"snapshot_id": "r-3", "school_code": KEPT,
             "measured_at": "2025-09-14T22:00:00Z", "bytes_used": 1000},
        ]})
    assert snapshots.status_code == 200, snapshots.text
    results = snapshots.json()["results"]
    # r-1 is dated the 14th but sent on E: refused too.
    assert [r["status"] for r in results] == ["rejected", "rejected", "accepted"]
    assert [e["code"] for r in results[:2] for e in r["errors"]] == [
        "school-not-beneficiary", "school-not-beneficiary"]


async def test_r_conv_2a_the_census_counts_a_removed_school_the_day_before_e_not_at_e(
    client, clock, admin, make_token
):
    office = bearer(make_token(profile="schooling-office", sub="scolarite"))
    clock.set("2025-09-02T12:00:00+02:00")
    batch = await client.post("/api/v1/enrolments", headers=office, json={"items": [
        {"student_number": "C-1", "school_code": REMOVED, "academic_year": "2025-2026",
         "enrolled_on": "2025-09-01", "given_name": "Léa", "family_name": "Dupont",
         "email": "c-1@example.org"}]})
    assert [r["status"] for r in batch.json()["results"]] == ["created"], batch.text

    clock.set("2026-01-05T12:00:00+01:00")
    url = "/api/v1/enrolment-campaigns/2025-2026/census"
    first = (await client.get(url, headers=admin)).json()
    census_on = date.fromisoformat(first["census_on"])
    assert {s["school_code"] for s in first["schools"]} == {REMOVED}

    await record_removal(client, admin, (census_on + timedelta(days=1)).isoformat(),
                         REMOVED, reference="AV-LATER", signed_on="2026-01-02")
    day_before = (await client.get(url, headers=admin)).json()
    assert {s["school_code"] for s in day_before["schools"]} == {REMOVED}

    await record_removal(client, admin, census_on.isoformat(), REMOVED,
                         reference="AV-AT", signed_on="2026-01-02")
    at_e = (await client.get(url, headers=admin)).json()
    assert at_e["schools"] == [] and at_e["total"] == 0


async def test_r_conv_2a_a_removed_schools_account_is_active_until_the_cap_then_expired(
    app, client, clock, admin
):
    """Created on 2026-06-10, the referent role is stored until 2027-08-31 (R-ACC-3); the
    school is removed from E = 2026-06-15: access ends on 31 Aug 2026 and from 1 Sept the
    account is `expired`, not `disabled` (the convention goes on)."""
    uid = await hosted(app, clock, at="2026-06-10T10:00:00+02:00")
    clock.set("2026-06-12T12:00:00+02:00")
    await record_removal(client, admin, "2026-06-15", REMOVED, signed_on="2026-06-11")

    async def access(at: str) -> dict:
        response = await client.get(f"/api/v1/accounts/{uid}/access", params={"at": at},
                                    headers=admin)
        assert response.status_code == 200, response.text
        return response.json()

    last = await access("2026-08-31T23:59:00+02:00")
    assert (last["status"], last["allowed"], last["access_until"]) == (
        "active", True, "2026-08-31")
    after = await access("2026-09-01T00:00:00+02:00")
    assert (after["status"], after["allowed"]) == ("expired", False)


async def test_r_conv_2a_from_e_no_renewal_decision_is_taken_and_closing_renews_nothing(
    app, client, clock, admin
):
    renewed = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    clock.set("2025-06-02T09:00:00+02:00")
    opened = await client.post("/api/v1/renewal-campaigns",
                               json={"academic_year": "2025-2026"}, headers=admin)
    assert opened.status_code == 201, opened.text
    await record_removal(client, admin, "2025-06-20", REMOVED, signed_on="2025-06-01")
    url = f"/api/v1/renewal-campaigns/2025-2026/schools/{REMOVED}"

    async def decide(at: str):
        clock.set(at)
        etag = (await client.get(url, headers=admin)).headers["etag"]
        return await client.put(f"{url}/decisions", headers=admin | {"If-Match": etag},
                                json={"decisions": [{"uid": renewed, "kind": "referent",
                                                     "decision": "renew"}]})

    on_the_eve = await decide("2025-06-19T23:59:00+02:00")
    assert on_the_eve.status_code == 200, on_the_eve.text
    on_e = await decide("2025-06-20T00:00:00+02:00")
    assert on_e.status_code == 409 and on_e.json()["code"] == "school-not-beneficiary"

    clock.set("2025-07-01T09:00:00+02:00")
    closed = await client.post("/api/v1/renewal-campaigns/2025-2026/closing", headers=admin)
    assert closed.status_code == 200, closed.text
    uow = app.state.container.uow_factory()
    async with uow:
        roles = await uow.accounts.roles(renewed)
    assert [r.valid_until.isoformat() for r in roles] == ["2025-08-31"]
