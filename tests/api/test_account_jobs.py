"""Jobs of hosted accounts, run as of chosen instants: the June campaign opens on
1 June and closes on 1 July; the daily digest to UT's account team."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from app.bootstrap import build_jobs
from app.domain.auth import SCOPES
from app.domain.trainings import TrainingStatus
from app.services.jobs import run_job
from tests.api.hosted_helpers import file_request, fulfil, hosted
from tests.conftest import bearer


async def run(app, clock, name: str, at: str):
    services = app.state.container
    outcome = await run_job(
        services.jobs, name, uow_factory=services.uow_factory, locks=services.job_locks,
        clock=clock, at=datetime.fromisoformat(at),
    )
    assert outcome.outcome == "succeeded", outcome.error
    return dict(outcome.counts)


async def mails(app, template: str):
    uow = app.state.container.uow_factory()
    async with uow:
        return [m for m in await uow.outbox.list(status=None, after_id=None, limit=500)
                if m.template == template]


def test_the_account_jobs_are_registered(settings):
    names = build_jobs(settings).names()
    assert {"renewal-campaign-open", "renewal-campaign-close", "account-digest"} <= set(names)


async def test_the_campaign_opens_by_itself_on_the_first_of_june(app, client, clock, make_token):
    await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    assert await run(app, clock, "renewal-campaign-open", "2025-05-31T06:00:00+02:00") == {
        "opened": 0
    }
    assert await run(app, clock, "renewal-campaign-open", "2025-06-01T06:00:00+02:00") == {
        "opened": 1
    }
    assert await run(app, clock, "renewal-campaign-open", "2025-06-02T06:00:00+02:00") == {
        "opened": 0
    }
    clock.set("2025-06-02T09:00:00+02:00")
    campaign = await client.get("/api/v1/renewal-campaigns/2025-2026",
                                headers=bearer(make_token(*SCOPES)))
    assert campaign.json()["status"] == "open"
    assert campaign.json()["opened_at"] == "2025-06-01T04:00:00Z"
    assert len(await mails(app, "renewal-campaign")) == 1


async def test_the_campaign_closes_by_itself_the_day_after_its_last_deadline(
    app, client, clock, make_token
):
    referent = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    await run(app, clock, "renewal-campaign-open", "2025-06-01T06:00:00+02:00")
    clock.set("2025-06-10T10:00:00+02:00")
    admin = bearer(make_token(*SCOPES))
    url = "/api/v1/renewal-campaigns/2025-2026/schools/ifms-rodez"
    etag = (await client.get(url, headers=admin)).headers["etag"]
    answer = await client.put(
        f"{url}/decisions", headers=admin | {"If-Match": etag},
        json={"decisions": [{"uid": referent, "kind": "referent", "decision": "renew"}]},
    )
    assert answer.status_code == 200, answer.text

    assert await run(app, clock, "renewal-campaign-close", "2025-06-30T23:00:00+02:00") == {
        "closed": 0
    }
    assert await run(app, clock, "renewal-campaign-close", "2025-07-01T06:00:00+02:00") == {
        "closed": 1
    }
    uow = app.state.container.uow_factory()
    async with uow:
        [role] = await uow.accounts.roles(referent)
        campaign = await uow.campaigns.get(2025)
    assert role.valid_until.isoformat() == "2026-08-31"
    assert campaign.status.value == "closed"
    assert await run(app, clock, "renewal-campaign-close", "2025-07-02T06:00:00+02:00") == {
        "closed": 0
    }


async def test_the_digest_lists_requests_due_soon_overdue_requests_and_overdue_trainings(
    app, clock, settings
):
    soon = await file_request(app, clock, at="2025-03-03T10:00:00+01:00", kind="trainer")
    late = await file_request(app, clock, at="2025-02-20T10:00:00+01:00", kind="trainer")
    later = await file_request(app, clock, at="2025-03-14T10:00:00+01:00", kind="trainer")
    done = await file_request(app, clock, at="2025-02-21T10:00:00+01:00", kind="trainer")
    await fulfil(app, clock, done, at="2025-02-24T10:00:00+01:00")
    untrained = await hosted(app, clock, at="2025-02-24T10:00:00+01:00", school="ifms-albi")
    trained = await hosted(app, clock, at="2025-02-24T11:00:00+01:00", school="ifms-albi")
    uow = app.state.container.uow_factory()
    async with uow:
        [training] = [t for t in await uow.trainings.without_proposal() if t.uid == trained]
        await uow.trainings.update(replace(training, status=TrainingStatus.PROPOSED,
                                           proposed_on=training.due_on,
                                           session_on=training.due_on))
        await uow.commit()

    counts = await run(app, clock, "account-digest", "2025-03-17T07:00:00+01:00")
    assert counts == {"due_soon": 1, "overdue_requests": 1, "overdue_trainings": 1,
                      "mailed": 1}
    [mail] = await mails(app, "account-digest")
    assert mail.recipients == (settings.ut_accounts_email,)
    text = mail.body_text
    due_part, rest = text.split("Demandes en retard", 1)
    late_part, training_part = rest.split("Formations de référents", 1)
    assert soon.ticket_ref in due_part and "18 mars 2025" in due_part
    assert late.ticket_ref in late_part and "7 mars 2025" in late_part
    assert untrained in training_part and trained not in text
    for absent in (later.ticket_ref, done.ticket_ref):
        assert f"ticket {absent} " not in text

    again = await run(app, clock, "account-digest", "2025-03-17T12:00:00+01:00")
    assert again["mailed"] == 0
    assert len(await mails(app, "account-digest")) == 1


async def test_no_digest_is_sent_when_nothing_is_due_or_late(app, clock):
    await hosted(app, clock, at="2025-03-03T10:00:00+01:00", kind="trainer")
    counts = await run(app, clock, "account-digest", "2025-03-04T07:00:00+01:00")
    assert counts == {"due_soon": 0, "overdue_requests": 0, "overdue_trainings": 0,
                      "mailed": 0}
    assert await mails(app, "account-digest") == []
