"""The obligations register through the API (RULES.md, Obligations register): filters,
ordering and cursor, confinement (a referent, the Region), evidence and waivers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.adapters.db.tables import AuditEventRow, ObligationEvidenceRow
from app.domain.auth import SCOPES
from tests.api.accounts_helpers import file_request, fulfil
from tests.conftest import bearer

URL = "/api/v1/obligations"
RODEZ, ALBI = "ifms-rodez", "ifms-albi"


@pytest.fixture
def admin(make_token) -> dict[str, str]:
    return bearer(make_token(*SCOPES, sub="ut-admin"))


@pytest.fixture
def referent(make_token) -> dict[str, str]:
    return bearer(make_token(profile="school-referent", schools=[RODEZ], sub="ref-rodez"))


@pytest.fixture
def region(make_token) -> dict[str, str]:
    return bearer(make_token(profile="region", sub="region-it"))


@pytest.fixture
def confined_admin(make_token) -> dict[str, str]:
    return bearer(make_token(*SCOPES, schools=[RODEZ], sub="rodez-everything"))


async def _filed(client, admin, clock, school=RODEZ) -> str:
    clock.set("2026-03-03T10:00:00+01:00")
    filed = await file_request(client, admin, school=school,
                               received_at="2026-03-02T09:00:00+01:00")
    assert filed.status_code == 201, filed.text
    return filed.json()["id"]


async def _items(client, headers, **params) -> list[dict]:
    answer = await client.get(URL, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def test_an_account_request_owes_its_creation_until_fulfilled(client, admin, clock):
    request_id = await _filed(client, admin, clock)
    oid = f"R-OBL-1:account-request:{request_id}"

    [item] = await _items(client, admin, rule="R-OBL-1")
    assert (item["id"], item["party"], item["school_code"], item["due"], item["state"]) == (
        oid, "ut", RODEZ, "2026-03-17", "upcoming")
    assert item["subject"] == {"kind": "account-request", "id": request_id,
                               "link": f"/api/v1/account-requests/{request_id}"}
    late = await client.get(f"{URL}/{oid}", params={"at": "2026-03-17T23:00:00Z"},
                            headers=admin)
    assert late.json()["state"] == "overdue"  # 00:00 on 18 March in Paris
    clock.set("2026-03-10T10:00:00+01:00")
    assert (await fulfil(client, admin, request_id)).status_code == 200
    met = (await client.get(f"{URL}/{oid}", headers=admin)).json()
    assert (met["state"], met["met_at"]) == ("met", "2026-03-10T09:00:00Z")
    assert met["evidence"]["link"] == f"/api/v1/account-requests/{request_id}"
    before = await client.get(f"{URL}/{oid}", params={"at": "2026-03-10T08:00:00Z"},
                              headers=admin)
    assert before.json()["state"] == "due_soon"


async def test_the_register_is_ordered_by_due_then_id_and_the_cursor_walks_it(
    client, admin, clock
):
    await _filed(client, admin, clock)
    everything = await _items(client, admin, limit=500)
    seen, cursor = [], None
    while True:
        params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(URL, params=params, headers=admin)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in everything]
    assert len(seen) == len(set(seen)) > 7
    dues = [i["due"][:10] for i in everything if i["due"]]
    assert dues == sorted(dues)


async def test_filters_by_state_party_rule_and_due(client, admin, clock):
    await _filed(client, admin, clock)
    at = {"at": "2026-03-03T12:00:00Z"}
    overdue = await _items(client, admin, state=["overdue", "met"], limit=500, **at)
    assert overdue and {i["state"] for i in overdue} <= {"overdue", "met"}
    gcs = await _items(client, admin, party="gcs", limit=500, **at)
    assert [i["id"] for i in gcs] == ["R-OBL-12:2025", "R-OBL-12:2026"]
    assert [i["due"] for i in gcs] == ["2025-05-31", "2026-05-31"]
    window = await _items(client, admin, due_after="2026-03-16", due_before="2026-05-31",
                          limit=500, **at)
    assert window and all("2026-03-16" < i["due"][:10] < "2026-05-31" for i in window)
    rodez = await _items(client, admin, school_code=RODEZ, rule="R-OBL-14", **at)
    assert [i["id"] for i in rodez] == ["R-OBL-14:ifms-rodez:2025", "R-OBL-14:ifms-rodez:2026"]


async def test_bad_filters_are_422(client, admin):
    for params in ({"party": "school:"}, {"rule": "R-OBL-19"}, {"state": "late"},
                   {"cursor": "nope"}, {"at": "2026-03-03T12:00:00"}):
        answer = await client.get(URL, params=params, headers=admin)
        assert answer.status_code == 422, params


async def test_a_referent_sees_only_its_schools_obligations(
    client, admin, referent, clock
):
    mine = await _filed(client, admin, clock, RODEZ)
    theirs = await _filed(client, admin, clock, ALBI)

    items = await _items(client, referent, limit=500)
    assert items and {i["school_code"] for i in items} == {RODEZ}
    assert f"R-OBL-1:account-request:{mine}" in {i["id"] for i in items}
    hidden = await client.get(f"{URL}/R-OBL-1:account-request:{theirs}", headers=referent)
    missing = await client.get(f"{URL}/R-OBL-1:account-request:unknown", headers=referent)
    assert hidden.status_code == missing.status_code == 404
    assert {**hidden.json(), "instance": None} == {**missing.json(), "instance": None}
    counted = (await client.get(f"{URL}/summary", headers=referent)).json()
    assert counted["total"] == len(items)
    assert set(counted["parties"]) <= {"ut", f"school:{RODEZ}"}


async def test_the_region_sees_its_own_and_the_billing_ones(client, admin, region, clock):
    await _filed(client, admin, clock)
    items = await _items(client, region, limit=500)
    assert items and {i["rule"] for i in items} <= {"R-OBL-10", "R-OBL-11"}
    counted = (await client.get(f"{URL}/summary", headers=region)).json()
    assert set(counted["rules"]) <= {"R-OBL-10", "R-OBL-11"}
    everything = (await client.get(f"{URL}/summary", headers=admin)).json()
    assert sum(sum(s.values()) for s in everything["parties"].values()) == everything["total"]
    assert everything["total"] > counted["total"]


async def test_evidence_meets_an_evidence_rule_once(app, client, admin, clock):
    clock.set("2026-03-03T10:00:00+01:00")
    url = f"{URL}/R-OBL-13:2025/evidence"  # storage review 2025-2026, due 2026-08-31
    body = {"occurred_on": "2026-03-02", "document_ref": "CR-2026-03",
            "note": "établissements présents : ifms-rodez, ifms-albi"}

    first = await client.post(url, json=body, headers=admin)
    again = await client.post(url, json=body, headers=admin)
    other = await client.post(url, json=body | {"document_ref": "CR-autre"}, headers=admin)

    assert first.status_code == again.status_code == 200, first.text
    assert (first.json()["state"], first.json()["met_at"]) == ("met", "2026-03-02")
    assert first.json()["evidence"]["document_ref"] == "CR-2026-03"
    assert (other.status_code, other.json()["code"]) == (409, "evidence-recorded")
    uow = app.state.container.uow_factory()
    async with uow:
        stored = (await uow.session.execute(select(ObligationEvidenceRow))).all()
        audited = (await uow.session.execute(select(AuditEventRow).where(
            AuditEventRow.action == "obligation.evidence-recorded"))).all()
    assert len(stored) == len(audited) == 1
    before = await client.get(f"{URL}/R-OBL-13:2025", params={"at": "2026-03-01T12:00:00Z"},
                              headers=admin)
    assert before.json()["state"] == "upcoming" and before.json()["evidence"] is None


async def test_evidence_refusals(client, admin, confined_admin, clock):
    request_id = await _filed(client, admin, clock)
    good = {"occurred_on": "2026-03-02", "document_ref": "PV-1"}
    cases = [
        (f"R-OBL-1:account-request:{request_id}", good, 409, "observed-obligation"),
        ("R-OBL-13:2025", good | {"occurred_on": "2023-12-31"}, 422, "date-out-of-range"),
        ("R-OBL-13:2025", good | {"occurred_on": "2026-03-04"}, 422, "date-in-future"),
        ("R-OBL-13:2025", {"occurred_at": "2026-03-03T11:00:00+01:00", "document_ref": "x"},
         422, "instant-in-future"),
        ("R-OBL-13:2099", good, 404, None),
    ]
    for oid, body, status, code in cases:
        answer = await client.post(f"{URL}/{oid}/evidence", json=body, headers=admin)
        assert answer.status_code == status, (oid, body, answer.text)
        assert code is None or answer.json()["code"] == code
    both = await client.post(f"{URL}/R-OBL-13:2025/evidence", headers=admin,
                             json=good | {"occurred_at": "2026-03-02T10:00:00Z"})
    assert both.status_code == 422
    own = await client.post(f"{URL}/R-OBL-14:ifms-rodez:2026/evidence", json=good,
                            headers=confined_admin)
    other = await client.post(f"{URL}/R-OBL-14:ifms-albi:2026/evidence", json=good,
                              headers=confined_admin)
    assert (own.status_code, own.json()["code"]) == (403, "school-confined")
    assert other.status_code == 404


async def test_a_waiver_is_recorded_once_with_its_reason(client, admin, clock):
    clock.set("2026-06-01T10:00:00+02:00")
    url = f"{URL}/R-OBL-12:2026/waiver"
    assert (await client.get(f"{URL}/R-OBL-12:2026", headers=admin)).json()["state"] == "overdue"

    first = await client.post(url, json={"reason": "Besoins transmis en comité"},
                              headers=admin)
    again = await client.post(url, json={"reason": "Besoins transmis en comité"},
                              headers=admin)
    other = await client.post(url, json={"reason": "autre"}, headers=admin)

    assert first.status_code == again.status_code == 200
    assert first.json()["state"] == "waived"
    assert first.json()["waiver"]["reason"] == "Besoins transmis en comité"
    assert (other.status_code, other.json()["code"]) == (409, "already-waived")
    earlier = await client.get(f"{URL}/R-OBL-12:2026", params={"at": "2026-05-31T12:00:00Z"},
                               headers=admin)
    assert earlier.json()["state"] == "due_soon"
