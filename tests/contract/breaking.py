"""Breaking changes between two OpenAPI documents, after oasdiff's main rules.

A client generated from `base` keeps working against `head` unless `head`: removes a
path or an operation, renames an operationId, removes a response status, adds a required
parameter (or makes one required), requires a request body or a body field it did not
require, removes a value of an enum, removes a response field, or changes a type."""

from __future__ import annotations

from typing import Any

Document = dict[str, Any]


def _resolve(document: Document, schema: dict[str, Any] | None) -> dict[str, Any]:
    schema = schema or {}
    seen = 0
    while "$ref" in schema and seen < 20:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        seen += 1
    return schema


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return set(kind)
    if kind:
        return {kind}
    found: set[str] = set()
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= _types(option)
    return found


def _enum(schema: dict[str, Any]) -> set[Any] | None:
    if "enum" in schema:
        return set(map(repr, schema["enum"]))
    if "const" in schema:
        return {repr(schema["const"])}
    options = schema.get("anyOf", []) + schema.get("oneOf", [])
    values = [_enum(o) for o in options if o.get("type") != "null"]
    if values and all(v is not None for v in values):
        return set().union(*values)  # type: ignore[arg-type]
    return None


def _concrete(document: Document, schema: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an optional schema (`anyOf: [X, null]`), resolved."""
    schema = _resolve(document, schema)
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        return _resolve(document, options[0])
    return schema


def compare_schemas(base: Document, head: Document, old: dict[str, Any] | None,
                    new: dict[str, Any] | None, where: str, *, request: bool,
                    depth: int = 0) -> list[str]:
    if old is None or new is None or depth > 12:
        return []
    old, new = _resolve(base, old), _resolve(head, new)
    problems: list[str] = []
    old_types, new_types = _types(old), _types(new)
    if old_types and new_types:
        # An input type that accepts less, an output type that may hold more (a new
        # `null` too): a generated client breaks on either.
        changed = old_types - new_types if request else new_types - old_types
        if changed:
            problems.append(
                f"{where}: type changed from {sorted(old_types)} to {sorted(new_types)}")
    old_enum, new_enum = _enum(old), _enum(new)
    if old_enum is not None and new_enum is not None and old_enum - new_enum:
        problems.append(f"{where}: enum narrowed (removed {sorted(old_enum - new_enum)})")
    old_c, new_c = _concrete(base, old), _concrete(head, new)
    old_props, new_props = old_c.get("properties", {}), new_c.get("properties", {})
    if request:
        added_required = set(new_c.get("required", [])) - set(old_c.get("required", []))
        if added_required:
            problems.append(f"{where}: new required field(s) {sorted(added_required)}")
    else:
        removed = set(old_props) - set(new_props)
        if removed:
            problems.append(f"{where}: response field(s) removed {sorted(removed)}")
    for name in set(old_props) & set(new_props):
        problems += compare_schemas(base, head, old_props[name], new_props[name],
                                    f"{where}.{name}", request=request, depth=depth + 1)
    if "items" in old_c and "items" in new_c:
        problems += compare_schemas(base, head, old_c["items"], new_c["items"],
                                    f"{where}[]", request=request, depth=depth + 1)
    return problems


def _json_schema(content: dict[str, Any]) -> dict[str, Any] | None:
    for media, item in content.items():
        if media.endswith("json"):
            return item.get("schema")
    return None


def breaking_changes(base: Document, head: Document) -> list[str]:
    problems: list[str] = []
    for path, operations in base.get("paths", {}).items():
        if path not in head.get("paths", {}):
            problems.append(f"{path}: path removed")
            continue
        for method, old in operations.items():
            new = head["paths"][path].get(method)
            where = f"{method.upper()} {path}"
            if new is None:
                problems.append(f"{where}: operation removed")
                continue
            if old.get("operationId") != new.get("operationId"):
                problems.append(f"{where}: operationId renamed {old.get('operationId')} → "
                                f"{new.get('operationId')}")
            for status in set(old.get("responses", {})) - set(new.get("responses", {})):
                problems.append(f"{where}: response {status} removed")
            old_params = {(p["name"], p["in"]): p for p in old.get("parameters", [])}
            for parameter in new.get("parameters", []):
                key = (parameter["name"], parameter["in"])
                before = old_params.get(key)
                if parameter.get("required") and not (before or {}).get("required"):
                    problems.append(f"{where}: parameter {key[0]} ({key[1]}) now required")
                if before is not None:
                    problems += compare_schemas(base, head, before.get("schema"),
                                                parameter.get("schema"),
                                                f"{where} {key[1]}.{key[0]}", request=True)
            old_body, new_body = old.get("requestBody"), new.get("requestBody")
            if new_body and new_body.get("required") and not (old_body or {}).get("required"):
                problems.append(f"{where}: request body now required")
            if old_body and new_body:
                problems += compare_schemas(
                    base, head, _json_schema(old_body.get("content", {})),
                    _json_schema(new_body.get("content", {})), f"{where} body", request=True)
            for status, response in old.get("responses", {}).items():
                after = new.get("responses", {}).get(status)
                if after is None or not status.startswith("2"):
                    continue
                removed_media = set(response.get("content", {})) - set(after.get("content", {}))
                if removed_media:
                    problems.append(f"{where}: {status} no longer offers {sorted(removed_media)}")
                problems += compare_schemas(
                    base, head, _json_schema(response.get("content", {})),
                    _json_schema(after.get("content", {})), f"{where} {status}", request=False)
    return problems
