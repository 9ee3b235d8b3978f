"""Amendments, termination and suspensions, end to end (R-CONV-2, R-CONV-3, R-CONV-4, R-CONV-5,
R-SUS-1, R-SUS-2, R-ACC-8)."""

from __future__ import annotations

import pytest

from tests.api.accounts_helpers import file_request, hosted_account
from tests.conftest import bearer


@pytest.fixture
def staff(make_token):
    return bearer(make_token(profile="ut-admin", sub="ut-convention-officer"))


async def _convention(client, headers, at):
    return (await client.get("/api/v1/convention", params={"at": at}, headers=headers)).json()


async def _amend(client, headers, reference="AV-1", **body):
    payload = {"reference": reference, "signed_on": "2025-01-10",
               "effective_on": "2025-02-01"} | body
    return await client.post("/api/v1/convention/amendments", json=payload, headers=headers)


async def _notice(client, headers, received_on, letter_ref="LRAR-1"):
    return await client.post(
        "/api/v1/convention/termination-notices",
        json={"notifying_party": "region", "defaulting_party": "ut",
              "grounds": "inexécution de l'article 5", "letter_ref": letter_ref,
              "received_on": received_on},
        headers=headers,
    )


# ---------------------------------------------------------------- amendments


async def test_an_amended_rate_applies_from_its_effective_date(client, staff, clock):
    response = await _amend(client, staff, "AV-RATE", signed_on="2025-02-01",
                            effective_on="2026-09-01",
                            changes={"rate_per_student_cents": 2300})
    assert response.status_code == 201, response.text
    before = await _convention(client, staff, "2026-08-31")
    after = await _convention(client, staff, "2026-09-01")
    assert before["terms"]["rate_per_student_cents"] == 2200
    assert after["terms"]["rate_per_student_cents"] == 2300
    assert after["terms"]["rate_per_student"] == "23.00"
    listed = await client.get("/api/v1/convention/amendments", headers=staff)
    assert [a["reference"] for a in listed.json()["items"]] == ["AV-RATE"]


async def test_an_extension_moves_the_end_and_keeps_the_convention_active(client, staff, clock):
    await _amend(client, staff, "AV-RENEW", changes={"ends_on": "2031-08-31"})
    assert (await _convention(client, staff, "2030-01-01"))["state"] == "active"
    assert (await _convention(client, staff, "2031-09-01"))["state"] == "ended"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"changes": {}}, 422),
        ({"changes": {"storage_capacity_bytes": 0}}, 422),
        ({"changes": {"rate_per_student_cents": -1}}, 422),
        ({"changes": {"ends_on": "2025-01-31"}}, 422),
        ({"changes": {"school_alert_threshold_bytes": 45_000_000_000}}, 201),
        ({"schools_added": "IFSI Cahors 2"}, 201),
    ],
)
async def test_amendments_are_validated(client, staff, body, status):
    response = await _amend(client, staff, "AV-V", **body)
    assert response.status_code == status, response.text


async def test_a_duplicate_amendment_reference_is_a_conflict(client, staff):
    await _amend(client, staff, "AV-D", changes={"rate_per_student_cents": 2300})
    again = await _amend(client, staff, "AV-D", changes={"rate_per_student_cents": 2400})
    assert again.status_code == 409 and again.json()["code"] == "amendment-exists"


async def test_a_new_school_must_cite_a_recorded_amendment(client, staff):
    school = {"code": "ifsi-cahors-2", "name": "IFSI Cahors 2", "amendment_reference": "AV-S"}
    unknown = await client.post("/api/v1/schools", json=school, headers=staff)
    assert unknown.status_code == 409 and unknown.json()["code"] == "unknown-amendment"
    await _amend(client, staff, "AV-S", schools_added="IFSI Cahors 2")
    created = await client.post("/api/v1/schools", json=school, headers=staff)
    assert created.status_code == 201


# ---------------------------------------------------------------- termination


@pytest.mark.parametrize(
    ("received_on", "effective_on", "access_end_on"),
    [
        ("2027-02-15", "2027-05-15", "2027-08-31"),
        ("2027-07-10", "2027-10-10", "2028-08-31"),
        ("2026-11-30", "2027-02-28", "2027-08-31"),
    ],
)
async def test_a_notice_takes_effect_three_months_after_reception(
    client, staff, clock, received_on, effective_on, access_end_on
):
    clock.set(f"{received_on}T12:00:00+01:00")
    response = await _notice(client, staff, received_on)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["effective_on"], body["access_end_on"], body["status"]) == (
        effective_on, access_end_on, "pending")
    assert (await _convention(client, staff, received_on))["state"] == "termination_pending"
    effective = await _convention(client, staff, effective_on)
    assert effective["state"] == "terminated"
    assert effective["access_end_on"] == access_end_on
    assert effective["accepts_new_accounts"] is False


async def test_a_termination_refuses_new_accounts_then_disables_everyone(client, staff, clock):
    done = await hosted_account(client, staff, clock, received_at="2026-06-02T09:00:00+02:00",
                                fulfilled_at="2026-06-10T09:00:00+02:00")
    uid = done["uid"]  # valid until 2027-08-31
    clock.set("2027-02-15T12:00:00+01:00")
    assert (await _notice(client, staff, "2027-02-15")).status_code == 201
    clock.set("2027-05-14T12:00:00+02:00")
    before = await file_request(client, staff, received_at="2027-05-14T09:00:00+02:00")
    assert before.status_code == 201
    clock.set("2027-05-15T12:00:00+02:00")
    refused = await file_request(client, staff, received_at="2027-05-15T09:00:00+02:00")
    assert refused.status_code == 409 and refused.json()["code"] == "convention-not-active"
    fulfil = await client.post(
        f"/api/v1/account-requests/{before.json()['id']}/fulfilment", json={}, headers=staff)
    assert fulfil.status_code == 409 and fulfil.json()["code"] == "convention-not-active"
    last_day = await client.get(f"/api/v1/accounts/{uid}/access",
                                params={"at": "2027-08-31T21:00:00Z"}, headers=staff)
    after = await client.get(f"/api/v1/accounts/{uid}/access",
                             params={"at": "2027-08-31T22:00:00Z"}, headers=staff)
    assert last_day.json()["status"] == "active"
    assert after.json()["status"] == "disabled" and after.json()["allowed"] is False


async def test_r_conv_4a_backdated_calls_after_the_effective_date_are_refused(
    client, staff, clock
):
    """R-CONV-4a: notice received 2026-11-30, effective 2027-02-28 (month end). A request
    received on 27 Feb and sent on 27 Feb is filed; sent on 28 Feb (the effective date,
    23:30 UTC on the 27th is already 00:30 in Paris) with the same backdated reception
    it is refused; a fulfilment made on 1 Mar but dated 27 Feb is refused too; an
    enrolment sent on 1 Mar dated in October 2026 (before the letter) is refused."""
    clock.set("2026-11-30T12:00:00+01:00")
    assert (await _notice(client, staff, "2026-11-30")).status_code == 201
    clock.set("2027-02-27T22:59:59+00:00")  # 23:59:59 Paris on the 27th
    filed = await file_request(client, staff, received_at="2027-02-27T09:00:00+01:00")
    assert filed.status_code == 201, filed.text
    clock.set("2027-02-27T23:30:00+00:00")  # 00:30 Paris on the 28th
    late = await file_request(client, staff, received_at="2027-02-27T09:00:00+01:00")
    assert late.status_code == 409 and late.json()["code"] == "convention-not-active"
    clock.set("2027-03-01T10:00:00+01:00")
    fulfil = await client.post(
        f"/api/v1/account-requests/{filed.json()['id']}/fulfilment",
        json={"fulfilled_at": "2027-02-27T10:00:00+01:00"}, headers=staff)
    assert fulfil.status_code == 409 and fulfil.json()["code"] == "convention-not-active"
    enrol = await client.post("/api/v1/enrolments", json={"items": [{
        "student_number": "S-4A", "school_code": "ifms-rodez", "academic_year": "2026-2027",
        "enrolled_on": "2026-10-30", "given_name": "Léa", "family_name": "Dupont",
        "email": "lea.dupont@example.org"}]}, headers=staff)
    assert enrol.status_code == 200, enrol.text
    assert [e["code"] for e in enrol.json()["results"][0]["errors"]] == [
        "convention-not-active"]


async def test_a_cured_notice_has_no_effect(client, staff, clock):
    clock.set("2027-03-01T12:00:00+01:00")
    notice = (await _notice(client, staff, "2027-02-15")).json()
    cured = await client.post(
        f"/api/v1/convention/termination-notices/{notice['id']}/cure",
        json={"cured_on": "2027-03-01"}, headers=staff)
    assert cured.status_code == 200 and cured.json()["status"] == "cured"
    again = await client.post(
        f"/api/v1/convention/termination-notices/{notice['id']}/cure",
        json={"cured_on": "2027-03-01"}, headers=staff)
    assert again.status_code == 200
    assert (await _convention(client, staff, "2027-06-01"))["state"] == "active"
    assert (await _convention(client, staff, "2027-06-01"))["access_end_on"] == "2029-08-31"
    second = await _notice(client, staff, "2027-03-01", letter_ref="LRAR-2")
    assert second.status_code == 201


async def test_a_cure_on_the_effective_date_is_too_late(client, staff, clock):
    clock.set("2027-05-15T12:00:00+02:00")
    notice = (await _notice(client, staff, "2027-02-15")).json()
    assert notice["status"] == "effective"
    late = await client.post(
        f"/api/v1/convention/termination-notices/{notice['id']}/cure",
        json={"cured_on": "2027-05-15"}, headers=staff)
    assert late.status_code == 409 and late.json()["code"] == "cure-too-late"


async def test_r_conv_3a_a_second_party_s_notice_is_recorded_while_another_is_pending(
    client, staff, clock
):
    """R-CONV-3a: several notices may be pending; the one with the earliest effective
    date governs; curing it lets the next one govern. (The first version refused the
    second notice with `termination-pending`.)"""
    clock.set("2027-03-01T12:00:00+01:00")
    first = (await _notice(client, staff, "2026-11-30")).json()  # effective 2027-02-28
    assert first["effective_on"] == "2027-02-28"
    cured = await client.post(
        f"/api/v1/convention/termination-notices/{first['id']}/cure",
        json={"cured_on": "2027-02-27"}, headers=staff)
    assert cured.status_code == 200
    clock.set("2027-03-02T12:00:00+01:00")
    by_ut = await client.post(
        "/api/v1/convention/termination-notices",
        json={"notifying_party": "ut", "defaulting_party": "region", "grounds": "art. 7",
              "letter_ref": "LRAR-UT", "received_on": "2027-02-28"}, headers=staff)
    assert by_ut.status_code == 201, by_ut.text  # effective 2027-05-28
    by_gcs = await client.post(
        "/api/v1/convention/termination-notices",
        json={"notifying_party": "gcs", "defaulting_party": "ut", "grounds": "art. 5",
              "letter_ref": "LRAR-GCS", "received_on": "2027-03-02"}, headers=staff)
    assert by_gcs.status_code == 201, by_gcs.text  # effective 2027-06-02
    assert by_gcs.json()["status"] == "pending"
    pending = await _convention(client, staff, "2027-03-02")
    assert pending["state"] == "termination_pending"
    # The UT notice governs (earliest effective date); cured, the GCS one governs.
    assert (await _convention(client, staff, "2027-05-28"))["state"] == "terminated"
    await client.post(
        f"/api/v1/convention/termination-notices/{by_ut.json()['id']}/cure",
        json={"cured_on": "2027-03-02"}, headers=staff)
    assert (await _convention(client, staff, "2027-05-28"))["state"] == "termination_pending"
    assert (await _convention(client, staff, "2027-06-02"))["state"] == "terminated"
    same = await client.post(
        "/api/v1/convention/termination-notices",
        json={"notifying_party": "gcs", "defaulting_party": "ut", "grounds": "art. 5",
              "letter_ref": "LRAR-GCS", "received_on": "2027-03-02"}, headers=staff)
    assert same.status_code == 200


async def test_r_conv_3a_a_notice_received_on_or_after_the_governing_effective_date_is_refused(
    client, staff, clock
):
    """R-CONV-3a: received 2026-11-30 → effective 2027-02-28; a notice received on
    2027-02-28 (or a backdated one after it) is refused with 409 `convention-not-active`
    and nothing is stored; one received the day before passes."""
    clock.set("2027-03-15T12:00:00+01:00")
    assert (await _notice(client, staff, "2026-11-30")).status_code == 201
    on_the_day = await _notice(client, staff, "2027-02-28", letter_ref="LRAR-2")
    assert on_the_day.status_code == 409, on_the_day.text
    assert on_the_day.json()["code"] == "convention-not-active"
    later = await _notice(client, staff, "2027-03-15", letter_ref="LRAR-3")
    assert later.status_code == 409
    day_before = await _notice(client, staff, "2027-02-27", letter_ref="LRAR-4")
    assert day_before.status_code == 201
    listed = await client.get("/api/v1/convention/termination-notices", headers=staff)
    assert sorted(n["letter_ref"] for n in listed.json()["items"]) == ["LRAR-1", "LRAR-4"]


async def test_r_conv_3a_a_notice_received_after_the_end_date_in_force_is_refused(
    client, staff, clock
):
    """R-CONV-3a: the end date in force is 2029-08-31; a notice received on
    2029-09-01 is refused; on 2029-08-31 it is recorded."""
    clock.set("2029-09-01T12:00:00+02:00")
    after = await _notice(client, staff, "2029-09-01", letter_ref="LRAR-LATE")
    assert after.status_code == 409 and after.json()["code"] == "convention-not-active"
    last_day = await _notice(client, staff, "2029-08-31", letter_ref="LRAR-LAST")
    assert last_day.status_code == 201, last_day.text


@pytest.mark.parametrize(
    ("notifying", "defaulting", "field"),
    [("ut", "ut", "defaulting_party"), ("ifms-rodez", "ut", "notifying_party"),
     ("region", "ifms-rodez", "defaulting_party"), ("UT", "region", "notifying_party")],
)
async def test_r_conv_3a_only_a_party_notifies_and_only_another_party(
    client, staff, clock, notifying, defaulting, field
):
    """R-CONV-3a: a school is a beneficiary, not a party; a party does not notify
    itself → 422 `invalid-notice`, nothing stored."""
    response = await client.post(
        "/api/v1/convention/termination-notices",
        json={"notifying_party": notifying, "defaulting_party": defaulting, "grounds": "x",
              "letter_ref": "L", "received_on": "2025-03-01"}, headers=staff)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid-notice"
    assert response.json()["errors"][0]["field"] == field
    listed = await client.get("/api/v1/convention/termination-notices", headers=staff)
    assert listed.json()["items"] == []


# ---------------------------------------------------------------- suspensions


@pytest.fixture
async def people(client, staff, clock):
    """A referent of Rodez, a trainer of Rodez who is also a trainer of Albi."""
    referent = await hosted_account(client, staff, clock, received_at="2025-03-03T09:00:00+01:00",
                                    fulfilled_at="2025-03-04T09:00:00+01:00")
    trainer = await hosted_account(client, staff, clock, kind="trainer",
                                   received_at="2025-03-03T09:00:00+01:00",
                                   fulfilled_at="2025-03-04T10:00:00+01:00")
    await hosted_account(client, staff, clock, kind="trainer", school="ifms-albi",
                         received_at="2025-03-03T09:00:00+01:00",
                         fulfilled_at="2025-03-04T11:00:00+01:00",
                         existing_uid=trainer["uid"])
    clock.set("2025-04-01T12:00:00+02:00")
    return {"referent": referent["uid"], "trainer": trainer["uid"]}


async def _suspend(client, headers, code="ifms-rodez", **body):
    payload = {"ground": "breach_of_obligations", "scope": "platform",
               "notified_at": "2025-04-01T10:00:00+02:00", "notice_ref": "UT-2025-17",
               "details": "manquement à l'article 6"} | body
    return await client.post(f"/api/v1/schools/{code}/suspensions", json=payload,
                             headers=headers)


async def _status(client, headers, uid, at="2025-04-01T12:00:00+02:00"):
    return (await client.get(f"/api/v1/accounts/{uid}/access", params={"at": at},
                             headers=headers)).json()


async def test_a_platform_suspension_blocks_those_whose_roles_are_all_covered(
    client, staff, people
):
    response = await _suspend(client, staff)
    assert response.status_code == 201, response.text
    referent = await _status(client, staff, people["referent"])
    assert referent["status"] == "suspended" and referent["allowed"] is False
    assert referent["reason"]["code"] == "platform-suspension"
    trainer = await _status(client, staff, people["trainer"])
    assert trainer["status"] == "active"  # still a trainer of Albi
    before = await _status(client, staff, people["referent"], at="2025-04-01T07:59:00Z")
    assert before["status"] == "active"
    school = await client.get("/api/v1/schools/ifms-rodez", headers=staff)
    assert school.json()["status"] == "suspended"
    outbox = await client.get("/api/v1/outbox-messages", headers=staff)
    assert "suspension-notice" in [m["template"] for m in outbox.json()["items"]]


async def test_a_suspension_restricted_to_trainers_covers_only_them(client, staff, people):
    await _suspend(client, staff, kinds=["trainer"])
    assert (await _status(client, staff, people["referent"]))["status"] == "active"
    school = await client.get("/api/v1/schools/ifms-rodez", headers=staff)
    assert school.json()["status"] == "active"


async def test_a_suspension_of_named_accounts(client, staff, people):
    await _suspend(client, staff, account_uids=[people["referent"]])
    assert (await _status(client, staff, people["referent"]))["status"] == "suspended"


async def test_a_mass_mailing_suspension_stops_trainer_messaging_only(client, staff, people):
    response = await _suspend(client, staff, ground="mass_mailing", scope="messaging",
                              notified_at=None, notice_ref=None)
    assert response.status_code == 201, response.text
    assert response.json()["kinds"] == ["trainer"]
    trainer = await _status(client, staff, people["trainer"])
    assert trainer["allowed"] is True and trainer["messaging_allowed"] is False
    # R-ACC-8a: the answer names the messaging suspension that closes messaging.
    assert trainer["messaging_suspension_id"] == response.json()["id"]
    referent = await _status(client, staff, people["referent"])
    assert referent["messaging_allowed"] is True
    assert referent["messaging_suspension_id"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"ground": "mass_mailing", "scope": "platform"},
        {"ground": "mass_mailing", "scope": "messaging", "kinds": ["referent"]},
        {"ground": "fraudulent_use", "scope": "platform", "notified_at": None},
    ],
)
async def test_invalid_suspensions_are_refused(client, staff, people, body):
    response = await _suspend(client, staff, **body)
    assert response.status_code == 422


async def test_r_sus_2a_an_art_6_2_suspension_starting_before_its_notification_is_refused(
    client, staff, people
):
    """R-SUS-2a: starts_at earlier than notified_at → 422 `out-of-order`, nothing stored;
    without starts_at the suspension starts at notified_at; a mass-mailing suspension may
    start before the school is informed."""
    early = await _suspend(client, staff, starts_at="2025-04-01T09:59:59+02:00")
    assert early.status_code == 422, early.text
    assert early.json()["code"] == "out-of-order"
    assert early.json()["errors"][0]["field"] == "starts_at"
    assert (await client.get("/api/v1/suspensions", headers=staff)).json()["items"] == []
    default = await _suspend(client, staff)
    assert default.status_code == 201
    assert default.json()["starts_at"] == "2025-04-01T08:00:00Z"
    mailing = await _suspend(client, staff, ground="mass_mailing", scope="messaging",
                             starts_at="2025-04-01T09:00:00+02:00",
                             notified_at="2025-04-01T11:00:00+02:00")
    assert mailing.status_code == 201, mailing.text
    assert mailing.json()["starts_at"] == "2025-04-01T07:00:00Z"


async def test_mass_mailing_named_accounts_must_be_trainers_of_the_school(client, staff, people):
    response = await _suspend(client, staff, ground="mass_mailing", scope="messaging",
                              account_uids=[people["referent"]])
    assert response.status_code == 422


async def test_restoration_then_lifting_restores_access_from_the_lifting(
    client, staff, make_token, clock, people
):
    suspension = (await _suspend(client, staff)).json()
    url = f"/api/v1/suspensions/{suspension['id']}"
    other = bearer(make_token(profile="school-referent", schools=["ifms-albi"]))
    own = bearer(make_token(profile="school-referent", schools=["ifms-rodez"]))
    body = {"corrective_actions": "mots de passe changés"}
    assert (await client.post(f"{url}/restoration-request", json=body,
                              headers=other)).status_code == 404
    asked = await client.post(f"{url}/restoration-request", json=body, headers=own)
    assert asked.status_code == 200 and asked.json()["status"] == "restoration_requested"
    assert (await client.post(f"{url}/lifting", json={
        "notified_at": "2025-04-01T11:00:00+02:00", "notice_ref": "UT-L"}, headers=own)
            ).status_code == 403
    clock.set("2025-04-05T12:00:00+02:00")
    lifted = await client.post(f"{url}/lifting", json={
        "notified_at": "2025-04-05T09:00:00+02:00", "notice_ref": "UT-2025-17-L"},
        headers=staff)
    assert lifted.status_code == 200 and lifted.json()["status"] == "lifted"
    again = await client.post(f"{url}/lifting", json={
        "notified_at": "2025-04-05T09:00:00+02:00", "notice_ref": "UT-2025-17-L"},
        headers=staff)
    assert again.status_code == 200
    other_lift = await client.post(f"{url}/lifting", json={
        "notified_at": "2025-04-05T10:00:00+02:00", "notice_ref": "X"}, headers=staff)
    assert other_lift.status_code == 409 and other_lift.json()["code"] == "invalid-transition"
    assert (await client.post(f"{url}/restoration-request", json=body, headers=own)
            ).status_code == 409
    during = await _status(client, staff, people["referent"], at="2025-04-05T06:59:59Z")
    after = await _status(client, staff, people["referent"], at="2025-04-05T07:00:00Z")
    assert (during["status"], after["status"]) == ("suspended", "active")
    assert (await client.get(url, headers=own)).status_code == 200
    assert (await client.get(url, headers=other)).status_code == 404
    audit = await client.get("/api/v1/audit-events",
                             params={"resource_type": "suspension",
                                     "resource_id": suspension["id"]}, headers=staff)
    actions = [e["action"] for e in audit.json()["items"]]
    assert actions == ["suspension.lifted", "suspension.restoration-requested",
                       "suspension.created"]


async def test_r_sus_2b_a_written_refusal_sends_the_suspension_back_to_active(
    client, staff, make_token, clock, people
):
    """R-SUS-2b: UT refuses a restoration request in writing (date, reference): the
    suspension is `active` again and still suspends; the refusal is audited; the same
    refusal again → 200; without a pending request → 409; the school may ask again and
    UT may then lift."""
    suspension = (await _suspend(client, staff)).json()
    url = f"/api/v1/suspensions/{suspension['id']}"
    own = bearer(make_token(profile="school-referent", schools=["ifms-rodez"]))
    refusal = {"notified_at": "2025-04-01T11:30:00+02:00", "notice_ref": "UT-R-1"}
    early = await client.post(f"{url}/restoration-refusal", json=refusal, headers=staff)
    assert early.status_code == 409 and early.json()["code"] == "invalid-transition"
    asked = await client.post(f"{url}/restoration-request", headers=own, json={
        "requested_at": "2025-04-01T11:00:00+02:00", "corrective_actions": "fait"})
    assert asked.status_code == 200
    assert (await client.post(f"{url}/restoration-refusal", json=refusal, headers=own)
            ).status_code == 403
    before = await client.post(f"{url}/restoration-refusal", headers=staff, json={
        "notified_at": "2025-04-01T10:59:59+02:00", "notice_ref": "UT-R-0"})
    assert before.status_code == 422 and before.json()["code"] == "out-of-order"
    refused = await client.post(f"{url}/restoration-refusal", json=refusal, headers=staff)
    assert refused.status_code == 200, refused.text
    body = refused.json()
    assert (body["status"], body["restoration_refused_at"], body["restoration_refusal_ref"]
            ) == ("active", "2025-04-01T09:30:00Z", "UT-R-1")
    again = await client.post(f"{url}/restoration-refusal", json=refusal, headers=staff)
    assert again.status_code == 200 and again.json() == body
    other = await client.post(f"{url}/restoration-refusal", headers=staff, json={
        "notified_at": "2025-04-01T11:45:00+02:00", "notice_ref": "UT-R-2"})
    assert other.status_code == 409
    assert (await _status(client, staff, people["referent"]))["status"] == "suspended"
    audit = await client.get("/api/v1/audit-events", headers=staff, params={
        "resource_type": "suspension", "resource_id": suspension["id"]})
    assert audit.json()["items"][0]["action"] == "suspension.restoration-refused"
    clock.set("2025-04-02T12:00:00+02:00")
    asked_again = await client.post(f"{url}/restoration-request", headers=own, json={
        "requested_at": "2025-04-02T09:00:00+02:00", "corrective_actions": "refait"})
    assert asked_again.status_code == 200
    assert asked_again.json()["status"] == "restoration_requested"


async def test_suspensions_are_listed_per_school_for_referents(client, staff, make_token, people):
    await _suspend(client, staff)
    await _suspend(client, staff, code="ifms-albi", notice_ref="UT-2025-18")
    own = bearer(make_token(profile="school-referent", schools=["ifms-rodez"]))
    listed = await client.get("/api/v1/suspensions", headers=own)
    assert [s["school_code"] for s in listed.json()["items"]] == ["ifms-rodez"]
    everything = await client.get("/api/v1/suspensions", headers=staff)
    assert len(everything.json()["items"]) == 2
