"""A person's data exported in full (R-GDPR-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.access import Lock
from app.domain.account_requests import AccountRequest
from app.domain.accounts import Account, StoredRole
from app.domain.auth import Principal
from app.domain.enrolments import Enrolment
from app.domain.personal_data import (
    stored_forms,
)
from app.domain.support import SupportRequest
from app.domain.trainings import Training
from app.ports.audit import AuditEvent
from app.ports.clock import Clock
from app.ports.outbox import OutboxMessage
from app.ports.personal_data import (
    RenewalDecisionRecord,
)
from app.ports.unit_of_work import UnitOfWork
from app.services.accounts import AccountView
from app.services.personal_data.records import account_in, held_records


@dataclass(frozen=True)
class PersonalData:
    """Everything held about a person (R-GDPR-2), as of `generated_at`."""

    generated_at: datetime
    account: Account
    view: AccountView
    hosted_roles: list[StoredRole]
    enrolments: list[Enrolment]
    trainings: list[Training]
    renewal_decisions: list[RenewalDecisionRecord]
    locks: list[tuple[str, str, Lock]]
    account_requests: list[AccountRequest]
    support_requests: list[SupportRequest]
    audit_events: list[AuditEvent]
    mails: list[OutboxMessage]


async def export_personal_data(
    uow: UnitOfWork, clock: Clock, principal: Principal, uid: str
) -> PersonalData:
    now = clock.now()
    async with uow:
        account, view = await account_in(uow, principal, uid, now)
        records = await held_records(uow, account)
        mails = await uow.personal_data.mails(
            {form.lower() for e in records.emails for form in stored_forms(e)}
        )
        return PersonalData(
            generated_at=now,
            account=account,
            view=view,
            hosted_roles=await uow.accounts.roles(uid),
            enrolments=records.enrolments,
            trainings=records.trainings,
            renewal_decisions=await uow.personal_data.renewal_decisions_of(uid),
            locks=await uow.accounts.locks(uid),
            account_requests=records.account_requests,
            support_requests=records.support_requests,
            audit_events=await uow.personal_data.audit_events(
                resource_ids=records.resource_ids(uid)
            ),
            mails=[m for m in mails if records.addressed_to(m)],
        )
