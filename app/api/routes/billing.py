"""Billing: the yearly statement for the Region, its versions and payments, in JSON, CSV
and PDF (R-BIL-1, R-BIL-2, R-BIL-3, R-MONEY-1).

The statement document is answered exactly as stored (so its `content_sha256` can be
recomputed from the bytes received); CSV and PDF are rendered from the same document by
the renderers of the container (`statement_renderers`, wired in `app.bootstrap`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

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
from app.api.representations import (
    ETAG_HEADER,
    NOT_ACCEPTABLE,
    NOT_MODIFIED,
    document_etag,
    json_with_etag,
    negotiate,
    unless_modified,
)
from app.api.responses import body_problems, links, problems
from app.domain.billing import Statement, StatementStatus, served_document
from app.domain.calendar import AcademicYear
from app.ports.billing import StatementPage
from app.schemas.billing import PaymentIn, RevisionIn, StatementCreate, StatementList, StatementOut
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
    return json_with_etag(served_document(statement), status_code=201, headers=_location(statement))


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
    etag = document_etag(body)
    return unless_modified(request, etag) or JSONResponse(
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
        etag = document_etag(document)
        return unless_modified(request, etag) or json_with_etag(document)
    renderer = container_of(request.app).statement_renderers[media_type]
    etag = document_etag(document, f"-{renderer.file_extension}")
    if (unchanged := unless_modified(request, etag)) is not None:
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
    issued = await service.issue_statement(uow, clock, caller.actor, id)
    return json_with_etag(served_document(issued))


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
    return json_with_etag(served_document(draft), status_code=201 if created else 200,
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
    return json_with_etag(served_document(statement), status_code=201 if created else 200,
                 headers=_location(statement))
