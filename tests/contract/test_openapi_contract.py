"""The committed contract is the app's: regenerate with `convention-api openapi`."""

from __future__ import annotations

import json
from pathlib import Path

from app.main import create_app
from app.settings import Settings

CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def _generated() -> dict:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="sqlite+aiosqlite:///:memory:",
    )
    return json.loads(json.dumps(create_app(settings).openapi()))


def test_the_committed_openapi_matches_the_app():
    committed = json.loads(CONTRACT.read_text())
    assert committed == _generated(), (
        "openapi/openapi.json is stale: run `convention-api openapi` and commit it"
    )


def test_every_operation_names_its_scope_and_documents_its_errors():
    document = _generated()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not path.startswith("/api/v1/") or path == "/api/v1/oauth/token":
                continue
            assert "Scope:" in operation.get("description", ""), f"{method} {path}"
            statuses = set(operation["responses"])
            assert {"401", "403", "422"} <= statuses, f"{method} {path}: {statuses}"
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert "application/problem+json" in response.get("content", {}), (
                        f"{method} {path} {status}"
                    )
