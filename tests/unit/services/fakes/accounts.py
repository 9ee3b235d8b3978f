"""Fakes of hosted accounts: accounts, roles and locks, creation requests, referent
trainings and June renewal campaigns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from app.domain.access import Lock
from app.domain.account_requests import AccountRequest, RequestStatus
from app.domain.accounts import Account, RoleKind, StoredRole
from app.domain.renewals import Campaign, CampaignStatus, Decision
from app.domain.trainings import Training, TrainingStatus
from app.ports.account_requests import FilingContext
from app.ports.accounts import AccountFacts
from app.ports.audit import AuditEvent
from tests.unit.services.fakes.store import FakeRepository, page_after, serves


@serves("accounts")
class FakeAccountRepository(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[str, Account] = {}
        self.role_rows: dict[str, StoredRole] = {}
        # lock id -> (uid, reason, lock)
        self.lock_rows: dict[str, tuple[str, str, Lock]] = {}
        self.locked_schools: list[str] = []

    async def get(self, uid: str, *, for_update: bool = False) -> Account | None:
        return self.rows.get(uid)

    async def add(self, account: Account) -> None:
        if account.uid in self.rows:
            raise AssertionError("uids are unique (the table's primary key)")
        self.rows[account.uid] = account

    async def roles(self, uid: str) -> list[StoredRole]:
        return sorted(
            (r for r in self.role_rows.values() if r.uid == uid),
            key=lambda r: (r.valid_from, r.id),
        )

    async def roles_of(self, uids: Sequence[str]) -> dict[str, list[StoredRole]]:
        return {uid: await self.roles(uid) for uid in uids}

    async def add_role(self, role: StoredRole, *, request_id: str | None, now: datetime) -> None:
        self.role_rows[role.id] = role

    async def set_valid_until(self, role_id: str, valid_until: date, *, now: datetime) -> None:
        self.role_rows[role_id] = replace(self.role_rows[role_id], valid_until=valid_until)

    async def school_roles(self, school_code: str, kind: RoleKind) -> list[StoredRole]:
        return sorted(
            (r for r in self.role_rows.values()
             if r.school_code == school_code and r.kind is kind),
            key=lambda r: (r.uid, r.valid_from),
        )

    async def lock_school(self, school_code: str) -> None:
        self.locked_schools.append(school_code)

    async def locks(self, uid: str) -> list[tuple[str, str, Lock]]:
        found = [(i, reason, lock) for i, (u, reason, lock) in self.lock_rows.items() if u == uid]
        return sorted(found, key=lambda item: item[2].starts_at)

    async def add_lock(self, lock_id: str, uid: str, reason: str, locked_at: datetime) -> None:
        self.lock_rows[lock_id] = (uid, reason, Lock(locked_at, None))

    async def close_lock(self, lock_id: str, unlocked_at: datetime) -> None:
        uid, reason, lock = self.lock_rows[lock_id]
        self.lock_rows[lock_id] = (uid, reason, replace(lock, ends_at=unlocked_at))

    def _schools_of(self, uid: str, kind: RoleKind | None) -> set[str] | None:
        """The schools where `uid` holds a role of `kind` (students: by enrolment too)."""
        held = {
            r.school_code for r in self.role_rows.values()
            if r.uid == uid and (kind is None or r.kind is kind)
        }
        if kind is None or kind is RoleKind.STUDENT:
            enrolled = {e.school_code for e in self.uow.enrolments.rows.values() if e.uid == uid}
            held = enrolled if kind is not None else held | enrolled
        return held

    async def list(
        self, *, school_codes: Sequence[str] | None, kind: RoleKind | None, q: str | None,
        after_uid: str | None, limit: int,
    ) -> list[Account]:
        def kept(a: Account) -> bool:
            if school_codes is not None or kind is not None:
                schools = self._schools_of(a.uid, kind) or set()
                if not schools or (school_codes is not None and not schools & set(school_codes)):
                    return False
            fields = (a.uid, a.family_name, a.given_name, a.email)
            return not q or any(q.lower() in f.lower() for f in fields)

        return page_after(list(filter(kept, self.rows.values())), lambda a: a.uid, after_uid,
                          limit)

    async def uids_taken(self, uids: Sequence[str]) -> set[str]:
        return set(uids) & set(self.rows)

    async def facts(self, uids: Sequence[str]) -> dict[str, AccountFacts]:
        out: dict[str, AccountFacts] = {}
        for uid in dict.fromkeys(uids):
            account = self.rows.get(uid)
            if account is None:
                continue
            stored = await self.roles(uid)
            students = await self.uow.enrolments.student_roles(uid)
            schools = {r.school_code for r in stored} | {r.school_code for r in students}
            suspensions = await self.uow.lifecycle.suspensions(school_codes=sorted(schools))
            out[uid] = AccountFacts(
                account=account, stored_roles=stored, student_roles=students,
                locks=await self.locks(uid),
                suspensions=[s.cover() for s in suspensions] if schools else [],
            )
        return out

    async def referent_emails(self, school_code: str, on: date) -> list[str]:
        return sorted({
            self.rows[r.uid].email for r in self.role_rows.values()
            if r.school_code == school_code and r.kind is RoleKind.REFERENT
            and r.valid_from <= on <= r.valid_until and self.rows[r.uid].erased_at is None
        })


@serves("account_requests")
class FakeAccountRequestRepository(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[str, AccountRequest] = {}

    async def get(self, request_id: str, *, for_update: bool = False) -> AccountRequest | None:
        return self.rows.get(request_id)

    async def by_ticket(self, ticket_ref: str) -> AccountRequest | None:
        return next((r for r in self.rows.values() if r.ticket_ref == ticket_ref), None)

    async def filing_context(self, ticket_ref: str, school_code: str) -> FilingContext:
        return FilingContext(
            same_ticket=await self.by_ticket(ticket_ref),
            school=await self.uow.schools.get(school_code),
            closures=[closure for _, closure in await self.uow.closures.list()],
        )

    async def add(self, request: AccountRequest, audit: AuditEvent | None = None) -> bool:
        if await self.by_ticket(request.ticket_ref) is not None:
            return False
        self.rows[request.id] = request
        if audit is not None:
            await self.uow.audit.add(audit)
        return True

    async def update(self, request: AccountRequest) -> None:
        self.rows[request.id] = request

    def _received(self) -> list[AccountRequest]:
        return [r for r in self.rows.values() if r.status is RequestStatus.RECEIVED]

    async def pending_referents(self, school_code: str) -> list[AccountRequest]:
        return [r for r in self._received()
                if r.school_code == school_code and r.kind is RoleKind.REFERENT]

    async def received(self) -> list[AccountRequest]:
        return self._received()

    async def set_due_on(self, request_id: str, due_on: date) -> None:
        self.rows[request_id] = replace(self.rows[request_id], due_on=due_on)

    async def list(
        self, *, status: RequestStatus | None, school_codes: Sequence[str] | None,
        overdue_before: date | None, not_overdue_on: date | None, after_id: str | None,
        limit: int, changed_since: datetime | None = None,
    ) -> list[AccountRequest]:
        received = RequestStatus.RECEIVED

        def kept(r: AccountRequest) -> bool:
            return (
                (changed_since is None or r.created_at >= changed_since
                 or (r.closed_at is not None and r.closed_at >= changed_since))
                and (status is None or r.status is status)
                and (school_codes is None or r.school_code in school_codes)
                and (overdue_before is None
                     or (r.status is received and r.due_on < overdue_before))
                and (not_overdue_on is None
                     or r.status is not received or r.due_on >= not_overdue_on)
            )

        return page_after(list(filter(kept, self.rows.values())), lambda r: r.id, after_id,
                          limit)

    async def due_between(self, start: date, end: date) -> list[AccountRequest]:
        return sorted((r for r in self._received() if start <= r.due_on <= end),
                      key=lambda r: (r.due_on, r.id))


@serves("trainings")
class FakeTrainingRepository(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[str, Training] = {}

    async def get(self, training_id: str, *, for_update: bool = False) -> Training | None:
        return self.rows.get(training_id)

    async def add(self, training: Training) -> None:
        self.rows[training.id] = training

    async def update(self, training: Training) -> None:
        self.rows[training.id] = training

    async def without_proposal(self) -> list[Training]:
        return [t for t in self.rows.values() if t.status is TrainingStatus.DUE]

    async def list(
        self, *, status: TrainingStatus | None, school_codes: Sequence[str] | None,
        overdue_on: date | None, not_overdue_on: date | None, after_id: str | None, limit: int,
    ) -> list[Training]:
        today = overdue_on or not_overdue_on

        def kept(t: Training) -> bool:
            if status is not None and t.status is not status:
                return False
            if school_codes is not None and t.school_code not in school_codes:
                return False
            return today is None or t.overdue_on(today) == (overdue_on is not None)

        return page_after(list(filter(kept, self.rows.values())), lambda t: t.id, after_id,
                          limit)


@serves("campaigns")
class FakeCampaignRepository(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[int, Campaign] = {}
        # (year, school_code, uid, kind) -> decision
        self.decision_rows: dict[tuple[int, str, str, RoleKind], Decision] = {}
        self.decided_at: dict[tuple[int, str, str, RoleKind], datetime] = {}

    async def get(self, year: int, *, for_update: bool = False) -> Campaign | None:
        return self.rows.get(year)

    async def add(self, campaign: Campaign) -> bool:
        if campaign.academic_year in self.rows:
            return False
        self.rows[campaign.academic_year] = campaign
        return True

    async def close(self, year: int, closed_at: datetime) -> None:
        self.rows[year] = replace(
            self.rows[year], status=CampaignStatus.CLOSED, closed_at=closed_at
        )

    async def open_campaigns(self) -> list[Campaign]:
        return [c for c in self.rows.values() if c.status is CampaignStatus.OPEN]

    async def set_deadlines(self, year: int, referent_deadline: date,
                            trainer_deadline: date) -> None:
        campaign = self.rows.get(year)
        if campaign is not None and campaign.status is CampaignStatus.OPEN:
            self.rows[year] = replace(campaign, referent_deadline=referent_deadline,
                                      trainer_deadline=trainer_deadline)

    async def decisions(
        self, year: int, school_code: str | None = None
    ) -> list[tuple[str, str, RoleKind, Decision]]:
        return [
            (school, uid, kind, decision)
            for (y, school, uid, kind), decision in self.decision_rows.items()
            if y == year and (school_code is None or school == school_code)
        ]

    async def replace_decisions(
        self, year: int, school_code: str, kinds: Sequence[RoleKind],
        decisions: Sequence[tuple[str, RoleKind, Decision]], now: datetime,
    ) -> None:
        for key in [k for k in self.decision_rows
                    if k[0] == year and k[1] == school_code and k[3] in kinds]:
            del self.decision_rows[key]
            self.decided_at.pop(key, None)
        for uid, kind, decision in decisions:
            if kind in kinds:
                self.decision_rows[(year, school_code, uid, kind)] = decision
                self.decided_at[(year, school_code, uid, kind)] = now
