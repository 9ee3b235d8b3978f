"""The working-day calendar through the HTTP API (R-TIME-3, R-TIME-4)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pytest

from app.domain.auth import SYSTEM
from app.domain.calendar import WorkingCalendar
from app.ports.audit import Actor
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from tests.conftest import bearer

CHRISTMAS = {"starts_on": "2025-12-20", "ends_on": "2026-01-04", "label": "Fermeture de Noël"}


async def due_on(client, headers, instant: str, days: int = 15) -> str:
    url = f"/api/v1/calendar/deadline?from={quote(instant, safe='')}&days={days}"
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["due_on"]


async def closures(client, headers) -> list[dict]:
    response = await client.get("/api/v1/calendar/closures", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.fixture
def reader(make_token) -> dict[str, str]:
    return bearer(make_token("convention:read"))


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2025-05-02T10:00:00+02:00", "2025-05-19"),  # the 17th is a Saturday
        ("2025-12-10T09:00:00Z", "2025-12-26"),  # 25 December is a holiday
        ("2025-04-30T22:30:00Z", "2025-05-16"),  # already 1 May in Paris
        ("2025-04-30T21:59:00Z", "2025-05-15"),
        ("2028-02-14T12:00:00Z", "2028-02-29"),  # leap day
        ("2026-03-22T12:00:00Z", "2026-04-07"),  # lands on Easter Monday
        ("2026-04-29T12:00:00Z", "2026-05-15"),  # lands on Ascension
        ("2026-06-29T12:00:00Z", "2026-07-15"),  # lands on 14 July
        ("2025-07-31T12:00:00Z", "2025-08-18"),  # lands on 15 August, a Friday
    ],
)
async def test_a_deadline_of_fifteen_days_moves_to_the_next_working_day(
    client, reader, instant, expected
):
    assert await due_on(client, reader, instant) == expected


async def test_a_percent_encoded_offset_counts_and_a_raw_plus_is_a_422(client, reader):
    encoded = await client.get(
        "/api/v1/calendar/deadline?from=2025-04-30T23%3A30%3A00%2B02%3A00&days=15",
        headers=reader,
    )
    assert encoded.json() == {"due_on": "2025-05-15"}  # 21:30Z: still 30 April in Paris
    raw = await client.get(
        "/api/v1/calendar/deadline?from=2025-04-30T23:30:00+02:00&days=15", headers=reader
    )
    assert raw.status_code == 422
    assert [e["field"] for e in raw.json()["errors"]] == ["query.from"]


@pytest.mark.parametrize("value", ["2025-05-02T10:00:00", "2025-05-02", "soon", "1746172800",
                                   "2025-13-02T10:00:00Z"])
async def test_a_malformed_or_naive_instant_is_a_422_naming_the_parameter(
    client, reader, value
):
    response = await client.get(
        "/api/v1/calendar/deadline", params={"from": value, "days": 15}, headers=reader
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["query.from"]


@pytest.mark.parametrize("days", [-1, 366])
async def test_days_outside_zero_to_365_is_a_422(client, reader, days):
    response = await client.get(
        "/api/v1/calendar/deadline", params={"from": "2025-05-02T10:00:00Z", "days": days},
        headers=reader,
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.days"]


async def test_a_closure_created_through_the_api_moves_the_deadline_and_its_removal_moves_it_back(
    client, admin_headers, reader
):
    assert await due_on(client, reader, "2025-12-10T09:00:00Z") == "2025-12-26"
    created = await client.post("/api/v1/calendar/closures", json=CHRISTMAS, headers=admin_headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body == CHRISTMAS | {"id": body["id"]}
    assert created.headers["location"] == f"/api/v1/calendar/closures/{body['id']}"
    fetched = await client.get(created.headers["location"], headers=reader)
    assert fetched.json() == body
    assert await closures(client, reader) == [body]
    assert await due_on(client, reader, "2025-12-10T09:00:00Z") == "2026-01-05"

    removed = await client.delete(created.headers["location"], headers=admin_headers)
    assert removed.status_code == 204
    assert await closures(client, reader) == []
    assert await due_on(client, reader, "2025-12-10T09:00:00Z") == "2025-12-26"
    again = await client.delete(created.headers["location"], headers=admin_headers)
    assert again.status_code == 404
    gone = await client.get(created.headers["location"], headers=reader)
    assert gone.status_code == 404


async def test_closure_changes_are_audited(client, admin_headers):
    created = await client.post("/api/v1/calendar/closures", json=CHRISTMAS, headers=admin_headers)
    closure_id = created.json()["id"]
    await client.delete(f"/api/v1/calendar/closures/{closure_id}", headers=admin_headers)
    trail = await client.get(
        "/api/v1/audit-events", params={"resource_type": "closure", "resource_id": closure_id},
        headers=admin_headers,
    )
    assert [e["action"] for e in trail.json()["items"]] == ["closure.deleted", "closure.created"]
    assert trail.json()["items"][1]["changes"]["starts_on"] == {"old": None, "new": "2025-12-20"}


@pytest.mark.parametrize(
    "closure",
    [
        {"starts_on": "2026-01-04", "ends_on": "2026-01-10", "label": "shares the 4th"},
        {"starts_on": "2025-12-01", "ends_on": "2026-02-01", "label": "covers it"},
        {"starts_on": "2025-12-24", "ends_on": "2025-12-26", "label": "inside it"},
        {"starts_on": "2026-03-10", "ends_on": "2026-03-01", "label": "reversed"},
    ],
)
async def test_an_overlapping_or_reversed_closure_is_a_422_and_nothing_is_stored(
    client, admin_headers, reader, closure
):
    first = await client.post("/api/v1/calendar/closures", json=CHRISTMAS, headers=admin_headers)
    refused = await client.post("/api/v1/calendar/closures", json=closure, headers=admin_headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid-closure"
    assert await closures(client, reader) == [first.json()]


async def test_an_adjacent_closure_is_accepted(client, admin_headers, reader):
    await client.post("/api/v1/calendar/closures", json=CHRISTMAS, headers=admin_headers)
    next_day = {"starts_on": "2026-01-05", "ends_on": "2026-01-05", "label": "Pont"}
    created = await client.post("/api/v1/calendar/closures", json=next_day, headers=admin_headers)
    assert created.status_code == 201
    assert [c["starts_on"] for c in await closures(client, reader)] == [
        "2025-12-20", "2026-01-05"
    ]
    assert await due_on(client, reader, "2025-12-10T09:00:00Z") == "2026-01-06"


@pytest.mark.parametrize(
    "closure",
    [
        CHRISTMAS | {"label": "x" * 201},
        CHRISTMAS | {"label": ""},
        CHRISTMAS | {"extra": 1},
        {"starts_on": "2025-12-20", "label": "no end"},
        CHRISTMAS | {"ends_on": "2026-02-30"},
    ],
)
async def test_a_malformed_closure_is_a_422(client, admin_headers, reader, closure):
    response = await client.post("/api/v1/calendar/closures", json=closure, headers=admin_headers)
    assert response.status_code == 422
    assert await closures(client, reader) == []


async def test_changing_closures_needs_the_write_scope(client, reader):
    created = await client.post("/api/v1/calendar/closures", json=CHRISTMAS, headers=reader)
    assert created.status_code == 403
    removed = await client.delete("/api/v1/calendar/closures/whatever", headers=reader)
    assert removed.status_code == 403


class RecordingRecomputer:
    """A later capability's deadlines: writes through the change's unit of work."""

    name = "fake-deadlines"

    def __init__(self, *, fail: bool = False):
        self.fail = fail
        self.calls: list[tuple[WorkingCalendar, object]] = []

    async def recompute(self, uow: UnitOfWork, *, calendar: WorkingCalendar, now) -> int:
        self.calls.append((calendar, now))
        await audit.record(
            uow, Actor(SYSTEM), now=now, action="deadline.moved",
            resource_type="fake-deadline", resource_id="d-1",
            new={"due_on": calendar.deadline(date(2025, 12, 10), 15)},
        )
        if self.fail:
            raise RuntimeError("recomputation failed")
        return 1


async def fake_events(client, headers) -> list[dict]:
    response = await client.get(
        "/api/v1/audit-events", params={"resource_type": "fake-deadline"}, headers=headers
    )
    return response.json()["items"]


async def test_every_registered_recomputer_runs_in_the_change_transaction(
    app, client, admin_headers, clock
):
    recomputer = RecordingRecomputer()
    app.state.container.deadline_recomputers.append(recomputer)
    created = await client.post("/api/v1/calendar/closures", json=CHRISTMAS, headers=admin_headers)
    assert created.status_code == 201
    calendar, now = recomputer.calls[0]
    assert now == clock.now()
    assert calendar.is_closed(date(2025, 12, 22))
    moved = await fake_events(client, admin_headers)
    assert [e["changes"]["due_on"]["new"] for e in moved] == ["2026-01-05"]

    await client.delete(created.headers["location"], headers=admin_headers)
    assert len(recomputer.calls) == 2
    assert not recomputer.calls[1][0].is_closed(date(2025, 12, 22))
    assert len(await fake_events(client, admin_headers)) == 2


async def test_a_failing_recomputer_rolls_the_closure_back_with_its_own_writes(
    app, client, admin_headers, reader
):
    recomputer = RecordingRecomputer(fail=True)
    app.state.container.deadline_recomputers.append(recomputer)
    response = await client.post("/api/v1/calendar/closures", json=CHRISTMAS, headers=admin_headers)
    assert response.status_code == 500
    assert len(recomputer.calls) == 1  # it ran, wrote, then failed
    assert await closures(client, reader) == []
    assert await fake_events(client, admin_headers) == []
    trail = await client.get(
        "/api/v1/audit-events", params={"resource_type": "closure"}, headers=admin_headers
    )
    assert trail.json()["items"] == []
    assert await due_on(client, reader, "2025-12-10T09:00:00Z") == "2025-12-26"
