"""One evidence and one waiver per obligation (RULES.md, Obligations register) under N
simultaneous calls on PostgreSQL, checked on the tables: identical calls answer the
same and record (and audit) once; different ones leave one winner and 409s."""

from __future__ import annotations

import pytest

from tests.concurrency.conftest import N, burst, codes, rows, statuses

pytestmark = pytest.mark.postgres_only

URL = "/api/v1/obligations"

COVERS = {
    ("POST", "/api/v1/obligations/{obligation_id}/evidence"): "identical; different references",
    ("POST", "/api/v1/obligations/{obligation_id}/waiver"): "identical; different reasons",
}


@pytest.fixture(autouse=True)
def _today(clock):
    clock.set("2026-03-03T10:00:00+01:00")


async def test_identical_evidence_at_once_is_recorded_and_audited_once(app, client, admin):
    body = {"occurred_on": "2026-03-02", "document_ref": "CR-2026-03"}
    answers = await burst([
        lambda: client.post(f"{URL}/R-OBL-13:2025/evidence", json=body, headers=admin)
        for _ in range(N)
    ])
    assert statuses(answers) == [200] * N
    assert {r.json()["state"] for r in answers} == {"met"}
    assert len(await rows(app, "SELECT obligation_id FROM obligation_evidence")) == 1
    audited = await rows(app, "SELECT id FROM audit_events "
                              "WHERE action = 'obligation.evidence-recorded'")
    assert len(audited) == 1


async def test_different_evidence_at_once_leaves_one_winner(app, client, admin):
    answers = await burst([
        (lambda i=i: client.post(f"{URL}/R-OBL-13:2025/evidence", headers=admin,
                                 json={"occurred_on": "2026-03-02", "document_ref": f"CR-{i}"}))
        for i in range(N)
    ])
    assert statuses(answers) == [200] + [409] * (N - 1)
    assert codes(answers) == {"evidence-recorded"}
    [stored] = await rows(app, "SELECT document_ref FROM obligation_evidence")
    winner = next(r for r in answers if r.status_code == 200)
    assert winner.json()["evidence"]["document_ref"] == stored["document_ref"]


async def test_waivers_at_once_leave_one_reason(app, client, admin):
    answers = await burst([
        (lambda i=i: client.post(f"{URL}/R-OBL-12:2026/waiver", headers=admin,
                                 json={"reason": "motif" if i % 2 else f"motif {i}"}))
        for i in range(N)
    ])
    [stored] = await rows(app, "SELECT reason FROM obligation_waivers")
    same = [r for r in answers if r.status_code == 200]
    assert same and {r.json()["waiver"]["reason"] for r in same} == {stored["reason"]}
    assert codes(answers) <= {"already-waived"}
    audited = await rows(app, "SELECT id FROM audit_events WHERE action = 'obligation.waived'")
    assert len(audited) == 1
