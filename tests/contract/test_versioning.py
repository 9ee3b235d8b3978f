"""The contract is versioned: `info.version` is the package's, CHANGELOG.md records every
change of the committed contract, and no breaking change since the last released
contract (openapi/released/<version>.json) passes unnoticed."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tomllib
from pathlib import Path

from tests.contract.breaking import breaking_changes

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "openapi" / "openapi.json"
RELEASED = ROOT / "openapi" / "released"
CHANGELOG = ROOT / "CHANGELOG.md"
SECTION = re.compile(r"^## \[(?P<version>[^\]]+)\]", re.MULTILINE)
FINGERPRINT = re.compile(r"openapi\.json sha256 `([0-9a-f]{64})`")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _package_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _latest_release() -> Path:
    return max(RELEASED.glob("*.json"), key=lambda p: _version_key(p.stem))


def _first_section() -> tuple[str, str]:
    text = CHANGELOG.read_text()
    heads = list(SECTION.finditer(text))
    assert heads, "CHANGELOG.md has no `## [version]` section"
    end = heads[1].start() if len(heads) > 1 else len(text)
    return heads[0]["version"], text[heads[0].end():end]


def test_info_version_is_the_package_version():
    assert json.loads(CONTRACT.read_text())["info"]["version"] == _package_version(), (
        "reinstall (`make install`) and regenerate the contract (`convention-api openapi`)"
    )


def test_a_change_of_the_committed_contract_has_its_changelog_entry():
    version, body = _first_section()
    recorded = FINGERPRINT.search(body)
    actual = hashlib.sha256(CONTRACT.read_bytes()).hexdigest()
    assert recorded is not None and recorded.group(1) == actual, (
        "openapi/openapi.json changed: describe the change in the first section of "
        "CHANGELOG.md (`## [Unreleased]` until the next release) and record "
        f"`openapi.json sha256 `{actual}`` there"
    )
    entries = [line for line in body.splitlines() if line.startswith("- ")]
    assert entries, f"the section [{version}] records no change"
    assert version in ("Unreleased", _package_version())


def test_the_package_version_has_its_released_contract():
    released = _latest_release()
    assert _version_key(released.stem) <= _version_key(_package_version())
    assert f"## [{released.stem}]" in CHANGELOG.read_text()


def test_no_breaking_change_since_the_last_released_contract():
    released = _latest_release()
    problems = breaking_changes(json.loads(released.read_text()),
                                json.loads(CONTRACT.read_text()))
    assert not problems, (
        f"breaking changes since {released.name} (a deliberate one needs a new major "
        "version: pyproject.toml, CHANGELOG.md and openapi/released/<version>.json):\n"
        + "\n".join(problems)
    )


def _mutated(change) -> list[str]:
    base = json.loads(CONTRACT.read_text())
    head = copy.deepcopy(base)
    change(head)
    return breaking_changes(base, head)


def test_the_breaking_change_check_refuses_each_kind_of_breaking_change():
    schemas = "components", "schemas"

    def removed_operation(d):
        del d["paths"]["/api/v1/schools"]["post"]

    def removed_path(d):
        del d["paths"]["/api/v1/storage/usage"]

    def removed_status(d):
        del d["paths"]["/api/v1/account-requests"]["post"]["responses"]["201"]

    def new_required_parameter(d):
        d["paths"]["/api/v1/schools"]["get"]["parameters"].append(
            {"name": "region", "in": "query", "required": True, "schema": {"type": "string"}})

    def new_required_field(d):
        d[schemas[0]][schemas[1]]["AccountRequestCreate"]["required"].append("received_at")

    def narrowed_enum(d):
        kind = d[schemas[0]][schemas[1]]["AccountRequestCreate"]["properties"]["kind"]
        kind["enum"] = ["referent"]

    def changed_type(d):
        d[schemas[0]][schemas[1]]["SchoolUsageOut"]["properties"]["bytes_used"] = {
            "type": "string"}

    def removed_response_field(d):
        del d[schemas[0]][schemas[1]]["SchoolUsageOut"]["properties"]["level"]

    def renamed_operation(d):
        d["paths"]["/api/v1/schools"]["get"]["operationId"] = "getSchools"

    def removed_representation(d):
        del d["paths"]["/api/v1/billing/statements/{id}"]["get"]["responses"]["200"][
            "content"]["text/csv"]

    for change, expected in (
        (removed_operation, "operation removed"), (removed_path, "path removed"),
        (removed_status, "response 201 removed"),
        (new_required_parameter, "parameter region (query) now required"),
        (new_required_field, "new required field(s) ['received_at']"),
        (narrowed_enum, "enum narrowed"), (changed_type, "type changed"),
        (removed_response_field, "response field(s) removed ['level']"),
        (renamed_operation, "operationId renamed"),
        (removed_representation, "no longer offers ['text/csv']"),
    ):
        found = _mutated(change)
        assert any(expected in problem for problem in found), (change.__name__, found)


def test_the_breaking_change_check_accepts_additions():
    def additions(d):
        d["paths"]["/api/v1/schools"]["get"]["parameters"].append(
            {"name": "region", "in": "query", "required": False, "schema": {"type": "string"}})
        d["components"]["schemas"]["SchoolUsageOut"]["properties"]["note"] = {
            "type": "string"}
        d["paths"]["/api/v1/new"] = {"get": {"operationId": "getNew", "responses": {}}}

    assert _mutated(additions) == []
