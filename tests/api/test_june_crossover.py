"""R-REF-1a, the June crossover: a referent request received in the renewal season
targets next year; when this year's count is full and next year's is not, fulfilment
creates the role from 1 Sept of next year (pending until then), the cap checked for next
year only. Also the one answer of the R-REF-1 cap (`ensure_referent_count_allowed`)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.auth import SCOPES
from app.domain.errors import Conflict
from app.domain.referents import ensure_referent_count_allowed, referent_fulfilment_validity
from tests.api.hosted_helpers import file_request, fulfil, hosted
from tests.api.storage_helpers import add_referent
from tests.conftest import bearer

D = date.fromisoformat


@pytest.mark.parametrize(
    ("received", "fulfilled", "counts", "validity"),
    [
        # The rule's example: 2025-2026 full, 2026-2027 empty.
        ("2026-06-10", "2026-06-10", {2025: 3, 2026: 0}, ("2026-09-01", "2027-08-31")),
        # First day of the season, fulfilled on the last day of the year.
        ("2026-06-01", "2026-08-31", {2025: 3, 2026: 2}, ("2026-09-01", "2027-08-31")),
        # Leap year: the role still starts on 1 Sept.
        ("2028-06-01", "2028-06-15", {2027: 3, 2028: 1}, ("2028-09-01", "2029-08-31")),
        # This year not full: from the fulfilment date, as R-ACC-3 says.
        ("2026-06-10", "2026-06-12", {2025: 2, 2026: 0}, ("2026-06-12", "2027-08-31")),
    ],
)
def test_r_ref_1a_the_validity_of_a_referent_fulfilled_in_june(
    received, fulfilled, counts, validity
):
    got = referent_fulfilment_validity(D(received), D(fulfilled), counts)
    assert got == (D(validity[0]), D(validity[1]))


@pytest.mark.parametrize(
    ("received", "fulfilled", "counts"),
    [
        ("2026-06-10", "2026-06-10", {2025: 3, 2026: 3}),  # both years full
        # Received on 31 May: it targets 2025-2026, no crossover.
        ("2026-05-31", "2026-06-01", {2025: 3, 2026: 0}),
    ],
)
def test_r_ref_1a_no_crossover_means_the_cap_answers(received, fulfilled, counts):
    with pytest.raises(Conflict) as refused:
        referent_fulfilment_validity(D(received), D(fulfilled), counts)
    assert refused.value.code == "referent-cap-reached"


@pytest.mark.parametrize(("count", "code"), [(4, "referent-cap-reached"),
                                             (0, "referent-minimum")])
def test_r_ref_1_one_function_answers_the_cap_and_the_minimum(count, code):
    with pytest.raises(Conflict) as refused:
        ensure_referent_count_allowed(count)
    assert refused.value.code == code
    for allowed in (1, 3):
        ensure_referent_count_allowed(allowed)


@pytest.fixture
def admin(make_token) -> dict[str, str]:
    return bearer(make_token(*SCOPES, sub="ut-admin"))


async def status(client, admin, uid: str, at: str) -> str:
    response = await client.get(f"/api/v1/accounts/{uid}/access", params={"at": at},
                                headers=admin)
    return response.json()["status"]


async def test_r_ref_1a_a_school_whose_three_referents_leave_on_31_august_gets_next_years(
    app, client, clock, admin
):
    """Three referents valid until 2026-08-31; a fourth received 2026-06-10 is created at
    once, valid 2026-09-01 to 2027-08-31, `pending` until then; its training is due 15
    days after the reception as for any referent."""
    for day in (1, 2, 5):
        await hosted(app, clock, at=f"2025-10-0{day}T10:00:00+02:00")
    request = await file_request(app, clock, at="2026-06-10T10:00:00+02:00")
    done = await fulfil(app, clock, request, at="2026-06-10T15:00:00+02:00")
    assert done.uid is not None
    account = (await client.get(f"/api/v1/accounts/{done.uid}", headers=admin)).json()
    assert [(r["valid_from"], r["valid_until"]) for r in account["roles"]] == [
        ("2026-09-01", "2027-08-31")]
    assert await status(client, admin, done.uid, "2026-08-31T23:59:59+02:00") == "pending"
    assert await status(client, admin, done.uid, "2026-09-01T00:00:00+02:00") == "active"
    uow = app.state.container.uow_factory()
    async with uow:
        [training] = [t for t in await uow.trainings.without_proposal() if t.uid == done.uid]
    assert training.due_on == date(2026, 6, 25)


async def test_r_ref_1a_next_year_full_too_is_refused_at_fulfilment(app, client, clock, admin):
    """Three referents for 2025-2026; after the fourth is filed, three roles for
    2026-2027 are recorded outside the API's checks: its fulfilment would exceed both
    years."""
    for day in (1, 2, 5):
        await hosted(app, clock, at=f"2025-10-0{day}T10:00:00+02:00")
    fourth = await file_request(app, clock, at="2026-06-10T09:00:00+02:00")
    for n in range(3):
        await add_referent(app, "ifms-rodez", f"suivant{n}@ifsi.example",
                           valid_from=date(2026, 9, 1), valid_until=date(2027, 8, 31))
    with pytest.raises(Conflict) as refused:
        await fulfil(app, clock, fourth, at="2026-06-11T09:00:00+02:00")
    assert refused.value.code == "referent-cap-reached"
