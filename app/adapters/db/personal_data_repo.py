"""SQL repository of personal data (R-GDPR-1, R-GDPR-2): what is held about a person
across the capabilities' tables, and the writes that put pseudonyms in place. Not a hot
path: plain statements in the caller's transaction. It never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.account_requests_repo import request_from_row
from app.adapters.db.audit_repo import audit_event_from_row
from app.adapters.db.enrolments_repo import enrolment_from_row
from app.adapters.db.outbox_repo import outbox_message
from app.adapters.db.support_repo import support_request_from_row
from app.adapters.db.tables import (
    AccountLockRow,
    AccountRequestRow,
    AccountRow,
    AuditEventRow,
    EnrolmentRow,
    IdempotencyKeyRow,
    OutboxAttemptRow,
    OutboxMessageRow,
    RenewalDecisionRow,
    RoleRow,
    SupportRequestRow,
    TrainingRow,
)
from app.adapters.db.trainings_repo import training_from_row
from app.domain.account_requests import AccountRequest, RequestStatus
from app.domain.enrolments import Enrolment
from app.domain.personal_data import PSEUDONYM_DOMAIN, PSEUDONYM_PREFIX
from app.domain.support import SupportRequest
from app.domain.trainings import Training
from app.ports.audit import AuditEvent
from app.ports.outbox import OutboxMessage
from app.ports.personal_data import (
    RenewalDecisionRecord,
    RequestPseudonyms,
    RetentionFilter,
    SupportPseudonyms,
)

_SETTLED = ("sent", "dead")


def _like_any(column: Any, needles: Collection[str]) -> list[Any]:
    """`lower(column::text) LIKE '%needle%'` for each (already lower-cased) needle,
    with LIKE's wildcards escaped: e-mail addresses often hold `_`."""
    text = func.lower(cast(column, Text))
    return [
        text.like(
            "%" + n.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
            escape="\\",
        )
        for n in needles
    ]


class SqlPersonalDataRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    # ------------------------------------------------------------ what is held

    async def account_requests_of(
        self, uid: str, emails: Collection[str]
    ) -> list[AccountRequest]:
        R = AccountRequestRow
        condition = or_(R.uid == uid, R.existing_uid == uid)
        if emails:
            condition = or_(condition, func.lower(R.email).in_(sorted(emails)))
        rows = (await self.session.execute(select(R).where(condition).order_by(R.id))).scalars()
        return [request_from_row(r) for r in rows]

    async def support_requests_from(self, emails: Collection[str]) -> list[SupportRequest]:
        if not emails:
            return []
        S = SupportRequestRow
        rows = (
            await self.session.execute(
                select(S).where(func.lower(S.from_email).in_(sorted(emails))).order_by(S.id)
            )
        ).scalars()
        return [support_request_from_row(r) for r in rows]

    async def enrolments_of(self, uid: str) -> list[Enrolment]:
        E = EnrolmentRow.__table__.c  # type: ignore[attr-defined]
        rows = await self.session.execute(
            select(EnrolmentRow.__table__)  # type: ignore[arg-type]
            .where(E.uid == uid)
            .order_by(E.academic_year, E.id)
        )
        return [enrolment_from_row(r) for r in rows]

    async def trainings_of(self, uid: str) -> list[Training]:
        rows = (
            await self.session.execute(
                select(TrainingRow).where(TrainingRow.uid == uid).order_by(TrainingRow.id)
            )
        ).scalars()
        return [training_from_row(r) for r in rows]

    async def renewal_decisions_of(self, uid: str) -> list[RenewalDecisionRecord]:
        D = RenewalDecisionRow
        rows = (
            await self.session.execute(
                select(D).where(D.uid == uid).order_by(D.academic_year, D.school_code, D.kind)
            )
        ).scalars()
        return [
            RenewalDecisionRecord(
                academic_year=r.academic_year, school_code=r.school_code, kind=r.kind,
                decision=r.decision, decided_at=r.decided_at,
            )
            for r in rows
        ]

    async def audit_events(
        self, *, resource_ids: Collection[str], needles: Collection[str] = ()
    ) -> list[AuditEvent]:
        A = AuditEventRow
        conditions: list[Any] = []
        if resource_ids:
            conditions.append(A.resource_id.in_(sorted(resource_ids)))  # type: ignore[attr-defined]
        if needles:
            conditions += _like_any(A.changes, needles) + _like_any(A.actor, needles)
        if not conditions:
            return []
        rows = (
            await self.session.execute(select(A).where(or_(*conditions)).order_by(A.id))
        ).scalars()
        return [audit_event_from_row(r) for r in rows]

    async def mails(self, needles: Collection[str]) -> list[OutboxMessage]:
        if not needles:
            return []
        M = OutboxMessageRow
        conditions: list[Any] = []
        for column in (M.recipients, M.cc, M.subject, M.body_text, M.body_html, M.last_error):
            conditions += _like_any(column, needles)
        rows = (
            await self.session.execute(select(M).where(or_(*conditions)).order_by(M.id))
        ).scalars()
        return [outbox_message(r) for r in rows]

    # ------------------------------------------------------------ pseudonyms

    async def claim_erasure(
        self, uid: str, *, given_name: str, family_name: str, email: str, now: datetime
    ) -> bool:
        result = await self.session.execute(
            update(AccountRow)
            .where(AccountRow.uid == uid, AccountRow.erased_at.is_(None))  # type: ignore[union-attr]
            .values(
                given_name=given_name, family_name=family_name, email=email, erased_at=now,
                version=AccountRow.version + 1,
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def _update_rows(self, row_type: Any, rows: Sequence[dict[str, Any]]) -> None:
        """`UPDATE … SET <columns> WHERE id = …` for rows given as {"id": …, column:
        value, …} (the same columns in each), one statement."""
        if not rows:
            return
        table = row_type.__table__
        columns = [c for c in rows[0] if c != "id"]
        await self.session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({c: bindparam(f"b_{c}") for c in columns}),
            [{f"b_{k}": v for k, v in row.items()} for row in rows],
        )

    async def rewrite_account_requests(self, rows: Sequence[RequestPseudonyms]) -> None:
        await self._update_rows(AccountRequestRow, [
            {"id": r.id, "given_name": r.given_name, "family_name": r.family_name,
             "email": r.email, "content_sha256": r.content_sha256,
             "rejection_reason": r.rejection_reason}
            for r in rows
        ])

    async def rewrite_support_requests(
        self, rows: Sequence[SupportPseudonyms], *, erased_at: datetime
    ) -> None:
        await self._update_rows(SupportRequestRow, [
            {"id": r.id, "from_email": r.from_email, "subject": r.subject,
             "content_sha256": r.content_sha256, "erased_at": erased_at}
            for r in rows
        ])

    async def rewrite_mail(self, mail: OutboxMessage) -> None:
        await self.session.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.id == mail.id)
            .values(
                recipients=list(mail.recipients), cc=list(mail.cc), subject=mail.subject,
                body_text=mail.body_text, body_html=mail.body_html, status=mail.status,
                last_error=mail.last_error,
            )
        )

    async def attempt_details(self, message_ids: Collection[int]) -> list[tuple[int, str]]:
        if not message_ids:
            return []
        T = OutboxAttemptRow
        rows = await self.session.execute(
            select(T.id, T.detail)
            .where(T.message_id.in_(sorted(message_ids)), T.detail.is_not(None))  # type: ignore[attr-defined,union-attr]
            .order_by(T.id)
        )
        return [(r.id, r.detail) for r in rows]

    async def rewrite_attempt_details(self, details: Sequence[tuple[int, str]]) -> None:
        await self._update_rows(OutboxAttemptRow, [{"id": i, "detail": d} for i, d in details])

    async def rewrite_audit_event(
        self, event_id: int, *, actor: str, changes: dict[str, Any]
    ) -> None:
        await self.session.execute(
            update(AuditEventRow)
            .where(AuditEventRow.id == event_id)
            .values(actor=actor, changes=changes)
        )

    async def rewrite_lock_reasons(self, reasons: Sequence[tuple[str, str]]) -> None:
        await self._update_rows(AccountLockRow, [{"id": i, "reason": r} for i, r in reasons])

    async def forget_responses(self, needles: Collection[str]) -> int:
        if not needles:
            return 0
        K = IdempotencyKeyRow
        result = await self.session.execute(
            delete(K).where(or_(*_like_any(K.response_body, needles)))
        )
        return result.rowcount  # type: ignore[attr-defined]

    # ------------------------------------------------------------ retention

    async def purge_expired_responses(self, now: datetime) -> int:
        K = IdempotencyKeyRow
        result = await self.session.execute(delete(K).where(K.expires_at <= now))  # type: ignore[arg-type]
        return result.rowcount  # type: ignore[attr-defined]

    async def retention_candidates(self, where: RetentionFilter) -> list[str]:
        A = AccountRow
        query = select(A.uid).where(
            A.erased_at.is_(None),  # type: ignore[union-attr]
            ~exists().where(
                AccountRequestRow.existing_uid == A.uid,
                AccountRequestRow.status == RequestStatus.RECEIVED.value,
            ),
        )
        if not where.everyone:
            E = EnrolmentRow
            lasting = or_(
                E.cancelled_on.is_(None),  # type: ignore[union-attr]
                and_(E.cancelled_on > where.cancelled_after,  # type: ignore[operator]
                     E.cancelled_on > E.enrolled_on),  # type: ignore[operator]
            )
            query = query.where(
                ~exists().where(RoleRow.uid == A.uid, RoleRow.valid_until > where.last_day_bound),
                ~exists().where(E.uid == A.uid, E.academic_year > where.enrolment_year_max,
                                lasting),
            )
        rows = await self.session.execute(query.order_by(A.uid))
        return list(rows.scalars())

    async def closed_account_requests_before(self, before: datetime) -> list[AccountRequest]:
        R = AccountRequestRow
        rows = (
            await self.session.execute(
                select(R)
                .where(
                    R.status.in_([RequestStatus.REJECTED.value,  # type: ignore[attr-defined]
                                  RequestStatus.CANCELLED.value]),
                    R.closed_at < before,  # type: ignore[operator]
                    ~R.email.like(f"{PSEUDONYM_PREFIX}%@{PSEUDONYM_DOMAIN}"),  # type: ignore[attr-defined]
                )
                .order_by(R.id)
            )
        ).scalars()
        return [request_from_row(r) for r in rows]

    async def support_requests_closed_before(self, before: datetime) -> list[SupportRequest]:
        S = SupportRequestRow
        rows = (
            await self.session.execute(
                select(S)
                .where(
                    and_(
                        S.status == "closed",
                        S.erased_at.is_(None),  # type: ignore[union-attr]
                        S.closed_at < before,  # type: ignore[operator]
                    )
                )
                .order_by(S.id)
            )
        ).scalars()
        return [support_request_from_row(r) for r in rows]

    async def erase_old_mails(
        self, *, template: str, before: datetime, subject: str, body: str
    ) -> int:
        M = OutboxMessageRow
        result = await self.session.execute(
            update(M)
            .where(
                M.template == template,
                M.created_at < before,  # type: ignore[operator]
                M.status.in_(_SETTLED),  # type: ignore[attr-defined]
                M.body_text != body,
            )
            .values(subject=subject, body_text=body, body_html=body)
        )
        return result.rowcount  # type: ignore[attr-defined]
