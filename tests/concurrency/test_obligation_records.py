"""One winner per breach record, per DPO informed and per party's signature, and one
obligations contact left, under N simultaneous calls on PostgreSQL, checked on the
tables."""

from __future__ import annotations

import pytest

from tests.concurrency.conftest import N, burst, codes, rows, statuses

pytestmark = pytest.mark.postgres_only

COVERS = {
    ("POST", "/api/v1/breaches"): "identical records; same reference, other content",
    ("POST", "/api/v1/breaches/{id}/dpo-notifications"): "identical; different instants",
    ("POST", "/api/v1/convention/signatures"): "identical; different dates",
    ("POST", "/api/v1/convention/obligations-contacts"): "different addresses",
}

BREACH = {"reference": "VDP-C", "discovered_by": "ut", "discovered_at": "2025-03-01T10:00:00Z",
          "description": "fuite d'un export"}


async def test_identical_breaches_at_once_record_one(app, client, staff):
    answers = await burst([lambda: client.post("/api/v1/breaches", json=BREACH, headers=staff)
                           for _ in range(N)])
    assert statuses(answers) == [200] * (N - 1) + [201]
    stored = await rows(app, "SELECT id FROM breaches")
    assert len(stored) == 1 and {r.json()["id"] for r in answers} == {stored[0]["id"]}
    audited = await rows(app, "SELECT id FROM audit_events WHERE action = 'breach.recorded'")
    assert len(audited) == 1


async def test_one_reference_with_different_contents_at_once_keeps_one(app, client, staff):
    answers = await burst([
        lambda i=i: client.post("/api/v1/breaches", headers=staff,
                                json=BREACH | {"description": f"fuite n° {i}"})
        for i in range(N)
    ])
    assert statuses(answers) == [201] + [409] * (N - 1)
    assert codes(answers) == {"breach-exists"}
    stored = await rows(app, "SELECT description FROM breaches")
    winner = next(r for r in answers if r.status_code == 201).json()["description"]
    assert stored == [{"description": winner}]


async def test_one_dpo_is_recorded_informed_once(app, client, staff):
    breach = (await client.post("/api/v1/breaches", json=BREACH, headers=staff)).json()
    url = f"/api/v1/breaches/{breach['id']}/dpo-notifications"
    same = {"party": "region", "informed_at": "2025-03-02T08:00:00Z"}
    answers = await burst([lambda: client.post(url, json=same, headers=staff)
                           for _ in range(N)])
    assert statuses(answers) == [200] * (N - 1) + [201]

    other = await burst([
        lambda i=i: client.post(url, headers=staff, json={
            "party": "gcs", "informed_at": f"2025-03-02T08:{i:02d}:00Z"})
        for i in range(N)
    ])
    assert statuses(other) == [201] + [409] * (N - 1)
    assert codes(other) == {"dpo-already-informed"}
    stored = await rows(app, "SELECT party, informed_at FROM breach_notifications "
                             "ORDER BY party")
    assert [r["party"] for r in stored] == ["gcs", "region"]
    audited = await rows(app, "SELECT id FROM audit_events "
                              "WHERE action = 'breach.dpo-informed'")
    assert len(audited) == 2


async def test_one_signature_date_wins_for_a_party(app, client, staff, clock):
    clock.set("2025-05-01T10:00:00+02:00")
    same = await burst([
        lambda: client.post("/api/v1/convention/signatures", headers=staff,
                            json={"party": "region", "signed_on": "2025-04-14"})
        for _ in range(N)])
    assert statuses(same) == [200] * (N - 1) + [201]
    other = await burst([
        lambda i=i: client.post("/api/v1/convention/signatures", headers=staff,
                                json={"party": "gcs", "signed_on": f"2025-04-{i + 1:02d}"})
        for i in range(N)])
    assert statuses(other) == [201] + [409] * (N - 1)
    winner = next(r for r in other if r.status_code == 201).json()["signed_on"]
    stored = await rows(app, "SELECT party, signed_on FROM party_records "
                             "WHERE party IN ('region', 'gcs') ORDER BY party")
    assert [(r["party"], r["signed_on"].isoformat()) for r in stored] == [
        ("gcs", winner), ("region", "2025-04-14")]
    audited = await rows(app, "SELECT id FROM audit_events "
                              "WHERE action = 'convention.signature-recorded'")
    assert len(audited) == 2


async def test_concurrent_contacts_chain_in_the_trail_and_the_last_stays(app, client, staff):
    answers = await burst([
        lambda i=i: client.post("/api/v1/convention/obligations-contacts", headers=staff,
                                json={"party": "gcs", "email": f"c{i}@gcs-ifsi.example"})
        for i in range(N)])
    assert statuses(answers) == [200] * N
    [stored] = await rows(app, "SELECT obligations_contact FROM party_records "
                               "WHERE party = 'gcs'")
    trail = await rows(app, "SELECT changes FROM audit_events WHERE action = "
                            "'convention.obligations-contact-set' ORDER BY id")
    changes = [t["changes"]["obligations_contact"] for t in trail]
    assert len(changes) == N
    # Under the row lock the changes form one chain: each starts where the last ended.
    assert [c["old"] for c in changes] == [None] + [c["new"] for c in changes[:-1]]
    assert changes[-1]["new"] == stored["obligations_contact"]
