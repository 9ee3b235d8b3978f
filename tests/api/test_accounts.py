"""Accounts, locks and the access check (R-ACC-8, R-CONV-5)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.domain.access import evaluate_access
from app.domain.accounts import Role, RoleKind
from app.domain.convention import Amendment, ConventionClock, TermChanges
from tests.api.accounts_helpers import hosted_account
from tests.conftest import bearer


@pytest.fixture
def staff(make_token):
    return bearer(make_token(profile="ut-admin", sub="ut-staff"))


@pytest.fixture
async def referent_uid(client, staff, clock):
    done = await hosted_account(
        client, staff, clock, received_at="2025-03-03T09:00:00+01:00",
        fulfilled_at="2025-03-10T10:00:00+01:00",
    )
    return done["uid"]


async def _access(client, headers, uid, at):
    return (await client.get(f"/api/v1/accounts/{uid}/access", params={"at": at},
                             headers=headers)).json()


async def test_a_lock_is_an_interval_and_the_status_is_known_at_any_instant(
    client, staff, clock, referent_uid
):
    url = f"/api/v1/accounts/{referent_uid}"
    clock.set("2025-04-01T12:00:00+02:00")
    locked = await client.post(f"{url}/lock", json={"reason": "usage frauduleux",
                                                    "locked_at": "2025-04-01T10:00:00+02:00"},
                               headers=staff)
    assert locked.status_code == 200, locked.text
    assert locked.json()["status"] == "suspended" and locked.json()["locked"] is True
    again = await client.post(f"{url}/lock", json={"reason": "usage frauduleux",
                                                   "locked_at": "2025-04-01T10:00:00+02:00"},
                              headers=staff)
    assert again.status_code == 200
    clock.set("2025-04-03T12:00:00+02:00")
    unlocked = await client.post(f"{url}/unlock",
                                 json={"unlocked_at": "2025-04-03T09:00:00+02:00"}, headers=staff)
    assert unlocked.status_code == 200 and unlocked.json()["status"] == "active"
    before = await _access(client, staff, referent_uid, "2025-04-01T07:59:59Z")
    inside = await _access(client, staff, referent_uid, "2025-04-02T12:00:00Z")
    after = await _access(client, staff, referent_uid, "2025-04-03T07:00:00Z")
    assert (before["status"], inside["status"], after["status"]) == (
        "active", "suspended", "active")
    assert inside["allowed"] is False and inside["reason"]["code"] == "account-locked"
    assert not (await client.post(f"{url}/unlock", json={}, headers=staff)).is_error


async def test_r_acc_8a_a_locked_account_whose_role_has_ended_reads_expired_not_suspended(
    client, staff, clock, referent_uid
):
    """R-ACC-8a: the referent created in March 2025 is valid until 31 Aug 2025. Locked
    from 1 Aug, it reads `suspended` until 31 Aug 23:59:59 Paris and `expired` from
    1 Sept; `locked` and `locked_since` are answered in both cases, by the account and
    by the access check (fast path and route alike)."""
    clock.set("2025-08-01T12:00:00+02:00")
    locked = await client.post(
        f"/api/v1/accounts/{referent_uid}/lock",
        json={"reason": "usage frauduleux", "locked_at": "2025-08-01T10:00:00+02:00"},
        headers=staff,
    )
    assert locked.status_code == 200, locked.text
    assert (locked.json()["status"], locked.json()["locked"]) == ("suspended", True)
    assert locked.json()["locked_since"] == "2025-08-01T08:00:00Z"
    last = await _access(client, staff, referent_uid, "2025-08-31T23:59:59+02:00")
    after = await _access(client, staff, referent_uid, "2025-09-01T00:00:00+02:00")
    assert (last["status"], last["reason"]["code"]) == ("suspended", "account-locked")
    assert (after["status"], after["reason"]["code"]) == ("expired", "no-valid-role")
    assert (after["locked"], after["locked_since"]) == (True, "2025-08-01T08:00:00Z")
    clock.set("2025-09-01T00:00:00+02:00")
    account = (await client.get(f"/api/v1/accounts/{referent_uid}", headers=staff)).json()
    assert (account["status"], account["locked"], account["locked_since"]) == (
        "expired", True, "2025-08-01T08:00:00Z")
    listed = (await client.get("/api/v1/accounts", params={"status": "expired"},
                               headers=staff)).json()["items"]
    assert referent_uid in [a["uid"] for a in listed]
    plain = await client.get(f"/api/v1/accounts/{referent_uid}/access", headers=staff)
    assert (plain.json()["status"], plain.json()["locked"]) == ("expired", True)


async def test_unlocking_an_account_never_locked_is_a_conflict(client, staff, referent_uid):
    response = await client.post(f"/api/v1/accounts/{referent_uid}/unlock", json={},
                                 headers=staff)
    assert response.status_code == 409


async def test_the_moodle_plugin_checks_access_without_personal_data(
    client, make_token, referent_uid
):
    plugin = bearer(make_token(profile="moodle-plugin"))
    response = await client.get(f"/api/v1/accounts/{referent_uid}/access", headers=plugin)
    assert response.status_code == 200
    # R-ACC-8a adds the lock and the messaging suspension (no personal data either).
    assert set(response.json()) == {"uid", "at", "allowed", "status", "reason",
                                    "access_until", "messaging_allowed",
                                    "messaging_suspension_id", "locked", "locked_since"}
    assert (await client.get(f"/api/v1/accounts/{referent_uid}", headers=plugin)
            ).status_code == 403


async def test_an_unknown_uid_is_a_404(client, staff):
    assert (await client.get("/api/v1/accounts/abc1234d/access", headers=staff)
            ).status_code == 404


@pytest.mark.parametrize("uid", ["ABC1234D", "abc1234", "abc12345d", "abc1234%20", "abc-234d"])
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("GET", "/access", None),
        ("POST", "/lock", {"reason": "usage frauduleux"}),
        ("POST", "/unlock", {}),
        ("GET", "/personal-data", None),
        ("POST", "/erasure", {"reason": "demande de la personne"}),
    ],
)
async def test_r_acc_1_a_malformed_uid_in_a_path_is_a_422_not_a_404(
    client, staff, method, suffix, body, uid
):
    """R-ACC-1: anything but ^[a-z]{3}[0-9]{4}[a-z]$ is refused with 422, wherever the
    uid is written (a path too), and the uid is not echoed back."""
    response = await client.request(method, f"/api/v1/accounts/{uid}{suffix}", json=body,
                                     headers=staff)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation-error"
    assert [e["field"] for e in problem["errors"]] == ["path.uid"]
    assert uid not in response.text.replace(f"/api/v1/accounts/{uid}", "")


def test_r_acc_1_the_uid_pattern_is_written_once_in_the_domain() -> None:
    """R-ACC-1: the schemas and the OpenAPI take the domain's pattern."""
    from app.domain.accounts import UID_REGEX
    from app.main import create_app

    spec = create_app().openapi()
    parameters = spec["paths"]["/api/v1/accounts/{uid}"]["get"]["parameters"]
    (uid_parameter,) = [p for p in parameters if p["name"] == "uid"]
    assert uid_parameter["schema"]["pattern"] == UID_REGEX
    item = spec["components"]["schemas"]["SuspensionIn"]["properties"]["account_uids"]
    assert UID_REGEX in str(item)


async def test_a_naive_at_is_refused(client, staff, referent_uid):
    response = await client.get(f"/api/v1/accounts/{referent_uid}/access",
                                params={"at": "2025-04-01T10:00:00"}, headers=staff)
    assert response.status_code == 422


async def test_a_referent_of_another_school_gets_404(client, make_token, referent_uid):
    other = bearer(make_token(profile="school-referent", schools=["ifms-albi"]))
    own = bearer(make_token(profile="school-referent", schools=["ifms-rodez"]))
    assert (await client.get(f"/api/v1/accounts/{referent_uid}", headers=other)
            ).status_code == 404
    assert (await client.get(f"/api/v1/accounts/{referent_uid}/access", headers=other)
            ).status_code == 404
    assert (await client.get(f"/api/v1/accounts/{referent_uid}", headers=own)
            ).status_code == 200


async def test_accounts_are_listed_by_school_kind_and_status(client, staff, clock, referent_uid):
    await hosted_account(client, staff, clock, school="ifms-albi", kind="trainer",
                         received_at="2025-03-03T09:00:00+01:00",
                         fulfilled_at="2025-03-11T10:00:00+01:00")
    by_school = await client.get("/api/v1/accounts", params={"school_code": "ifms-rodez"},
                                 headers=staff)
    assert [a["uid"] for a in by_school.json()["items"]] == [referent_uid]
    trainers = await client.get("/api/v1/accounts", params={"kind": "trainer"}, headers=staff)
    assert len(trainers.json()["items"]) == 1
    clock.set("2025-09-02T10:00:00+02:00")
    expired = await client.get("/api/v1/accounts", params={"status": "expired"}, headers=staff)
    assert len(expired.json()["items"]) == 2


def test_moving_the_convention_end_moves_validity_without_rewriting_roles():
    role = Role(RoleKind.REFERENT, "ifms-rodez", date(2029, 6, 10), date(2030, 8, 31))
    at = datetime.fromisoformat("2030-01-15T10:00:00+01:00")
    initial = ConventionClock()
    extended = ConventionClock(amendments=[Amendment(
        "AV-2029-01", date(2029, 5, 1), date(2029, 6, 1),
        TermChanges(ends_on=date(2031, 8, 31)))])
    before = evaluate_access(uid="abc1234d", roles=[role], at=at,
                             access_end_on=initial.access_end_on(date(2030, 1, 15)))
    after = evaluate_access(uid="abc1234d", roles=[role], at=at,
                            access_end_on=extended.access_end_on(date(2030, 1, 15)))
    assert before.status.value == "disabled" and before.access_until is None
    assert after.status.value == "active" and after.access_until == date(2030, 8, 31)
    in_2029 = evaluate_access(uid="abc1234d", roles=[role],
                              at=datetime.fromisoformat("2029-07-01T10:00:00+02:00"),
                              access_end_on=initial.access_end_on(date(2029, 7, 1)))
    assert in_2029.access_until == date(2029, 8, 31)
