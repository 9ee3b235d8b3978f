"""The OpenAPI document of the app: FastAPI's, made into the published contract
(`openapi/openapi.json`): problem+json errors, the `Idempotency-Key` header
(`app.api.idempotency`), and what `app.api.contract` declares of each operation (stable
`operationId`, rules, scopes as security requirements, conditional headers, problem
codes, examples from `app.api.contract_examples`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.contract import ITEM_CODES, NO_RULE, OPERATIONS, TOKEN_URL, problem_codes
from app.api.contract_examples import add_examples, problem_examples
from app.api.idempotency import document_idempotency_key
from app.domain.auth import PROFILES, SCOPES

OAUTH2 = "oauth2"
BEARER = "bearer"

# Operations whose answers carry an `ETag` (conditional reads and changes).
ETAG_OPERATIONS = frozenset({
    "getSchool", "updateSchool", "getSchoolRenewals", "putSchoolRenewalDecisions",
    "getEnrolmentCampaign", "putEnrolmentCampaign", "listStatements", "getStatement",
    "getStatementCsv", "getStatementPdf",
    "createStatement", "issueStatement", "reviseStatement", "recordStatementPayment",
})



def security_schemes() -> dict[str, Any]:
    profiles = "; ".join(f"`{name}`: " + " ".join(scopes) for name, scopes in PROFILES.items()
                         if name != "ut-admin")
    return {
        OAUTH2: {
            "type": "oauth2",
            "description": (
                "Machine clients (ticketing tool, Moodle plugin, Région's IT, schooling "
                "office): OAuth 2.0 client credentials (RFC 6749 §4.4), the token is an "
                "RS256 JWT. Profiles: " + profiles + "; `ut-admin`: every scope."
            ),
            "flows": {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": dict(SCOPES)}},
        },
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "People (UT staff, school referents): an RS256 JWT minted by "
                "`convention-api tokens mint` or by the configured external issuer, with "
                "the same scopes (and a `schools` claim for referents)."
            ),
        },
    }


def _security(scopes: tuple[str, ...]) -> list[dict[str, list[str]]]:
    return [{OAUTH2: [s]} for s in scopes] + [{BEARER: [s]} for s in scopes]


IF_NONE_MATCH = {
    "name": "If-None-Match", "in": "header", "required": False,
    "description": "The `ETag` of a representation already held: unchanged → 304.",
    "schema": {"type": "string"}, "example": '"5d41402abc4b2a76b9719d911017c592"',
}
IF_MATCH = {
    "name": "If-Match", "in": "header", "required": False,
    "description": (
        "Required for the change: the `ETag` of the last GET. Missing → 428 "
        "`precondition-required`; stale → 412 `precondition-failed`."
    ),
    "schema": {"type": "string"}, "example": '"3"',
}
ETAG = {"description": "Validator of this representation (for If-None-Match / If-Match)",
        "schema": {"type": "string"}}


def _add_headers(operation: dict[str, Any], etag_paths: bool) -> None:
    parameters = operation.setdefault("parameters", [])
    names = {p.get("name", "").lower() for p in parameters}
    responses = operation.get("responses", {})
    if "304" in responses and "if-none-match" not in names:
        parameters.append(dict(IF_NONE_MATCH))
    if ("412" in responses or "428" in responses) and "if-match" not in names:
        parameters.append(dict(IF_MATCH))
    if etag_paths:
        for status in ("200", "201"):
            if status in responses:
                responses[status].setdefault("headers", {}).setdefault("ETag", dict(ETAG))
    if not parameters:
        operation.pop("parameters")



def _flat_routes(routes: Iterable[Any]) -> Iterable[Any]:
    """Routes with their dependants, also those of included routers (which recent FastAPI
    versions keep behind an inclusion object instead of copying them into the app)."""
    for route in routes:
        if getattr(route, "dependant", None) is not None:
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from _flat_routes(router.routes)
        elif getattr(route, "routes", None):
            yield from _flat_routes(route.routes)


def route_scopes(app_routes: Iterable[Any]) -> dict[tuple[str, str], tuple[str, ...]]:
    """The scopes each route's `require(...)` dependency grants on (any one of them)."""
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in _flat_routes(app_routes):
        dependant = route.dependant
        found: list[str] = []
        stack = [dependant]
        while stack:
            current = stack.pop()
            found += getattr(current.call, "scopes", ())
            stack.extend(current.dependencies)
        if found:
            for method in route.methods:
                out[(method.lower(), route.path)] = tuple(dict.fromkeys(found))
    return out


def document_contract(document: dict[str, Any], scopes: Mapping[tuple[str, str], tuple[str, ...]],
                      etag_operations: frozenset[str]) -> None:
    """Complete FastAPI's document in place (see the module docstring)."""
    components = document.setdefault("components", {})
    components["securitySchemes"] = security_schemes()
    renamed: dict[str, str] = {}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            entry = OPERATIONS.get((method, path))
            if entry is None:
                continue
            renamed[operation.get("operationId", "")] = entry.id
            operation["operationId"] = entry.id
            description = operation.get("description", "").strip()
            missing = [r for r in entry.rules if r not in description]
            if missing:
                description += "\n\nRules: " + ", ".join(missing) + "."
            elif not entry.rules and "R-" not in description:
                description += "\n\n" + NO_RULE
            required = scopes.get((method, path))
            if required:
                operation["security"] = _security(required)
            else:
                operation.pop("security", None)
                if "Scope:" not in description:
                    description += "\n\nScope: none (public)."
            operation["description"] = description.strip()
            _add_headers(operation, entry.id in etag_operations)
            if entry.id in ITEM_CODES:
                operation["responses"]["200"]["x-item-problem-codes"] = list(ITEM_CODES[entry.id])
            for status, codes in problem_codes(operation, method, path, entry).items():
                response = operation["responses"][str(status)]
                # Every error of the service is a problem document (app.api.problems).
                response.setdefault("content", {"application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}}})
                response["description"] = (
                    response.get("description", "").rstrip(".") + ". Problem codes: "
                    + ", ".join(f"`{c}`" for c in codes) + "."
                )
                response["x-problem-codes"] = codes
                problem_examples(response, status, codes, path)
            add_examples(document, operation)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                for link in response.get("links", {}).values():
                    if link.get("operationId") in renamed:
                        link["operationId"] = renamed[link["operationId"]]


def _errors_as_problems(schema: dict[str, Any]) -> None:
    """4xx and 5xx answers are `application/problem+json` (but the token endpoint's)."""
    for path, operations in schema.get("paths", {}).items():
        if path == TOKEN_URL:  # answers RFC 6749 errors, not problem+json
            continue
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[:1] in "45" and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")


def contract_of(app: FastAPI, idempotency_ttl_hours: int) -> dict[str, Any]:
    """The app's OpenAPI document, made once and kept (`app.openapi_schema`)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    _errors_as_problems(schema)
    document_idempotency_key(schema, idempotency_ttl_hours)
    document_contract(schema, route_scopes(app.routes), ETAG_OPERATIONS)
    app.openapi_schema = schema
    return schema


def install_contract(app: FastAPI, idempotency_ttl_hours: int) -> None:
    """`app.openapi()` (and `/openapi.json`) answer the contract."""
    app.openapi = lambda: contract_of(app, idempotency_ttl_hours)  # type: ignore[method-assign]
