"""The daily retention job: inactive accounts, closed support requests and
closed account requests erased when their period ends (R-GDPR-1, R-GDPR-1a)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from app.domain.access import evaluate_access
from app.domain.calendar import add_months_clamped, paris_date, paris_day_start
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
)
from app.domain.schedules import DailyAt
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.personal_data import (
    RequestPseudonyms,
    RetentionFilter,
    SupportPseudonyms,
)
from app.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from app.services import audit
from app.services.accounts import account_view
from app.services.convention import load_clock
from app.services.jobs import Job, JobContext
from app.services.personal_data.erasure import erase

RETENTION_JOB = "retention"


RETENTION_REASON = "R-GDPR-1 : durée de conservation échue"


SUPPORT_DIGEST_TEMPLATE = "support-digest"


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
            if await erase(uow, actor, account, now=now, reason=RETENTION_REASON) is None:
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
