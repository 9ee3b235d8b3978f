"""R-CONV-2a: a school added by an amendment is a beneficiary from the amendment's
effective date, not before (the first version made it usable and billed at once)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.schools import (
    BeneficiaryPeriod,
    counted_at_census,
    is_beneficiary_for,
)
from tests.api.accounts_helpers import file_request
from tests.conftest import bearer

ADDED = BeneficiaryPeriod(beneficiary_from=date(2025, 9, 1))
REMOVED = BeneficiaryPeriod(beneficiary_until=date(2026, 8, 31))  # removal effective 1 Sept


@pytest.mark.parametrize(
    ("period", "event_on", "call_on", "accepted"),
    [
        (ADDED, date(2025, 8, 31), date(2025, 9, 2), False),  # the day before, sent after
        (ADDED, date(2025, 9, 1), date(2025, 9, 1), True),  # the effective date itself
        (BeneficiaryPeriod(), date(2024, 1, 1), date(2024, 1, 1), True),  # seeded school
        (REMOVED, date(2026, 8, 31), date(2026, 8, 31), True),
        (REMOVED, date(2026, 8, 31), date(2026, 9, 1), False),  # sent on the removal date
        (REMOVED, date(2026, 9, 1), date(2026, 9, 1), False),
    ],
)
def test_r_conv_2a_a_school_is_a_beneficiary_between_its_amendments(
    period, event_on, call_on, accepted
):
    assert is_beneficiary_for(period, event_on=event_on, call_on=call_on) is accepted


@pytest.mark.parametrize(
    ("period", "census_on", "counted"),
    [
        (ADDED, date(2025, 10, 31), True),
        (BeneficiaryPeriod(beneficiary_from=date(2025, 11, 1)), date(2025, 10, 31), False),
        (BeneficiaryPeriod(beneficiary_from=date(2028, 2, 29)), date(2028, 2, 29), True),
        (REMOVED, date(2026, 8, 31), True),
        (REMOVED, date(2026, 10, 31), False),
        (BeneficiaryPeriod(), date(2024, 10, 31), True),
    ],
)
def test_r_conv_2a_a_census_counts_the_school_from_beneficiary_from_to_the_removal(
    period, census_on, counted
):
    assert counted_at_census(period, census_on) is counted


async def test_r_conv_2a_a_school_added_by_an_amendment_is_refused_before_its_effective_date(
    client, admin_headers, make_token, clock
):
    """Amendment signed 2025-06-10, effective 2025-09-01: the school shows both dates;
    a request received on 31 Aug and an enrolment dated 31 Aug are refused with 409
    `school-not-beneficiary` (per item in the batch); from 1 Sept they pass and the
    census of 2025-2026 counts the school."""
    clock.set("2025-06-15T12:00:00+02:00")
    amendment = await client.post(
        "/api/v1/convention/amendments",
        json={"reference": "AV-2025-09", "signed_on": "2025-06-10",
              "effective_on": "2025-09-01", "schools_added": "IFSI Nouvelle"},
        headers=admin_headers)
    assert amendment.status_code == 201, amendment.text
    created = await client.post(
        "/api/v1/schools", json={"code": "ifsi-nouvelle", "name": "IFSI Nouvelle",
                                 "amendment_reference": "AV-2025-09"}, headers=admin_headers)
    assert created.status_code == 201, created.text
    assert (created.json()["beneficiary_from"], created.json()["beneficiary_until"]) == (
        "2025-09-01", None)
    seeded = (await client.get("/api/v1/schools/ifms-rodez", headers=admin_headers)).json()
    assert seeded["beneficiary_from"] is None
    listed = (await client.get("/api/v1/schools", params={"limit": 500},
                               headers=admin_headers)).json()["items"]
    assert {s["code"]: s["beneficiary_from"] for s in listed}["ifsi-nouvelle"] == "2025-09-01"

    clock.set("2025-09-02T12:00:00+02:00")
    early = await file_request(client, admin_headers, school="ifsi-nouvelle",
                               received_at="2025-08-31T23:59:00+02:00")
    assert early.status_code == 409, early.text
    assert early.json()["code"] == "school-not-beneficiary"
    on_time = await file_request(client, admin_headers, school="ifsi-nouvelle",
                                 received_at="2025-09-01T00:00:00+02:00")
    assert on_time.status_code == 201, on_time.text

    office = bearer(make_token(profile="schooling-office", sub="scolarite"))

    def item(number: str, on: str) -> dict:
        return {"student_number": number, "school_code": "ifsi-nouvelle",
                "academic_year": "2025-2026", "enrolled_on": on, "given_name": "Léa",
                "family_name": "Dupont", "email": "lea.dupont@example.org"}

    batch = await client.post("/api/v1/enrolments", headers=office, json={"items": [
        item("N-1", "2025-08-31"), item("N-2", "2025-09-01"),
        {**item("N-3", "2025-08-31"), "school_code": "ifms-rodez"}]})
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "created", "created"]
    assert [e["code"] for e in results[0]["errors"]] == ["school-not-beneficiary"]
    clock.set("2025-11-02T12:00:00+01:00")
    census = await client.get("/api/v1/enrolment-campaigns/2025-2026/census",
                              headers=admin_headers)
    assert census.status_code == 200, census.text
    counts = {s["school_code"]: s["students"] for s in census.json()["schools"]}
    assert (counts["ifsi-nouvelle"], counts["ifms-rodez"]) == (1, 1)

    # Snapshots: measured on 31 Aug 23:59 Paris → rejected; from 1 Sept 00:00 → stored.
    clock.set("2025-09-02T12:00:00+02:00")
    plugin = bearer(make_token(profile="moodle-plugin", sub="moodle-plugin"))
    snapshots = await client.post("/api/v1/storage/snapshots", headers=plugin, json={
        "items": [
            {"snapshot_id": "n-1", "school_code": "ifsi-nouvelle",
             "measured_at": "2025-08-31T21:59:00Z", "bytes_used": 1000},
            {"snapshot_id": "n-2", "school_code": "ifsi-nouvelle",
             "measured_at": "2025-08-31T22:00:00Z", "bytes_used": 1000},
        ]})
    assert snapshots.status_code == 200, snapshots.text
    results = snapshots.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "accepted"]
    assert [e["code"] for e in results[0]["errors"]] == ["school-not-beneficiary"]
