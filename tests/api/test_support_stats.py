"""Support statistics on a small hand-computed data set (R-SUP-1, R-SUP-2): counts,
compliance ratio, nearest-rank median and 90th percentile of opening minutes to the
first response, per school and per Paris month."""

from __future__ import annotations

import itertools
from urllib.parse import quote

import pytest

from tests.conftest import bearer

NOW = "2025-03-20T13:00:00+01:00"
_ids = itertools.count(1)

# (school, received_at, responded_at, closed_at); 18 opening hours to answer.
DATA = [
    # ifms-rodez
    ("ifms-rodez", "2025-03-03T09:00:00+01:00", "2025-03-03T10:00:00+01:00", None),  # 60, met
    ("ifms-rodez", "2025-03-03T10:00:00+01:00", "2025-03-04T10:00:00+01:00", None),  # 540, met
    # due Thu 6 09:00, answered Fri 7 09:00: 8.5 + 9 + 9 + 0.5 h = 1620 min, breached
    ("ifms-rodez", "2025-03-04T09:00:00+01:00", "2025-03-07T09:00:00+01:00", None),
    ("ifms-rodez", "2025-03-05T09:00:00+01:00", None, None),  # open, due 7 March: breached
    ("ifms-rodez", "2025-03-05T11:00:00+01:00", None, "2025-03-05T12:00:00+01:00"),  # closed
    # ifms-albi
    ("ifms-albi", "2025-03-10T09:00:00+01:00", "2025-03-10T09:30:00+01:00", None),  # 30, met
    ("ifms-albi", "2025-02-03T09:00:00+01:00", "2025-02-03T11:00:00+01:00", None),  # 120, met
    ("ifms-albi", "2025-03-20T09:00:00+01:00", None, None),  # open, on track
    # no school known
    (None, "2025-03-11T09:00:00+01:00", "2025-03-11T09:15:00+01:00", None),  # 15, met
]


def figures(received, answered, met, breached, open_breached, ratio, median, p90):
    return {
        "received": received, "answered": answered, "met": met, "breached": breached,
        "open_breached": open_breached, "compliance_ratio": ratio,
        "median_business_minutes": median, "p90_business_minutes": p90,
    }


@pytest.fixture
async def data_set(client, clock, make_token):
    clock.set(NOW)
    writer = bearer(make_token("support:read", "support:write"))
    for school, received_at, responded_at, closed_at in DATA:
        body = {"message_id": f"<s{next(_ids)}@x.example>", "received_at": received_at,
                "from_email": "someone@unknown.example", "subject": "Question"}
        if school:
            body["school_code"] = school
        created = await client.post("/api/v1/support-requests", json=body, headers=writer)
        assert created.status_code == 201, created.text
        request_id = created.json()["id"]
        if responded_at:
            answer = await client.post(
                f"/api/v1/support-requests/{request_id}/first-response",
                json={"responded_at": responded_at}, headers=writer,
            )
            assert answer.status_code == 200, answer.text
        if closed_at:
            closure = await client.post(
                f"/api/v1/support-requests/{request_id}/closure",
                json={"closed_at": closed_at}, headers=writer,
            )
            assert closure.status_code == 200, closure.text
    return writer


async def stats(client, headers, **params) -> dict:
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    response = await client.get(f"/api/v1/support-requests/stats?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_overall_figures_are_computed_by_hand(client, data_set):
    body = await stats(client, data_set)
    # minutes [15, 30, 60, 120, 540, 1620]: median rank 3 → 60, p90 rank 6 → 1620
    assert body["overall"] == figures(9, 6, 5, 1, 1, 5 / 7, 60.0, 1620.0)
    assert body["from"] is None and body["to"] is None


async def test_figures_per_school(client, data_set):
    by_school = {s.pop("school_code"): s for s in (await stats(client, data_set))["by_school"]}
    assert list(by_school) == ["ifms-albi", "ifms-rodez", None]
    # minutes [60, 540, 1620]: median rank 2 → 540, p90 rank 3 → 1620
    assert by_school["ifms-rodez"] == figures(5, 3, 2, 1, 1, 0.5, 540.0, 1620.0)
    # minutes [30, 120]: median rank 1 → 30, p90 rank 2 → 120
    assert by_school["ifms-albi"] == figures(3, 2, 2, 0, 0, 1.0, 30.0, 120.0)
    assert by_school[None] == figures(1, 1, 1, 0, 0, 1.0, 15.0, 15.0)


async def test_figures_per_paris_month(client, data_set):
    by_month = {m.pop("month"): m for m in (await stats(client, data_set))["by_month"]}
    assert list(by_month) == ["2025-02", "2025-03"]
    assert by_month["2025-02"] == figures(1, 1, 1, 0, 0, 1.0, 120.0, 120.0)
    # minutes [15, 30, 60, 540, 1620]: median rank 3 → 60, p90 rank 5 → 1620
    assert by_month["2025-03"] == figures(8, 5, 4, 1, 1, 4 / 6, 60.0, 1620.0)


async def test_the_period_and_the_school_filter_the_requests(client, data_set):
    march = await stats(client, data_set, **{"from": "2025-03-01T00:00:00+01:00",
                                             "to": "2025-04-01T00:00:00+02:00"})
    assert march["overall"]["received"] == 8
    assert [m["month"] for m in march["by_month"]] == ["2025-03"]
    rodez = await stats(client, data_set, school_code="ifms-rodez")
    assert rodez["overall"] == figures(5, 3, 2, 1, 1, 0.5, 540.0, 1620.0)
    assert rodez["school_code"] == "ifms-rodez"


async def test_an_open_request_counts_as_breached_once_past_its_deadline(
    client, clock, data_set
):
    clock.set("2025-03-25T09:00:00+01:00")  # the 20 March request was due 24 March 09:00
    body = await stats(client, data_set, school_code="ifms-albi")
    assert body["overall"] == figures(3, 2, 2, 0, 1, 2 / 3, 30.0, 120.0)


async def test_a_referent_gets_figures_of_its_schools_only(client, data_set, make_token):
    referent = bearer(make_token(profile="school-referent", schools=["ifms-albi"]))
    body = await stats(client, referent)
    assert [s["school_code"] for s in body["by_school"]] == ["ifms-albi"]
    assert body["overall"]["received"] == 3
    assert (await stats(client, referent, school_code="ifms-rodez"))["overall"] == figures(
        0, 0, 0, 0, 0, None, None, None
    )


async def test_the_month_is_the_paris_one(client, clock, make_token):
    clock.set(NOW)
    writer = bearer(make_token("support:read", "support:write"))
    created = await client.post(
        "/api/v1/support-requests",
        json={"message_id": "<m@x.example>", "received_at": "2025-02-28T23:30:00Z",
              "from_email": "a@b.example", "subject": "x", "school_code": "ifms-albi"},
        headers=writer,
    )
    assert created.status_code == 201, created.text
    assert [m["month"] for m in (await stats(client, writer))["by_month"]] == ["2025-03"]


async def test_an_empty_or_reversed_period(client, make_token):
    reader = bearer(make_token("support:read"))
    empty = await stats(client, reader)
    assert empty["overall"] == figures(0, 0, 0, 0, 0, None, None, None)
    assert empty["by_school"] == empty["by_month"] == []
    reversed_period = await client.get(
        "/api/v1/support-requests/stats?from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z",
        headers=reader,
    )
    assert reversed_period.status_code == 422
    assert reversed_period.json()["code"] == "invalid-period"
    naive = await client.get(
        "/api/v1/support-requests/stats?from=2025-03-01T00:00:00", headers=reader
    )
    assert naive.status_code == 422
