"""R-REF-1b: closing a June campaign is never refused by R-REF-1; the stored decisions
are applied as they are (nothing renewed on or after a termination's effective date) and
the answer lists the schools left with no referent for the year."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.accounts import Role, RoleKind
from app.domain.auth import SCOPES
from app.domain.reference import SCHOOLS
from app.domain.renewals import schools_without_referent
from tests.api.hosted_helpers import hosted
from tests.api.storage_helpers import add_referent
from tests.conftest import bearer

BASE = "/api/v1/renewal-campaigns"
ALL_CODES = sorted(s.code for s in SCHOOLS)


@pytest.fixture
def admin(make_token) -> dict[str, str]:
    return bearer(make_token(*SCOPES, sub="ut-admin"))


def role(valid_from: str, valid_until: str) -> Role:
    return Role(kind=RoleKind.REFERENT, school_code="x",
                valid_from=date.fromisoformat(valid_from),
                valid_until=date.fromisoformat(valid_until))


def test_r_ref_1b_a_school_needs_one_role_on_some_day_of_the_year_capped_by_the_access_end():
    roles = {
        "ends-31-aug": [role("2024-09-01", "2025-08-31")],
        "first-day": [role("2025-06-10", "2025-09-01")],
        "last-day": [role("2026-08-31", "2027-08-31")],
        "none": [],
    }
    assert schools_without_referent(roles, 2025, date(2029, 8, 31)) == ["ends-31-aug", "none"]
    # Access ending 31 Aug 2025 (a termination): nobody is valid in 2025-2026.
    assert schools_without_referent(roles, 2025, date(2025, 8, 31)) == sorted(roles)


async def open_and_decide(client, clock, admin, entries, school="ifms-rodez"):
    clock.set("2025-06-02T09:00:00+02:00")
    opened = await client.post(BASE, json={"academic_year": "2025-2026"}, headers=admin)
    assert opened.status_code == 201, opened.text
    url = f"{BASE}/2025-2026/schools/{school}"
    etag = (await client.get(url, headers=admin)).headers["etag"]
    saved = await client.put(
        f"{url}/decisions", headers=admin | {"If-Match": etag},
        json={"decisions": [{"uid": u, "kind": "referent", "decision": d} for u, d in entries]})
    assert saved.status_code == 200, saved.text


async def close(client, clock, admin, at="2025-07-01T00:00:00+02:00"):
    clock.set(at)
    return await client.post(f"{BASE}/2025-2026/closing", headers=admin)


async def test_r_ref_1b_closing_is_not_refused_when_the_cap_is_exceeded_since_saving(
    app, client, clock, admin
):
    """Three renewals saved in June; a fourth referent for 2025-2026 recorded afterwards
    (outside the API's checks): closing applies the decisions anyway."""
    uids = [await hosted(app, clock, at=f"2025-03-1{i}T10:00:00+01:00") for i in range(3)]
    await open_and_decide(client, clock, admin, [(u, "renew") for u in uids])
    await add_referent(app, "ifms-rodez", "quatrieme@ifsi.example",
                       valid_from=date(2025, 6, 20), valid_until=date(2026, 8, 31))
    closed = await close(client, clock, admin)
    assert closed.status_code == 200, closed.text
    assert closed.json()["renew_decisions"] == 3
    assert "ifms-rodez" not in closed.json()["schools_without_referent"]
    uow = app.state.container.uow_factory()
    async with uow:
        untils = {r.valid_until for u in uids for r in await uow.accounts.roles(u)}
    assert untils == {date(2026, 8, 31)}


async def test_r_ref_1b_a_school_whose_referents_are_not_renewed_is_listed_after_closing(
    app, client, clock, admin
):
    kept = await hosted(app, clock, at="2025-03-10T10:00:00+01:00", school="ifms-albi")
    silent = await hosted(app, clock, at="2025-03-10T11:00:00+01:00")
    await open_and_decide(client, clock, admin, [(kept, "renew")], school="ifms-albi")
    closed = await close(client, clock, admin)
    assert closed.status_code == 200, closed.text
    listed = closed.json()["schools_without_referent"]
    assert "ifms-rodez" in listed and "ifms-albi" not in listed
    assert listed == [c for c in ALL_CODES if c != "ifms-albi"]
    assert silent  # Rodez's only referent ends on 31 Aug 2025: none in 2025-2026
    again = await close(client, clock, admin, at="2025-07-02T09:00:00+02:00")
    assert again.json() == closed.json()
    read = (await client.get(f"{BASE}/2025-2026", headers=admin)).json()
    assert read["schools_without_referent"] is None


async def test_r_ref_1b_nothing_is_renewed_at_a_closing_after_the_effective_date(
    app, client, clock, admin
):
    """Notice received 2025-03-20, effective 2025-06-20, access end 2025-08-31: the
    renewal saved on 2 June is not applied at the closing of 1 July, every school is
    listed (2025-2026 starts after the access end)."""
    referent = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    clock.set("2025-03-20T10:00:00+01:00")
    notice = await client.post("/api/v1/convention/termination-notices", headers=admin, json={
        "notifying_party": "region", "defaulting_party": "ut", "grounds": "art. 9",
        "letter_ref": "LR-1", "received_on": "2025-03-20"})
    assert notice.status_code == 201, notice.text
    await open_and_decide(client, clock, admin, [(referent, "renew")])
    closed = await close(client, clock, admin)
    assert closed.status_code == 200, closed.text
    assert closed.json()["schools_without_referent"] == ALL_CODES
    uow = app.state.container.uow_factory()
    async with uow:
        [kept] = await uow.accounts.roles(referent)
    assert kept.valid_until == date(2025, 8, 31)
