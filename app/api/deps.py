"""Dependencies of the HTTP edge: who calls (bearer JWT), scopes, unit of work, clock,
cursors and conditional requests. `Annotated` aliases keep route signatures short."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.problems import ProblemException
from app.domain.auth import Principal
from app.domain.errors import Unauthenticated
from app.services.ports import Actor, Clock, UnitOfWork

bearer = HTTPBearer(auto_error=False, description="RS256 JWT from POST /api/v1/oauth/token")

WWW_AUTH = 'Bearer realm="convention-api"'


def _unauthorized(detail: str) -> ProblemException:
    return ProblemException(
        401, detail, code="unauthorized",
        headers={"WWW-Authenticate": f'{WWW_AUTH}, error="invalid_token"'},
    )


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ProblemException(
            401, "a bearer token is required", code="unauthorized",
            headers={"WWW-Authenticate": WWW_AUTH},
        )
    try:
        principal = request.app.state.verify_token(credentials.credentials)
    except Unauthenticated as exc:
        raise _unauthorized(exc.detail) from None
    request.state.principal = principal
    return principal


def require(*scopes: str) -> Callable[..., Any]:
    """A dependency granting the call when the token holds any one of `scopes`."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        # `current_principal` called, not declared: one dependency level less for
        # FastAPI to solve on every request (the bearer scheme stays in the OpenAPI).
        principal = await current_principal(request, credentials)
        if not any(principal.has(s) for s in scopes):
            raise ProblemException(
                403,
                "the token lacks the scope this operation needs: " + " or ".join(scopes),
                code="insufficient-scope",
                headers={"WWW-Authenticate": f'{WWW_AUTH}, error="insufficient_scope"'},
            )
        return principal

    dependency.__name__ = "require_" + "_or_".join(s.replace(":", "_") for s in scopes)
    return dependency


def scope_doc(*scopes: str) -> str:
    return "Scope: " + " or ".join(f"`{s}`" for s in scopes) + "."


async def get_uow(request: Request) -> UnitOfWork:
    return request.app.state.uow_factory()


async def get_clock(request: Request) -> Clock:
    return request.app.state.clock


async def get_actor(request: Request) -> Actor:
    principal = getattr(request.state, "principal", None)
    if principal is None:  # pragma: no cover - routes declare require() first
        raise _unauthorized("a bearer token is required")
    return Actor(principal=principal, request_id=getattr(request.state, "request_id", None))


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ClockDep = Annotated[Clock, Depends(get_clock)]


def encode_cursor(*key: Any) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != arity:
        raise ProblemException(
            422, "the cursor is not valid", code="invalid-cursor",
            errors=[{"field": "query.cursor", "code": "invalid-cursor",
                     "message": "not a cursor from this list"}],
        )
    return key


def decode_id_cursor(cursor: str | None) -> int | None:
    """The row id of a cursor made by `encode_cursor(id)` (lists keyed by id)."""
    key = decode_cursor(cursor, 1)
    if key is None:
        return None
    if isinstance(key[0], bool) or not isinstance(key[0], int):
        decode_cursor("!", 1)  # raises the invalid-cursor problem
    return int(key[0])


def etag_of(version: int | str) -> str:
    return f'"{version}"'


def required_if_match(request: Request) -> str:
    value = request.headers.get("if-match")
    if not value:
        raise ProblemException(
            428, "this change requires an If-Match header with the resource's ETag",
            code="precondition-required",
        )
    return value.strip()


def parse_version_etag(value: str) -> int | None:
    value = value.removeprefix("W/").strip('"')
    return int(value) if value.isdigit() else None


_QUERY_NAMES: dict[int, frozenset[str]] = {}


def _query_names(dependant: Any) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def forbid_unknown_query(request: Request) -> None:
    """Unknown query parameters are refused (422), as unknown body fields are.

    Dependencies of every request are `async def`: FastAPI runs a plain `def` one in
    the thread pool, a thread hop per dependency and per request."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    names = _QUERY_NAMES.get(id(route))
    if names is None:
        names = frozenset(_query_names(dependant))
        _QUERY_NAMES[id(route)] = names
    unknown = sorted({k for k in request.query_params if k not in names})
    if unknown:
        raise ProblemException(
            422, "unknown query parameter(s)", code="validation-error",
            errors=[{"field": "query", "code": "extra_forbidden",
                     "message": f"{len(unknown)} unknown parameter(s)"}],
        )
