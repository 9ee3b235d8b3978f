"""Concurrent requeues of one dead e-mail: one requeue, one audit event, every caller
answered with the message as stored."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.services.mail import queue_mail
from tests.concurrency.conftest import N, burst, rows, statuses

pytestmark = pytest.mark.postgres_only

COVERS = {
    ("POST", "/api/v1/outbox-messages/{id}/requeue"): "identical requeues",
}


async def test_identical_requeues_at_once_requeue_once_and_answer_the_same(
    app, client, clock, admin
):
    uow = app.state.container.uow_factory()
    async with uow:
        assert await queue_mail(uow, now=clock.now(), template="smtp-test",
                                to=["secretariat@ifsi.example"],
                                context={"requested_at": clock.now()}, dedupe_key="dead-1")
        await uow.commit()
    async with app.state.container.engine.begin() as connection:
        await connection.execute(text(
            "UPDATE outbox_messages SET status = 'dead', attempts = 3, "
            "last_error = '550 gone' WHERE dedupe_key = 'dead-1'"))
    [message] = await rows(app, "SELECT id FROM outbox_messages")
    url = f"/api/v1/outbox-messages/{message['id']}/requeue"

    answers = await burst([lambda: client.post(url, headers=admin) for _ in range(N)])

    assert statuses(answers) == [200] * N
    stored = await rows(app, "SELECT status, attempts, last_error FROM outbox_messages")
    assert stored == [{"status": "pending", "attempts": 0, "last_error": None}]
    assert {(a.json()["status"], a.json()["attempts"]) for a in answers} == {("pending", 0)}
    events = await rows(app, "SELECT action FROM audit_events WHERE action = 'mail.requeued'")
    assert len(events) == 1
