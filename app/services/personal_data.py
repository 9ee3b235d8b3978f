"""Personal data (R-GDPR-1, R-GDPR-2): a person's data exported in full, erased on
request, and erased by the daily retention job.

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
from datetime import datetime, time, timedelta

from app.domain.account_requests import AccountRequest
from app.domain.accounts import Account, Lock, StoredRole, evaluate_access
from app.domain.auth import Principal
from app.domain.calendar import add_months_clamped, paris_date, paris_day_start
from app.domain.enrolments import Enrolment
from app.domain.errors import NotFound
from app.domain.personal_data import (
    ERASED_MAIL_BODY,
    ERASED_SUBJECT,
    Person,
    Scrubber,
    closed_request_erasable_on,
    erasable_from,
    erased_fingerprint,
    inactive_account_erasable,
    last_access_day,
    last_enrolment_year_ended_by,
    latest_erasable_last_day,
    pseudonym,
    pseudonym_email,
    stored_forms,
)
from app.domain.redaction import without_addresses
from app.domain.schedules import DailyAt
from app.domain.support import SupportRequest
from app.domain.trainings import Training
from app.ports.audit import Actor, AuditEvent
from app.ports.clock import Clock
from app.ports.outbox import OutboxMessage
from app.ports.personal_data import (
    RenewalDecisionRecord,
    RequestPseudonyms,
    RetentionFilter,
    SupportPseudonyms,
)
from app.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from app.services import audit
from app.services.accounts import AccountView, account_view
from app.services.convention import load_clock
from app.services.jobs import Job, JobContext
from app.services.visibility import visible_or_404

RETENTION_JOB = "retention"
RETENTION_REASON = "R-GDPR-1 : durée de conservation échue"
SUPPORT_DIGEST_TEMPLATE = "support-digest"
_NOT_SENT = ("pending", "retrying")
_RECIPIENT_ERASED = "recipient erased (R-GDPR-2)"
_REASON_MAX = 2000


# ---------------------------------------------------------------- what is held


@dataclass(frozen=True)
class _Records:
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


async def _records(uow: UnitOfWork, account: Account) -> _Records:
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
    return _Records(
        emails=frozenset(emails),
        names=frozenset(names),
        account_requests=requests,
        support_requests=await repo.support_requests_from(emails),
        enrolments=await repo.enrolments_of(account.uid),
        trainings=await repo.trainings_of(account.uid),
    )


async def _account_in(uow: UnitOfWork, principal: Principal, uid: str, now: datetime):
    account = await uow.accounts.get(uid)
    if account is None:
        raise NotFound("no such account")
    view = await account_view(uow, account, now)
    # Defence in depth (the scope is UT's): a confined caller only knows its schools' people.
    visible_or_404(principal, view, lambda v: [r.school_code for r in v.roles],
                   "no such account")
    return account, view


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
        account, view = await _account_in(uow, principal, uid, now)
        records = await _records(uow, account)
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


# ---------------------------------------------------------------- erasure


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
        account, _ = await _account_in(uow, actor.principal, uid, now)
        if account.erased_at is not None:
            return Erasure(uid, account.erased_at)
        counts = await _erase(uow, actor, account, now=now, reason=reason)
        if counts is None:  # a concurrent erasure won
            await uow.rollback()
            erased = await uow.accounts.get(uid)
            assert erased is not None and erased.erased_at is not None
            return Erasure(uid, erased.erased_at)
        await uow.commit()
    return Erasure(uid, now, counts)


async def _erase(
    uow: UnitOfWork, actor: Actor, account: Account, *, now: datetime, reason: str
) -> dict[str, int] | None:
    """Pseudonymise every place of the person's data in `uow` (not committed); the
    counts of rewritten records, or None when the account was erased meanwhile."""
    repo = uow.personal_data
    records = await _records(uow, account)
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


def _scrubbed_mail(mail: OutboxMessage, records: _Records, scrub: Scrubber) -> OutboxMessage:
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


async def _scrub_mails(uow: UnitOfWork, records: _Records, scrub: Scrubber) -> int:
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
    uow: UnitOfWork, records: _Records, scrub: Scrubber, uid: str
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


# ---------------------------------------------------------------- retention (R-GDPR-1)


@dataclass(frozen=True)
class RetentionPolicy:
    inactive_months: int = 12
    support_months: int = 24
    closed_request_months: int = 12
    """R-GDPR-1a: months a rejected or cancelled account request keeps its names."""


async def erase_inactive_accounts(
    uow_factory: UnitOfWorkFactory, clock: Clock, actor: Actor, policy: RetentionPolicy
) -> int:
    """Erase the accounts without access for `inactive_months` (one transaction each);
    how many. Candidates come from an SQL pre-filter; the rule decides each."""
    now = clock.now()
    today = paris_date(now)
    bound = latest_erasable_last_day(today, policy.inactive_months)
    uow = uow_factory()
    async with uow:
        convention = await load_clock(uow)
        access_end = convention.status_on(today).prospective_access_end_on
        candidates = await uow.personal_data.retention_candidates(
            RetentionFilter(
                last_day_bound=bound,
                enrolment_year_max=last_enrolment_year_ended_by(bound),
                cancelled_after=bound + timedelta(days=1),
                everyone=access_end <= bound,
            )
        )
    erased = 0
    for uid in candidates:
        uow = uow_factory()
        async with uow:
            account = await uow.accounts.get(uid)
            if account is None or account.erased_at is not None:
                continue
            view = await account_view(uow, account, now)
            without_overlays = evaluate_access(
                uid=uid, roles=view.roles, at=now, access_end_on=view.access_end_on
            )
            if not inactive_account_erasable(
                status=without_overlays.status,
                last_day=last_access_day(view.roles, view.access_end_on),
                created_on=paris_date(account.created_at),
                today=today,
                months=policy.inactive_months,
            ):
                continue
            if await _erase(uow, actor, account, now=now, reason=RETENTION_REASON) is None:
                continue
            await uow.commit()
            erased += 1
    return erased


async def erase_closed_support_requests(
    uow: UnitOfWork, clock: Clock, actor: Actor, policy: RetentionPolicy
) -> tuple[int, int]:
    """Erase the sender and subject of support requests closed `support_months` ago,
    and the bodies of the support digests older than that; (requests, digests)."""
    now = clock.now()
    today = paris_date(now)
    bound = latest_erasable_last_day(today, policy.support_months)
    async with uow:
        due = [
            r for r in await uow.personal_data.support_requests_closed_before(
                paris_day_start(bound + timedelta(days=1))
            )
            if r.closed_at is not None
            and today >= erasable_from(paris_date(r.closed_at), policy.support_months)
        ]
        await uow.personal_data.rewrite_support_requests(
            [
                SupportPseudonyms(
                    id=r.id, from_email=pseudonym_email(f"support:{r.id}"),
                    subject=ERASED_SUBJECT, content_sha256=erased_fingerprint(r.id),
                )
                for r in due
            ],
            erased_at=now,
        )
        for r in due:
            await audit.record(
                uow, actor, now=now, action="support-request.erased",
                resource_type="support_request", resource_id=r.id,
                old={"from_email": r.from_email, "subject": r.subject},
                new={"from_email": pseudonym_email(f"support:{r.id}"),
                     "subject": ERASED_SUBJECT, "reason": RETENTION_REASON},
            )
        # A digest lists requests open when it was sent: once older than the period,
        # the requests it lists are closed or long overdue; its copy goes too.
        digests = await uow.personal_data.erase_old_mails(
            template=SUPPORT_DIGEST_TEMPLATE,
            before=paris_day_start(add_months_clamped(today, -policy.support_months)),
            subject=ERASED_SUBJECT, body=ERASED_MAIL_BODY,
        )
        await uow.commit()
    return len(due), digests


async def erase_closed_account_requests(
    uow: UnitOfWork, clock: Clock, actor: Actor, policy: RetentionPolicy
) -> int:
    """R-GDPR-1a: pseudonymise the names and e-mail of account requests rejected or
    cancelled `closed_request_months` calendar months ago (Paris dates, clamped to the
    month's end); ticket ref, school, kind, dates and status are kept. How many."""
    now = clock.now()
    today = paris_date(now)
    # Every request closed on or before this Paris day is due (the clamp only moves
    # dates earlier), and none closed after it.
    bound = add_months_clamped(today, -policy.closed_request_months) + timedelta(days=3)
    async with uow:
        due = [
            r for r in await uow.personal_data.closed_account_requests_before(
                paris_day_start(bound + timedelta(days=1))
            )
            if r.closed_at is not None
            and today >= closed_request_erasable_on(paris_date(r.closed_at),
                                                     policy.closed_request_months)
        ]
        rows = []
        for r in due:
            name, email = pseudonym(f"account-request:{r.id}"), pseudonym_email(
                f"account-request:{r.id}")
            scrub = Scrubber(Person(frozenset({r.email}),
                                    frozenset({(r.given_name, r.family_name)})),
                             name=name, email=email)
            rows.append(RequestPseudonyms(
                id=r.id, given_name=name, family_name=name, email=email,
                content_sha256=erased_fingerprint(r.id),
                rejection_reason=scrub.own(r.rejection_reason) if r.rejection_reason else None,
            ))
        await uow.personal_data.rewrite_account_requests(rows)
        for r in due:
            await audit.record(
                uow, actor, now=now, action="account-request.erased",
                resource_type="account_request", resource_id=r.id,
                new={"status": r.status, "reason": RETENTION_REASON},
            )
        await uow.commit()
    return len(due)


def retention_job(policy: RetentionPolicy) -> Job:
    """The daily R-GDPR-1 job: counts only (no uid, no name) in its run and logs. It
    also deletes the expired `Idempotency-Key` responses (kept no longer than their
    published period even when no new key is claimed)."""

    async def run(context: JobContext) -> dict[str, int]:
        accounts = await erase_inactive_accounts(
            context.uow_factory, context.clock, context.actor, policy
        )
        requests, digests = await erase_closed_support_requests(
            context.uow_factory(), context.clock, context.actor, policy
        )
        closed_requests = await erase_closed_account_requests(
            context.uow_factory(), context.clock, context.actor, policy
        )
        uow = context.uow_factory()
        async with uow:
            responses = await uow.personal_data.purge_expired_responses(context.clock.now())
            await uow.commit()
        return {"accounts_erased": accounts, "support_requests_erased": requests,
                "support_digests_erased": digests,
                "closed_account_requests_erased": closed_requests,
                "idempotent_responses_purged": responses}

    return Job(
        name=RETENTION_JOB,
        schedule=DailyAt(time(3, 30)),
        run=run,
        description=(
            "R-GDPR-1: erase (pseudonymise) accounts without access for "
            f"{policy.inactive_months} months and support request senders and subjects "
            f"{policy.support_months} months after closure; R-GDPR-1a: names and e-mail of "
            f"account requests rejected or cancelled {policy.closed_request_months} "
            "months ago."
        ),
    )
