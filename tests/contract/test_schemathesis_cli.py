"""The Schemathesis CLI against a live uvicorn on 127.0.0.1 backed by PostgreSQL: every
phase (examples, coverage, fuzzing, stateful through the OpenAPI links), twice: the
fixed seed and a new one at each run (printed; `SCHEMATHESIS_SEED` replays it), every
default check, a token with every scope, bounded
by --max-time; it must find nothing (exit code 0).

`positive_data_acceptance` accepts, per operation, the 2xx/3xx answers and the 4xx
refusals that operation documents in the committed OpenAPI (schema-valid input can still
break a business rule: 409, 412, 422, 428…). The configuration file is generated from the
contract on every run, so new operations are covered. Two narrow exceptions, each for
named operations only (see `NARROW_EXCEPTIONS`)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.contract.conftest import RANDOM_SEED, SEED_HINT
from tests.dbutil import ON_POSTGRES, DatabaseFactory
from tests.processes import UvicornProcess, bearer_token, service_env

CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SEED = 20250303
MAX_TIME_SECONDS = 300
METHODS = ("get", "put", "post", "delete", "patch")

needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="the Schemathesis CLI runs in the PostgreSQL pass"
)
needs_cli = pytest.mark.skipif(
    not SCHEMATHESIS.exists() and shutil.which("schemathesis") is None,
    reason="the schemathesis CLI is not installed",
)

# (method, path) → {check: reason}. Disabled for these operations only.
NARROW_EXCEPTIONS: dict[tuple[str, str], dict[str, str]] = {
    # Batches answer each item on its own (documented: "one bad item never fails the
    # batch"): a schema-violating item is a 200 with that item `rejected`, by design.
    # The envelope (not an object, more than 1,000 items) is still refused as a whole.
    ("post", "/api/v1/enrolments"): {
        "negative_data_rejection": "per-item validation of batches, by design",
    },
    ("post", "/api/v1/storage/snapshots"): {
        "negative_data_rejection": "per-item validation of batches, by design",
    },
    # The fuzzer repeats an Idempotency-Key with the same body: the service then replays
    # the first 201 (HTTP contract, DESIGN.md), naming a closure that a later step may
    # have deleted. Closures are the only resources that can be deleted, so only their
    # reads and deletions can meet a "created" resource that is gone.
    ("get", "/api/v1/calendar/closures/{closure_id}"): {
        "ensure_resource_availability": "idempotent replay of a since-deleted closure",
    },
    ("delete", "/api/v1/calendar/closures/{closure_id}"): {
        "ensure_resource_availability": "idempotent replay of a since-deleted closure",
    },
}


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def schemathesis_config(contract: dict, seed: int = SEED) -> str:
    """One `[[operations]]` table per operation of the contract."""
    tables: list[str] = [f"seed = {seed}", 'generation.database = "none"', ""]
    seen: set[tuple[str, str]] = set()
    for path, operations in contract["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            seen.add((method, path))
            refusals = sorted(s for s in operation.get("responses", {}) if s.startswith("4"))
            lines = [
                "[[operations]]",
                f"include-operation-id = {json.dumps(operation['operationId'])}",
                "checks.positive_data_acceptance.expected-statuses = "
                + _toml_list(["2xx", "3xx", *refusals]),
            ]
            for check in NARROW_EXCEPTIONS.get((method, path), {}):
                lines.append(f"checks.{check}.enabled = false")
            tables.append("\n".join(lines) + "\n")
    missing = set(NARROW_EXCEPTIONS) - seen
    assert not missing, f"exceptions name operations the contract no longer has: {missing}"
    return "\n".join(tables)


def test_the_generated_configuration_accepts_exactly_each_operations_documented_refusals():
    contract = {"paths": {
        "/a": {"post": {"operationId": "make_a", "responses": {
            "201": {}, "401": {}, "409": {}, "422": {}, "503": {}}}},
        "/api/v1/enrolments": {"post": {"operationId": "enrol", "responses": {"200": {}}}},
        "/api/v1/storage/snapshots": {"post": {"operationId": "snap", "responses": {}}},
        "/api/v1/calendar/closures/{closure_id}": {
            "get": {"operationId": "c_get", "responses": {}},
            "delete": {"operationId": "c_del", "responses": {}},
            "parameters": [],
        },
    }}
    config = schemathesis_config(contract)
    assert ('include-operation-id = "make_a"\n'
            'checks.positive_data_acceptance.expected-statuses = '
            '["2xx", "3xx", "401", "409", "422"]\n') in config
    assert config.count("checks.negative_data_rejection.enabled = false") == 2
    assert config.count("checks.ensure_resource_availability.enabled = false") == 2
    assert "parameters" not in config


@pytest.fixture
def live_service(databases: DatabaseFactory, key_file: Path, tmp_path: Path):
    url = asyncio.run(databases.fresh())
    env = service_env(url, key_file, smtp_port=9, jwt_lifetime_seconds=3600)
    with UvicornProcess(env, tmp_path / "uvicorn.log") as service:
        yield service
    asyncio.run(databases.drop(url))


@needs_postgres
@needs_cli
@pytest.mark.slow
@pytest.mark.parametrize("seed", [SEED, RANDOM_SEED], ids=["fixed-seed", "new-seed"])
def test_schemathesis_finds_nothing_in_any_phase(live_service: UvicornProcess, key_file: Path,
                                                 tmp_path: Path, seed: int):
    print(f"schemathesis seed {seed}; {SEED_HINT}")
    contract = json.loads(CONTRACT.read_text())
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(contract, seed))
    executable = str(SCHEMATHESIS) if SCHEMATHESIS.exists() else "schemathesis"
    command = [
        executable, "--config-file", str(config), "run", str(CONTRACT),
        "--url", live_service.base_url,
        "-H", f"Authorization: Bearer {bearer_token(key_file, subject='schemathesis')}",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--seed", str(seed),
        "--max-time", str(MAX_TIME_SECONDS),
        "--request-timeout", "30",
        "--no-color",
        "--report", "junit", "--report-dir", str(tmp_path / "report"),
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                          timeout=MAX_TIME_SECONDS + 300)
    summary = done.stdout[-12000:]
    assert done.returncode == 0, (
        f"schemathesis exited {done.returncode} with seed {seed} ({SEED_HINT})\n"
        f"{summary}\n{done.stderr[-3000:]}\n"
        f"--- service log ---\n{live_service.log_tail(80)}"
    )
    operations = sum(1 for item in contract["paths"].values() for m in item if m in METHODS)
    assert f"Tested: {operations}\n" in summary, summary
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, summary
