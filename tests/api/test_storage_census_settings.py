"""Through the API, the storage and census settings change what the service does:
WARNING_RATIO_PERCENT, CRITICAL_REMINDER_DAYS (R-STO-2), RETRIEVAL_REMINDER_DAYS (R-STO-4)
and CENSUS_ON_MAIN_CLOSE (R-BIL-1). Each class sets its setting with `settings_overrides`."""

from __future__ import annotations

import itertools

import pytest

from app.domain.auth import SCOPES
from app.services.storage import REMINDERS_JOB, RETRIEVAL_JOB
from tests.api.storage_helpers import GB, alerts, measure, queued, run
from tests.conftest import bearer

_numbers = itertools.count(70_000_000)


@pytest.fixture
def plugin(make_token) -> str:
    return make_token(profile="moodle-plugin", sub="moodle-plugin")


@pytest.fixture
def admin(make_token) -> str:
    return make_token(*SCOPES, sub="ut-admin")


async def level(client, admin: str, code: str = "ifms-rodez") -> str:
    response = await client.get("/api/v1/storage/usage", headers=bearer(admin))
    assert response.status_code == 200, response.text
    return next(s["level"] for s in response.json()["schools"] if s["school_code"] == code)


class TestAWarningPercentOf80:
    @pytest.fixture
    def settings_overrides(self):
        return {"warning_ratio_percent": 80}

    async def test_warning_is_raised_at_80_percent_and_the_mail_says_so(
        self, app, client, clock, plugin, admin
    ):
        steps = [(32_799_999_999, "ok"), (32_800_000_000, "warning"),
                 (31_800_000_000, "warning"), (31_799_999_999, "ok")]
        for hour, (size, expected) in enumerate(steps):
            await measure(client, clock, plugin, "ifms-rodez",
                          f"2025-03-03T{8 + hour:02d}:00:00Z", size)
            assert await level(client, admin) == expected, size
        events = await alerts(client, admin)
        assert [(e["kind"], e["threshold_bytes"]) for e in events] == [
            ("raised", 32_800_000_000), ("cleared", 32_800_000_000)]
        [mail] = await queued(app, "storage-alert")
        assert "il a atteint 32,80 Go, soit 80 %" in mail.body_text


class TestRemindersEvery3Days:
    @pytest.fixture
    def settings_overrides(self):
        return {"critical_reminder_days": 3}

    async def test_two_reminders_follow_in_6_days_of_measured_time(
        self, app, client, clock, plugin, admin
    ):
        await measure(client, clock, plugin, "ifms-rodez", "2025-03-03T08:00:00Z", 42 * GB)
        await measure(client, clock, plugin, "ifms-rodez", "2025-03-09T09:00:00Z", 42 * GB)
        assert (await run(app, clock, REMINDERS_JOB, "2025-03-09T10:00:00Z"))["reminders"] == 2
        events = await alerts(client, admin)
        assert [(e["kind"], e["occurred_at"]) for e in events] == [
            ("raised", "2025-03-03T08:00:00Z"), ("reminder", "2025-03-06T08:00:00Z"),
            ("reminder", "2025-03-09T08:00:00Z")]
        raised = (await queued(app, "storage-alert"))[0]
        assert "tous les 3 jours" in raised.body_text


class TestRetrievalRemindersAt60And15Days:
    @pytest.fixture
    def settings_overrides(self):
        return {"retrieval_reminder_days": "60,15"}

    async def test_schools_are_reminded_60_and_15_days_before_the_access_end(self, app, clock):
        # Access end 31 Aug 2029: 2 June (the default 90 days) sends nothing; 2 July and
        # 16 August (Paris days) do.
        assert (await run(app, clock, RETRIEVAL_JOB, "2029-06-02T06:00:00Z"))["mailed"] == 0
        assert (await run(app, clock, RETRIEVAL_JOB, "2029-07-01T21:59:00Z"))["mailed"] == 0
        assert (await run(app, clock, RETRIEVAL_JOB, "2029-07-01T22:00:00Z"))["mailed"] == 20
        assert (await run(app, clock, RETRIEVAL_JOB, "2029-08-01T06:00:00Z"))["mailed"] == 0
        assert (await run(app, clock, RETRIEVAL_JOB, "2029-08-16T06:00:00Z"))["mailed"] == 20
        mails = await queued(app, "storage-retrieval")
        assert len(mails) == 40
        assert "dans 60 jours" in mails[0].body_text and "dans 15 jours" in mails[-1].body_text


# --- CENSUS_ON_MAIN_CLOSE (R-BIL-1) ---------------------------------------------------

CAMPAIGN = "/api/v1/enrolment-campaigns/2024-2025"
EXTENDED = {"main_opens_on": "2024-07-01", "main_closes_on": "2024-11-15",
            "s2_opens_on": "2025-01-01", "s2_closes_on": "2025-02-28"}


def student(enrolled_on: str) -> dict:
    return {"student_number": str(next(_numbers)), "school_code": "ifms-rodez",
            "academic_year": "2024-2025", "enrolled_on": enrolled_on, "given_name": "Léa",
            "family_name": "Dupont", "email": "lea.dupont@example.org"}


async def census_after_extending_the_campaign(client, clock, admin_headers, make_token):
    """The main campaign extended to 15 Nov 2024, students enrolled on 20 Oct and 5 Nov,
    a statement asked for on 10 Nov: (campaign, census, statement response)."""
    changed = await client.put(CAMPAIGN, json=EXTENDED,
                               headers=admin_headers | {"If-Match": '"0"'})
    assert changed.status_code == 200, changed.text
    office = bearer(make_token(profile="schooling-office", sub="scolarite"))
    enrolled = await client.post(
        "/api/v1/enrolments", json={"items": [student("2024-10-20"), student("2024-11-05")]},
        headers=office)
    assert enrolled.json()["created"] == 2, enrolled.text
    campaign = (await client.get(CAMPAIGN, headers=admin_headers)).json()
    census = (await client.get(f"{CAMPAIGN}/census", headers=admin_headers)).json()
    clock.set("2024-11-10T12:00:00Z")
    finance = bearer(make_token("billing:read", "billing:write", sub="ut-finance"))
    statement = await client.post("/api/v1/billing/statements",
                                  json={"academic_year": "2024-2025"}, headers=finance)
    return campaign, census, statement


class TestTheCensusOnTheCloseOfTheMainCampaign:
    async def test_an_extended_campaign_moves_the_census_to_15_november(
        self, client, clock, admin_headers, make_token
    ):
        campaign, census, statement = await census_after_extending_the_campaign(
            client, clock, admin_headers, make_token)
        assert campaign["census_on"] == census["census_on"] == "2024-11-15"
        assert census["total"] == 2
        assert statement.status_code == 409
        assert statement.json()["code"] == "census-not-reached"


class TestTheCensusOnAFixed31October:
    @pytest.fixture
    def settings_overrides(self):
        return {"census_on_main_close": False}

    async def test_the_census_stays_on_31_october_despite_a_campaign_closing_15_november(
        self, client, clock, admin_headers, make_token
    ):
        campaign, census, statement = await census_after_extending_the_campaign(
            client, clock, admin_headers, make_token)
        assert campaign["main_closes_on"] == "2024-11-15"
        assert campaign["census_on"] == census["census_on"] == "2024-10-31"
        assert census["total"] == 1  # the 5 November enrolment is after the census
        assert statement.status_code == 201, statement.text
        body = statement.json()
        assert (body["census_on"], body["total_students"]) == ("2024-10-31", 1)

    async def test_census_on_may_only_name_31_october(self, client, admin_headers):
        refused = await client.put(CAMPAIGN, json=EXTENDED | {"census_on": "2024-11-15"},
                                   headers=admin_headers | {"If-Match": '"0"'})
        assert refused.status_code == 422
        assert refused.json()["code"] == "census-read-only"
        accepted = await client.put(CAMPAIGN, json=EXTENDED | {"census_on": "2024-10-31"},
                                    headers=admin_headers | {"If-Match": '"0"'})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["census_on"] == "2024-10-31"
