"""R-DATE-1: an event field dated (in Paris) before 2024-01-01 is refused with 422
`date-out-of-range`, and nothing is stored; 2023-12-31T23:30Z is already 2024-01-01 in
Paris and passes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.calendar import ensure_event_date_in_range
from app.domain.errors import InvalidInput
from tests.api.accounts_helpers import hosted_account
from tests.conftest import bearer

BEFORE = "2023-12-31T22:59:59Z"  # 23:59:59 on 31 Dec in Paris
PASSES = "2023-12-31T23:30:00Z"  # 00:30 on 1 Jan in Paris


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        (date(2023, 12, 31), True),
        (date(2024, 1, 1), False),  # a public holiday, the first accepted day
        (date(1970, 1, 1), True),
        (datetime(2023, 12, 31, 22, 59, 59, tzinfo=UTC), True),
        (datetime(2023, 12, 31, 23, 0, tzinfo=UTC), False),  # midnight in Paris
        (datetime(2023, 12, 31, 23, 30, tzinfo=UTC), False),
        (datetime(2024, 2, 29, 12, tzinfo=UTC), False),
    ],
)
def test_r_date_1_the_paris_date_of_an_event_is_on_or_after_2024_01_01(value, refused):
    try:
        ensure_event_date_in_range(value, "received_on")
        code = None
    except InvalidInput as exc:
        code = (exc.code, exc.field)
    assert code == (("date-out-of-range", "received_on") if refused else None)


@pytest.fixture
def staff(make_token):
    return bearer(make_token(profile="ut-admin", sub="ut-staff"))


def _problem(response, field):
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "date-out-of-range"
    assert body["errors"][0]["field"] == field


async def test_r_date_1_termination_dates_before_2024_are_refused(client, staff, clock):
    clock.set("2025-03-03T12:00:00+01:00")
    notice = {"notifying_party": "region", "defaulting_party": "ut", "grounds": "art. 5",
              "letter_ref": "LRAR-OLD", "received_on": "2023-12-31"}
    _problem(await client.post("/api/v1/convention/termination-notices", json=notice,
                               headers=staff), "received_on")
    listed = await client.get("/api/v1/convention/termination-notices", headers=staff)
    assert listed.json()["items"] == []
    recorded = await client.post("/api/v1/convention/termination-notices",
                                 json=notice | {"received_on": "2025-03-01"}, headers=staff)
    assert recorded.status_code == 201
    cure = await client.post(
        f"/api/v1/convention/termination-notices/{recorded.json()['id']}/cure",
        json={"cured_on": "2023-12-31"}, headers=staff)
    _problem(cure, "cured_on")


async def test_r_date_1_suspension_and_lock_instants_before_2024_are_refused(
    client, staff, clock
):
    done = await hosted_account(client, staff, clock, received_at="2025-03-03T09:00:00+01:00",
                                fulfilled_at="2025-03-04T09:00:00+01:00")
    clock.set("2025-04-01T12:00:00+02:00")
    base = {"ground": "breach_of_obligations", "scope": "platform",
            "notified_at": "2025-04-01T10:00:00+02:00", "notice_ref": "UT-1", "details": "x"}
    url = "/api/v1/schools/ifms-rodez/suspensions"
    _problem(await client.post(url, json=base | {"notified_at": BEFORE}, headers=staff),
             "notified_at")
    _problem(await client.post(url, json=base | {"ground": "mass_mailing",
                                                 "scope": "messaging", "starts_at": BEFORE},
                               headers=staff), "starts_at")
    assert (await client.get("/api/v1/suspensions", headers=staff)).json()["items"] == []
    suspension = (await client.post(url, json=base, headers=staff)).json()
    s_url = f"/api/v1/suspensions/{suspension['id']}"
    _problem(await client.post(f"{s_url}/restoration-request",
                               json={"corrective_actions": "x", "requested_at": BEFORE},
                               headers=staff), "requested_at")
    _problem(await client.post(f"{s_url}/lifting",
                               json={"notified_at": BEFORE, "notice_ref": "UT-L"},
                               headers=staff), "notified_at")
    a_url = f"/api/v1/accounts/{done['uid']}"
    _problem(await client.post(f"{a_url}/lock", json={"reason": "x", "locked_at": BEFORE},
                               headers=staff), "locked_at")
    locked = await client.post(f"{a_url}/lock", json={"reason": "x", "locked_at": PASSES},
                               headers=staff)
    assert locked.status_code == 200, locked.text
    _problem(await client.post(f"{a_url}/unlock", json={"unlocked_at": BEFORE},
                               headers=staff), "unlocked_at")


async def test_r_date_1_support_instants_before_2024_are_refused(client, make_token, clock):
    writer = bearer(make_token("support:read", "support:write"))
    clock.set("2025-03-03T12:00:00+01:00")
    body = {"message_id": "<old@ifsi.example>", "received_at": BEFORE,
            "from_email": "secretariat@ifsi.example", "subject": "Accès",
            "school_code": "ifms-rodez"}
    _problem(await client.post("/api/v1/support-requests", json=body, headers=writer),
             "received_at")
    created = await client.post("/api/v1/support-requests",
                                json=body | {"received_at": PASSES}, headers=writer)
    assert created.status_code == 201, created.text
    url = f"/api/v1/support-requests/{created.json()['id']}"
    _problem(await client.post(f"{url}/first-response", json={"responded_at": BEFORE},
                               headers=writer), "responded_at")
    _problem(await client.post(f"{url}/closure", json={"closed_at": BEFORE},
                               headers=writer), "closed_at")
