"""Billing: the yearly statement for the Region, its versions and payments, in JSON, CSV
and PDF (R-BIL-1, R-BIL-2, R-BIL-3, R-MONEY-1).

The statement document is answered exactly as stored (so its `content_sha256` can be
recomputed from the bytes received); CSV and PDF are rendered from the same document by
the renderers of the container (`statement_renderers`, wired in `app.bootstrap`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

import rfc8785
from fastapi import Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from app.api.caller import Caller, Router, caller_with
from app.api.container import container_of
from app.api.deps import (
    ClockDep,
    Cursor,
    Limit,
    UowDep,
    decode_cursor,
    paged,
)
from app.api.problems import ProblemException
from app.api.responses import body_problems, links, problems
from app.domain.billing import Statement, StatementStatus, served_document
from app.domain.calendar import AcademicYear
from app.ports.billing import StatementPage
from app.schemas.billing import PaymentIn, RevisionIn, StatementCreate, StatementList, StatementOut
from app.schemas.common import Problem
from app.schemas.query import QueryInstant
from app.services import billing as service

router = Router(prefix="/api/v1/billing", tags=["billing"])

JSON = "application/json"
IdPath = Annotated[str, Path(min_length=1, max_length=36)]
READERS = ("billing:read", "billing:write")
DRAFTS = (
    "A reader with `billing:read` only (the Region) sees issued and superseded versions; "
    "drafts answer 404 to it and are absent from its lists. "
)
LINK_PARAMETERS = {"id": "$response.body#/id"}
STATEMENT_LINKS = links(
    LINK_PARAMETERS,
    ("GetStatement", "get_statement"),
    ("IssueStatement", "issue_statement"),
    ("DiscardStatement", "discard_statement"),
    ("ReviseStatement", "revise_statement"),
    ("RecordPayment", "record_statement_payment"),
)
ETAG_HEADER = {
    "ETag": {"description": "strong validator of this representation",
             "schema": {"type": "string"}},
}
NOT_MODIFIED = {304: {"description": "Not modified: `If-None-Match` matched the `ETag`"}}
NOT_ACCEPTABLE = {
    406: {"model": Problem,
          "description": "None of the media types of `Accept` is offered"},
}


# ---------------------------------------------------------------- representations


def _etag(payload: Any, suffix: str = "") -> str:
    digest = hashlib.sha256(rfc8785.dumps(payload)).hexdigest()[:40]
    return f'"{digest}{suffix}"'


def _not_modified(request: Request, etag: str) -> bool:
    """If-None-Match (weak comparison, RFC 9110 13.1.2)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    return etag in {tag.strip().removeprefix("W/") for tag in header.split(",")}


def _conditional(request: Request, etag: str) -> Response | None:
    if _not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag, "Vary": "Accept"})
    return None


def _media_range_quality(accept: str, media_type: str) -> float:
    """The quality `Accept` gives `media_type` (the most specific matching range)."""
    best: tuple[int, float] | None = None
    kind, _, subtype = media_type.partition("/")
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        range_type, _, range_subtype = pieces[0].lower().partition("/")
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if (range_type, range_subtype) == (kind, subtype):
            specificity = 2
        elif range_type == kind and range_subtype == "*":
            specificity = 1
        elif (range_type, range_subtype) == ("*", "*"):
            specificity = 0
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, quality)
    return best[1] if best is not None else 0.0


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type `Accept` prefers (ties: the order offered); None when it
    accepts none. No `Accept` accepts everything."""
    if not accept or not accept.strip():
        return offered[0]
    scored = [(_media_range_quality(accept, m), -i, m) for i, m in enumerate(offered)]
    quality, _, chosen = max(scored)
    return chosen if quality > 0 else None


def _json(document: Mapping[str, Any], *, status_code: int = 200,
          headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        dict(document), status_code=status_code,
        headers={"ETag": _etag(document), "Vary": "Accept", **(headers or {})},
    )


def _location(statement: Statement) -> dict[str, str]:
    return {"Location": f"/api/v1/billing/statements/{statement.id}"}


# ---------------------------------------------------------------- statements


@router.post(
    "/statements",
    status_code=201,
    operation_id="create_statement",
    summary="Generate the yearly statement for the Region (a draft)",
    description=(
        "Computed from the census of the year (R-BIL-1: students enrolled on `census_on`, "
        "the close of the main campaign, not cancelled on or before it, transfers "
        "excluded) at the rate in force on the census date (R-CONV-2), one line per "
        "beneficiary school on that date, also with 0 students (a school added by an "
        "amendment joins on its effective date); due on 15 July N+1 (R-BIL-2), payable to "
        "the stored payee. Refusals: until the census day is over (Paris) → 409 "
        "`census-not-reached`; a malformed year → 422; a year outside the convention → 409 "
        "`convention-not-active`; a current statement (a draft or the issued version) for "
        "the year → 409 `statement-exists`."
    ),
    response_model=StatementOut,
    responses=body_problems(409) | {201: {"links": STATEMENT_LINKS}},
)
async def create_statement(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("billing:write"))],
    body: StatementCreate,
) -> Response:
    year = AcademicYear.parse(body.academic_year).start_year
    statement = await service.create_statement(uow, clock, caller.actor, year,
                                               container_of(request.app).rules)
    return _json(served_document(statement), status_code=201, headers=_location(statement))


@router.get(
    "/statements",
    operation_id="list_statements",
    summary="Statements, for polling",
    description=(
        "Ordered by (`updated_at`, `id`); `updated_since` (RFC 3339, inclusive) returns "
        "the versions changed since (issued, superseded, paid); filters `academic_year` "
        "(malformed → 422, outside the convention → 409) and `status`. `ETag` and "
        "`If-None-Match` → 304. " + DRAFTS
    ),
    response_model=StatementList,
    responses=problems(409) | NOT_MODIFIED | {200: {"headers": ETAG_HEADER}},
)
async def list_statements(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with(*READERS))],
    academic_year: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
    status: Literal["draft", "issued", "superseded"] | None = None,
    updated_since: Annotated[QueryInstant | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    year = AcademicYear.parse(academic_year).start_year if academic_year is not None else None
    items = await service.list_statements(
        uow, clock, caller.principal, academic_year=year,
        status=StatementStatus(status) if status else None, updated_since=updated_since,
        after=_after(cursor), limit=limit + 1,
    )
    page, next_cursor = paged(items, limit, lambda s: (s.updated_at.isoformat(), s.id))
    body = {"items": [served_document(s) for s in page], "next_cursor": next_cursor}
    etag = _etag(body)
    return _conditional(request, etag) or JSONResponse(
        body, headers={"ETag": etag, "Vary": "Accept"}
    )


def _after(cursor: str | None) -> StatementPage | None:
    """The position of a cursor made by `list_statements` (`updated_at`, `id`)."""
    key = decode_cursor(cursor, 2)
    if key is None:
        return None
    updated_at = None
    if all(isinstance(k, str) for k in key):
        try:
            updated_at = datetime.fromisoformat(key[0])
        except ValueError:
            updated_at = None
    if updated_at is None or updated_at.tzinfo is None:
        decode_cursor("!", 2)  # raises the invalid-cursor problem
    assert updated_at is not None
    return StatementPage(updated_at=updated_at, id=key[1])


@router.get(
    "/statements/{id}",
    operation_id="get_statement",
    summary="One statement version, in JSON, CSV or PDF",
    description=(
        "Content negotiation by `Accept`: `application/json` (the document, as stored: "
        "recompute `content_sha256` from it), `text/csv` (French spreadsheet: UTF-8 with "
        "BOM, `;` separator, decimal comma; header rows for number, version, census, due "
        "date, payee and fingerprint, one row per school, a total row) or "
        "`application/pdf` (a one- to two-page French recap: parties, census, lines, "
        "total, due date, payee IBAN/BIC, version, fingerprint). The three are rendered "
        "from the same stored document. Another `Accept` → 406. `ETag` per "
        "representation; `If-None-Match` → 304. " + DRAFTS
    ),
    response_model=StatementOut,
    responses=problems(404) | NOT_ACCEPTABLE | NOT_MODIFIED | {
        200: {
            "description": "The statement",
            "headers": ETAG_HEADER,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
    },
)
async def get_statement(
    request: Request,
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with(*READERS))],
    id: IdPath,
) -> Response:
    statement = await service.get_statement(uow, caller.principal, id)
    renderers = container_of(request.app).statement_renderers
    media_type = negotiate(request.headers.get("accept"), [JSON, *renderers])
    if media_type is None:
        raise ProblemException(
            406, "this statement is offered as " + ", ".join([JSON, *renderers]),
            code="not-acceptable",
        )
    return _representation(request, statement, media_type)


def _representation(request: Request, statement: Statement, media_type: str) -> Response:
    """The statement in one of its media types, with its ETag (304 on If-None-Match)."""
    document = served_document(statement)
    if media_type == JSON:
        etag = _etag(document)
        return _conditional(request, etag) or _json(document)
    renderer = container_of(request.app).statement_renderers[media_type]
    etag = _etag(document, f"-{renderer.file_extension}")
    if (unchanged := _conditional(request, etag)) is not None:
        return unchanged
    disposition = "attachment" if renderer.file_extension == "csv" else "inline"
    return Response(
        renderer.render(document),
        media_type=f"{media_type}; charset=utf-8" if media_type.startswith("text/")
        else media_type,
        headers={
            "ETag": etag,
            "Vary": "Accept",
            "Content-Disposition": (
                f'{disposition}; filename="releve-{statement.number}.{renderer.file_extension}"'
            ),
        },
    )


def _one_representation(media_type: str, operation_id: str, label: str, schema: dict):
    @router.get(
        f"/statements/{{id}}/{label}",
        operation_id=operation_id,
        summary=f"One statement version as {label.upper()} only",
        description=(
            f"The `{media_type}` representation of `GET /api/v1/billing/statements/{{id}}` "
            "at a URL of its own, for clients that cannot choose a media type by `Accept` "
            "(generated clients parse the first media type of a response). Same ETag, "
            "`If-None-Match` → 304, same visibility. " + DRAFTS
        ),
        response_class=Response,
        responses=problems(404) | NOT_MODIFIED | {
            200: {"description": f"The statement as {label.upper()}", "headers": ETAG_HEADER,
                  "content": {media_type: {"schema": schema}}},
        },
    )
    async def one_representation(
        request: Request,
        uow: UowDep,
        caller: Annotated[Caller, Depends(caller_with(*READERS))],
        id: IdPath,
    ) -> Response:
        statement = await service.get_statement(uow, caller.principal, id)
        return _representation(request, statement, media_type)

    one_representation.__name__ = operation_id
    return one_representation


get_statement_csv = _one_representation("text/csv", "getStatementCsv", "csv",
                                        {"type": "string"})
get_statement_pdf = _one_representation("application/pdf", "getStatementPdf", "pdf",
                                        {"type": "string", "format": "binary"})


# ---------------------------------------------------------------- transitions


@router.post(
    "/statements/{id}/issuing",
    operation_id="issue_statement",
    summary="Issue a draft (R-BIL-3)",
    description=(
        "Sets `issued_at`, `late` (issued after `due_on`, Paris date) and `content_sha256` "
        "(SHA-256 of the RFC 8785 canonical JSON of every member but `status`, `payments`, "
        "`payment_status`, `superseded_by` and itself), then freezes the document: only "
        "payments and supersession change afterwards. Issuing a revision marks the version "
        "it revises `superseded` (`superseded_by` set) in the same transaction. Issuing "
        "again answers 200 with the version as it is."
    ),
    response_model=StatementOut,
    responses=problems(404, 409),
)
async def issue_statement(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("billing:write"))],
    id: IdPath,
) -> Response:
    return _json(served_document(await service.issue_statement(uow, clock, caller.actor, id)))


@router.post(
    "/statements/{id}/revision",
    status_code=201,
    operation_id="revise_statement",
    summary="Correct an issued statement by a new version (R-BIL-3)",
    description=(
        "A new draft (version + 1), recomputed now from the census and the rate in force "
        "on the census date, with `supersedes` and the `reason`; the issued version stays "
        "readable and unchanged until the draft is issued, then it is `superseded`. The "
        "same revision again → 200 with its draft; another current draft of the year → "
        "409 `statement-exists`; on a draft → 409 `statement-not-issued`; on a superseded "
        "version → 409 `statement-superseded`."
    ),
    response_model=StatementOut,
    responses=body_problems(404, 409) | {
        200: {"model": StatementOut,
              "description": "The same revision again (same version, same reason): its "
                             "draft as it is, nothing created"},
        201: {"links": STATEMENT_LINKS},
    },
)
async def revise_statement(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("billing:write"))],
    id: IdPath,
    body: RevisionIn,
) -> Response:
    draft, created = await service.revise_statement(
        uow, clock, caller.actor, id, reason=body.reason, rules=container_of(request.app).rules
    )
    return _json(served_document(draft), status_code=201 if created else 200,
                 headers=_location(draft))


@router.post(
    "/statements/{id}/discard",
    status_code=204,
    operation_id="discard_statement",
    summary="Delete a draft",
    description=(
        "Only a draft (else 409 `statement-not-draft`); the audit trail keeps its figures."
    ),
    response_class=Response,
    responses=problems(404, 409),
)
async def discard_statement(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("billing:write"))],
    id: IdPath,
) -> Response:
    await service.discard_statement(uow, clock, caller.actor, id)
    return Response(status_code=204)


@router.post(
    "/statements/{id}/payments",
    status_code=201,
    operation_id="record_statement_payment",
    summary="Record a payment received from the Region",
    description=(
        "Against the issued version (a draft or a superseded version → 409 "
        "`statement-not-issued`). Answers the statement with its `payments` (each with "
        "its `amount` string and `currency`) and `payment_status` (`unpaid`, "
        "`partially_paid`, `paid`, `overpaid`): payments received against the versions it "
        "supersedes count too. The same `reference` again with the same figures → 200, "
        "nothing added; with other figures → 409 `payment-conflict`. `received_on` after "
        "today (Paris) → 422 `invalid-payment`."
    ),
    response_model=StatementOut,
    responses=body_problems(404, 409) | {
        200: {"model": StatementOut,
              "description": "The same payment again (same reference and figures): the "
                             "statement as it is, nothing added"},
    },
)
async def record_payment(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("billing:write"))],
    id: IdPath,
    body: PaymentIn,
) -> Response:
    statement, created = await service.record_payment(
        uow, clock, caller.actor, id, received_on=body.received_on, amount_cents=body.amount_cents,
        reference=body.reference,
    )
    return _json(served_document(statement), status_code=201 if created else 200,
                 headers=_location(statement))
