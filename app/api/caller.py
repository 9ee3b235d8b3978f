"""Who calls: the one reading of the bearer token, the scopes an operation grants on,
and the `Caller` a route receives.

A route declares `caller: Annotated[Caller, Depends(caller_with("scope:a", "scope:b"))]`
(or a module's alias of it) and gets, from that one dependency, the verified principal,
the actor the audit records and the schools the caller is confined to. The scopes are
written once: the dependency carries them for the contract's security requirements
(app/api/contract.py reads `scopes`) and for the "Scope: …" sentence of the operation's
description (`document_scopes`).

The token is read by `bearer_token` only: the route's dependency, the idempotency
middleware and the access fast path all call it, so they agree on what a bearer token
is (the first Authorization header, scheme `Bearer` in any case, a non-empty token)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from app.api.container import container_of
from app.api.problems import ProblemException
from app.domain.auth import Principal
from app.domain.errors import Unauthenticated
from app.ports.audit import Actor

WWW_AUTH = 'Bearer realm="convention-api"'


def bearer_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The token of the first Authorization header when it reads `Bearer <token>`."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


class BearerToken(HTTPBearer):
    """The bearer security scheme of the OpenAPI, reading the token with `bearer_token`."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return bearer_token(request.scope["headers"])


bearer = BearerToken(
    auto_error=False, scheme_name="HTTPBearer",
    description="RS256 JWT from POST /api/v1/oauth/token",
)


def unauthorized(detail: str) -> ProblemException:
    return ProblemException(
        401, detail, code="unauthorized",
        headers={"WWW-Authenticate": f'{WWW_AUTH}, error="invalid_token"'},
    )


def authenticate(verify: Callable[[str], Principal], token: str | None) -> Principal:
    """The principal of a verified token; 401 without one or when it is refused."""
    if token is None:
        raise ProblemException(
            401, "a bearer token is required", code="unauthorized",
            headers={"WWW-Authenticate": WWW_AUTH},
        )
    try:
        return verify(token)
    except Unauthenticated as exc:
        raise unauthorized(exc.detail) from None


def verified_or_none(verify: Callable[[str], Principal], headers: Iterable[tuple[bytes, bytes]]
                     ) -> Principal | None:
    """The principal of the request's bearer token, None without one or when refused
    (for the layers that let the route answer the refusal)."""
    token = bearer_token(headers)
    if token is None:
        return None
    try:
        return verify(token)
    except Unauthenticated:
        return None


def grants(principal: Principal, scopes: Sequence[str]) -> bool:
    """An operation is granted when the token holds any one of its scopes."""
    return any(principal.has(s) for s in scopes)


def authorize(principal: Principal, scopes: Sequence[str]) -> None:
    if not grants(principal, scopes):
        raise ProblemException(
            403,
            "the token lacks the scope this operation needs: " + " or ".join(scopes),
            code="insufficient-scope",
            headers={"WWW-Authenticate": f'{WWW_AUTH}, error="insufficient_scope"'},
        )


def authorized_principal(request: Request, token: str | None, scopes: Sequence[str]
                         ) -> Principal:
    """The principal of the request's token when it holds one of `scopes` (401, 403)."""
    principal = authenticate(container_of(request.app).verify_token, token)
    request.state.principal = principal
    authorize(principal, scopes)
    return principal


@dataclass(frozen=True, slots=True)
class Caller:
    """The verified caller of an operation: its principal, the actor the audit records
    and the schools it is confined to (None: every school)."""

    principal: Principal
    request_id: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(principal=self.principal, request_id=self.request_id)

    @property
    def schools(self) -> frozenset[str] | None:
        return self.principal.schools


def scope_doc(*scopes: str) -> str:
    return "Scope: " + " or ".join(f"`{s}`" for s in scopes) + "."


def caller_with(*scopes: str) -> Callable[..., Any]:
    """The dependency giving a route its `Caller` when the token holds any one of
    `scopes` (401 without a valid token, 403 without the scope)."""

    async def dependency(
        request: Request, token: Annotated[str | None, Depends(bearer)]
    ) -> Caller:
        principal = authorized_principal(request, token, scopes)
        return Caller(principal, getattr(request.state, "request_id", None))

    dependency.__name__ = "caller_with_" + "_or_".join(s.replace(":", "_") for s in scopes)
    dependency.scopes = scopes  # type: ignore[attr-defined]  # the contract's security
    dependency.documents_scope = True  # type: ignore[attr-defined]
    return dependency


def _caller_scopes(route: APIRoute) -> tuple[str, ...] | None:
    for dependency in route.dependant.dependencies:
        if getattr(dependency.call, "documents_scope", False):
            return dependency.call.scopes  # type: ignore[union-attr]
    return None


class Router(APIRouter):
    """An APIRouter whose operations end their description with the scope of their
    caller dependency: the scopes are written once, in the dependency."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().add_api_route(path, endpoint, **kwargs)
        route = self.routes[-1]
        scopes = _caller_scopes(route) if isinstance(route, APIRoute) else None
        doc = scope_doc(*scopes) if scopes else ""
        if doc and not route.description.endswith(doc):  # not when a router includes another
            route.description = " ".join(filter(None, [route.description, doc]))
