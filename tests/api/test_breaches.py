"""Personal-data breach records and the informing of the other parties' DPOs (art. 12;
the evidence the obligations register reads for R-OBL-16), with R-DATE-1 on their
instants."""

from __future__ import annotations

import pytest

from tests.conftest import bearer

URL = "/api/v1/breaches"


@pytest.fixture
def staff(make_token):
    return bearer(make_token(profile="ut-admin", sub="ut-dpo-office"))


@pytest.fixture
def region(make_token):
    return bearer(make_token(profile="region", sub="region-dpo"))


@pytest.fixture
def referent(make_token):
    return bearer(make_token(profile="school-referent", schools=["ifms-rodez"], sub="rodez"))


def _breach(reference="VDP-2025-01", **fields):
    return {"reference": reference, "discovered_by": "ut",
            "discovered_at": "2025-03-01T10:00:00+01:00",
            "description": "Export de la liste des comptes envoyé au mauvais destinataire"
            } | fields


async def _record(client, headers, **fields):
    return await client.post(URL, json=_breach(**fields), headers=headers)


async def test_a_breach_is_recorded_once_and_lists_the_parties_to_inform(client, staff):
    created = await _record(client, staff)
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"{URL}/{body['id']}"
    assert body["discovered_at"] == "2025-03-01T09:00:00Z"
    assert body["parties_to_inform"] == ["region", "gcs"]
    assert body["dpo_notifications"] == []

    again = await _record(client, staff)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    other = await _record(client, staff, discovered_by="region")
    assert other.status_code == 409 and other.json()["code"] == "breach-exists"
    listed = await client.get(URL, headers=staff)
    assert [b["id"] for b in listed.json()["items"]] == [body["id"]]


@pytest.mark.parametrize(
    ("discovered_at", "status"),
    [
        ("2023-12-31T22:59:59Z", 422),  # 23:59:59 on 31 Dec 2023 in Paris
        ("2023-12-31T23:00:00Z", 201),  # midnight, 1 Jan 2024 in Paris
        ("2023-12-31T23:30:00Z", 201),
    ],
)
async def test_a_discovery_before_2024_in_paris_is_out_of_range(client, staff, discovered_at,
                                                                 status):
    answer = await _record(client, staff, discovered_at=discovered_at)
    assert answer.status_code == status, answer.text
    if status == 422:
        assert answer.json()["code"] == "date-out-of-range"
        assert (await client.get(URL, headers=staff)).json()["items"] == []


async def test_a_discovery_ahead_of_the_clock_is_refused(client, staff, clock):
    clock.set("2025-03-03T09:00:00+00:00")
    ahead = await _record(client, staff, discovered_at="2025-03-03T09:10:00Z")
    assert ahead.status_code == 422 and ahead.json()["code"] == "instant-in-future"


async def test_each_other_partys_dpo_is_recorded_once_as_informed(client, staff):
    breach = (await _record(client, staff, discovered_by="region")).json()
    url = f"{URL}/{breach['id']}/dpo-notifications"
    told = {"party": "ut", "informed_at": "2025-03-02T08:00:00Z", "reference": "MEL-1"}

    first = await client.post(url, json=told, headers=staff)
    assert first.status_code == 201, first.text
    assert first.json()["dpo_notifications"] == [
        told | {"informed_at": "2025-03-02T08:00:00Z", "note": None,
                "recorded_at": "2025-03-03T09:00:00Z"}]
    again = await client.post(url, json=told, headers=staff)
    assert again.status_code == 200
    assert len(again.json()["dpo_notifications"]) == 1
    other = await client.post(url, json=told | {"informed_at": "2025-03-02T09:00:00Z"},
                              headers=staff)
    assert other.status_code == 409 and other.json()["code"] == "dpo-already-informed"

    gcs = await client.post(url, json={"party": "gcs", "informed_at": "2025-03-03T08:00:00Z"},
                            headers=staff)
    assert [n["party"] for n in gcs.json()["dpo_notifications"]] == ["ut", "gcs"]
    read = await client.get(f"{URL}/{breach['id']}", headers=staff)
    assert read.json() == gcs.json()


@pytest.mark.parametrize(
    ("notification", "code"),
    [
        ({"party": "region", "informed_at": "2025-03-02T08:00:00Z"}, "invalid-party"),
        ({"party": "ut", "informed_at": "2025-03-01T08:59:59Z"}, "out-of-order"),
        ({"party": "school:ifms-rodez", "informed_at": "2025-03-02T08:00:00Z"},
         "validation-error"),
    ],
)
async def test_a_notification_the_discoverer_cannot_make_is_refused(client, staff,
                                                                     notification, code):
    breach = (await _record(client, staff, discovered_by="region")).json()
    answer = await client.post(f"{URL}/{breach['id']}/dpo-notifications", json=notification,
                               headers=staff)
    assert answer.status_code == 422 and answer.json()["code"] == code
    stored = await client.get(f"{URL}/{breach['id']}", headers=staff)
    assert stored.json()["dpo_notifications"] == []


async def test_a_notification_before_2024_is_out_of_range(client, staff):
    breach = (await _record(client, staff, discovered_at="2024-01-01T00:30:00+01:00")).json()
    answer = await client.post(
        f"{URL}/{breach['id']}/dpo-notifications",
        json={"party": "gcs", "informed_at": "2023-12-31T22:59:00Z"}, headers=staff)
    assert answer.status_code == 422 and answer.json()["code"] == "date-out-of-range"


async def test_the_parties_read_breaches_and_a_school_knows_none(client, staff, region,
                                                                referent):
    breach = (await _record(client, staff)).json()
    assert (await client.get(f"{URL}/{breach['id']}", headers=region)).status_code == 200
    assert [b["id"] for b in (await client.get(URL, headers=region)).json()["items"]] == [
        breach["id"]]

    assert (await client.get(f"{URL}/{breach['id']}", headers=referent)).status_code == 404
    assert (await client.get(URL, headers=referent)).json()["items"] == []
    refused = await client.post(URL, json=_breach("VDP-2"), headers=region)
    assert refused.status_code == 403
    told = await client.post(f"{URL}/{breach['id']}/dpo-notifications", headers=region,
                             json={"party": "gcs", "informed_at": "2025-03-02T08:00:00Z"})
    assert told.status_code == 403


async def test_recording_and_informing_are_audited(client, staff, admin_headers):
    breach = (await _record(client, staff)).json()
    await client.post(f"{URL}/{breach['id']}/dpo-notifications", headers=staff,
                      json={"party": "gcs", "informed_at": "2025-03-02T08:00:00Z"})
    events = (await client.get("/api/v1/audit-events", headers=admin_headers)).json()["items"]
    mine = [(e["action"], e["actor"]) for e in events if e["resource_id"] == breach["id"]]
    assert sorted(mine) == [("breach.dpo-informed", "ut-dpo-office"),
                            ("breach.recorded", "ut-dpo-office")]


async def test_breaches_page_in_recording_order(client, staff, clock):
    ids = []
    for n in range(3):
        clock.advance(minutes=1)
        ids.append((await _record(client, staff, reference=f"VDP-{n}")).json()["id"])
    first = (await client.get(URL, params={"limit": 2}, headers=staff)).json()
    second = (await client.get(URL, params={"limit": 2, "cursor": first["next_cursor"]},
                               headers=staff)).json()
    assert [b["id"] for b in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
