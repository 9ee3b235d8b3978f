"""The cached convention clock never hides this process's own changes: an amendment,
a termination notice or its cure is seen by the very next request (the unit of work
invalidates the cache once the change is committed)."""

from __future__ import annotations

import pytest

from tests.conftest import bearer


@pytest.fixture
def staff(make_token):
    return bearer(make_token(profile="ut-admin", sub="ut-convention-officer"))


async def _convention(client, headers, at):
    response = await client.get("/api/v1/convention", params={"at": at}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_amendment_is_seen_by_the_next_request_after_the_clock_was_cached(
    client, staff
):
    assert (await _convention(client, staff, "2026-09-01"))["terms"][
        "rate_per_student_cents"] == 2200
    amended = await client.post(
        "/api/v1/convention/amendments", headers=staff,
        json={"reference": "AV-CACHE", "signed_on": "2025-02-01",
              "effective_on": "2026-09-01", "changes": {"rate_per_student_cents": 2300}},
    )
    assert amended.status_code == 201, amended.text
    assert (await _convention(client, staff, "2026-09-01"))["terms"][
        "rate_per_student_cents"] == 2300


async def test_a_notice_and_its_cure_are_seen_by_the_next_request(client, staff, clock):
    clock.set("2025-03-03T10:00:00+01:00")
    assert (await _convention(client, staff, "2025-09-01"))["state"] == "active"
    notice = await client.post(
        "/api/v1/convention/termination-notices", headers=staff,
        json={"notifying_party": "region", "defaulting_party": "ut",
              "grounds": "inexécution de l'article 5", "letter_ref": "LRAR-CACHE",
              "received_on": "2025-03-01"},
    )
    assert notice.status_code == 201, notice.text
    assert (await _convention(client, staff, "2025-09-01"))["state"] != "active"
    cured = await client.post(
        f"/api/v1/convention/termination-notices/{notice.json()['id']}/cure",
        headers=staff, json={"cured_on": "2025-03-03"},
    )
    assert cured.status_code == 200, cured.text
    assert (await _convention(client, staff, "2025-09-01"))["state"] == "active"
