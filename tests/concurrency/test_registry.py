"""The harness knows every transition endpoint of the committed contract: each write
operation of openapi/openapi.json (POST, PUT, PATCH, DELETE) is fired concurrently by a
test of this directory (its module's COVERS), or is exempt here with the reason. A new
write endpoint fails this test until the harness fires at it. Runs on every database
(it reads files only)."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import tests.concurrency

CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
WRITES = ("post", "put", "patch", "delete")

# Writes that change no aggregate's state.
EXEMPT = {
    ("POST", "/api/v1/oauth/token"): "issues a token; stores nothing (rate-limited apart)",
}


def contract_writes() -> set[tuple[str, str]]:
    paths = json.loads(CONTRACT.read_text())["paths"]
    return {(method.upper(), path) for path, operations in paths.items()
            for method in operations if method in WRITES}


def harness_covers() -> dict[tuple[str, str], str]:
    covered: dict[tuple[str, str], str] = {}
    for module in pkgutil.iter_modules(tests.concurrency.__path__):
        if not module.name.startswith("test_"):
            continue
        loaded = importlib.import_module(f"tests.concurrency.{module.name}")
        for operation, mixes in getattr(loaded, "COVERS", {}).items():
            assert operation not in covered, f"{operation} is covered twice"
            covered[operation] = mixes
    return covered


def test_every_write_endpoint_of_the_contract_is_fired_at_by_the_harness():
    unknown = contract_writes() - harness_covers().keys() - EXEMPT.keys()
    assert not unknown, f"write endpoints the concurrency harness does not know: {unknown}"


def test_the_harness_covers_no_endpoint_the_contract_lacks():
    stale = (harness_covers().keys() | EXEMPT.keys()) - contract_writes()
    assert not stale, f"the harness names endpoints that are not in the contract: {stale}"


def test_the_contract_has_transition_endpoints_to_check():
    assert len(contract_writes()) >= 30
