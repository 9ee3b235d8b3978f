"""Schemathesis, in-process against a live uvicorn: every operation, positive and
negative data, a token with every scope; all default checks but the positive-data one
(refusals by the rules, such as 409 or 428, are documented answers to valid input).
Twice: derandomized (the same examples at every run) and with this run's new seed
(printed in the header; `SCHEMATHESIS_SEED` replays it)."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import positive_data_acceptance

from tests.contract.conftest import RANDOM_SEED, SEED_HINT, LiveServer

CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
schema = schemathesis.openapi.from_path(str(CONTRACT))


@schema.parametrize()
@settings(
    max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_honours_its_contract(case, live_server: LiveServer):
    case.call_and_validate(
        base_url=live_server.base_url,
        headers={"Authorization": f"Bearer {live_server.token}"},
        excluded_checks=[positive_data_acceptance],
    )


@schema.parametrize()
@seed(RANDOM_SEED)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_honours_its_contract_with_this_runs_seed(case, live_server: LiveServer):
    try:
        case.call_and_validate(
            base_url=live_server.base_url,
            headers={"Authorization": f"Bearer {live_server.token}"},
            excluded_checks=[positive_data_acceptance],
        )
    except AssertionError as failure:
        raise AssertionError(f"{SEED_HINT}\n{failure}") from failure
