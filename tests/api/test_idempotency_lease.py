"""`Idempotency-Key` when the process holding a claim died, and when another token
reuses a key: the lease (IDEMPOTENCY_LEASE_SECONDS) and the rights a stored answer is
replayed to (DESIGN.md, HTTP contract)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text

from app.api.idempotency import canonical_sha256, client_key
from app.domain.auth import SCOPES, Principal
from tests.conftest import bearer

REQUESTS = "/api/v1/account-requests"
TICKET = {"ticket_ref": "T-LEASE", "school_code": "ifms-rodez", "kind": "trainer",
          "given_name": "Camille", "family_name": "Martin",
          "email": "camille.martin@example.org", "received_at": "2025-03-03T09:00:00+01:00"}
ADMIN = Principal(subject="ut-admin", client_id="test-client", scopes=frozenset(SCOPES))


async def _dead_claim(app, clock, key: str, body: dict) -> None:
    """What a process killed between the claim and the completion leaves: a claim row
    in progress, made now, never completed nor released."""
    now = clock.now()
    held = await app.state.container.idempotency_store.claim(
        client_key=client_key(ADMIN), key=key, method="POST", path=REQUESTS,
        body_sha256=canonical_sha256(json.dumps(body).encode()), now=now,
        expires_at=now + timedelta(hours=24), stale_before=now - timedelta(seconds=30),
    )
    assert held is None


async def _requests_of_ticket(app) -> list:
    async with app.state.container.engine.connect() as connection:
        found = await connection.execute(
            text("SELECT id FROM account_requests WHERE ticket_ref = 'T-LEASE'"))
        return list(found)


async def test_a_claim_left_by_a_dead_process_blocks_a_retry_only_until_its_lease_ends(
    app, client, clock, make_token
):
    clock.set("2025-03-03T12:00:00+01:00")
    await _dead_claim(app, clock, "k-dead", TICKET)
    headers = bearer(make_token(*SCOPES, sub="ut-admin")) | {"Idempotency-Key": "k-dead"}

    clock.advance(seconds=29)
    blocked = await client.post(REQUESTS, json=TICKET, headers=headers)
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "idempotency-key-in-progress"
    assert await _requests_of_ticket(app) == []

    clock.advance(seconds=1)  # the lease (30 s by default) has run out
    retried = await client.post(REQUESTS, json=TICKET, headers=headers)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    replayed = await client.post(REQUESTS, json=TICKET, headers=headers)
    assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == retried.json()
    assert len(await _requests_of_ticket(app)) == 1


async def test_a_retry_after_a_death_past_the_business_commit_writes_nothing_again(
    app, client, clock, make_token
):
    """The dead process had committed the request but not completed the key: the retry
    after the lease answers the stored request (same id), one row."""
    clock.set("2025-03-03T12:00:00+01:00")
    staff = bearer(make_token(*SCOPES, sub="ut-admin"))
    first = await client.post(REQUESTS, json=TICKET, headers=staff)
    assert first.status_code == 201
    await _dead_claim(app, clock, "k-half", TICKET)
    clock.advance(seconds=31)
    retried = await client.post(REQUESTS, json=TICKET,
                                headers=staff | {"Idempotency-Key": "k-half"})
    assert retried.status_code == 200, retried.text
    assert retried.json()["id"] == first.json()["id"]
    assert len(await _requests_of_ticket(app)) == 1


async def test_the_late_completion_of_a_claim_taken_over_changes_nothing(app, clock):
    store = app.state.container.idempotency_store
    owner, body_sha = client_key(ADMIN), canonical_sha256(b"{}")
    old = clock.now()

    async def claim(now):
        return await store.claim(
            client_key=owner, key="k-slow", method="POST", path=REQUESTS,
            body_sha256=body_sha, now=now, expires_at=now + timedelta(hours=24),
            stale_before=now - timedelta(seconds=30),
        )

    assert await claim(old) is None
    new = old + timedelta(seconds=31)
    assert await claim(new) is None  # taken over
    await store.complete(client_key=owner, key="k-slow", claimed_at=new, status_code=201,
                         headers={}, body='{"winner": "new"}')
    await store.complete(client_key=owner, key="k-slow", claimed_at=old, status_code=201,
                         headers={}, body='{"winner": "old"}')
    await store.release(client_key=owner, key="k-slow", claimed_at=old)
    held = await claim(new + timedelta(seconds=1))
    assert held is not None and held.state == "completed"
    assert held.body == '{"winner": "new"}'


async def test_a_stored_answer_is_never_replayed_to_a_token_without_the_scope(
    client, clock, make_token
):
    clock.set("2025-03-03T12:00:00+01:00")
    full = bearer(make_token(*SCOPES, sub="ticketing")) | {"Idempotency-Key": "k-scope"}
    made = await client.post(REQUESTS, json=TICKET, headers=full)
    assert made.status_code == 201
    reader = bearer(make_token("accounts:read", sub="ticketing")) | {"Idempotency-Key":
                                                                      "k-scope"}
    refused = await client.post(REQUESTS, json=TICKET, headers=reader)
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient-scope"
    assert "idempotent-replayed" not in refused.headers
    assert "T-LEASE" not in refused.text


async def test_a_stored_answer_is_never_replayed_to_a_token_of_another_school(
    client, clock, make_token
):
    clock.set("2025-03-03T12:00:00+01:00")
    full = bearer(make_token(*SCOPES, sub="ticketing"))
    filed = await client.post(REQUESTS, json=TICKET, headers=full)
    url = f"{REQUESTS}/{filed.json()['id']}/cancellation"
    done = await client.post(url, json={}, headers=full | {"Idempotency-Key": "k-school"})
    assert done.status_code == 200, done.text
    albi = bearer(make_token(*SCOPES, sub="ticketing", schools=["ifms-albi"]))
    refused = await client.post(url, json={}, headers=albi | {"Idempotency-Key": "k-school"})
    assert refused.status_code == 404
    assert "idempotent-replayed" not in refused.headers
    assert "Martin" not in refused.text and "T-LEASE" not in refused.text
    rodez = bearer(make_token(*SCOPES, sub="ticketing", schools=["ifms-rodez"]))
    allowed = await client.post(url, json={}, headers=rodez | {"Idempotency-Key": "k-school"})
    assert allowed.status_code == 200 and allowed.json()["status"] == "cancelled"
