"""R-STO-4 reminders follow the convention's lifecycle: a pending termination
moves them to its prospective access end, and a reminder whose date has already passed
when the end moves is sent at once."""

from __future__ import annotations

from datetime import date

from app.services.storage import RETRIEVAL_JOB
from tests.api.storage_helpers import add_referent, queued, run
from tests.conftest import bearer

REFERENT = "referente.rodez@ifsi.example"


async def _rodez_reminders(app) -> list:
    return [m for m in await queued(app, "storage-retrieval") if REFERENT in m.recipients]


async def test_a_pending_termination_moves_the_reminders_to_its_access_end(
    app, client, clock, make_token
):
    await add_referent(app, "ifms-rodez", REFERENT, valid_until=date(2029, 8, 31))
    staff = bearer(make_token(profile="ut-admin"))
    clock.set("2027-05-10T12:00:00+02:00")
    notice = await client.post(
        "/api/v1/convention/termination-notices",
        json={"notifying_party": "region", "defaulting_party": "ut", "grounds": "art. 5",
              "letter_ref": "LRAR-9", "received_on": "2027-05-10"}, headers=staff)
    assert notice.status_code == 201
    assert notice.json()["effective_on"] == "2027-08-10"  # pending until then
    # Prospective access end 2027-08-31: 90 days before is 2 June 2027 (Paris).
    assert (await run(app, clock, RETRIEVAL_JOB, "2027-06-01T06:00:00Z"))["mailed"] == 0
    assert (await run(app, clock, RETRIEVAL_JOB, "2027-06-02T06:00:00Z"))["mailed"] == 20
    mails = await _rodez_reminders(app)
    assert len(mails) == 1 and "31 août 2027" in mails[0].subject


async def test_a_reminder_already_due_when_the_end_moves_is_sent_at_once(
    app, client, clock, make_token
):
    await add_referent(app, "ifms-rodez", REFERENT, valid_until=date(2029, 8, 31))
    staff = bearer(make_token(profile="ut-admin"))
    clock.set("2027-03-01T12:00:00+01:00")
    assert (await run(app, clock, RETRIEVAL_JOB, "2027-03-01T06:00:00Z"))["mailed"] == 0
    amended = await client.post(
        "/api/v1/convention/amendments",
        json={"reference": "AV-END", "signed_on": "2027-03-01", "effective_on": "2027-03-01",
              "changes": {"ends_on": "2027-04-30"}}, headers=staff)
    assert amended.status_code == 201
    # The 90-day date (30 January) has passed: the next run sends it at once, once.
    assert (await run(app, clock, RETRIEVAL_JOB, "2027-03-01T07:00:00Z"))["mailed"] == 20
    assert (await run(app, clock, RETRIEVAL_JOB, "2027-03-02T07:00:00Z"))["mailed"] == 0
    # 30 days before 30 April is 31 March.
    assert (await run(app, clock, RETRIEVAL_JOB, "2027-03-31T07:00:00Z"))["mailed"] == 20
    mails = await _rodez_reminders(app)
    assert len(mails) == 2
    assert "dans 60 jours" in mails[0].body_text and "dans 30 jours" in mails[1].body_text
