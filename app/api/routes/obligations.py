"""The obligations register (RULES.md, Obligations register): every party's duties,
their dues and states, as of an instant."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from app.api.container import container_of
from app.api.deps import (
    ClockDep,
    UowDep,
    decode_cursor,
    encode_cursor,
    get_actor,
    require,
    scope_doc,
)
from app.api.responses import body_problems, problems
from app.domain.auth import Principal
from app.domain.obligations import ObligationState
from app.ports.audit import Actor
from app.schemas.common import IsoDate, SchoolCode
from app.schemas.obligations import (
    EvidenceIn,
    EvidenceOut,
    ObligationId,
    ObligationList,
    ObligationOut,
    ObligationStateName,
    ObligationSummary,
    PartyText,
    RuleText,
    Subject,
    WaiverIn,
    WaiverOut,
)
from app.schemas.query import QueryInstant
from app.services import obligations as service

router = APIRouter(prefix="/api/v1/obligations", tags=["obligations"])

READ = "obligations:read"
WRITE = "obligations:write"
WHO_SEES = (
    "A caller confined to schools sees the obligations about its schools (theirs and "
    "UT's toward them); the Region (`billing:read`) its own and the billing ones "
    "(R-OBL-10, R-OBL-11); the GCS its own; UT (`obligations:write`) all. "
)
AT = (
    "`at` (default now; any instant, R-TIME-5) evaluates the register as of that "
    "instant: states follow RULES.md's States (a due date judged on the Paris date). "
)
_LINKS = {
    "account-request": "/api/v1/account-requests/{}",
    "support-request": "/api/v1/support-requests/{}",
    "suspension": "/api/v1/suspensions/{}",
    "school": "/api/v1/schools/{}",
    "statement": "/api/v1/billing/statements/{}",
    "renewal-campaign": "/api/v1/renewal-campaigns/{}",
    "storage-alert": "/api/v1/storage/alerts",
    "training": "/api/v1/trainings",
}
IdPath = Annotated[ObligationId, Path(description="The obligation's stable id")]


def _link(kind: str, identifier: str) -> str | None:
    template = _LINKS.get(kind)
    return template.format(identifier) if template else None


def _out(view: service.ObligationView) -> ObligationOut:
    o = view.obligation
    link = _link(o.subject_kind, o.subject_id)
    evidence = None
    if view.evidence is not None:
        e = view.evidence
        evidence = EvidenceOut(occurred=e.occurred, document_ref=e.document_ref, note=e.note,
                               recorded_at=e.recorded_at)
    elif view.met_at is not None:
        evidence = EvidenceOut(link=link, occurred=view.met_at)
    return ObligationOut(
        id=o.id, rule=o.rule, article=o.article, party=o.party, school_code=o.school_code,
        subject=Subject(kind=o.subject_kind, id=o.subject_id, link=link), title=o.title,
        due=o.due, opened=o.opened, state=view.state.value, met_at=view.met_at,
        evidence=evidence,
        waiver=WaiverOut(reason=view.waiver.reason, recorded_at=view.waiver.recorded_at)
        if view.waiver else None,
    )


def _support(request: Request):
    return container_of(request.app).support_policy


def _at(clock, at: datetime | None) -> datetime:
    return at if at is not None else clock.now()


@router.get(
    "",
    summary="The obligations register",
    description=(
        "The caller's obligations, ordered by due (a date counts from the start of its "
        "Paris day; no due last), then id. Filters: `party`, `school_code`, `rule`, "
        "`state` (repeatable), `due_before` and `due_after` (the due's Paris date, both "
        "exclusive; an obligation without due is left out by either). " + AT + WHO_SEES
        + scope_doc(READ)
    ),
    response_model=ObligationList,
    responses=problems(),
)
async def list_obligations(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(READ))],
    party: PartyText | None = None,
    school_code: SchoolCode | None = None,
    rule: RuleText | None = None,
    state: Annotated[list[ObligationStateName] | None, Query()] = None,
    due_before: IsoDate | None = None,
    due_after: IsoDate | None = None,
    at: QueryInstant | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> ObligationList:
    key = decode_cursor(cursor, 2, (str, str))
    query = service.ObligationQuery(
        at=_at(clock, at), party=party, school_code=school_code,
        rules=frozenset({rule}) if rule else None,
        states=frozenset(ObligationState(s) for s in state) if state else None,
        due_before=due_before, due_after=due_after, limit=limit,
        after=(key[0], key[1]) if key else None,
    )
    page, next_key = await service.list_obligations(uow, principal, query, _support(request))
    return ObligationList(
        items=[_out(v) for v in page],
        next_cursor=encode_cursor(*next_key) if next_key else None,
    )


@router.get(
    "/summary",
    summary="Counts of the register",
    description=(
        "The caller's obligations counted per party and state, and per rule and state: "
        "the one call a dashboard needs. " + AT + WHO_SEES + scope_doc(READ)
    ),
    response_model=ObligationSummary,
    responses=problems(),
)
async def obligations_summary(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(READ))],
    at: QueryInstant | None = None,
) -> ObligationSummary:
    counted = await service.summary(uow, principal, _at(clock, at), _support(request))
    return ObligationSummary(at=counted.at, total=counted.total, parties=counted.by_party,
                             rules=counted.by_rule)


@router.get(
    "/{obligation_id}",
    summary="One obligation",
    description="Another party's or an unknown obligation → 404. " + AT + WHO_SEES
    + scope_doc(READ),
    response_model=ObligationOut,
    responses=problems(404),
)
async def get_obligation(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(READ))],
    obligation_id: IdPath,
    at: QueryInstant | None = None,
) -> ObligationOut:
    view = await service.get_obligation(
        uow, principal, obligation_id, _at(clock, at), _support(request))
    return _out(view)


@router.post(
    "/{obligation_id}/evidence",
    summary="Record the evidence that met an obligation",
    description=(
        "For the evidence-kind rules (R-OBL-4 without a referent to write to, R-OBL-9, "
        "R-OBL-12, R-OBL-13, R-OBL-14, R-OBL-16): exactly one of `occurred_on` (a date) "
        "and `occurred_at` (an instant), a document reference and an optional note; "
        "audited. An observed rule → 409 `observed-obligation`; the same evidence again "
        "→ 200 with the current state; other evidence already recorded → 409 "
        "`evidence-recorded`; a date before 2024-01-01 (Paris) → 422 `date-out-of-range` "
        "(R-DATE-1); an instant beyond the clock skew → 422 `instant-in-future`, a later "
        "Paris date → 422 `date-in-future`; a caller confined to schools → 403 "
        "`school-confined`. " + scope_doc(WRITE)
    ),
    response_model=ObligationOut,
    responses=body_problems(404, 409),
)
async def record_evidence(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(WRITE))],
    actor: Annotated[Actor, Depends(get_actor)],
    obligation_id: IdPath,
    body: EvidenceIn,
) -> ObligationOut:
    view = await service.record_evidence(
        uow, clock, actor, obligation_id, occurred=body.occurred, document_ref=body.document_ref,
        note=body.note, support=_support(request),
        skew_seconds=container_of(request.app).clock_skew_seconds,
    )
    return _out(view)


@router.post(
    "/{obligation_id}/waiver",
    summary="UT waives an obligation",
    description=(
        "UT records that the obligation is not owed, with a reason; audited. The same "
        "reason again → 200 with the current state; another reason → 409 "
        "`already-waived`; a caller confined to schools → 403 `school-confined`. "
        + scope_doc(WRITE)
    ),
    response_model=ObligationOut,
    responses=body_problems(404, 409),
)
async def record_waiver(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(WRITE))],
    actor: Annotated[Actor, Depends(get_actor)],
    obligation_id: IdPath,
    body: WaiverIn,
) -> ObligationOut:
    view = await service.record_waiver(uow, clock, actor, obligation_id, reason=body.reason,
                                       support=_support(request))
    return _out(view)
