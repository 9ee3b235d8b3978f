"""GET /api/v1/convention: reference data and the convention's clock (R-CONV-1, R-CONV-2, R-CONV-3,
R-CONV-4, R-CONV-5)."""

from __future__ import annotations

import pytest

from tests.conftest import bearer


@pytest.fixture
def reader(make_token):
    return bearer(make_token("convention:read"))


async def test_the_convention_today_shows_its_reference_data(client, reader):
    response = await client.get("/api/v1/convention", headers=reader)
    assert response.status_code == 200
    body = response.json()
    assert body["at"] == "2025-03-03"
    assert body["state"] == "active"
    assert body["effective_from"] == "2024-09-01"
    assert body["ends_on"] == body["access_end_on"] == "2029-08-31"
    assert body["terms"] == {
        "ends_on": "2029-08-31",
        "storage_capacity_bytes": 500_000_000_000,
        "school_alert_threshold_bytes": 41_000_000_000,
        "rate_per_student_cents": 2200,
        "rate_per_student": "22.00",
        "currency": "EUR",
    }
    assert body["payee"]["iban"] == "FR7610071310000000100132788"
    assert body["payee"]["bic"] == "TRPUFRP1"
    assert {p["code"] for p in body["parties"]} == {"region", "ut", "gcs"}
    sirets = {p["code"]: p["siret"] for p in body["parties"]}
    assert sirets == {"region": "20005379100014", "ut": "93827139200012", "gcs": None}
    assert len(body["dpo_contacts"]) == 3
    assert body["platform"]["moodle_version"] == "4.1.9+ (Build: 20240215)"
    types = [p["type"] for p in body["platform"]["plugins"]]
    assert len(types) == 13
    assert {t: types.count(t) for t in set(types)} == {
        "activity": 6, "block": 1, "question_type": 1, "course_format": 2, "report": 1,
        "plagiarism": 1, "local": 1,
    }


@pytest.mark.parametrize(
    ("at", "state"),
    [
        ("2024-06-01", "not_in_force"),
        ("2024-08-31", "not_in_force"),
        ("2024-09-01", "active"),
        ("2029-08-31", "active"),
        ("2029-09-01", "ended"),
    ],
)
async def test_the_state_follows_the_date_asked(client, reader, at, state):
    response = await client.get("/api/v1/convention", params={"at": at}, headers=reader)
    assert response.status_code == 200
    assert response.json()["state"] == state


@pytest.mark.parametrize("at", ["2025-02-30", "2025-13-01", "tomorrow", "2025-1-1"])
async def test_a_malformed_date_is_a_422(client, reader, at):
    response = await client.get("/api/v1/convention", params={"at": at}, headers=reader)
    assert response.status_code == 422
    assert any(e["field"] == "query.at" for e in response.json()["errors"])


async def test_the_convention_needs_its_scope(client, make_token):
    response = await client.get(
        "/api/v1/convention", headers=bearer(make_token("schools:read"))
    )
    assert response.status_code == 403
