"""The OpenAPI document of the app: FastAPI's, made into the contract
(`openapi/openapi.json`) by the post-processing of `app.api.contract` and
`app.api.idempotency`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.contract import document_contract, route_scopes
from app.api.idempotency import document_idempotency_key

TOKEN_PATH = "/api/v1/oauth/token"  # answers RFC 6749 errors, not problem+json

# Operations whose answers carry an `ETag` (conditional reads and changes).
ETAG_OPERATIONS = frozenset({
    "getSchool", "updateSchool", "getSchoolRenewals", "putSchoolRenewalDecisions",
    "getEnrolmentCampaign", "putEnrolmentCampaign", "listStatements", "getStatement",
    "getStatementCsv", "getStatementPdf",
    "createStatement", "issueStatement", "reviseStatement", "recordStatementPayment",
})


def _errors_as_problems(schema: dict[str, Any]) -> None:
    """4xx and 5xx answers are `application/problem+json` (but the token endpoint's)."""
    for path, operations in schema.get("paths", {}).items():
        if path == TOKEN_PATH:
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
