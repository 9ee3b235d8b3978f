"""SQL repository of account-creation requests (R-ACC-4). It never commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.audit_repo import SqlAuditRepository
from app.adapters.db.closures_repo import SqlClosureRepository
from app.adapters.db.dialect import insert_ignoring_conflicts, is_postgres
from app.adapters.db.raw import as_row, insert_sql, select_list, transaction_connection
from app.adapters.db.row_locks import get_row
from app.adapters.db.schools_repo import SqlSchoolRepository, school_from_row
from app.adapters.db.tables import AccountRequestRow, SchoolRow
from app.domain.account_requests import AccountRequest, RequestStatus
from app.domain.accounts import RoleKind
from app.domain.calendar import Closure
from app.ports.account_requests import FilingContext
from app.ports.audit import AuditEvent


def request_from_row(row: AccountRequestRow) -> AccountRequest:
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
        return request_from_row(row) if row else None

    async def by_ticket(self, ticket_ref: str) -> AccountRequest | None:
        if is_postgres(self.session):  # the ticketing tool's hot path (raw.py)
            statements = await transaction_connection(self.session)
            found = await statements.fetchrow(_PG_BY_TICKET, ticket_ref)
            return request_from_row(as_row(_REQUESTS, found)) if found else None  # type: ignore[arg-type]
        row = (
            await self.session.execute(
                select(AccountRequestRow).where(AccountRequestRow.ticket_ref == ticket_ref)
            )
        ).scalar_one_or_none()
        return request_from_row(row) if row else None

    async def filing_context(self, ticket_ref: str, school_code: str) -> FilingContext:
        if is_postgres(self.session):
            statements = await transaction_connection(self.session)
            found = await statements.fetchrow(_PG_FILING_CONTEXT, ticket_ref, school_code)
            assert found is not None  # a SELECT without FROM answers one row
            same = found["same_ticket"]
            school = found["school"]
            return FilingContext(
                same_ticket=request_from_row(as_row(_REQUESTS, same[0])) if same else None,  # type: ignore[arg-type]
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
        if is_postgres(self.session):
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
        return [request_from_row(r) for r in rows]

    async def received(self) -> list[AccountRequest]:
        rows = (
            await self.session.execute(
                select(AccountRequestRow).where(
                    AccountRequestRow.status == RequestStatus.RECEIVED.value
                )
            )
        ).scalars()
        return [request_from_row(r) for r in rows]

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
        return [request_from_row(r) for r in (await self.session.execute(query)).scalars()]

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
        return [request_from_row(r) for r in rows]
