"""One winner per transition of statements and payments (R-BIL-2, R-BIL-3), storage
snapshots (R-STO-1), erasures (R-GDPR-2), schools and UT's closures (R-TIME-2), under N
simultaneous calls on PostgreSQL, checked on the tables."""

from __future__ import annotations

import pytest

from tests.api.hosted_helpers import hosted
from tests.concurrency.conftest import N, burst, codes, rows, statuses

pytestmark = pytest.mark.postgres_only

COVERS = {
    ("POST", "/api/v1/billing/statements"): "identical creations",
    ("POST", "/api/v1/billing/statements/{id}/issuing"): "identical; vs discards",
    ("POST", "/api/v1/billing/statements/{id}/discard"): "vs issuings",
    ("POST", "/api/v1/billing/statements/{id}/revision"): "identical revisions",
    ("POST", "/api/v1/billing/statements/{id}/payments"): "identical; other amounts",
    ("POST", "/api/v1/storage/snapshots"): "identical batches",
    ("POST", "/api/v1/accounts/{uid}/erasure"): "identical erasures",
    ("POST", "/api/v1/schools"): "identical creations",
    ("PATCH", "/api/v1/schools/{code}"): "different names, one If-Match",
    ("POST", "/api/v1/calendar/closures"): "overlapping periods",
    ("DELETE", "/api/v1/calendar/closures/{closure_id}"): "identical deletions",
}

URL = "/api/v1/billing/statements"


@pytest.fixture
async def draft(client, admin) -> str:
    students = [{"student_number": f"3000000{i}", "school_code": "ifms-rodez",
                 "academic_year": "2024-2025", "enrolled_on": "2024-09-02",
                 "given_name": "Léa", "family_name": "Dupont",
                 "email": "lea.dupont@example.org"} for i in range(3)]
    enrolled = await client.post("/api/v1/enrolments", json={"items": students},
                                 headers=admin)
    assert enrolled.json()["created"] == 3, enrolled.text
    made = await client.post(URL, json={"academic_year": "2024-2025"}, headers=admin)
    assert made.status_code == 201, made.text
    return made.json()["id"]


async def test_identical_statement_creations_at_once_make_one_draft(app, client, admin):
    enrolled = await client.post("/api/v1/enrolments", headers=admin, json={"items": [{
        "student_number": "30000009", "school_code": "ifms-rodez",
        "academic_year": "2024-2025", "enrolled_on": "2024-09-02", "given_name": "Léa",
        "family_name": "Dupont", "email": "lea.dupont@example.org"}]})
    assert enrolled.status_code == 200
    answers = await burst([
        lambda: client.post(URL, json={"academic_year": "2024-2025"}, headers=admin)
        for _ in range(N)
    ])
    assert statuses(answers) == [201] + [409] * (N - 1)
    assert codes(answers) == {"statement-exists"}
    stored = await rows(app, "SELECT id FROM statements")
    assert [s["id"] for s in stored] == [next(r for r in answers if r.status_code == 201)
                                         .json()["id"]]


async def test_identical_issuings_at_once_issue_once_and_answer_the_same(app, client, admin,
                                                                         draft):
    answers = await burst([lambda: client.post(f"{URL}/{draft}/issuing", headers=admin)
                           for _ in range(N)])
    assert statuses(answers) == [200] * N
    stored = await rows(app, "SELECT status, content_sha256 FROM statements")
    assert stored[0]["status"] == "issued" and len(stored) == 1
    assert {r.json()["content_sha256"] for r in answers} == {stored[0]["content_sha256"]}
    audited = await rows(app, "SELECT id FROM audit_events WHERE action = 'statement.issued'")
    assert len(audited) == 1


async def test_issuings_and_discards_at_once_end_in_one_state(app, client, admin, draft):
    plan = ["issuing" if i % 2 else "discard" for i in range(N)]
    answers = await burst([
        (lambda k=k: client.post(f"{URL}/{draft}/{k}", headers=admin)) for k in plan
    ])
    stored = await rows(app, "SELECT status FROM statements WHERE id = :id", id=draft)
    issued = [r for k, r in zip(plan, answers, strict=True) if k == "issuing"]
    discarded = [r for k, r in zip(plan, answers, strict=True) if k == "discard"]
    if stored:  # the issuing won: every issuing saw it, every discard lost
        assert stored[0]["status"] == "issued"
        assert {r.status_code for r in issued} == {200}
        assert {r.status_code for r in discarded} == {409}
        assert codes(discarded) == {"statement-not-draft"}
    else:  # a discard won: one 204, the rest found nothing
        assert statuses(discarded) == [204] + [404] * (len(discarded) - 1)
        assert {r.status_code for r in issued} == {404}


async def test_identical_revisions_at_once_make_one_draft(app, client, admin, draft):
    assert (await client.post(f"{URL}/{draft}/issuing", headers=admin)).status_code == 200
    answers = await burst([
        lambda: client.post(f"{URL}/{draft}/revision", json={"reason": "annulation tardive"},
                            headers=admin) for _ in range(N)
    ])
    assert statuses(answers) == [200] * (N - 1) + [201]
    drafts = await rows(app, "SELECT id FROM statements WHERE status = 'draft'")
    assert len(drafts) == 1 and {r.json()["id"] for r in answers} == {drafts[0]["id"]}


async def test_identical_and_conflicting_payments_at_once_record_one(app, client, admin,
                                                                     draft):
    assert (await client.post(f"{URL}/{draft}/issuing", headers=admin)).status_code == 200
    amounts = [5000 if i < N // 2 else 4000 + i for i in range(N)]
    answers = await burst([
        (lambda a=a: client.post(f"{URL}/{draft}/payments", headers=admin, json={
            "received_on": "2025-03-01", "amount_cents": a, "reference": "VIR-1"}))
        for a in amounts
    ])
    assert set(statuses(answers)) <= {200, 201, 409}
    assert statuses(answers).count(201) == 1
    assert codes(answers) <= {"payment-conflict"}
    stored = await rows(app, "SELECT amount_cents FROM payments")
    assert len(stored) == 1
    for answer in answers:
        if answer.status_code < 300:
            assert [p["amount_cents"] for p in answer.json()["payments"]] == [
                stored[0]["amount_cents"]]


async def test_identical_snapshot_batches_at_once_store_one_snapshot(app, client, admin):
    item = {"snapshot_id": "snap-c1", "school_code": "ifms-rodez",
            "measured_at": "2025-03-03T08:00:00Z", "bytes_used": 10**9}
    answers = await burst([
        lambda: client.post("/api/v1/storage/snapshots", json={"items": [item]},
                            headers=admin) for _ in range(N)
    ])
    assert statuses(answers) == [200] * N
    results = sorted(r.json()["results"][0]["status"] for r in answers)
    assert results == ["accepted"] + ["duplicate"] * (N - 1)
    assert len(await rows(app, "SELECT snapshot_id FROM storage_snapshots")) == 1


async def test_identical_erasures_at_once_erase_once_at_one_instant(app, client, admin,
                                                                    clock):
    uid = await hosted(app, clock, at="2025-03-03T10:00:00+01:00")
    answers = await burst([
        lambda: client.post(f"/api/v1/accounts/{uid}/erasure",
                            json={"reason": "demande de la personne"}, headers=admin)
        for _ in range(N)
    ])
    assert statuses(answers) == [200] * N
    stored = await rows(app, "SELECT erased_at FROM accounts WHERE uid = :uid", uid=uid)
    assert len({r.json()["erased_at"] for r in answers}) == 1
    assert stored[0]["erased_at"] is not None
    audited = await rows(app, "SELECT id FROM audit_events WHERE action = 'account.erased'")
    assert len(audited) == 1


async def test_identical_school_creations_at_once_store_one(app, client, admin):
    body = {"code": "ifsi-cahors", "name": "IFSI de Cahors",
            "amendment_reference": "AV-CAHORS"}
    amended = await client.post("/api/v1/convention/amendments", headers=admin, json={
        "reference": "AV-CAHORS", "signed_on": "2025-01-10", "effective_on": "2025-02-01",
        "schools_added": "ifsi-cahors"})
    assert amended.status_code == 201, amended.text
    answers = await burst([lambda: client.post("/api/v1/schools", json=body, headers=admin)
                           for _ in range(N)])
    assert statuses(answers) == [201] + [409] * (N - 1)
    assert codes(answers) == {"school-exists"}
    assert len(await rows(app, "SELECT code FROM schools WHERE code = 'ifsi-cahors'")) == 1


async def test_school_changes_at_once_on_one_if_match_store_one(app, client, admin):
    url = "/api/v1/schools/ifms-rodez"
    etag = (await client.get(url, headers=admin)).headers["etag"]
    answers = await burst([
        (lambda i=i: client.patch(url, json={"name": f"IFMS de Rodez {i}"},
                                  headers=admin | {"If-Match": etag})) for i in range(N)
    ])
    assert statuses(answers) == [200] + [412] * (N - 1)
    stored = await rows(app, "SELECT name, version FROM schools WHERE code = 'ifms-rodez'")
    winner = next(r for r in answers if r.status_code == 200).json()
    assert stored[0]["name"] == winner["name"]
    assert stored[0]["version"] == 2


async def test_overlapping_closures_at_once_store_one(app, client, admin):
    before = await rows(app, "SELECT id FROM closures")
    answers = await burst([
        (lambda d=d: client.post("/api/v1/calendar/closures", headers=admin, json={
            "starts_on": "2026-07-20", "ends_on": f"2026-08-{d:02d}", "label": "été"}))
        for d in range(1, N + 1)
    ])
    assert statuses(answers).count(201) == 1
    assert set(statuses(answers)) <= {201, 409, 422}
    after = await rows(app, "SELECT id, ends_on FROM closures")
    assert len(after) == len(before) + 1
    winner = next(r for r in answers if r.status_code == 201).json()
    assert winner["id"] in {c["id"] for c in after}


async def test_identical_closure_deletions_at_once_delete_once(app, client, admin):
    made = await client.post("/api/v1/calendar/closures", headers=admin, json={
        "starts_on": "2026-07-20", "ends_on": "2026-08-01", "label": "été"})
    assert made.status_code == 201, made.text
    url = f"/api/v1/calendar/closures/{made.json()['id']}"
    answers = await burst([lambda: client.delete(url, headers=admin) for _ in range(N)])
    assert statuses(answers) == [204] + [404] * (N - 1)
    assert not await rows(app, "SELECT id FROM closures WHERE id = :id", id=made.json()["id"])
