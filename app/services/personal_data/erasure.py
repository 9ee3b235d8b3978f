"""Erasure of a person's data, on request or by the retention job (R-GDPR-1, R-GDPR-2).

Erasure pseudonymises, in one transaction (`app.domain.personal_data` names the
pseudonyms):

* the account's names and e-mail (the uid stays as a stub, never reused; `erased_at`
  makes its R-ACC-8 status `erased` from that instant);
* the account requests naming the uid (or sent with the person's e-mail): names,
  e-mail, rejection reason; their content fingerprint no longer matches any content;
* the support requests sent from the person's addresses: sender and subject;
* the outbox: the person's addresses in recipients and copies (dropped from mails not
  sent yet; a mail left without recipient is `dead`), their names and addresses in
  subjects, bodies, last errors and attempt details — every name on its own in mails
  addressed to them, full names and addresses in the others (a campaign listing them);
* the audit trail: their names and addresses wherever a value holds them (personal
  fields are already masked when recorded), and the lock reasons of the account;
* the responses kept for `Idempotency-Key` replays that show them are deleted.

The erasure itself is audited (`account.erased`) with counts and the reason, scrubbed
of the person's names and of any e-mail address. The student number is kept: it is the
key of the enrolments that billing counts (R-BIL-1), not a name nor an e-mail."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from app.domain.accounts import Account
from app.domain.personal_data import (
    ERASED_SUBJECT,
    Person,
    Scrubber,
    erased_fingerprint,
    pseudonym,
    pseudonym_email,
)
from app.domain.redaction import without_addresses
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.outbox import OutboxMessage
from app.ports.personal_data import (
    RequestPseudonyms,
    SupportPseudonyms,
)
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.personal_data.records import HeldRecords, account_in, held_records

_NOT_SENT = ("pending", "retrying")


_RECIPIENT_ERASED = "recipient erased (R-GDPR-2)"


_REASON_MAX = 2000


@dataclass(frozen=True)
class Erasure:
    uid: str
    erased_at: datetime
    counts: dict[str, int] = field(default_factory=dict)  # empty when already erased


async def erase_account(
    uow: UnitOfWork, clock: Clock, actor: Actor, uid: str, *, reason: str
) -> Erasure:
    """Erase a person's data on request (R-GDPR-2). Repeated: 200 with the first
    erasure's instant, nothing changed."""
    now = clock.now()
    async with uow:
        account, _ = await account_in(uow, actor.principal, uid, now)
        if account.erased_at is not None:
            return Erasure(uid, account.erased_at)
        counts = await erase(uow, actor, account, now=now, reason=reason)
        if counts is None:  # a concurrent erasure won
            await uow.rollback()
            erased = await uow.accounts.get(uid)
            assert erased is not None and erased.erased_at is not None
            return Erasure(uid, erased.erased_at)
        await uow.commit()
    return Erasure(uid, now, counts)


async def erase(
    uow: UnitOfWork, actor: Actor, account: Account, *, now: datetime, reason: str
) -> dict[str, int] | None:
    """Pseudonymise every place of the person's data in `uow` (not committed); the
    counts of rewritten records, or None when the account was erased meanwhile."""
    repo = uow.personal_data
    records = await held_records(uow, account)
    name, email = pseudonym(account.uid), pseudonym_email(account.uid)
    person = Person(records.emails, records.names,
                    frozenset(r.subject for r in records.support_requests))
    scrub = Scrubber(person, name=name, email=email)
    if not await repo.claim_erasure(
        account.uid, given_name=name, family_name=name, email=email, now=now
    ):
        return None
    await repo.rewrite_account_requests([
        RequestPseudonyms(
            id=r.id, given_name=name, family_name=name, email=email,
            content_sha256=erased_fingerprint(r.id),
            rejection_reason=scrub.own(r.rejection_reason) if r.rejection_reason else None,
        )
        for r in records.account_requests
    ])
    await repo.rewrite_support_requests(
        [
            SupportPseudonyms(id=r.id, from_email=email, subject=ERASED_SUBJECT,
                              content_sha256=erased_fingerprint(r.id))
            for r in records.support_requests
        ],
        erased_at=now,
    )
    locks = [(lock_id, scrub.own(text)) for lock_id, text, _ in await uow.accounts.locks(
        account.uid)]
    await repo.rewrite_lock_reasons(locks)
    counts = {
        "account_requests": len(records.account_requests),
        "support_requests": len(records.support_requests),
        "mails": await _scrub_mails(uow, records, scrub),
        "audit_events": await _scrub_audit(uow, records, scrub, account.uid),
        "idempotent_responses": await repo.forget_responses(scrub.needles()),
    }
    await audit.record(
        uow, actor, now=now, action="account.erased", resource_type="account",
        resource_id=account.uid,
        old={"given_name": account.given_name, "family_name": account.family_name,
             "email": account.email, "erased_at": None},
        new={"given_name": name, "family_name": name, "email": email, "erased_at": now,
             "reason": without_addresses(scrub.own(reason), _REASON_MAX), **counts},
    )
    return counts


def _scrubbed_mail(mail: OutboxMessage, records: HeldRecords, scrub: Scrubber) -> OutboxMessage:
    """The mail without the person: their addresses dropped from a mail not sent yet
    (`dead` if nobody is left), replaced in a settled one; names and addresses replaced
    in the texts (each name on its own when the mail was addressed to them)."""
    own = records.addressed_to(mail)
    text = scrub.own if own else scrub.mentions
    status, last_error = mail.status, mail.last_error
    if mail.status in _NOT_SENT:
        recipients = tuple(a for a in mail.recipients if a.lower() not in records.emails)
        cc = tuple(a for a in mail.cc if a.lower() not in records.emails)
        if not recipients:
            status, last_error = "dead", _RECIPIENT_ERASED
    else:
        recipients = tuple(scrub.mentions(a) for a in mail.recipients)
        cc = tuple(scrub.mentions(a) for a in mail.cc)
    return replace(
        mail, recipients=recipients, cc=cc, subject=text(mail.subject),
        body_text=text(mail.body_text), body_html=text(mail.body_html), status=status,
        last_error=text(last_error) if last_error else last_error,
    )


async def _scrub_mails(uow: UnitOfWork, records: HeldRecords, scrub: Scrubber) -> int:
    repo = uow.personal_data
    changed: list[int] = []
    for mail in await repo.mails(scrub.needles()):
        scrubbed = _scrubbed_mail(mail, records, scrub)
        if scrubbed != mail:
            await repo.rewrite_mail(scrubbed)
            changed.append(mail.id)
    details = [
        (attempt_id, scrub.mentions(detail))
        for attempt_id, detail in await repo.attempt_details(changed)
        if scrub.mentions(detail) != detail
    ]
    await repo.rewrite_attempt_details(details)
    return len(changed)


async def _scrub_audit(
    uow: UnitOfWork, records: HeldRecords, scrub: Scrubber, uid: str
) -> int:
    repo = uow.personal_data
    about = records.resource_ids(uid)
    count = 0
    for event in await repo.audit_events(resource_ids=about, needles=scrub.needles()):
        walk = scrub.own_in if event.resource_id in about else scrub.mentions_in
        changes, actor = walk(event.changes), scrub.mentions(event.actor)
        if changes != event.changes or actor != event.actor:
            assert event.id is not None
            await repo.rewrite_audit_event(event.id, actor=actor, changes=changes)
            count += 1
    return count
