"""The convention record (R-CONV-6): the deliberation, each party's signature date and
obligations contact, shown by GET /api/v1/convention and changed by UT, audited."""

from __future__ import annotations

import pytest

from tests.conftest import bearer

SIGNATURES = "/api/v1/convention/signatures"
CONTACTS = "/api/v1/convention/obligations-contacts"


@pytest.fixture
def staff(make_token):
    return bearer(make_token(profile="ut-admin", sub="ut-convention-officer"))


async def _parties(client, headers):
    answer = await client.get("/api/v1/convention", headers=headers)
    assert answer.status_code == 200, answer.text
    return {p["code"]: p for p in answer.json()["parties"]}


async def test_the_record_shows_the_deliberation_and_uts_signature(client, staff):
    convention = (await client.get("/api/v1/convention", headers=staff)).json()
    assert convention["deliberation"] == {
        "reference": "2025/03/CFVU – 40", "held_on": "2025-03-11", "members": 41,
        "present_or_represented": 20, "votes_for": 20, "votes_against": 0, "abstentions": 0}
    parties = {p["code"]: (p["signed_on"], p["obligations_contact"])
               for p in convention["parties"]}
    assert parties == {"ut": ("2025-03-31", None), "region": (None, None),
                       "gcs": (None, None)}


async def test_a_partys_signature_is_recorded_once(client, staff, clock):
    clock.set("2025-04-14T10:00:00+02:00")
    signed = await client.post(SIGNATURES, json={"party": "region", "signed_on": "2025-04-14"},
                               headers=staff)
    assert signed.status_code == 201, signed.text
    assert signed.json() == {"party": "region", "signed_on": "2025-04-14",
                             "obligations_contact": None}
    again = await client.post(SIGNATURES, json={"party": "region", "signed_on": "2025-04-14"},
                              headers=staff)
    assert again.status_code == 200
    other = await client.post(SIGNATURES, json={"party": "region", "signed_on": "2025-04-13"},
                              headers=staff)
    assert other.status_code == 409 and other.json()["code"] == "signature-recorded"
    ut = await client.post(SIGNATURES, json={"party": "ut", "signed_on": "2025-04-01"},
                           headers=staff)
    assert ut.status_code == 409 and ut.json()["code"] == "signature-recorded"
    assert (await _parties(client, staff))["region"]["signed_on"] == "2025-04-14"


@pytest.mark.parametrize(
    ("signed_on", "code"),
    [("2025-04-15", "date-in-future"),  # the day after the Paris date of the call
     ("2023-12-31", "date-out-of-range"),
     ("2025-02-30", "validation-error")],
)
async def test_an_impossible_signature_date_is_refused(client, staff, clock, signed_on, code):
    clock.set("2025-04-14T23:30:00+02:00")  # 21:30Z: still the 14th in Paris
    answer = await client.post(SIGNATURES, json={"party": "gcs", "signed_on": signed_on},
                               headers=staff)
    assert answer.status_code == 422 and answer.json()["code"] == code
    assert (await _parties(client, staff))["gcs"]["signed_on"] is None


async def test_a_signature_on_the_paris_day_of_the_call_is_accepted(client, staff, clock):
    clock.set("2025-04-14T22:30:00Z")  # 00:30 on 15 April in Paris
    answer = await client.post(SIGNATURES, json={"party": "gcs", "signed_on": "2025-04-15"},
                               headers=staff)
    assert answer.status_code == 201, answer.text


async def test_an_obligations_contact_is_set_changed_and_removed(client, staff):
    body = {"party": "gcs", "email": "secretariat@gcs-ifsi.example"}
    first = await client.post(CONTACTS, json=body, headers=staff)
    assert first.status_code == 200, first.text
    assert (await _parties(client, staff))["gcs"]["obligations_contact"] == body["email"]
    changed = await client.post(CONTACTS, json=body | {"email": "direction@gcs-ifsi.example"},
                                headers=staff)
    assert changed.json()["obligations_contact"] == "direction@gcs-ifsi.example"
    removed = await client.post(CONTACTS, json={"party": "gcs", "email": None}, headers=staff)
    assert removed.json()["obligations_contact"] is None
    assert (await _parties(client, staff))["gcs"]["obligations_contact"] is None


@pytest.mark.parametrize("dpo", ["dpo@univ-tlse3.fr", "H.Fofy@gip-ifsidugers.fr",
                                 "jean-francois.mangin@laregion.fr"])
async def test_a_dpo_address_is_never_an_obligations_contact(client, staff, dpo):
    answer = await client.post(CONTACTS, json={"party": "region", "email": dpo}, headers=staff)
    assert answer.status_code == 422 and answer.json()["code"] == "dpo-address"
    assert (await _parties(client, staff))["region"]["obligations_contact"] is None


async def test_only_unconfined_ut_changes_the_record_and_it_is_audited(
    client, staff, make_token, admin_headers
):
    confined = bearer(make_token("convention:write", "convention:read",
                                 schools=["ifms-rodez"]))
    refused = await client.post(CONTACTS, headers=confined,
                                json={"party": "ut", "email": "daip@univ-tlse3.example"})
    assert refused.status_code == 403 and refused.json()["code"] == "school-confined"
    region = bearer(make_token(profile="region"))
    assert (await client.post(SIGNATURES, json={"party": "region", "signed_on": "2025-03-01"},
                              headers=region)).status_code == 403

    await client.post(CONTACTS, headers=staff,
                      json={"party": "ut", "email": "daip@univ-tlse3.example"})
    await client.post(SIGNATURES, json={"party": "gcs", "signed_on": "2025-03-01"},
                      headers=staff)
    events = (await client.get("/api/v1/audit-events", headers=admin_headers)).json()["items"]
    assert sorted((e["action"], e["resource_id"]) for e in events
                  if e["resource_type"] == "convention_party") == [
        ("convention.obligations-contact-set", "ut"),
        ("convention.signature-recorded", "gcs")]
