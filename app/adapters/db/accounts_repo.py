"""SQL repositories of hosted accounts: accounts, roles, locks, requests, trainings,
June campaigns. They never commit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.raw import as_row, insert_sql, select_list, transaction_connection
from app.adapters.db.repositories import (
    SqlAuditRepository,
    SqlClosureRepository,
    SqlSchoolRepository,
    insert_ignoring_conflicts,
    school_from_row,
)
from app.adapters.db.row_locks import get_row
from app.adapters.db.tables import (
    AccountLockRow,
    AccountRequestRow,
    AccountRow,
    EnrolmentRow,
    RenewalCampaignRow,
    RenewalDecisionRow,
    RoleRow,
    SchoolRow,
    TrainingRow,
)
from app.domain.account_requests import AccountRequest, RequestStatus
from app.domain.accounts import Account, Lock, RoleKind, StoredRole
from app.domain.calendar import Closure
from app.domain.renewals import Campaign, CampaignStatus, Decision
from app.domain.trainings import Training, TrainingStatus
from app.ports.account_requests import FilingContext
from app.ports.accounts import AccountFacts
from app.ports.audit import AuditEvent


def _is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _account(row: AccountRow) -> Account:
    return Account(
        uid=row.uid,
        given_name=row.given_name,
        family_name=row.family_name,
        email=row.email,
        created_at=row.created_at,
        erased_at=row.erased_at,
        student_number=row.student_number,
    )


def _role(row: RoleRow) -> StoredRole:
    return StoredRole(
        id=row.id,
        uid=row.uid,
        kind=RoleKind(row.kind),
        school_code=row.school_code,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
    )


class SqlAccountRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, uid: str, *, for_update: bool = False) -> Account | None:
        row = await get_row(self.session, AccountRow, uid, for_update=for_update)
        return _account(row) if row else None

    async def add(self, account: Account) -> None:
        await self.session.execute(
            insert(AccountRow).values(
                uid=account.uid,
                given_name=account.given_name,
                family_name=account.family_name,
                email=account.email,
                student_number=account.student_number,
                created_at=account.created_at,
                erased_at=account.erased_at,
            )
        )

    async def roles(self, uid: str) -> list[StoredRole]:
        rows = (
            await self.session.execute(
                select(RoleRow).where(RoleRow.uid == uid).order_by(RoleRow.valid_from, RoleRow.id)
            )
        ).scalars()
        return [_role(r) for r in rows]

    async def roles_of(self, uids: Sequence[str]) -> dict[str, list[StoredRole]]:
        out: dict[str, list[StoredRole]] = {uid: [] for uid in uids}
        if not uids:
            return out
        rows = (
            await self.session.execute(
                select(RoleRow)
                .where(RoleRow.uid.in_(list(uids)))  # type: ignore[attr-defined]
                .order_by(RoleRow.valid_from, RoleRow.id)
            )
        ).scalars()
        for row in rows:
            out[row.uid].append(_role(row))
        return out

    async def add_role(self, role: StoredRole, *, request_id: str | None, now: datetime) -> None:
        await self.session.execute(
            insert(RoleRow).values(
                id=role.id,
                uid=role.uid,
                kind=role.kind.value,
                school_code=role.school_code,
                valid_from=role.valid_from,
                valid_until=role.valid_until,
                request_id=request_id,
                created_at=now,
                updated_at=now,
            )
        )

    async def set_valid_until(self, role_id: str, valid_until: date, *, now: datetime) -> None:
        await self.session.execute(
            update(RoleRow)
            .where(RoleRow.id == role_id)
            .values(valid_until=valid_until, updated_at=now)
        )

    async def school_roles(self, school_code: str, kind: RoleKind) -> list[StoredRole]:
        rows = (
            await self.session.execute(
                select(RoleRow)
                .where(RoleRow.school_code == school_code, RoleRow.kind == kind.value)
                .order_by(RoleRow.uid, RoleRow.valid_from)
            )
        ).scalars()
        return [_role(r) for r in rows]

    async def lock_school(self, school_code: str) -> None:
        """Serialise rule checks per school (the referent cap, R-REF-1).

        PostgreSQL: a row lock on the school; SQLite: BEGIN IMMEDIATE already holds the
        database's write lock for the whole transaction."""
        if _is_postgres(self.session):
            await self.session.execute(
                select(SchoolRow.code).where(SchoolRow.code == school_code).with_for_update()
            )

    async def locks(self, uid: str) -> list[tuple[str, str, Lock]]:
        rows = (
            await self.session.execute(
                select(AccountLockRow)
                .where(AccountLockRow.uid == uid)
                .order_by(AccountLockRow.locked_at)
            )
        ).scalars()
        return [(r.id, r.reason, Lock(r.locked_at, r.unlocked_at)) for r in rows]

    async def add_lock(self, lock_id: str, uid: str, reason: str, locked_at: datetime) -> None:
        await self.session.execute(
            insert(AccountLockRow).values(id=lock_id, uid=uid, reason=reason, locked_at=locked_at)
        )

    async def close_lock(self, lock_id: str, unlocked_at: datetime) -> None:
        await self.session.execute(
            update(AccountLockRow)
            .where(AccountLockRow.id == lock_id)
            .values(unlocked_at=unlocked_at)
        )

    async def list(
        self,
        *,
        school_codes: Sequence[str] | None,
        kind: RoleKind | None,
        q: str | None,
        after_uid: str | None,
        limit: int,
    ) -> list[Account]:
        query = select(AccountRow).order_by(AccountRow.uid).limit(limit)
        if after_uid is not None:
            query = query.where(AccountRow.uid > after_uid)
        if school_codes is not None or kind is not None:
            roles = select(RoleRow.uid)
            if school_codes is not None:
                roles = roles.where(RoleRow.school_code.in_(list(school_codes)))  # type: ignore[attr-defined]
            if kind is not None:
                roles = roles.where(RoleRow.kind == kind.value)
            held = AccountRow.uid.in_(roles)  # type: ignore[attr-defined]
            if kind is None or kind is RoleKind.STUDENT:  # students hold enrolments
                enrolled = select(EnrolmentRow.uid)
                if school_codes is not None:
                    enrolled = enrolled.where(EnrolmentRow.school_code.in_(list(school_codes)))  # type: ignore[attr-defined]
                by_enrolment = AccountRow.uid.in_(enrolled)  # type: ignore[attr-defined]
                held = by_enrolment if kind is not None else or_(held, by_enrolment)
            query = query.where(held)
        if q:
            pattern = f"%{q.lower()}%"
            query = query.where(
                or_(
                    func.lower(AccountRow.uid).like(pattern),
                    func.lower(AccountRow.family_name).like(pattern),
                    func.lower(AccountRow.given_name).like(pattern),
                    func.lower(AccountRow.email).like(pattern),
                )
            )
        return [_account(r) for r in (await self.session.execute(query)).scalars()]

    async def referent_emails(self, school_code: str, on: date) -> list[str]:
        """E-mails of the school's referents whose role is valid on `on` (not erased)."""
        rows = await self.session.execute(
            select(AccountRow.email)
            .join(RoleRow, RoleRow.uid == AccountRow.uid)
            .where(
                RoleRow.school_code == school_code,
                RoleRow.kind == RoleKind.REFERENT.value,
                RoleRow.valid_from <= on,
                RoleRow.valid_until >= on,
                AccountRow.erased_at.is_(None),  # type: ignore[union-attr]
            )
            .distinct()
            .order_by(AccountRow.email)
        )
        return list(rows.scalars())

    async def facts(self, uids: Sequence[str]) -> dict[str, AccountFacts]:
        """Everything R-ACC-8 needs about these accounts: one statement on PostgreSQL
        (app/adapters/db/account_facts.py, the access check's hot path)."""
        from app.adapters.db.account_facts import load_account_facts

        return await load_account_facts(self.session, uids)

    async def uids_taken(self, uids: Sequence[str]) -> set[str]:
        rows = await self.session.execute(
            select(AccountRow.uid).where(AccountRow.uid.in_(list(uids)))  # type: ignore[attr-defined]
        )
        return set(rows.scalars())


def _request(row: AccountRequestRow) -> AccountRequest:
    return AccountRequest(
        id=row.id,
        ticket_ref=row.ticket_ref,
        content_sha256=row.content_sha256,
        school_code=row.school_code,
        kind=RoleKind(row.kind),
        given_name=row.given_name,
        family_name=row.family_name,
        email=row.email,
        received_at=row.received_at,
        existing_uid=row.existing_uid,
        replaces_uid=row.replaces_uid,
        daip_notified_on=row.daip_notified_on,
        academic_year=row.academic_year,
        due_on=row.due_on,
        status=RequestStatus(row.status),
        uid=row.uid,
        fulfilled_at=row.fulfilled_at,
        rejection_reason=row.rejection_reason,
        closed_at=row.closed_at,
        created_at=row.created_at,
    )


_REQUESTS = AccountRequestRow.__table__  # type: ignore[attr-defined]
_PG_BY_TICKET = f"SELECT {select_list(_REQUESTS)} FROM account_requests WHERE ticket_ref = $1"
_SCHOOLS = SchoolRow.__table__  # type: ignore[attr-defined]
# Filing a request reads three things and writes two: on PostgreSQL one statement each
# way (the ticketing tool's hot path), each read list an `ARRAY(SELECT ROW(...))`.
_PG_FILING_CONTEXT = (
    f"SELECT ARRAY(SELECT ROW({select_list(_REQUESTS)}) FROM account_requests "
    "WHERE ticket_ref = $1) AS same_ticket, "
    f"ARRAY(SELECT ROW({select_list(_SCHOOLS)}) FROM schools WHERE code = $2) AS school, "
    "ARRAY(SELECT ROW(starts_on, ends_on, label) FROM closures ORDER BY starts_on) "
    "AS closures"
)
_FILED_COLUMNS = (
    "id", "ticket_ref", "content_sha256", "school_code", "kind", "given_name", "family_name",
    "email", "received_at", "existing_uid", "replaces_uid", "daip_notified_on",
    "academic_year", "due_on", "status", "created_at",
)
_AUDIT_COLUMNS = (
    "occurred_at", "actor", "client_id", "action", "resource_type", "resource_id",
    "request_id", "changes",
)
_PG_FILE_WITH_AUDIT = (
    "WITH filed AS ("
    + insert_sql("account_requests", _FILED_COLUMNS, ignore_conflicts=True)
    + " RETURNING id) INSERT INTO audit_events (" + ", ".join(_AUDIT_COLUMNS) + ") SELECT "
    + ", ".join(f"${len(_FILED_COLUMNS) + n}" for n in range(1, len(_AUDIT_COLUMNS)))
    + f", ${len(_FILED_COLUMNS) + len(_AUDIT_COLUMNS)}::json FROM filed"
)


class SqlAccountRequestRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, request_id: str, *, for_update: bool = False) -> AccountRequest | None:
        row = await get_row(self.session, AccountRequestRow, request_id, for_update=for_update)
        return _request(row) if row else None

    async def by_ticket(self, ticket_ref: str) -> AccountRequest | None:
        if _is_postgres(self.session):  # the ticketing tool's hot path (raw.py)
            statements = await transaction_connection(self.session)
            found = await statements.fetchrow(_PG_BY_TICKET, ticket_ref)
            return _request(as_row(_REQUESTS, found)) if found else None  # type: ignore[arg-type]
        row = (
            await self.session.execute(
                select(AccountRequestRow).where(AccountRequestRow.ticket_ref == ticket_ref)
            )
        ).scalar_one_or_none()
        return _request(row) if row else None

    async def filing_context(self, ticket_ref: str, school_code: str) -> FilingContext:
        if _is_postgres(self.session):
            statements = await transaction_connection(self.session)
            found = await statements.fetchrow(_PG_FILING_CONTEXT, ticket_ref, school_code)
            assert found is not None  # a SELECT without FROM answers one row
            same = found["same_ticket"]
            school = found["school"]
            return FilingContext(
                same_ticket=_request(as_row(_REQUESTS, same[0])) if same else None,  # type: ignore[arg-type]
                school=school_from_row(as_row(_SCHOOLS, school[0])) if school else None,  # type: ignore[arg-type]
                closures=[Closure(*closure) for closure in found["closures"]],
            )
        return FilingContext(
            same_ticket=await self.by_ticket(ticket_ref),
            school=await SqlSchoolRepository(self.session).get(school_code),
            closures=[c for _, c in await SqlClosureRepository(self.session).list()],
        )

    async def add(self, request: AccountRequest, audit: AuditEvent | None = None) -> bool:
        values = {
            "id": request.id,
            "ticket_ref": request.ticket_ref,
            "content_sha256": request.content_sha256,
            "school_code": request.school_code,
            "kind": request.kind.value,
            "given_name": request.given_name,
            "family_name": request.family_name,
            "email": request.email,
            "received_at": request.received_at,
            "existing_uid": request.existing_uid,
            "replaces_uid": request.replaces_uid,
            "daip_notified_on": request.daip_notified_on,
            "academic_year": request.academic_year,
            "due_on": request.due_on,
            "status": request.status.value,
            "created_at": request.created_at,
        }
        if _is_postgres(self.session):
            statements = await transaction_connection(self.session)
            if audit is None:
                tag = await statements.execute(
                    insert_sql("account_requests", _FILED_COLUMNS, ignore_conflicts=True),
                    *(values[column] for column in _FILED_COLUMNS),
                )
            else:
                tag = await statements.execute(
                    _PG_FILE_WITH_AUDIT, *(values[column] for column in _FILED_COLUMNS),
                    audit.occurred_at, audit.actor,
                    audit.client_id, audit.action, audit.resource_type, audit.resource_id,
                    audit.request_id, json.dumps(audit.changes),
                )
            return tag == "INSERT 0 1"
        result = await self.session.execute(
            insert_ignoring_conflicts(self.session, AccountRequestRow).values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        if audit is not None:
            await SqlAuditRepository(self.session).add(audit)
        return True

    async def update(self, request: AccountRequest) -> None:
        await self.session.execute(
            update(AccountRequestRow)
            .where(AccountRequestRow.id == request.id)
            .values(
                status=request.status.value,
                uid=request.uid,
                fulfilled_at=request.fulfilled_at,
                rejection_reason=request.rejection_reason,
                closed_at=request.closed_at,
                due_on=request.due_on,
            )
        )

    async def pending_referents(self, school_code: str) -> list[AccountRequest]:
        rows = (
            await self.session.execute(
                select(AccountRequestRow).where(
                    AccountRequestRow.school_code == school_code,
                    AccountRequestRow.kind == RoleKind.REFERENT.value,
                    AccountRequestRow.status == RequestStatus.RECEIVED.value,
                )
            )
        ).scalars()
        return [_request(r) for r in rows]

    async def received(self) -> list[AccountRequest]:
        rows = (
            await self.session.execute(
                select(AccountRequestRow).where(
                    AccountRequestRow.status == RequestStatus.RECEIVED.value
                )
            )
        ).scalars()
        return [_request(r) for r in rows]

    async def set_due_on(self, request_id: str, due_on: date) -> None:
        await self.session.execute(
            update(AccountRequestRow)
            .where(AccountRequestRow.id == request_id)
            .values(due_on=due_on)
        )

    async def list(
        self,
        *,
        status: RequestStatus | None,
        school_codes: Sequence[str] | None,
        overdue_before: date | None,
        not_overdue_on: date | None,
        after_id: str | None,
        limit: int,
        changed_since: datetime | None = None,
    ) -> list[AccountRequest]:
        query = select(AccountRequestRow).order_by(AccountRequestRow.id).limit(limit)
        if changed_since is not None:
            # Created, or closed (fulfilled, rejected, cancelled) since: `updated_at`.
            query = query.where(or_(AccountRequestRow.created_at >= changed_since,
                                    AccountRequestRow.closed_at >= changed_since))
        if status is not None:
            query = query.where(AccountRequestRow.status == status.value)
        if school_codes is not None:
            query = query.where(AccountRequestRow.school_code.in_(list(school_codes)))  # type: ignore[attr-defined]
        if overdue_before is not None:
            query = query.where(
                AccountRequestRow.status == RequestStatus.RECEIVED.value,
                AccountRequestRow.due_on < overdue_before,
            )
        if not_overdue_on is not None:
            query = query.where(
                or_(
                    AccountRequestRow.status != RequestStatus.RECEIVED.value,
                    AccountRequestRow.due_on >= not_overdue_on,
                )
            )
        if after_id is not None:
            query = query.where(AccountRequestRow.id > after_id)
        return [_request(r) for r in (await self.session.execute(query)).scalars()]

    async def due_between(self, start: date, end: date) -> list[AccountRequest]:
        rows = (
            await self.session.execute(
                select(AccountRequestRow)
                .where(
                    AccountRequestRow.status == RequestStatus.RECEIVED.value,
                    AccountRequestRow.due_on >= start,
                    AccountRequestRow.due_on <= end,
                )
                .order_by(AccountRequestRow.due_on, AccountRequestRow.id)
            )
        ).scalars()
        return [_request(r) for r in rows]


def _training(row: TrainingRow) -> Training:
    return Training(
        id=row.id,
        uid=row.uid,
        school_code=row.school_code,
        role_id=row.role_id,
        daip_notified_on=row.daip_notified_on,
        due_on=row.due_on,
        status=TrainingStatus(row.status),
        proposed_on=row.proposed_on,
        session_on=row.session_on,
        completed_on=row.completed_on,
        created_at=row.created_at,
    )


class SqlTrainingRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, training_id: str, *, for_update: bool = False) -> Training | None:
        row = await get_row(self.session, TrainingRow, training_id, for_update=for_update)
        return _training(row) if row else None

    async def add(self, training: Training) -> None:
        await self.session.execute(
            insert(TrainingRow).values(
                id=training.id,
                uid=training.uid,
                school_code=training.school_code,
                role_id=training.role_id,
                daip_notified_on=training.daip_notified_on,
                due_on=training.due_on,
                status=training.status.value,
                proposed_on=training.proposed_on,
                session_on=training.session_on,
                completed_on=training.completed_on,
                created_at=training.created_at,
            )
        )

    async def update(self, training: Training) -> None:
        await self.session.execute(
            update(TrainingRow)
            .where(TrainingRow.id == training.id)
            .values(
                status=training.status.value,
                due_on=training.due_on,
                proposed_on=training.proposed_on,
                session_on=training.session_on,
                completed_on=training.completed_on,
            )
        )

    async def without_proposal(self) -> list[Training]:
        rows = (
            await self.session.execute(
                select(TrainingRow).where(TrainingRow.status == TrainingStatus.DUE.value)
            )
        ).scalars()
        return [_training(r) for r in rows]

    async def list(
        self,
        *,
        status: TrainingStatus | None,
        school_codes: Sequence[str] | None,
        overdue_on: date | None,
        not_overdue_on: date | None,
        after_id: str | None,
        limit: int,
    ) -> list[Training]:
        query = select(TrainingRow).order_by(TrainingRow.id).limit(limit)
        if status is not None:
            query = query.where(TrainingRow.status == status.value)
        if school_codes is not None:
            query = query.where(TrainingRow.school_code.in_(list(school_codes)))  # type: ignore[attr-defined]
        today = overdue_on or not_overdue_on
        if today is not None:
            overdue = or_(
                and_(TrainingRow.proposed_on.is_(None), TrainingRow.due_on < today),  # type: ignore[union-attr]
                and_(
                    TrainingRow.proposed_on.is_not(None),  # type: ignore[union-attr]
                    TrainingRow.proposed_on > TrainingRow.due_on,  # type: ignore[operator]
                ),
            )
            query = query.where(overdue if overdue_on is not None else ~overdue)
        if after_id is not None:
            query = query.where(TrainingRow.id > after_id)
        return [_training(r) for r in (await self.session.execute(query)).scalars()]


def _campaign(row: RenewalCampaignRow) -> Campaign:
    return Campaign(
        academic_year=row.academic_year,
        status=CampaignStatus(row.status),
        referent_deadline=row.referent_deadline,
        trainer_deadline=row.trainer_deadline,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
    )


class SqlCampaignRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, year: int, *, for_update: bool = False) -> Campaign | None:
        query = select(RenewalCampaignRow).where(RenewalCampaignRow.academic_year == year)
        if for_update and _is_postgres(self.session):
            query = query.with_for_update()
        row = (await self.session.execute(query)).scalar_one_or_none()
        return _campaign(row) if row else None

    async def add(self, campaign: Campaign) -> bool:
        result = await self.session.execute(
            insert_ignoring_conflicts(self.session, RenewalCampaignRow).values(
                academic_year=campaign.academic_year,
                status=campaign.status.value,
                referent_deadline=campaign.referent_deadline,
                trainer_deadline=campaign.trainer_deadline,
                opened_at=campaign.opened_at,
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def close(self, year: int, closed_at: datetime) -> None:
        await self.session.execute(
            update(RenewalCampaignRow)
            .where(RenewalCampaignRow.academic_year == year)
            .values(status=CampaignStatus.CLOSED.value, closed_at=closed_at)
        )

    async def set_deadlines(self, year: int, referent_deadline: date,
                            trainer_deadline: date) -> None:
        await self.session.execute(
            update(RenewalCampaignRow)
            .where(RenewalCampaignRow.academic_year == year,
                   RenewalCampaignRow.status == CampaignStatus.OPEN.value)
            .values(referent_deadline=referent_deadline, trainer_deadline=trainer_deadline)
        )

    async def open_campaigns(self) -> list[Campaign]:
        rows = (
            await self.session.execute(
                select(RenewalCampaignRow).where(
                    RenewalCampaignRow.status == CampaignStatus.OPEN.value
                )
            )
        ).scalars()
        return [_campaign(r) for r in rows]

    async def decisions(
        self, year: int, school_code: str | None = None
    ) -> list[tuple[str, str, RoleKind, Decision]]:
        """(school_code, uid, kind, decision) of a campaign, optionally for one school."""
        query = select(RenewalDecisionRow).where(RenewalDecisionRow.academic_year == year)
        if school_code is not None:
            query = query.where(RenewalDecisionRow.school_code == school_code)
        rows = (await self.session.execute(query)).scalars()
        return [(r.school_code, r.uid, RoleKind(r.kind), Decision(r.decision)) for r in rows]

    async def replace_decisions(
        self,
        year: int,
        school_code: str,
        kinds: Sequence[RoleKind],
        decisions: Sequence[tuple[str, RoleKind, Decision]],
        now: datetime,
    ) -> None:
        await self.session.execute(
            delete(RenewalDecisionRow).where(
                RenewalDecisionRow.academic_year == year,
                RenewalDecisionRow.school_code == school_code,
                RenewalDecisionRow.kind.in_([k.value for k in kinds]),  # type: ignore[attr-defined]
            )
        )
        rows = [
            {
                "academic_year": year,
                "school_code": school_code,
                "uid": uid,
                "kind": kind.value,
                "decision": decision.value,
                "decided_at": now,
            }
            for uid, kind, decision in decisions
            if kind in kinds
        ]
        if rows:
            await self.session.execute(insert(RenewalDecisionRow), rows)


async def advisory_xact_lock(session: AsyncSession, key: int) -> None:
    if _is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
