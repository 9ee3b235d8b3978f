"""R-GDPR-1a through the retention job: rejected or cancelled account requests lose their
names and e-mail 12 calendar months (a setting) after the Paris date of their rejection
or cancellation, clamped to the month's end; what identifies the request is kept."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.domain.personal_data import closed_request_erasable_on, pseudonym, pseudonym_email
from app.services.jobs import run_job
from tests.api.accounts_helpers import file_request

GIVEN, FAMILY, EMAIL = "Zéphyrine", "Quillebœuf", "zephyrine.q@ifsi.example"


async def run_retention(app, clock, at: str) -> int:
    services = app.state.container
    outcome = await run_job(services.jobs, "retention", uow_factory=services.uow_factory,
                            locks=services.job_locks, clock=clock,
                            at=datetime.fromisoformat(at))
    assert outcome.outcome == "succeeded", outcome.error
    return outcome.counts["closed_account_requests_erased"]


async def closed(client, headers, clock, *, at: str, step: str, ticket: str) -> str:
    """A request received then rejected or cancelled at the Paris instant `at`; its id."""
    clock.set(at)
    filed = await file_request(client, headers, received_at=at, ticket=ticket,
                               given_name=GIVEN, family_name=FAMILY, email=EMAIL)
    assert filed.status_code == 201, filed.text
    body = {"reason": f"Doublon : {GIVEN} {FAMILY} a déjà un compte"}
    done = await client.post(f"/api/v1/account-requests/{filed.json()['id']}/{step}",
                             json=body, headers=headers)
    assert done.status_code == 200, done.text
    return filed.json()["id"]


async def read(client, headers, request_id: str) -> dict:
    return (await client.get(f"/api/v1/account-requests/{request_id}", headers=headers)).json()


@pytest.mark.parametrize(
    ("closed_on", "erased_on"),
    [
        (date(2027, 3, 15), date(2028, 3, 15)),
        (date(2024, 2, 29), date(2025, 2, 28)),
        (date(2026, 8, 31), date(2027, 8, 31)),
        (date(2027, 1, 31), date(2028, 1, 31)),
    ],
)
def test_r_gdpr_1a_the_day_a_closed_request_is_pseudonymised(closed_on, erased_on):
    assert closed_request_erasable_on(closed_on, 12) == erased_on
    assert closed_request_erasable_on(date(2027, 8, 31), 6) == date(2028, 2, 29)


async def test_r_gdpr_1a_a_request_cancelled_late_on_15_march_is_pseudonymised_on_15_march(
    app, client, clock, admin_headers
):
    """Cancelled 2027-03-15 23:30 Paris (22:30Z, the Paris date decides): names kept on
    2028-03-14, pseudonymised on 2028-03-15 whatever the hour; a request still received and
    one rejected a day later are untouched."""
    cancelled = await closed(client, admin_headers, clock, at="2027-03-15T23:30:00+01:00",
                             step="cancellation", ticket="T-GDPR-1")
    later = await closed(client, admin_headers, clock, at="2027-03-16T00:30:00+01:00",
                         step="rejection", ticket="T-GDPR-2")
    clock.set("2027-03-16T09:00:00+01:00")
    still_open = (await file_request(client, admin_headers, ticket="T-GDPR-3",
                                     received_at="2027-03-16T09:00:00+01:00",
                                     given_name=GIVEN, family_name=FAMILY,
                                     email=EMAIL)).json()["id"]

    clock.set("2028-03-16T12:00:00+01:00")
    assert await run_retention(app, clock, "2028-03-14T23:59:59+01:00") == 0
    assert (await read(client, admin_headers, cancelled))["email"] == EMAIL
    assert await run_retention(app, clock, "2028-03-15T00:00:00+01:00") == 1

    erased = await read(client, admin_headers, cancelled)
    name = pseudonym(f"account-request:{cancelled}")
    assert (erased["given_name"], erased["family_name"], erased["email"]) == (
        name, name, pseudonym_email(f"account-request:{cancelled}"))
    assert GIVEN not in erased["rejection_reason"] and FAMILY not in str(erased)
    assert (erased["ticket_ref"], erased["school_code"], erased["kind"],
            erased["status"]) == ("T-GDPR-1", "ifms-rodez", "referent", "cancelled")
    assert erased["received_at"] == "2027-03-15T22:30:00Z"
    assert (await read(client, admin_headers, later))["email"] == EMAIL
    assert (await read(client, admin_headers, still_open))["email"] == EMAIL

    assert await run_retention(app, clock, "2028-03-16T00:00:00+01:00") == 1  # the later
    assert await run_retention(app, clock, "2028-03-17T00:00:00+01:00") == 0  # done once
    assert (await read(client, admin_headers, still_open))["email"] == EMAIL


async def test_r_gdpr_1a_a_rejection_on_29_february_is_pseudonymised_on_28_february(
    app, client, clock, admin_headers
):
    rejected = await closed(client, admin_headers, clock, at="2028-02-29T10:00:00+01:00",
                            step="rejection", ticket="T-GDPR-LEAP")
    clock.set("2029-03-01T12:00:00+01:00")
    assert await run_retention(app, clock, "2029-02-27T23:59:59+01:00") == 0
    assert await run_retention(app, clock, "2029-02-28T00:00:00+01:00") == 1
    assert (await read(client, admin_headers, rejected))["email"] != EMAIL


class TestSixMonths:
    @pytest.fixture
    def settings_overrides(self):
        return {"retention_closed_request_months": 6}

    async def test_r_gdpr_1a_the_setting_gives_the_months(self, app, client, clock,
                                                          admin_headers):
        """31 Aug 2027 + 6 months → 29 Feb 2028 (clamped, leap year)."""
        rejected = await closed(client, admin_headers, clock,
                                at="2027-08-31T10:00:00+02:00", step="rejection",
                                ticket="T-GDPR-6")
        clock.set("2028-03-01T12:00:00+01:00")
        assert await run_retention(app, clock, "2028-02-28T23:59:59+01:00") == 0
        assert await run_retention(app, clock, "2028-02-29T00:00:00+01:00") == 1
        assert (await read(client, admin_headers, rejected))["email"] != EMAIL
