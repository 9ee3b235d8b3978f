"""Helpers to file and fulfil requests through the HTTP API."""

from __future__ import annotations

import itertools

from app.domain.auth import PROFILES

_tickets = itertools.count(1)

TICKETING = PROFILES["ticketing"]


async def file_request(client, headers, *, school="ifms-rodez", kind="referent",
                       received_at="2025-03-03T09:00:00+01:00", ticket=None, **extra):
    body = {
        "ticket_ref": ticket or f"T-{next(_tickets)}",
        "school_code": school,
        "kind": kind,
        "given_name": "Camille",
        "family_name": "Martin",
        "email": "camille.martin@example.org",
        "received_at": received_at,
        **extra,
    }
    return await client.post("/api/v1/account-requests", json=body, headers=headers)


async def fulfil(client, headers, request_id, **body):
    return await client.post(
        f"/api/v1/account-requests/{request_id}/fulfilment", json=body, headers=headers
    )


async def hosted_account(client, headers, clock, *, school="ifms-rodez", kind="referent",
                         received_at, fulfilled_at, **extra):
    """File and fulfil a request; returns the fulfilled request body."""
    clock.set(fulfilled_at)
    filed = await file_request(client, headers, school=school, kind=kind,
                               received_at=received_at, **extra)
    assert filed.status_code == 201, filed.text
    done = await fulfil(client, headers, filed.json()["id"], fulfilled_at=fulfilled_at)
    assert done.status_code == 200, done.text
    return done.json()
