"""Use cases of the obligations register (RULES.md, Obligations register): list, read
and count obligations as of an instant, record evidence and waivers (audited; one of
each per obligation, the database's key deciding a race).

Who sees what (the confinement policy of app/services/visibility.py, applied to
obligations): a caller confined to schools sees the obligations about its schools
(theirs and UT's toward them); otherwise a holder of `obligations:write` is UT and sees
all; a holder of `billing:read` is the Region and sees its own and the billing ones
(recap and payment); any other reader is the GCS and sees its own."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from app.domain.auth import Principal
from app.domain.calendar import ensure_event_date_in_range, ensure_not_ahead, paris_date
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.obligations import (
    GCS,
    REGION,
    Evidence,
    MetBy,
    Obligation,
    ObligationState,
    Waiver,
    listed_at,
    met_instant,
    obligation_state,
    sort_key,
)
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.obligation_register import RegisterScope, build_register
from app.services.support import SupportPolicy
from app.services.visibility import ensure_unconfined, sees

RESOURCE = "obligation"
BILLING_RULES = frozenset({"R-OBL-10", "R-OBL-11"})
NOT_FOUND = "no such obligation"


@dataclass(frozen=True)
class ObligationView:
    """An obligation with its state at the asked instant and what is recorded on it."""

    obligation: Obligation
    state: ObligationState
    met_at: date | datetime | None
    evidence: Evidence | None
    waiver: Waiver | None


@dataclass(frozen=True)
class ObligationQuery:
    at: datetime
    party: str | None = None
    school_code: str | None = None
    rules: frozenset[str] | None = None
    states: frozenset[ObligationState] | None = None
    due_before: date | None = None
    due_after: date | None = None
    limit: int = 50
    after: tuple[str, str] | None = None


@dataclass(frozen=True)
class Summary:
    at: datetime
    total: int
    by_party: dict[str, dict[str, int]] = field(default_factory=dict)
    by_rule: dict[str, dict[str, int]] = field(default_factory=dict)


def sees_obligation(principal: Principal, obligation: Obligation) -> bool:
    if principal.schools is not None:
        return obligation.school_code is not None and sees(principal, obligation.school_code)
    if principal.has("obligations:write"):
        return True
    if principal.has("billing:read"):
        return obligation.party == REGION or obligation.rule in BILLING_RULES
    return obligation.party == GCS


def _view(obligation: Obligation, at: datetime, evidence: dict, waivers: dict) -> ObligationView:
    recorded = evidence.get(obligation.id) if obligation.met_by is MetBy.evidence else None
    waiver = waivers.get(obligation.id)
    recorded = recorded if recorded is not None and recorded.recorded_at <= at else None
    waiver = waiver if waiver is not None and waiver.recorded_at <= at else None
    state = obligation_state(obligation, at, recorded, waiver)
    met = met_instant(obligation, recorded)
    shown_met = met if state in (ObligationState.met, ObligationState.met_late) else None
    return ObligationView(obligation, state, shown_met, recorded, waiver)


async def _register(
    uow: UnitOfWork, principal: Principal, at: datetime, support: SupportPolicy,
    rules: frozenset[str] | None = None, school_code: str | None = None,
) -> list[ObligationView]:
    schools = list(principal.schools) if principal.schools is not None else None
    if school_code is not None:
        schools = [school_code] if sees(principal, school_code) else []
    scope = RegisterScope(schools=schools, rules=rules)
    obligations = await build_register(uow, at, scope, support)
    evidence = await uow.obligations.evidence()
    waivers = await uow.obligations.waivers()
    return [
        _view(o, at, evidence, waivers) for o in obligations
        if listed_at(o, at) and sees_obligation(principal, o)
        and (school_code is None or o.school_code == school_code)
    ]


def _due_day(obligation: Obligation) -> date | None:
    due = obligation.due
    return paris_date(due) if isinstance(due, datetime) else due


def _matches(view: ObligationView, query: ObligationQuery) -> bool:
    o = view.obligation
    if query.party is not None and o.party != query.party:
        return False
    if query.states is not None and view.state not in query.states:
        return False
    if query.due_before is not None or query.due_after is not None:
        day = _due_day(o)
        if day is None:
            return False
        if query.due_before is not None and not day < query.due_before:
            return False
        if query.due_after is not None and not day > query.due_after:
            return False
    return True


def cursor_key(obligation: Obligation) -> tuple[str, str]:
    instant, identifier = sort_key(obligation)
    return (instant.isoformat(), identifier)


async def list_obligations(
    uow: UnitOfWork, principal: Principal, query: ObligationQuery, support: SupportPolicy
) -> tuple[list[ObligationView], tuple[str, str] | None]:
    """One page of the caller's obligations at `query.at`, by due then id."""
    async with uow:
        views = await _register(uow, principal, query.at, support, query.rules,
                                query.school_code)
    chosen = sorted((v for v in views if _matches(v, query)),
                    key=lambda v: sort_key(v.obligation))
    if query.after is not None:
        chosen = [v for v in chosen if cursor_key(v.obligation) > query.after]
    page = chosen[: query.limit]
    more = len(chosen) > query.limit
    return page, (cursor_key(page[-1].obligation) if more and page else None)


def _rule_of(obligation_id: str) -> frozenset[str]:
    return frozenset({obligation_id.split(":", 1)[0]})


async def _find(
    uow: UnitOfWork, principal: Principal, obligation_id: str, at: datetime,
    support: SupportPolicy,
) -> ObligationView:
    for view in await _register(uow, principal, at, support, _rule_of(obligation_id)):
        if view.obligation.id == obligation_id:
            return view
    raise NotFound(NOT_FOUND)


async def get_obligation(
    uow: UnitOfWork, principal: Principal, obligation_id: str, at: datetime,
    support: SupportPolicy,
) -> ObligationView:
    """One obligation at `at`; another party's or an unknown one → 404."""
    async with uow:
        return await _find(uow, principal, obligation_id, at, support)


async def summary(
    uow: UnitOfWork, principal: Principal, at: datetime, support: SupportPolicy
) -> Summary:
    """Counts of the caller's obligations at `at`, per party and state and per rule and
    state."""
    async with uow:
        views = await _register(uow, principal, at, support)
    by_party: dict[str, Counter[str]] = defaultdict(Counter)
    by_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for view in views:
        by_party[view.obligation.party][view.state.value] += 1
        by_rule[view.obligation.rule][view.state.value] += 1
    return Summary(
        at=at, total=len(views),
        by_party={k: dict(sorted(v.items())) for k, v in sorted(by_party.items())},
        by_rule={k: dict(sorted(v.items())) for k, v in sorted(by_rule.items(),
                                                               key=lambda i: _rule_number(i[0]))},
    )


def _rule_number(rule: str) -> int:
    return int(rule.rsplit("-", 1)[1])


def _check_occurred(occurred: date | datetime, now: datetime, skew_seconds: int) -> None:
    field_name = "occurred_at" if isinstance(occurred, datetime) else "occurred_on"
    ensure_event_date_in_range(occurred, field_name)
    if isinstance(occurred, datetime):
        ensure_not_ahead(occurred, now, skew_seconds, field_name)
    elif occurred > paris_date(now):
        raise InvalidInput("this date is in the future", code="date-in-future",
                           field=field_name)


async def record_evidence(
    uow: UnitOfWork, clock: Clock, actor: Actor, obligation_id: str, *,
    occurred: date | datetime, document_ref: str, note: str | None,
    support: SupportPolicy, skew_seconds: int,
) -> ObligationView:
    """Evidence that met an evidence-kind obligation: 409 `observed-obligation` on an
    observed one; the same evidence again → the current state; another → 409
    `evidence-recorded`. A confined caller sees its schools' obligations but records
    nothing (403 `school-confined`)."""
    now = clock.now()
    async with uow:
        view = await _find(uow, actor.principal, obligation_id, now, support)
        ensure_unconfined(actor.principal, "the obligations register")
        if view.obligation.met_by is not MetBy.evidence:
            raise Conflict("this obligation is met by what the service observes, not by "
                           "evidence", code="observed-obligation")
        _check_occurred(occurred, now, skew_seconds)
        wanted = Evidence(occurred, document_ref, note, now, actor.principal.actor)
        stored, inserted = await uow.obligations.add_evidence(obligation_id, wanted)
        if (stored.occurred, stored.document_ref, stored.note) != (occurred, document_ref, note):
            raise Conflict("other evidence is recorded for this obligation",
                           code="evidence-recorded")
        if inserted:
            await audit.record(
                uow, actor, now=now, action="obligation.evidence-recorded",
                resource_type=RESOURCE, resource_id=obligation_id,
                new={"occurred": occurred.isoformat(), "document_ref": document_ref,
                     "note": note},
            )
        await uow.commit()
        return _view(view.obligation, now, {obligation_id: stored},
                     {obligation_id: view.waiver} if view.waiver else {})


async def record_waiver(
    uow: UnitOfWork, clock: Clock, actor: Actor, obligation_id: str, *, reason: str,
    support: SupportPolicy,
) -> ObligationView:
    """UT waives an obligation with a reason; the same reason again → the current
    state; another → 409 `already-waived`."""
    now = clock.now()
    async with uow:
        view = await _find(uow, actor.principal, obligation_id, now, support)
        ensure_unconfined(actor.principal, "the obligations register")
        wanted = Waiver(reason, now, actor.principal.actor)
        stored, inserted = await uow.obligations.add_waiver(obligation_id, wanted)
        if stored.reason != reason:
            raise Conflict("this obligation is already waived for another reason",
                           code="already-waived")
        if inserted:
            await audit.record(
                uow, actor, now=now, action="obligation.waived", resource_type=RESOURCE,
                resource_id=obligation_id, new={"reason": reason},
            )
        await uow.commit()
        evidence = {obligation_id: view.evidence} if view.evidence else {}
        return _view(view.obligation, now, evidence, {obligation_id: stored})

