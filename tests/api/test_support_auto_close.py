"""R-SUP-3: an answered support request with no message for 30 Paris calendar days is
closed automatically at 00:00 Paris of the 31st day after its last message's Paris date,
whatever time the job runs; closure `automatic`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.support import automatic_closure_at
from app.services.jobs import run_job
from app.services.support import SUPPORT_AUTO_CLOSE_JOB
from tests.api.test_support import close, get, post_request, respond
from tests.conftest import bearer


@pytest.fixture
def writer(make_token) -> dict[str, str]:
    return bearer(make_token("support:read", "support:write"))


async def auto_close(app, clock, at: str) -> int:
    services = app.state.container
    outcome = await run_job(services.jobs, SUPPORT_AUTO_CLOSE_JOB,
                            uow_factory=services.uow_factory, locks=services.job_locks,
                            clock=clock, at=datetime.fromisoformat(at))
    assert outcome.outcome == "succeeded", outcome.error
    return outcome.counts["closed"]


async def answered(client, clock, writer, *, received_at: str, responded_at: str) -> str:
    clock.set(responded_at)
    request_id = (await post_request(client, writer, received_at=received_at)).json()["id"]
    await respond(client, writer, request_id, responded_at)
    return request_id


@pytest.mark.parametrize(
    ("last_message", "closed_at"),
    [
        # The rule's example, across the spring DST change (closed at 00:00 CEST).
        ("2026-03-10T15:00:00+01:00", "2026-04-10T00:00:00+02:00"),
        # 23:30 Paris on 31 Jan of a leap year is 31 Jan in Paris (22:30Z).
        ("2028-01-31T23:30:00+01:00", "2028-03-02T00:00:00+01:00"),
        # 00:30 Paris on 1 Sept is 31 Aug 22:30Z: the Paris date decides.
        ("2026-09-01T00:30:00+02:00", "2026-10-02T00:00:00+02:00"),
        # Across the autumn change: 30 days of 24 h and one of 25 h.
        ("2026-10-01T09:00:00+02:00", "2026-11-01T00:00:00+01:00"),
    ],
)
def test_r_sup_3_the_automatic_closure_instant(last_message, closed_at):
    assert automatic_closure_at(datetime.fromisoformat(last_message)) == (
        datetime.fromisoformat(closed_at).astimezone(UTC))


async def test_r_sup_3_an_answered_request_closes_at_midnight_of_the_31st_day_whenever_the_job_runs(
    app, client, clock, writer
):
    request_id = await answered(client, clock, writer, received_at="2026-03-10T09:00:00+01:00",
                                responded_at="2026-03-10T15:00:00+01:00")
    opened = await answered(client, clock, writer, received_at="2026-03-10T10:00:00+01:00",
                            responded_at="2026-03-10T10:00:00+01:00")
    clock.set("2026-03-10T16:00:00+01:00")
    await close(client, writer, opened, "2026-03-10T16:00:00+01:00")
    unanswered = (await post_request(client, writer,
                                     received_at="2026-03-10T11:00:00+01:00")).json()["id"]

    clock.set("2026-05-20T12:00:00+02:00")
    assert await auto_close(app, clock, "2026-04-09T23:59:59+02:00") == 0
    assert (await get(client, writer, request_id))["status"] == "answered"
    # Run six weeks late: the closure is still dated 10 April 00:00 Paris.
    assert await auto_close(app, clock, "2026-05-20T09:00:00+02:00") == 1
    done = await get(client, writer, request_id)
    assert (done["status"], done["closed_at"], done["closure"]) == (
        "closed", "2026-04-09T22:00:00Z", "automatic")
    assert (done["sla_outcome"], done["last_message_at"]) == ("met", "2026-03-10T14:00:00Z")
    assert (await get(client, writer, opened))["closure"] == "manual"
    assert (await get(client, writer, unanswered))["status"] == "open"
    assert await auto_close(app, clock, "2026-05-21T09:00:00+02:00") == 0


async def test_r_sup_3_a_request_answered_at_2330_on_31_january_waits_until_2_march(
    app, client, clock, writer
):
    request_id = await answered(client, clock, writer, received_at="2028-01-31T22:00:00+01:00",
                                responded_at="2028-01-31T23:30:00+01:00")
    clock.set("2028-03-03T12:00:00+01:00")
    assert await auto_close(app, clock, "2028-03-01T23:59:59+01:00") == 0
    assert await auto_close(app, clock, "2028-03-02T00:00:00+01:00") == 1
    assert (await get(client, writer, request_id))["closed_at"] == "2028-03-01T23:00:00Z"
