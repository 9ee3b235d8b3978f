"""RFC 9457 problem+json for every error (but the token endpoint's RFC 6749 errors).

Never echoes rejected input and never a stack trace."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.api.container import container_of
from app.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("app.api")

STATUS_CODES: dict[int, str] = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    428: "precondition-required",
    429: "too-many-requests",
    500: "internal-error",
    503: "service-unavailable",
}

DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (InvalidInput, 422),
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (PreconditionRequired, 428),
    (PreconditionFailed, 412),
]


class ProblemException(Exception):
    """Raised by the HTTP edge for a problem that is not a domain rule."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, str]] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or STATUS_CODES.get(status, "error")
        self.headers = headers or {}
        self.errors = errors


def problem_body(
    status: int,
    code: str,
    *,
    detail: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
    base_url: str | None = None,
) -> dict[str, Any]:
    """The one RFC 9457 body of every problem, whichever layer answers it."""
    base = (base_url or "about:blank").rstrip("/")
    body: dict[str, Any] = {
        "type": f"{base}/{code}" if base != "about:blank" else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    request: Request | None,
    status: int,
    *,
    code: str,
    detail: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    base_url: str | None = None,
) -> JSONResponse:
    if base_url is None and request is not None:
        base_url = container_of(request.app).problem_base_url
    body = problem_body(
        status, code, detail=detail, errors=errors, base_url=base_url,
        instance=request.url.path if request is not None else None,
    )
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for error in exc.errors():
        message = str(error.get("msg", "invalid value"))
        # pydantic's messages for our own validators start with "Value error, "
        message = message.removeprefix("Value error, ")
        out.append(
            {
                "field": _location(tuple(error.get("loc", ()))),
                "code": str(error.get("type", "invalid")),
                "message": message[:300],
            }
        )
    return out


def _allowed_methods(request: Request) -> list[str]:
    """Every method of every route matching the path (Starlette lists only one route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        route_methods = getattr(route, "methods", None)
        if match != Match.NONE and route_methods:
            methods |= set(route_methods)
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(ProblemException)
    async def _problem(request: Request, exc: ProblemException) -> JSONResponse:
        return problem_response(
            request, exc.status, code=exc.code, detail=exc.detail, errors=exc.errors,
            headers=exc.headers,
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        status = next((s for cls, s in DOMAIN_STATUS if isinstance(exc, cls)), 409)
        errors = None
        if exc.field and status == 422:
            errors = [{"field": exc.field, "code": exc.code, "message": exc.detail}]
        return problem_response(request, status, code=exc.code, detail=exc.detail, errors=errors)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            request,
            422,
            code="validation-error",
            detail="the request is not valid",
            errors=validation_errors(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such resource"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem_response(
            request, exc.status_code, code=STATUS_CODES.get(exc.status_code, "error"),
            detail=detail, headers=headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unhandled error", extra={"error_type": type(exc).__name__, "path": request.url.path}
        )
        return problem_response(
            request, 500, code="internal-error", detail="an unexpected error occurred"
        )
