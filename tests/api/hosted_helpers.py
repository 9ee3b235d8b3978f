"""Set up hosted accounts through the services (requests then fulfilment), at chosen
instants of the test clock."""

from __future__ import annotations

import itertools
from datetime import date, datetime

from app.domain.account_requests import AccountRequest
from app.domain.accounts import RoleKind
from app.domain.auth import SYSTEM
from app.ports.audit import Actor
from app.services.accounts import NewRequest, create_request, fulfil_request

ACTOR = Actor(SYSTEM)
_tickets = itertools.count(1)


async def file_request(
    app, clock, *, at: str, school: str = "ifms-rodez", kind: str = "referent",
    family_name: str | None = None, replaces_uid: str | None = None,
    daip_notified_on: date | None = None, existing_uid: str | None = None,
) -> AccountRequest:
    clock.set(at)
    n = next(_tickets)
    request, _ = await create_request(
        app.state.container.uow_factory(), clock, ACTOR,
        NewRequest(
            ticket_ref=f"T-{n}", school_code=school, kind=RoleKind(kind),
            given_name="Camille", family_name=family_name or f"Martin{n}",
            email=f"person{n}@ifsi.example", received_at=datetime.fromisoformat(at),
            existing_uid=existing_uid, replaces_uid=replaces_uid,
            daip_notified_on=daip_notified_on,
        ),
        skew_seconds=300,
    )
    return request


async def fulfil(app, clock, request: AccountRequest, *, at: str,
                 uid: str | None = None) -> AccountRequest:
    clock.set(at)
    return await fulfil_request(
        app.state.container.uow_factory(), clock, ACTOR, request.id, uid=uid, fulfilled_at=None,
        skew_seconds=300, moodle_url="https://moodle.example",
        activation_url="https://activation.example",
    )


async def hosted(app, clock, *, at: str, school: str = "ifms-rodez", kind: str = "referent",
                 uid: str | None = None, **request_fields) -> str:
    """A fulfilled request received and fulfilled at `at`; the account's uid."""
    request = await file_request(app, clock, at=at, school=school, kind=kind, **request_fields)
    done = await fulfil(app, clock, request, at=at, uid=uid)
    assert done.uid is not None
    return done.uid
