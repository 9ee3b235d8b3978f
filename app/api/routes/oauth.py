"""OAuth 2.0 client credentials (RFC 6749 §4.4). Errors here follow RFC 6749, not 9457."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.api.container import ContainerDep, container_of
from app.domain.errors import Forbidden, Unauthenticated
from app.services import clients

router = APIRouter(prefix="/api/v1", tags=["auth"])
# Included after every other router: the contract lists its path last.
jwks_router = APIRouter(tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str


class OAuthError(BaseModel):
    error: str
    error_description: str | None = None


FORM_LIMITS = {"grant_type": 64, "client_id": 128, "client_secret": 256, "scope": 2000}

TOKEN_FORM_SCHEMA = {
    "type": "object",
    "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "client_id": {"type": "string", "maxLength": 128},
        "client_secret": {"type": "string", "maxLength": 256},
        "scope": {"type": "string", "maxLength": 2000},
    },
    "required": ["grant_type"],
}


def _error(status: int, error: str, description: str, headers: dict[str, str] | None = None):
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})},
    )


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = raw.partition(":")
    return (client_id, secret) if sep else None


@router.post(
    "/oauth/token",
    summary="Get an access token (client credentials)",
    description=(
        "Form body `grant_type=client_credentials`, `client_id`, `client_secret` (or HTTP "
        "Basic), optional `scope` (space-separated; default: every scope granted to the "
        "client). Errors follow RFC 6749 (`application/json`, `error`, "
        "`error_description`). Failed authentications are limited per (source address, "
        "client id) and per source address (429 with `Retry-After`); a client with its "
        "correct secret is never refused for failures from other addresses."
    ),
    response_model=TokenResponse,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": TOKEN_FORM_SCHEMA}},
        }
    },
    responses={
        400: {"model": OAuthError, "description": "invalid_request, invalid_scope, ..."},
        401: {"model": OAuthError, "description": "invalid_client"},
        429: {"model": OAuthError, "description": "Too many attempts"},
    },
)
async def token(request: Request):
    # The form is read here, not by FastAPI, so that every error is an RFC 6749 one.
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return _error(400, "invalid_request", "the body must be form-urlencoded")
    try:
        form = await request.form()
    except Exception:
        return _error(400, "invalid_request", "the form cannot be read")
    fields: dict[str, str | None] = {}
    for name, limit in FORM_LIMITS.items():
        value = form.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            return _error(400, "invalid_request", f"{name} is not valid")
        fields[name] = value
    grant_type, client_id = fields["grant_type"], fields["client_id"]
    client_secret, scope = fields["client_secret"], fields["scope"]
    basic = _basic(request)
    if basic is not None:
        client_id, client_secret = basic
    # The peer, or the client a trusted proxy names (uvicorn's proxy headers handling,
    # FORWARDED_ALLOW_IPS): never a header an untrusted peer wrote.
    address = request.client.host if request.client else "unknown"
    services = container_of(request.app)
    limiter = services.token_rate_limiter
    retry_after = limiter.retry_after(address, client_id)
    if retry_after is not None:
        return _error(
            429, "slow_down", "too many token requests; retry later",
            {"Retry-After": str(retry_after)},
        )
    if grant_type is None:
        return _error(400, "invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        return _error(400, "unsupported_grant_type", "only client_credentials is supported")
    if not client_id or client_secret is None:
        return _error(401, "invalid_client", "client authentication failed",
                      {"WWW-Authenticate": 'Basic realm="convention-api"'})
    try:
        issued = await clients.issue_token(
            services.uow_factory(),
            services.clock,
            services.client_auth,
            client_id=client_id,
            client_secret=client_secret,
            requested_scope=scope,
        )
    except Unauthenticated:
        limiter.failed(address, client_id)
        return _error(401, "invalid_client", "client authentication failed",
                      {"WWW-Authenticate": 'Basic realm="convention-api"'})
    except Forbidden as exc:
        return _error(400, "invalid_scope", exc.detail)
    limiter.succeeded(address, client_id)
    return JSONResponse(
        TokenResponse(
            access_token=issued.token, expires_in=issued.expires_in, scope=issued.scope
        ).model_dump(),
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


@jwks_router.get("/.well-known/jwks.json", summary="Public signing keys (JWKS)")
async def jwks(services: ContainerDep) -> dict[str, Any]:
    return services.jwks()
