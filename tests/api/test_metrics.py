"""/metrics: the outbox backlog and dead messages, the last success of each job and the
storage level of each school, read from the database at scrape time."""

from __future__ import annotations

import asyncio
import string
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from starlette.routing import Match

import app.bootstrap as bootstrap_module
from app.adapters.metrics import HTTP_METHODS, Metrics
from app.services.jobs import run_job
from app.services.mail import OUTBOX_JOB, queue_mail
from tests.api.storage_helpers import GB, measure

T0 = "2025-03-03T08:00:00+00:00"
T1 = "2025-03-03T09:30:00+00:00"


@pytest.fixture
def settings_overrides(smtp_server):
    return {"smtp_port": smtp_server.port}


async def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def samples(metrics: dict, name: str) -> dict[tuple, float]:
    return {labels: value for (n, labels), value in metrics.items() if n == name}


async def queue(app, clock, key: str) -> None:
    uow = app.state.container.uow_factory()
    async with uow:
        assert await queue_mail(uow, now=clock.now(), template="smtp-test",
                                to=["secretariat@ifsi.example"],
                                context={"requested_at": clock.now()}, dedupe_key=key)
        await uow.commit()


async def dispatch(app, clock) -> dict:
    services = app.state.container
    outcome = await run_job(services.jobs, OUTBOX_JOB, uow_factory=services.uow_factory,
                            locks=services.job_locks, clock=clock)
    assert outcome.outcome == "succeeded", outcome.error
    return dict(outcome.counts)


async def test_a_fresh_service_reports_an_empty_outbox_and_no_job_or_storage_yet(client):
    metrics = await scrape(client)
    assert metrics[("convention_database_metrics_up", ())] == 1
    assert metrics[("convention_outbox_backlog", ())] == 0
    assert metrics[("convention_outbox_dead", ())] == 0
    assert samples(metrics, "convention_job_last_success_timestamp_seconds") == {}
    assert samples(metrics, "convention_storage_level") == {}
    assert ("convention_storage_pool_level", ()) not in metrics


async def test_gauges_follow_snapshots_queued_mails_and_job_runs(
    app, client, clock, make_token, smtp_server
):
    plugin = make_token(profile="moodle-plugin", sub="moodle-plugin")
    clock.set(T0)
    await measure(client, clock, plugin, "ifms-rodez", T0, 36_900_000_000)  # 90 % of 41 GB
    await measure(client, clock, plugin, "ifms-auch", T0, 42 * GB)  # above its 41 GB
    await measure(client, clock, plugin, "ifms-albi", T0, 1 * GB)

    metrics = await scrape(client)
    assert samples(metrics, "convention_storage_level") == {
        (("school", "ifms-albi"),): 0, (("school", "ifms-auch"),): 2,
        (("school", "ifms-rodez"),): 1,
    }
    assert metrics[("convention_storage_pool_level", ())] == 0
    assert metrics[("convention_outbox_backlog", ())] == 2  # one mail per rise (to UT)

    await queue(app, clock, "metrics-1")
    assert (await scrape(client))[("convention_outbox_backlog", ())] == 2  # read < 1 min ago
    clock.advance(seconds=60)
    assert (await scrape(client))[("convention_outbox_backlog", ())] == 3

    # Oldest first: the first rise mail is refused for good, the second one later.
    smtp_server.refuse_rcpt.extend(["550 5.1.1 unknown", "451 4.3.0 Try later"])
    assert await dispatch(app, clock) == {"sent": 1, "retried": 1, "dead": 1, "lost": 0}
    await queue(app, clock, "metrics-2")

    clock.advance(seconds=60)
    metrics = await scrape(client)
    assert metrics[("convention_outbox_backlog", ())] == 2  # one retrying + one pending
    assert metrics[("convention_outbox_dead", ())] == 1
    assert samples(metrics, "convention_job_last_success_timestamp_seconds") == {
        (("job", OUTBOX_JOB),): datetime.fromisoformat(T0).timestamp() + 60
    }

    clock.set(T1)
    assert (await dispatch(app, clock))["sent"] == 2
    metrics = await scrape(client)
    assert metrics[("convention_outbox_backlog", ())] == 0
    assert metrics[("convention_outbox_dead", ())] == 1
    assert samples(metrics, "convention_job_last_success_timestamp_seconds") == {
        (("job", OUTBOX_JOB),): datetime.fromisoformat(T1).timestamp()
    }


async def test_last_successes_skip_failed_runs_and_unknown_jobs(app, clock):
    clock.set(T0)
    uow = app.state.container.uow_factory()
    async with uow:
        ok = await uow.job_runs.start("a", scheduled_for=clock.now(), now=clock.now())
        await uow.job_runs.finish(ok, now=clock.now(), outcome="succeeded", counts={},
                                  error=None)
        clock.set(T1)
        failed = await uow.job_runs.start("a", scheduled_for=clock.now(), now=clock.now())
        await uow.job_runs.finish(failed, now=clock.now(), outcome="failed", counts={},
                                  error="boom")
        await uow.job_runs.start("b", scheduled_for=clock.now(), now=clock.now())  # running
        await uow.commit()
    async with uow:
        assert await uow.job_runs.last_successes(["a"]) == {"a": datetime.fromisoformat(T0)}
        assert await uow.job_runs.last_successes(["a", "b", "never", "a"]) == {
            "a": datetime.fromisoformat(T0)
        }
        assert await uow.job_runs.last_successes([]) == {}


async def test_metrics_still_answer_when_the_database_does_not(client, monkeypatch):
    async def unreachable(*_args):
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr("app.bootstrap.operational_state", unreachable)
    await client.get("/healthz")
    metrics = await scrape(client)
    assert metrics[("convention_database_metrics_up", ())] == 0
    assert ("convention_outbox_backlog", ()) not in metrics
    assert metrics[("http_requests_total",
                    (("method", "GET"), ("route", "/healthz"), ("status", "200")))] == 1


async def test_scrapes_read_the_database_at_most_once_a_minute_of_the_clock(
    app, client, clock, monkeypatch
):
    reads = []
    original = bootstrap_module.operational_state

    async def counted(*args):
        reads.append(clock.now())
        return await original(*args)

    monkeypatch.setattr("app.bootstrap.operational_state", counted)
    await asyncio.gather(*(client.get("/metrics") for _ in range(20)))
    assert len(reads) == 1  # concurrent scrapes share one read
    for _ in range(5):
        clock.advance(seconds=11)
        await scrape(client)
    assert len(reads) == 1  # 55 s later: still the same read
    clock.advance(seconds=5)
    await scrape(client)
    assert len(reads) == 2  # a minute after the first read
    clock.advance(seconds=-3600)  # a clock set back: the last read is not trusted
    await scrape(client)
    assert len(reads) == 3


async def test_a_failed_read_is_not_retried_within_the_minute(client, clock, monkeypatch):
    calls = []

    async def unreachable(*_args):
        calls.append(1)
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr("app.bootstrap.operational_state", unreachable)
    for _ in range(10):
        assert (await scrape(client))[("convention_database_metrics_up", ())] == 0
    assert len(calls) == 1
    clock.advance(minutes=1)
    await scrape(client)
    assert len(calls) == 2




@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(method=st.one_of(st.sampled_from(["GET", "POST", "get", "PROPFIND", "BREW", "M" * 50]),
                        st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=20)),
       path=st.one_of(st.text(alphabet=string.ascii_letters + string.digits + "/-_.%",
                              max_size=60).map(lambda p: "/" + p),
                      st.sampled_from(["/api/v1/schools/x", "/api/v1/nothing",
                                       "/api/v1/accounts/abc1234d/locks"])))
def test_no_request_can_add_a_label_value_outside_the_closed_sets(app, method, path):
    """What RequestContext passes to `observe` (the matched route's template, else
    `unmatched`) for any method and path, and what `observe` makes of it."""
    app_routes = [r for r in app.router.routes if hasattr(r, "path")]
    metrics = Metrics()
    templates = {route.path for route in app_routes}
    status = 404
    matched = "unmatched"
    for route in app_routes:
        match, _ = route.matches({"type": "http", "path": path, "method": method,
                                  "root_path": "", "query_string": b"", "headers": []})
        if match is Match.FULL:
            matched = route.path
            break
    metrics.observe(method, matched, status, 0.01)
    for family in metrics.registry.collect():
        if family.name not in ("http_requests", "http_request_duration_seconds"):
            continue
        for sample in family.samples:
            assert sample.labels["method"] in HTTP_METHODS | {"other"}
            assert sample.labels["route"] in templates | {"unmatched"}


async def test_unknown_methods_and_paths_share_the_other_and_unmatched_series(client):
    for method in ("PROPFIND", "BREW", "get", "X" * 40):
        await client.request(method, "/api/v1/schools")
    for path in ("/a", "/b/c", "/api/v1/%00", "/api/v1/" + "z" * 300):
        await client.get(path)
    metrics = await scrape(client)
    methods = {dict(labels)["method"] for (name, labels) in metrics
               if name == "http_requests_total"}
    routes = {dict(labels)["route"] for (name, labels) in metrics
              if name == "http_requests_total"}
    assert methods <= {"GET", "other"} and "other" in methods
    assert routes <= {"/api/v1/schools", "unmatched"}


@pytest.mark.parametrize("settings_overrides", [{"metrics_token": "s3cret-scraper-token"}])
async def test_a_metrics_token_protects_the_scrape(client, settings_overrides):
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
    assert wrong.json()["code"] == "unauthorized"
    right = await client.get("/metrics",
                             headers={"Authorization": "Bearer s3cret-scraper-token"})
    assert right.status_code == 200 and "http_requests_total" in right.text
