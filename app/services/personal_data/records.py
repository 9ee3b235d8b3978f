"""What is held about a person, found by uid and by address (R-GDPR-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.account_requests import AccountRequest
from app.domain.accounts import Account
from app.domain.auth import Principal
from app.domain.enrolments import Enrolment
from app.domain.errors import NotFound
from app.domain.support import SupportRequest
from app.domain.trainings import Training
from app.ports.outbox import OutboxMessage
from app.ports.unit_of_work import UnitOfWork
from app.services.accounts import account_view
from app.services.visibility import account_or_404


@dataclass(frozen=True)
class HeldRecords:
    """A person's records found by uid and by address."""

    emails: frozenset[str]
    names: frozenset[tuple[str, str]]
    account_requests: list[AccountRequest]
    support_requests: list[SupportRequest]
    enrolments: list[Enrolment]
    trainings: list[Training]

    def resource_ids(self, uid: str) -> set[str]:
        """What audit events about the person name as their resource."""
        return (
            {uid}
            | {r.id for r in self.account_requests}
            | {r.id for r in self.support_requests}
            | {e.id for e in self.enrolments}
            | {t.id for t in self.trainings}
        )

    def addressed_to(self, mail: OutboxMessage) -> bool:
        return any(a.lower() in self.emails for a in (*mail.recipients, *mail.cc))


async def held_records(uow: UnitOfWork, account: Account) -> HeldRecords:
    """Requests naming the uid give the addresses the person used; requests and support
    requests sent from any of those addresses are theirs too."""
    repo = uow.personal_data
    emails = {account.email.lower()}
    requests = await repo.account_requests_of(account.uid, emails)
    used = {r.email.lower() for r in requests if account.uid in (r.uid, r.existing_uid)}
    if used - emails:
        emails |= used
        requests = await repo.account_requests_of(account.uid, emails)
    names = {(account.given_name, account.family_name)}
    names |= {(r.given_name, r.family_name) for r in requests}
    return HeldRecords(
        emails=frozenset(emails),
        names=frozenset(names),
        account_requests=requests,
        support_requests=await repo.support_requests_from(emails),
        enrolments=await repo.enrolments_of(account.uid),
        trainings=await repo.trainings_of(account.uid),
    )


async def account_in(uow: UnitOfWork, principal: Principal, uid: str, now: datetime):
    account = await uow.accounts.get(uid)
    if account is None:
        raise NotFound("no such account")
    view = await account_view(uow, account, now)
    # Defence in depth (the scope is UT's): a confined caller only knows its schools' people.
    account_or_404(principal, view, (r.school_code for r in view.roles))
    return account, view
