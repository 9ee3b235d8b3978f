"""The obligations register at an instant: every rule's obligations derived from the
facts the repository reads in bulk (RULES.md, Obligations register). Nothing observed
is stored; evidence and waivers are joined by the use cases."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from app.domain.calendar import AcademicYear, paris_date
from app.domain.convention import ConventionClock
from app.domain.enrolments import census_date, windows_in_force
from app.domain.obligations import Obligation
from app.domain.obligations.campaigns import (
    LIST_DUE,
    CampaignListFacts,
    RenewalAnswerFacts,
    campaign_list_obligation,
    referent_gap_day,
    referent_minimum_obligation,
    renewal_answer_obligation,
)
from app.domain.obligations.requests import (
    AccountRequestFacts,
    account_creation_obligation,
    at_risk_on,
    referent_training_obligation,
    restoration_obligation,
    support_answer_obligation,
)
from app.domain.obligations.storage import (
    LevelRiseFacts,
    critical_cleanup_obligation,
    critical_spells,
    retrieval_obligation,
    storage_alert_obligation,
)
from app.domain.obligations.termination import after_termination
from app.domain.obligations.yearly import (
    needs_statement_obligation,
    recap_obligation,
    storage_review_obligation,
    students_information_obligation,
    subsidy_payment_obligation,
)
from app.domain.schools import BeneficiaryPeriod
from app.ports.obligations import CampaignFacts, MailFacts, Schools
from app.ports.unit_of_work import UnitOfWork
from app.services.accounts import calendar_in, deadline_calendar
from app.services.convention import load_clock
from app.services.schools import beneficiary_periods
from app.services.support import SupportPolicy, opening_clock

FIRST_YEAR = 2024
CAMPAIGN_MAIL = "renewal-campaign"
ALERT_MAIL = "storage-alert"


@dataclass(frozen=True)
class RegisterScope:
    """Which obligations to derive: the schools whose facts to read (None: all) and
    the rules asked for (None: all)."""

    schools: Schools = None
    rules: frozenset[str] | None = None

    def wants(self, rule: str) -> bool:
        return self.rules is None or rule in self.rules


@dataclass(frozen=True)
class _Context:
    at: datetime
    today: date
    clock: ConventionClock
    periods: Mapping[str, BeneficiaryPeriod]
    years: range
    access_end_on: date


async def build_register(
    uow: UnitOfWork, at: datetime, scope: RegisterScope, support: SupportPolicy,
) -> list[Obligation]:
    """Every obligation of `scope` as the data stand, R-OBL-17 applied for the notice
    governing `at`'s Paris date."""
    clock = await load_clock(uow)
    today = paris_date(at)
    notice = clock.governing_notice_on(today)
    access_end = clock.notice_access_end_on(notice) if notice else clock.access_end_on(today)
    periods = await beneficiary_periods(uow, scope.schools)
    last_year = AcademicYear.containing(access_end).start_year
    context = _Context(at, today, clock, periods, range(FIRST_YEAR, last_year + 1), access_end)
    stored_windows = await uow.enrolments.stored_windows(list(context.years))
    obligations: list[Obligation] = []
    obligations += await _requests(uow, context, scope, support)
    obligations += await _campaigns(uow, context, scope)
    obligations += await _storage(uow, context, scope)
    obligations += await _yearly(uow, context, scope, stored_windows)
    on_main_close = uow.rules.census_on_main_close

    def census_on(year: int) -> date:
        return census_date(windows_in_force(year, stored_windows), on_main_close=on_main_close)

    effective = notice.effective_on if notice else None
    return list(after_termination(obligations, effective, census_on))


async def _requests(
    uow: UnitOfWork, context: _Context, scope: RegisterScope, support: SupportPolicy
) -> list[Obligation]:
    found: list[Obligation] = []
    repo = uow.obligations
    if scope.wants("R-OBL-1"):
        requests = await repo.account_requests(scope.schools)
        found += [account_creation_obligation(r) for r in requests]
    if scope.wants("R-OBL-2"):
        found += [referent_training_obligation(t) for t in await repo.trainings(scope.schools)]
    if scope.wants("R-OBL-3"):
        at_risk = at_risk_on(opening_clock(await calendar_in(uow)),
                             support.risk_threshold_seconds())
        found += [
            support_answer_obligation(s, at_risk)
            for s in await repo.support_requests(scope.schools)
        ]
    if scope.wants("R-OBL-15"):
        calendar = await deadline_calendar(uow, uow.rules)
        found += [restoration_obligation(r, calendar)
                  for r in await repo.restorations(scope.schools)]
    return found


def _sent(mails: Iterable[MailFacts]) -> dict[str, datetime]:
    return {m.dedupe_key: m.sent_at for m in mails if m.status == "sent" and m.sent_at}


async def _campaigns(uow: UnitOfWork, context: _Context, scope: RegisterScope) -> list[Obligation]:
    wanted = [r for r in ("R-OBL-4", "R-OBL-5", "R-OBL-6") if scope.wants(r)]
    if not wanted:
        return []
    repo = uow.obligations
    campaigns = {c.year: c for c in await repo.campaigns()}
    found: list[Obligation] = []
    if scope.wants("R-OBL-4") or scope.wants("R-OBL-5"):
        listed = await _listed(uow, scope)
        mails = await repo.mails([CAMPAIGN_MAIL])
        queued = {m.dedupe_key for m in mails}
        sent = _sent(mails)
        saves = await repo.renewal_saves(scope.schools)
        for year, school, kind in sorted(listed):
            if year not in context.years or school not in context.periods:
                continue
            campaign = campaigns.get(year)
            key = f"{CAMPAIGN_MAIL}:{AcademicYear(year)}:{school}"
            if scope.wants("R-OBL-4"):
                has_recipient = campaign is None or key in queued
                listing = campaign_list_obligation(
                    CampaignListFacts(year, school, kind, sent.get(key), has_recipient))
                if listing is not None:
                    found.append(listing)
            if scope.wants("R-OBL-5") and campaign is not None:
                found.append(renewal_answer_obligation(_answer(campaign, school, kind, saves)))
    if scope.wants("R-OBL-6"):
        found += await _referent_minimum(uow, context, scope, campaigns)
    return found


def _answer(
    campaign: CampaignFacts, school: str, kind: str,
    saves: Mapping[tuple[int, str, str], datetime],
) -> RenewalAnswerFacts:
    deadline = campaign.referent_deadline if kind == "referent" else campaign.trainer_deadline
    return RenewalAnswerFacts(campaign.year, school, kind, deadline, campaign.opened_at,
                              saves.get((campaign.year, school, kind)))


async def _listed(uow: UnitOfWork, scope: RegisterScope) -> set[tuple[int, str, str]]:
    """(campaign year, school, kind) of each school with someone of that kind listed:
    a role ending on 31 Aug of the campaign year, or a decision saved for it."""
    listed = {
        (valid_until.year, school, kind)
        for school, kind, valid_until in await uow.obligations.hosted_role_ends(scope.schools)
        if (valid_until.month, valid_until.day) == (8, 31) and kind in LIST_DUE
    }
    listed |= set(await uow.obligations.renewal_saves(scope.schools))
    return listed


async def _referent_minimum(
    uow: UnitOfWork, context: _Context, scope: RegisterScope,
    campaigns: Mapping[int, CampaignFacts],
) -> list[Obligation]:
    spans = await uow.obligations.referent_spans(scope.schools)
    calendar = await deadline_calendar(uow, uow.rules)
    received: dict[tuple[str, int], list[datetime]] = defaultdict(list)
    for request in await uow.obligations.account_requests(scope.schools):
        if _targets_referent(request):
            received[(request.school_code, request.academic_year)].append(request.received_at)
    found: list[Obligation] = []
    for school, period in sorted(context.periods.items()):
        for start in context.years:
            year = AcademicYear(start)
            if year.starts_on > context.access_end_on or (
                period.beneficiary_until is not None and year.starts_on > period.beneficiary_until
            ):
                continue
            opened = _gap_opened(year, spans.get(school, []), period, campaigns.get(start))
            if opened is None or opened > context.today:
                continue
            found.append(referent_minimum_obligation(
                school, year, opened, calendar, received.get((school, start), [])))
    return found


def _targets_referent(request: AccountRequestFacts) -> bool:
    return request.kind == "referent" and request.status not in ("rejected", "cancelled")


def _gap_opened(
    year: AcademicYear, spans: list, period: BeneficiaryPeriod, campaign: CampaignFacts | None
) -> date | None:
    """The day the school is left without referent for `year`: its June campaign's
    closing day when it leaves none (R-REF-1b), else the first day without one."""
    gap = referent_gap_day(year, spans, beneficiary_from=period.beneficiary_from)
    if gap is None:
        return None
    first = year.starts_on if period.beneficiary_from is None else max(
        year.starts_on, period.beneficiary_from)
    if gap == first and campaign is not None and campaign.closed_at is not None:
        return min(gap, paris_date(campaign.closed_at))
    return gap


async def _storage(uow: UnitOfWork, context: _Context, scope: RegisterScope) -> list[Obligation]:
    found: list[Obligation] = []
    if scope.wants("R-OBL-7") or scope.wants("R-OBL-8"):
        events = await uow.obligations.level_events(scope.schools)
        if scope.wants("R-OBL-7"):
            sent = _sent(await uow.obligations.mails([ALERT_MAIL]))
            for event in events:
                if event.kind != "raised":
                    continue
                prefix = (f"storage-raised:{event.school_code}:{event.level_to}:"
                          f"{event.occurred_at.isoformat()}")
                mailed = [s for k, s in sent.items() if k.startswith(prefix)]
                found.append(storage_alert_obligation(LevelRiseFacts(
                    event.alert_id, event.school_code, event.level_to, event.occurred_at,
                    min(mailed) if mailed else None)))
        if scope.wants("R-OBL-8"):
            found += [critical_cleanup_obligation(s) for s in critical_spells(events)]
    if scope.wants("R-OBL-9"):
        for school, period in sorted(context.periods.items()):
            end = period.role_cap or context.access_end_on
            found.append(retrieval_obligation(school, min(end, context.access_end_on)))
    return found


async def _yearly(
    uow: UnitOfWork, context: _Context, scope: RegisterScope, stored_windows: Mapping
) -> list[Obligation]:
    found: list[Obligation | None] = []
    if scope.wants("R-OBL-10") or scope.wants("R-OBL-11"):
        statements = {s.year: s for s in await uow.obligations.statements()}
        for year in context.years:
            facts = statements.get(year)
            if scope.wants("R-OBL-10"):
                found.append(recap_obligation(year, facts.first_issued_on if facts else None))
            if scope.wants("R-OBL-11") and facts is not None:
                found.append(subsidy_payment_obligation(facts))
    for year in context.years:
        if scope.wants("R-OBL-12"):
            found.append(needs_statement_obligation(year))
        if scope.wants("R-OBL-13"):
            found.append(storage_review_obligation(year))
        if scope.wants("R-OBL-14"):
            opens_on = windows_in_force(year, stored_windows).main_opens_on
            for school, period in sorted(context.periods.items()):
                if period.beneficiary_until is None or opens_on <= period.beneficiary_until:
                    found.append(students_information_obligation(school, year, opens_on))
    return [o for o in found if o is not None]


