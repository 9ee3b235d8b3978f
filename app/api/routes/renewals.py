"""June renewal campaigns (R-ACC-5, R-REF-1). A referent token sees only its schools
(others answer 404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request, Response

from app.api.caller import Caller, Router, caller_with
from app.api.container import container_of
from app.api.deps import ClockDep, UowDep, required_if_match
from app.api.responses import body_problems, links, problems
from app.domain.accounts import RoleKind
from app.domain.renewals import Decision
from app.schemas.common import SchoolCode
from app.schemas.renewals import (
    CampaignCreate,
    CampaignOut,
    DecisionEntry,
    DecisionsIn,
    ListedPersonOut,
    SchoolCampaignOut,
)
from app.services import renewals as service

router = Router(prefix="/api/v1/renewal-campaigns", tags=["renewals"])

YearPath = Annotated[str, Path(min_length=1, max_length=16, description='e.g. "2025-2026"')]
CodePath = Annotated[SchoolCode, Path()]
SCHOOL_CONFINED = "A referent token reaches only its schools (others → 404). "


def campaign_out(summary: service.CampaignSummary) -> CampaignOut:
    c = summary.campaign
    return CampaignOut(
        academic_year=c.label, status=c.status.value, opened_at=c.opened_at,
        closed_at=c.closed_at, referent_deadline=c.referent_deadline,
        trainer_deadline=c.trainer_deadline, renew_decisions=summary.renew_decisions,
        remove_decisions=summary.remove_decisions,
        schools_without_referent=(list(summary.schools_without_referent)
                                  if summary.schools_without_referent is not None else None),
    )


def listing_out(listing: service.SchoolListing, response: Response) -> SchoolCampaignOut:
    response.headers["ETag"] = listing.etag
    c = listing.campaign
    return SchoolCampaignOut(
        academic_year=c.label, school_code=listing.school_code, status=c.status.value,
        referent_deadline=c.referent_deadline, trainer_deadline=c.trainer_deadline,
        open_kinds=sorted(k.value for k in listing.open_kinds),
        people=[
            ListedPersonOut(
                uid=p.uid, given_name=p.given_name, family_name=p.family_name,
                kind=p.kind.value, valid_until=p.valid_until,
                decision=(d.value if (d := listing.decisions.get((p.uid, p.kind))) else None),
            )
            for p in listing.people
        ],
        decisions=[
            DecisionEntry(uid=uid, kind=kind.value, decision=d.value)
            for (uid, kind), d in sorted(listing.decisions.items())
        ],
    )


CAMPAIGN_LINKS = links(
    {"academic_year": "$response.body#/academic_year"},
    ("GetCampaign", "get_campaign_api_v1_renewal_campaigns__academic_year__get"),
    ("CloseCampaign",
     "close_campaign_api_v1_renewal_campaigns__academic_year__closing_post"),
)


@router.post(
    "",
    status_code=201,
    summary="Open the June campaign of an academic year (R-ACC-5)",
    description=(
        "Opens the campaign for N/N+1 between 1 and 25 June N (Paris date of now; else "
        "409 `campaign-window-closed`); a year outside the convention, or a date on or "
        "after a termination's effective date → 409 `convention-not-active`. Each school's "
        "referents get a French e-mail listing their referents and trainers whose roles "
        "end on 31 Aug N, with both deadlines (30 June for referents, 25 June for "
        "trainers). An existing campaign answers 200 as it is. A job opens the campaign "
        "on 1 June when nobody did."
    ),
    response_model=CampaignOut,
    responses=body_problems(409)
    | {
        200: {"description": "The campaign already exists", "model": CampaignOut},
        201: {"description": "Opened", "links": CAMPAIGN_LINKS},
    },
)
async def open_campaign(
    request: Request,
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("accounts:write"))],
    body: CampaignCreate,
) -> CampaignOut:
    year = service.parse_year(body.academic_year)
    summary, created = await service.open_campaign(
        uow, clock, caller.actor, year, container_of(request.app).rules
    )
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/api/v1/renewal-campaigns/{summary.campaign.label}"
    return campaign_out(summary)


@router.get(
    "/{academic_year}",
    summary="One campaign",
    description="Status, deadlines and decision counts (of the caller's schools when it "
    "is confined to schools).",
    response_model=CampaignOut,
    responses=problems(404),
)
async def get_campaign(
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with("accounts:read"))],
    academic_year: YearPath,
) -> CampaignOut:
    return campaign_out(
        await service.get_campaign(uow, caller.principal, service.parse_year(academic_year))
    )


@router.get(
    "/{academic_year}/schools/{code}",
    summary="A school's people to renew and its decisions",
    description=(
        "The referents and trainers of the school whose roles end on 31 Aug N (uid, "
        "names, kind, current `valid_until`), their current decisions and the kinds "
        "still open, with an `ETag` for the PUT. " + SCHOOL_CONFINED
    ),
    response_model=SchoolCampaignOut,
    responses=problems(404),
)
async def get_school_campaign(
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("accounts:read", "renewals:write"))],
    academic_year: YearPath,
    code: CodePath,
) -> SchoolCampaignOut:
    listing = await service.school_listing(
        uow, clock, caller.principal, service.parse_year(academic_year), code
    )
    return listing_out(listing, response)


@router.put(
    "/{academic_year}/schools/{code}/decisions",
    summary="Replace a school's renewal decisions",
    description=(
        "Requires `If-Match` with the ETag of the GET (428 without, 412 stale; a retry "
        "asking for exactly the stored decisions answers 200). `decisions` replaces the "
        "school's decisions for the kinds still open (deadline end of day, Paris: "
        "referents 30 June, trainers 25 June); entries of a kind whose deadline has "
        "passed must equal the stored ones, else 409 `campaign-deadline-passed`. A person "
        "not listed or listed twice → 422. R-REF-1 with the proposed `renew` decisions: "
        "409 `referent-cap-reached` or `referent-minimum`. " + SCHOOL_CONFINED
    ),
    response_model=SchoolCampaignOut,
    responses=body_problems(404, 409, 412, 428),
)
async def put_decisions(
    request: Request,
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("renewals:write"))],
    academic_year: YearPath,
    code: CodePath,
    body: DecisionsIn,
) -> SchoolCampaignOut:
    if_match = required_if_match(request)
    listing = await service.replace_decisions(
        uow, clock, caller.actor, service.parse_year(academic_year), code, if_match=if_match,
        decisions=[(d.uid, RoleKind(d.kind), Decision(d.decision)) for d in body.decisions],
    )
    return listing_out(listing, response)


@router.post(
    "/{academic_year}/closing",
    summary="Close a campaign and apply its decisions",
    description=(
        "After both deadlines (else 409 `campaign-open`), in one transaction: the stored "
        "decisions are applied as they are: renewed roles are valid until 31 Aug N+1 (a "
        "renewal never shortens a validity), the others keep 31 Aug N; never refused by "
        "the referent cap or minimum (R-REF-1b, the decisions were checked when saved); on "
        "or after a termination's effective date nothing is renewed. The answer lists "
        "`schools_without_referent` for N/N+1. Repeated → 200 with the same result. A job "
        "closes a campaign still open the day after its last deadline."
    ),
    response_model=CampaignOut,
    responses=problems(404, 409),
)
async def close_campaign(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("accounts:write"))],
    academic_year: YearPath,
) -> CampaignOut:
    summary = await service.close_campaign(
        uow, clock, caller.actor, service.parse_year(academic_year)
    )
    return campaign_out(summary)
