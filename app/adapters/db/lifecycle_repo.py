"""SQL repository of the convention's lifecycle: amendments, termination notices,
suspensions (R-CONV-2, R-CONV-3, R-CONV-4, R-CONV-5, R-SUS-1, R-SUS-2). It never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.dialect import advisory_xact_lock
from app.adapters.db.row_locks import get_row
from app.adapters.db.tables import AmendmentRow, SuspensionRow, TerminationNoticeRow
from app.domain.access import SuspensionScope
from app.domain.accounts import RoleKind
from app.domain.convention import Amendment, Party, TermChanges, TerminationNotice
from app.domain.lifecycle import AmendmentRecord, NoticeRecord
from app.domain.suspensions import Ground, Suspension, SuspensionStatus

# The advisory lock of amendment and notice filings ("life" in ASCII).
_LIFECYCLE_LOCK_KEY = 0x6C696665


def _amendment(row: AmendmentRow) -> AmendmentRecord:
    return AmendmentRecord(
        amendment=Amendment(
            reference=row.reference,
            signed_on=row.signed_on,
            effective_on=row.effective_on,
            changes=TermChanges(
                ends_on=row.ends_on,
                storage_capacity_bytes=row.storage_capacity_bytes,
                school_alert_threshold_bytes=row.school_alert_threshold_bytes,
                rate_per_student_cents=row.rate_per_student_cents,
            ),
            recorded_seq=row.id or 0,
            removes_school_codes=tuple(row.removes_school_codes or ()),
        ),
        schools_added=row.schools_added,
        created_at=row.created_at,
    )


def _notice(row: TerminationNoticeRow) -> NoticeRecord:
    return NoticeRecord(
        notice=TerminationNotice(
            id=row.id,
            received_on=row.received_on,
            cured_on=row.cured_on,
            notifying_party=Party(row.notifying_party),
            defaulting_party=Party(row.defaulting_party),
        ),
        grounds=row.grounds,
        letter_ref=row.letter_ref,
        created_at=row.created_at,
    )


def suspension_from_row(row: SuspensionRow) -> Suspension:
    return Suspension(
        id=row.id,
        school_code=row.school_code,
        ground=Ground(row.ground),
        scope=SuspensionScope(row.scope),
        kinds=frozenset(RoleKind(k) for k in row.kinds) if row.kinds is not None else None,
        account_uids=frozenset(row.account_uids) if row.account_uids is not None else None,
        starts_at=row.starts_at,
        notified_at=row.notified_at,
        notice_ref=row.notice_ref,
        details=row.details,
        status=SuspensionStatus(row.status),
        restoration_requested_at=row.restoration_requested_at,
        corrective_actions=row.corrective_actions,
        lifted_at=row.lifted_at,
        lifting_ref=row.lifting_ref,
        created_at=row.created_at,
        restoration_refused_at=row.restoration_refused_at,
        restoration_refusal_ref=row.restoration_refusal_ref,
    )


class SqlLifecycleRepository:
    def __init__(self, session: AsyncSession):
        self.session = session
        # Set by a change of amendments or notices: the unit of work then invalidates
        # the cached convention clock once committed.
        self.clock_changed = False

    async def lock_for_change(self) -> None:
        """Serialize the filing of amendments and notices until the end of the
        transaction: a letter filed while another is being filed is checked against it
        (the governing notice of R-CONV-3a). PostgreSQL: a transaction-scoped advisory lock; SQLite:
        BEGIN IMMEDIATE already holds the database's write lock."""
        await advisory_xact_lock(self.session, _LIFECYCLE_LOCK_KEY)

    # amendments
    async def amendments(self) -> list[AmendmentRecord]:
        query = select(AmendmentRow).order_by(AmendmentRow.id)
        return [_amendment(r) for r in (await self.session.execute(query)).scalars()]

    async def amendment(self, reference: str) -> AmendmentRecord | None:
        row = (
            await self.session.execute(
                select(AmendmentRow).where(AmendmentRow.reference == reference)
            )
        ).scalar_one_or_none()
        return _amendment(row) if row else None

    async def add_amendment(
        self, amendment: Amendment, *, schools_added: str | None, now: datetime
    ) -> None:
        changes = amendment.changes
        self.clock_changed = True
        await self.session.execute(
            insert(AmendmentRow).values(
                reference=amendment.reference,
                signed_on=amendment.signed_on,
                effective_on=amendment.effective_on,
                ends_on=changes.ends_on,
                storage_capacity_bytes=changes.storage_capacity_bytes,
                school_alert_threshold_bytes=changes.school_alert_threshold_bytes,
                rate_per_student_cents=changes.rate_per_student_cents,
                schools_added=schools_added,
                removes_school_codes=list(amendment.removes_school_codes) or None,
                created_at=now,
            )
        )

    # termination notices
    async def notices(self) -> list[NoticeRecord]:
        rows = (
            await self.session.execute(
                select(TerminationNoticeRow).order_by(
                    TerminationNoticeRow.received_on, TerminationNoticeRow.id
                )
            )
        ).scalars()
        return [_notice(r) for r in rows]

    async def notice(self, notice_id: str, *, for_update: bool = False) -> NoticeRecord | None:
        row = await get_row(self.session, TerminationNoticeRow, notice_id,
                            for_update=for_update)
        return _notice(row) if row else None

    async def add_notice(self, record: NoticeRecord, *, now: datetime) -> None:
        n = record.notice
        self.clock_changed = True
        await self.session.execute(
            insert(TerminationNoticeRow).values(
                id=n.id,
                notifying_party=n.notifying_party.value if n.notifying_party else "",
                defaulting_party=n.defaulting_party.value if n.defaulting_party else "",
                grounds=record.grounds,
                letter_ref=record.letter_ref,
                received_on=n.received_on,
                created_at=now,
            )
        )

    async def cure_notice(self, notice_id: str, cured_on: date) -> None:
        self.clock_changed = True
        await self.session.execute(
            update(TerminationNoticeRow)
            .where(TerminationNoticeRow.id == notice_id)
            .values(cured_on=cured_on)
        )

    # suspensions
    async def suspension(
        self, suspension_id: str, *, for_update: bool = False
    ) -> Suspension | None:
        row = await get_row(self.session, SuspensionRow, suspension_id, for_update=for_update)
        return suspension_from_row(row) if row else None

    async def add_suspension(self, s: Suspension) -> None:
        await self.session.execute(
            insert(SuspensionRow).values(
                id=s.id,
                school_code=s.school_code,
                ground=s.ground.value,
                scope=s.scope.value,
                kinds=sorted(k.value for k in s.kinds) if s.kinds is not None else None,
                account_uids=sorted(s.account_uids) if s.account_uids is not None else None,
                starts_at=s.starts_at,
                notified_at=s.notified_at,
                notice_ref=s.notice_ref,
                details=s.details,
                status=s.status.value,
                created_at=s.created_at,
            )
        )

    async def update_suspension(self, s: Suspension) -> None:
        await self.session.execute(
            update(SuspensionRow)
            .where(SuspensionRow.id == s.id)
            .values(
                status=s.status.value,
                restoration_requested_at=s.restoration_requested_at,
                corrective_actions=s.corrective_actions,
                lifted_at=s.lifted_at,
                lifting_ref=s.lifting_ref,
                restoration_refused_at=s.restoration_refused_at,
                restoration_refusal_ref=s.restoration_refusal_ref,
            )
        )

    async def suspensions(
        self,
        *,
        status: SuspensionStatus | None = None,
        school_codes: Sequence[str] | None = None,
        after_id: str | None = None,
        limit: int | None = None,
    ) -> list[Suspension]:
        query = select(SuspensionRow).order_by(SuspensionRow.id)
        if status is not None:
            query = query.where(SuspensionRow.status == status.value)
        if school_codes is not None:
            query = query.where(SuspensionRow.school_code.in_(list(school_codes)))  # type: ignore[attr-defined]
        if after_id is not None:
            query = query.where(SuspensionRow.id > after_id)
        if limit is not None:
            query = query.limit(limit)
        return [suspension_from_row(r) for r in (await self.session.execute(query)).scalars()]
