"""A person's data: export in full and erasure on request (R-GDPR-2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.api.caller import Caller, Router, caller_with
from app.api.deps import ClockDep, UowDep
from app.api.responses import body_problems, problems
from app.api.routes.account_requests import request_out
from app.api.routes.accounts import account_out
from app.api.routes.enrolments import enrolment_out
from app.api.routes.trainings import training_out
from app.domain.calendar import AcademicYear, paris_date
from app.schemas.audit import AuditEventOut
from app.schemas.common import Uid
from app.schemas.personal_data import (
    ErasureIn,
    ErasureOut,
    HostedRoleOut,
    LockOut,
    MailSentOut,
    PersonalAccountOut,
    PersonalDataOut,
    RenewalDecisionOut,
    SupportRequestHeldOut,
)
from app.services import personal_data as service

router = Router(prefix="/api/v1", tags=["personal data"])

SCOPE = "personal-data:manage"


def export_out(request: Request, data: service.PersonalData) -> PersonalDataOut:
    today = paris_date(data.generated_at)
    account = data.account
    return PersonalDataOut(
        generated_at=data.generated_at,
        account=PersonalAccountOut(
            **account_out(data.view).model_dump(),
            student_number=account.student_number,
            created_at=account.created_at,
            erased_at=account.erased_at,
        ),
        hosted_roles=[
            HostedRoleOut(id=r.id, kind=r.kind.value, school_code=r.school_code,
                          valid_from=r.valid_from, valid_until=r.valid_until)
            for r in data.hosted_roles
        ],
        enrolments=[enrolment_out(e) for e in data.enrolments],
        trainings=[training_out(t, today) for t in data.trainings],
        renewal_decisions=[
            RenewalDecisionOut(academic_year=AcademicYear(d.academic_year).label,
                               school_code=d.school_code, kind=d.kind, decision=d.decision,
                               decided_at=d.decided_at)
            for d in data.renewal_decisions
        ],
        locks=[
            LockOut(id=lock_id, reason=reason, locked_at=lock.starts_at,
                    unlocked_at=lock.ends_at)
            for lock_id, reason, lock in data.locks
        ],
        account_requests=[request_out(request, r) for r in data.account_requests],
        support_requests=[
            SupportRequestHeldOut(
                id=r.id, message_id=r.message_id, received_at=r.received_at,
                from_email=r.from_email, subject=r.subject, school_code=r.school_code,
                status=r.status.value, responded_at=r.responded_at, closed_at=r.closed_at,
                erased_at=r.erased_at,
            )
            for r in data.support_requests
        ],
        audit_events=[AuditEventOut.model_validate(e) for e in data.audit_events],
        mails=[
            MailSentOut(message_id=m.message_id, template=m.template, subject=m.subject,
                        status=m.status, created_at=m.created_at, sent_at=m.sent_at)
            for m in data.mails
        ],
    )


@router.get(
    "/accounts/{uid}/personal-data",
    operation_id="export_personal_data",
    summary="Everything held about a person, as one document",
    description=(
        "R-GDPR-2: the account (names, e-mail, student number, roles, status), stored "
        "roles, enrolments, trainings, renewal decisions, locks, account requests naming "
        "the uid or sent with the person's addresses, support requests sent from them, "
        "audit events about these records and the mails sent to them (metadata, never "
        "bodies)."
    ),
    response_model=PersonalDataOut,
    responses=problems(404),
)
async def export_personal_data(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with(SCOPE))],
    uid: Uid,
) -> PersonalDataOut:
    data = await service.export_personal_data(uow, clock, caller.principal, uid)
    return export_out(request, data)


@router.post(
    "/accounts/{uid}/erasure",
    operation_id="erase_account",
    summary="Erase a person's data (pseudonymisation)",
    description=(
        "R-GDPR-2: names and e-mails are pseudonymised everywhere they are stored "
        "(account, account requests, support requests, outbox, audit trail) in one "
        "transaction; the uid stays as a stub that is never reused and the account's "
        "status is `erased` from this instant (access refused). Repeated → 200 with the "
        "first erasure's `erased_at`, nothing changed."
    ),
    response_model=ErasureOut,
    responses=body_problems(404),
)
async def erase_account(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with(SCOPE))],
    uid: Uid,
    body: ErasureIn,
) -> ErasureOut:
    erasure = await service.erase_account(uow, clock, caller.actor, uid, reason=body.reason)
    return ErasureOut(uid=erasure.uid, status="erased", erased_at=erasure.erased_at)
