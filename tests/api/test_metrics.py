"""/metrics: the outbox backlog and dead messages, the last success of each job and the
storage level of each school, read from the database at scrape time (issue 11)."""

from __future__ import annotations

from datetime import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

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
    uow = app.state.uow_factory()
    async with uow:
        assert await queue_mail(uow, now=clock.now(), template="smtp-test",
                                to=["secretariat@ifsi.example"],
                                context={"requested_at": clock.now()}, dedupe_key=key)
        await uow.commit()


async def dispatch(app, clock) -> dict:
    outcome = await run_job(app.state.jobs, OUTBOX_JOB, uow_factory=app.state.uow_factory,
                            locks=app.state.job_locks, clock=clock)
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
    assert (await scrape(client))[("convention_outbox_backlog", ())] == 3

    # Oldest first: the first rise mail is refused for good, the second one later.
    smtp_server.refuse_rcpt.extend(["550 5.1.1 unknown", "451 4.3.0 Try later"])
    assert await dispatch(app, clock) == {"sent": 1, "retried": 1, "dead": 1, "lost": 0}
    await queue(app, clock, "metrics-2")

    metrics = await scrape(client)
    assert metrics[("convention_outbox_backlog", ())] == 2  # one retrying + one pending
    assert metrics[("convention_outbox_dead", ())] == 1
    assert samples(metrics, "convention_job_last_success_timestamp_seconds") == {
        (("job", OUTBOX_JOB),): datetime.fromisoformat(T0).timestamp()
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
    uow = app.state.uow_factory()
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

    monkeypatch.setattr("app.main.operational_state", unreachable)
    await client.get("/healthz")
    metrics = await scrape(client)
    assert metrics[("convention_database_metrics_up", ())] == 0
    assert ("convention_outbox_backlog", ()) not in metrics
    assert metrics[("http_requests_total",
                    (("method", "GET"), ("route", "/healthz"), ("status", "200")))] == 1
