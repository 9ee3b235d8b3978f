"""OpenAPI documentation of error statuses, so the committed contract is truthful."""

from __future__ import annotations

from typing import Any

from app.schemas.common import Problem

DESCRIPTIONS = {
    304: "Not modified",
    400: "Bad request",
    401: "Missing or invalid bearer token",
    403: "The token lacks the required scope",
    404: "No such resource (or not visible to the caller)",
    409: "Conflicts with the current state or a rule of the convention",
    412: "Stale If-Match",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Invalid input",
    428: "If-Match required",
    429: "Too many requests",
    503: "Database unavailable",
}


def links(parameters: dict[str, str], *operations: tuple[str, str]) -> dict[str, Any]:
    """OpenAPI links (name, operationId) from a response to operations whose
    `parameters` it gives."""
    return {name: {"operationId": op, "parameters": parameters} for name, op in operations}


def problems(*statuses: int, auth: bool = True) -> dict[int | str, dict[str, Any]]:
    codes = set(statuses) | {422, 503}
    if auth:
        codes |= {401, 403}
    return {
        code: {"model": Problem, "description": DESCRIPTIONS.get(code, "Error")}
        for code in sorted(codes)
    }


def body_problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return problems(413, 415, *statuses)
