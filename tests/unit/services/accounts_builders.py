"""Builders shared by the use-case tests of hosted accounts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.domain.accounts import Account, RoleKind, StoredRole
from app.services.accounts import NewRequest
from tests.unit.services.fakes import FakeUnitOfWork


def new_request(ticket: str, school: str = "ifms-rodez", kind: RoleKind = RoleKind.TRAINER,
                **changes) -> NewRequest:
    values = {
        "ticket_ref": ticket, "school_code": school, "kind": kind, "given_name": "Léa",
        "family_name": "Martin", "email": f"{ticket}@ifms.fr", "received_at": None,
        "existing_uid": None, "replaces_uid": None, "daip_notified_on": None,
    }
    return NewRequest(**(values | changes))


async def store_account(uow: FakeUnitOfWork, uid: str, *roles: tuple[RoleKind, str, date, date],
                        erased: bool = False) -> Account:
    """An account with hosted roles (kind, school, valid_from, valid_until), committed."""
    created = datetime(2024, 9, 2, 8, tzinfo=UTC)
    account = Account(uid, "Jean", "Dupont", f"{uid}@ifms.fr", created,
                      erased_at=created if erased else None)
    async with uow:
        await uow.accounts.add(account)
        for n, (kind, school, valid_from, valid_until) in enumerate(roles):
            await uow.accounts.add_role(
                StoredRole(f"{uid}-r{n}", uid, kind, school, valid_from, valid_until),
                request_id=None, now=created,
            )
        await uow.commit()
    return account
