"""The contract as a product: stable operation ids, rules and scopes named, OAuth 2.0
security, conditional and idempotency headers, problem codes and examples that validate."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import jsonschema_rs
import pytest

from app.api.contract import NO_RULE, OPERATIONS, TOKEN_URL
from app.domain.auth import SCOPES

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "openapi" / "openapi.json"
OPERATION_ID = re.compile(r"^[a-z]+[A-Z][A-Za-z]*$|^[a-z]+$")
# FastAPI's generated names end with the method after the path (`..._get`).
GENERATED = re.compile(r"_(get|post|put|patch|delete)$|_api_v1_")
# Codes written in app/ that no HTTP answer carries (start-up, CLI).
NOT_HTTP = {"invalid-setting", "client-exists", "invalid-scope", "internal-error",
            "invalid-payee"}
# A malformed Content-Length is refused before routing, whatever the operation: HTTP
# framing, not part of any operation's contract.
FRAMING = {"bad-request"}


@cache
def document() -> dict:
    return json.loads(CONTRACT.read_text())


def operations():
    for path, items in document()["paths"].items():
        for method, operation in items.items():
            yield method, path, operation


def test_every_operation_has_a_hand_chosen_unique_operation_id():
    ids = []
    for method, path, operation in operations():
        assert (method, path) in OPERATIONS, f"{method} {path}: add it to app.api.contract"
        op_id = operation["operationId"]
        assert OPERATION_ID.match(op_id) and not GENERATED.search(op_id), op_id
        ids.append(op_id)
    assert len(ids) == len(set(ids))
    assert len(ids) == len(OPERATIONS), "app.api.contract names an operation that is gone"


def test_every_operation_has_a_summary_and_a_description_naming_rules_and_scope():
    for method, path, operation in operations():
        assert operation.get("summary"), f"{method} {path}"
        description = operation.get("description", "")
        assert re.search(r"\bR-[A-Z]+-\d+[a-z]?\b", description) or NO_RULE in description, (
            f"{method} {path}: name its rule ids"
        )
        assert "Scope:" in description, f"{method} {path}"
        for rule in OPERATIONS[(method, path)].rules:
            assert rule in description


def test_the_security_scheme_is_oauth2_client_credentials_with_every_scope_described():
    schemes = document()["components"]["securitySchemes"]
    flow = schemes["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == TOKEN_URL
    assert flow["scopes"] == SCOPES
    assert all(flow["scopes"].values())
    assert schemes["bearer"] == schemes["bearer"] | {"type": "http", "scheme": "bearer"}


def test_every_protected_operation_lists_its_scopes_in_its_security():
    for method, path, operation in operations():
        if not path.startswith("/api/v1/") or path == TOKEN_URL:
            assert "security" not in operation, f"{method} {path} is public"
            continue
        security = operation["security"]
        scopes = {s for requirement in security for s in requirement.get("oauth2", [])}
        assert scopes and scopes <= set(SCOPES), f"{method} {path}"
        for scope in scopes:
            assert f"`{scope}`" in operation["description"], f"{method} {path}: {scope}"
        assert any("bearer" in requirement for requirement in security)


def test_statements_declare_csv_and_pdf_and_their_conditional_reads():
    paths = document()["paths"]
    one = paths["/api/v1/billing/statements/{id}"]["get"]
    assert {"application/json", "text/csv", "application/pdf"} <= set(
        one["responses"]["200"]["content"])
    for operation in (one, paths["/api/v1/billing/statements"]["get"]):
        assert "304" in operation["responses"]
        assert "ETag" in operation["responses"]["200"]["headers"]
        assert any(p["name"] == "If-None-Match" and p["in"] == "header"
                   for p in operation["parameters"])


def test_every_post_declares_idempotency_key_and_every_conditional_change_if_match():
    for method, path, operation in operations():
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if method == "post" and path.startswith("/api/v1/") and path != TOKEN_URL:
            assert "Idempotency-Key" in names, f"{method} {path}"
        responses = operation["responses"]
        if "412" in responses or "428" in responses:
            assert "If-Match" in names and {"412", "428"} <= set(responses), f"{method} {path}"
            assert "ETag" in responses["200"].get("headers", {}), f"{method} {path}"


def test_every_error_status_declares_its_problem_codes_with_an_example_each():
    for method, path, operation in operations():
        for status, response in operation["responses"].items():
            if not status.startswith("4") or path == TOKEN_URL:
                continue
            codes = response.get("x-problem-codes")
            assert codes, f"{method} {path} {status}"
            examples = response["content"]["application/problem+json"]["examples"]
            assert set(examples) == set(codes)
            for code, example in examples.items():
                assert example["value"]["code"] == code
                assert example["value"]["status"] == int(status)


def _codes_written_in_app() -> set[str]:
    found: set[str] = set()
    for source in (ROOT / "app").rglob("*.py"):
        text = source.read_text()
        found |= set(re.findall(r'code="([a-z0-9]+(?:-[a-z0-9]+)+)"', text))
        found |= set(re.findall(r'\b4\d\d, "([a-z0-9]+(?:-[a-z0-9]+)+)"', text))
    return found


def test_every_problem_code_the_service_can_answer_is_declared_by_some_operation():
    declared = {
        code
        for _, _, operation in operations()
        for response in operation["responses"].values()
        for code in [*response.get("x-problem-codes", []),
                     *response.get("x-item-problem-codes", [])]
    }
    missing = _codes_written_in_app() - NOT_HTTP - FRAMING - declared
    assert not missing, f"declare these in app.api.contract OPERATIONS: {sorted(missing)}"


def _validator(schema: dict):
    return jsonschema_rs.validator_for({**schema, "components": document()["components"]})


def _placeholder(value, name: str = "") -> str | None:
    """A synthesised value that only repeats its field's name is not an example."""
    if isinstance(value, dict):
        return next((found for key, item in value.items()
                     if (found := _placeholder(item, key))), None)
    if isinstance(value, list):
        return next((found for item in value if (found := _placeholder(item, name))), None)
    if isinstance(value, str) and name and value == name.replace("_", " "):
        return name
    return None


@pytest.mark.parametrize("method,path", list(OPERATIONS))
def test_every_operation_has_a_valid_realistic_request_and_response_example(method, path):
    operation = document()["paths"][path][method]
    request_examples = [
        (content["schema"], content["example"])
        for media, content in operation.get("requestBody", {}).get("content", {}).items()
        if "example" in content
    ]
    if "requestBody" in operation:
        assert request_examples, f"{method} {path}: no request body example"
    for parameter in operation.get("parameters", []):
        if parameter.get("required") and parameter["in"] in ("path", "query"):
            assert "example" in parameter, f"{method} {path}: {parameter['name']}"
    responses = [
        (status, media, content)
        for status, response in operation["responses"].items() if status.startswith("2")
        for media, content in response.get("content", {}).items()
    ]
    json_responses = [(s, c) for s, m, c in responses if m == "application/json"]
    for status, content in json_responses:
        assert "example" in content, f"{method} {path} {status}"
        request_examples.append((content["schema"], content["example"]))
    if not json_responses:  # 204, metrics text: nothing to exemplify but the status
        assert operation["responses"], f"{method} {path}"
    for schema, example in request_examples:
        errors = [e.message for e in _validator(schema).iter_errors(example)]
        assert not errors, f"{method} {path}: {errors[:3]}"
        assert _placeholder(example) is None, f"{method} {path}: {_placeholder(example)}"


def test_examples_use_seeded_school_codes_and_french_names():
    text = CONTRACT.read_text()
    assert '"school_code": "ifms-rodez"' in text
    assert '"given_name": "Camille"' in text and '"family_name": "Durand"' in text
    assert '"amount_cents": 1265000' in text


def test_every_problem_code_declared_by_hand_is_one_the_service_can_answer():
    from app.api.contract import ITEM_CODES

    written = _codes_written_in_app()
    declared = {code for entry in OPERATIONS.values() for codes in entry.codes.values()
                for code in codes}
    declared |= {code for codes in ITEM_CODES.values() for code in codes}
    assert not declared - written, f"stale in app.api.contract: {sorted(declared - written)}"
