"""June renewal campaigns through the HTTP API (R-ACC-5, R-REF-1): the opening window,
the mail to referents, decisions with their deadlines and If-Match, the referent cap
and minimum, closing and the access it gives on 1 September."""

from __future__ import annotations

import pytest

from app.domain.auth import SCOPES
from tests.api.hosted_helpers import file_request, hosted
from tests.conftest import bearer

BASE = "/api/v1/renewal-campaigns"
RODEZ = f"{BASE}/2025-2026/schools/ifms-rodez"


@pytest.fixture
def admin(make_token) -> dict[str, str]:
    return bearer(make_token(*SCOPES, sub="ut-admin"))


async def open_2025(client, clock, admin, at="2025-06-02T09:00:00+02:00"):
    clock.set(at)
    response = await client.post(BASE, json={"academic_year": "2025-2026"}, headers=admin)
    assert response.status_code == 201, response.text
    return response


async def listing(client, headers, url=RODEZ):
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def put(client, headers, entries, etag, url=RODEZ):
    return await client.put(
        f"{url}/decisions",
        json={"decisions": [{"uid": u, "kind": k, "decision": d} for u, k, d in entries]},
        headers=headers | ({"If-Match": etag} if etag else {}),
    )


async def decide(client, headers, entries, url=RODEZ):
    etag = (await listing(client, headers, url)).headers["etag"]
    return await put(client, headers, entries, etag, url)


@pytest.mark.parametrize(
    ("now", "status"),
    [
        ("2025-05-31T23:59:00+02:00", 409),
        ("2025-05-31T22:00:00Z", 201),  # 00:00 on 1 June in Paris
        ("2025-06-01T09:00:00+02:00", 201),
        ("2025-06-25T23:59:00+02:00", 201),
        ("2025-06-26T00:00:00+02:00", 409),
    ],
)
async def test_a_campaign_opens_between_the_first_and_the_twenty_fifth_of_june(
    client, clock, admin, now, status
):
    clock.set(now)
    response = await client.post(BASE, json={"academic_year": "2025-2026"}, headers=admin)
    assert response.status_code == status, response.text
    if status == 409:
        assert response.json()["code"] == "campaign-window-closed"
    else:
        assert response.headers["location"] == f"{BASE}/2025-2026"
        body = response.json()
        assert body["status"] == "open"
        assert body["referent_deadline"] == "2025-06-30"
        assert body["trainer_deadline"] == "2025-06-25"


async def test_opening_again_answers_the_existing_campaign(client, clock, admin):
    first = await open_2025(client, clock, admin)
    clock.set("2025-06-27T10:00:00+02:00")  # out of the window: still the same campaign
    again = await client.post(BASE, json={"academic_year": "2025-2026"}, headers=admin)
    assert again.status_code == 200
    assert again.json() == first.json()
    fetched = await client.get(f"{BASE}/2025-2026", headers=admin)
    assert fetched.json() == first.json()


@pytest.mark.parametrize(
    ("now", "year", "status", "code"),
    [
        ("2023-06-05T10:00:00+02:00", "2023-2024", 409, "convention-not-active"),
        ("2029-06-05T10:00:00+02:00", "2029-2030", 409, "convention-not-active"),
        ("2028-06-05T10:00:00+02:00", "2028-2029", 201, None),
        ("2025-06-05T10:00:00+02:00", "2025-2027", 422, None),
    ],
)
async def test_a_year_outside_the_convention_is_refused(client, clock, admin, now, year,
                                                        status, code):
    clock.set(now)
    response = await client.post(BASE, json={"academic_year": year}, headers=admin)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["code"] == code


async def test_opening_mails_each_schools_referents_the_people_whose_roles_end(
    app, client, clock, admin
):
    ending = await hosted(app, clock, at="2025-03-10T10:00:00+01:00", family_name="Durand")
    trainer = await hosted(app, clock, at="2025-03-11T10:00:00+01:00", kind="trainer",
                           family_name="Lefebvre")
    recent = await hosted(app, clock, at="2025-06-01T10:00:00+02:00", family_name="Petit")
    await hosted(app, clock, at="2025-03-10T10:00:00+01:00", school="ifms-albi",
                 kind="trainer", family_name="Garcia")  # no referent there to tell
    await open_2025(client, clock, admin)

    uow = app.state.container.uow_factory()
    async with uow:
        mails = [m for m in await uow.outbox.list(status=None, after_id=None, limit=500)
                 if m.template == "renewal-campaign"]
        emails = {uid: (await uow.accounts.get(uid)).email for uid in (ending, recent)}
    assert len(mails) == 1
    [mail] = mails
    assert sorted(mail.recipients) == sorted(emails.values())
    assert "2025/2026" in mail.subject
    text = mail.body_text
    assert "Durand" in text and ending in text and "Lefebvre" in text and trainer in text
    assert "Petit" not in text and "Garcia" not in text
    assert "30 juin 2025" in text and "25 juin 2025" in text and "31 août 2025" in text
    referents, trainers = text.split("Formateurs", 1)
    assert "Durand" in referents and "Lefebvre" in trainers


async def test_the_school_listing_shows_people_and_decisions_with_an_etag(
    app, client, clock, admin, make_token
):
    referent = await hosted(app, clock, at="2025-03-10T10:00:00+01:00", family_name="Durand")
    trainer = await hosted(app, clock, at="2025-03-11T10:00:00+01:00", kind="trainer")
    await open_2025(client, clock, admin)
    response = await listing(client, admin)
    body = response.json()
    assert response.headers["etag"]
    assert body["open_kinds"] == ["referent", "trainer"]
    people = {(p["uid"], p["kind"]): p for p in body["people"]}
    assert set(people) == {(referent, "referent"), (trainer, "trainer")}
    assert people[(referent, "referent")]["family_name"] == "Durand"
    assert people[(referent, "referent")]["valid_until"] == "2025-08-31"
    assert people[(referent, "referent")]["decision"] is None

    own = bearer(make_token(profile="school-referent", schools=["ifms-rodez"]))
    assert (await client.get(RODEZ, headers=own)).status_code == 200
    other = bearer(make_token(profile="school-referent", schools=["ifms-albi"]))
    assert (await client.get(RODEZ, headers=other)).status_code == 404
    assert (await put(client, other, [], response.headers["etag"])).status_code == 404
    unopened = await client.get(f"{BASE}/2026-2027/schools/ifms-rodez", headers=admin)
    assert unopened.status_code == 404
    reader_only = bearer(make_token("accounts:read"))
    assert (await put(client, reader_only, [], response.headers["etag"])).status_code == 403


async def test_decisions_need_a_fresh_if_match(app, client, clock, admin, make_token):
    referent = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    await hosted(app, clock, at="2025-03-11T10:00:00+01:00", family_name="Second")
    await open_2025(client, clock, admin)
    school = bearer(make_token(profile="school-referent", schools=["ifms-rodez"]))
    etag = (await listing(client, school)).headers["etag"]
    entries = [(referent, "referent", "renew")]
    missing = await put(client, school, entries, None)
    assert missing.status_code == 428
    done = await put(client, school, entries, etag)
    assert done.status_code == 200, done.text
    assert done.headers["etag"] != etag
    assert done.json()["decisions"] == [{"uid": referent, "kind": "referent",
                                         "decision": "renew"}]
    retry = await put(client, school, entries, etag)  # the same answer, replayed
    assert retry.status_code == 200 and retry.json() == done.json()
    stale = await put(client, school, [(referent, "referent", "remove")], etag)
    assert stale.status_code == 412
    assert (await listing(client, school)).json()["decisions"] == done.json()["decisions"]


async def test_a_person_not_listed_or_listed_twice_is_refused(app, client, clock, admin):
    referent = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    recent = await hosted(app, clock, at="2025-06-01T10:00:00+02:00")
    await open_2025(client, clock, admin)
    for entries in (
        [(recent, "referent", "renew")],  # valid until 2026-08-31: not listed
        [(referent, "trainer", "renew")],  # not a trainer
        [(referent, "referent", "renew"), (referent, "referent", "renew")],
    ):
        assert (await decide(client, admin, entries)).status_code == 422, entries


async def test_trainer_decisions_close_after_the_twenty_fifth_while_referents_stay_open(
    app, client, clock, admin
):
    referent = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    second = await hosted(app, clock, at="2025-03-10T11:00:00+01:00")
    trainer = await hosted(app, clock, at="2025-03-11T10:00:00+01:00", kind="trainer")
    await open_2025(client, clock, admin)

    clock.set("2025-06-25T23:59:00+02:00")
    accepted = await decide(client, admin, [(referent, "referent", "renew"),
                                            (trainer, "trainer", "renew")])
    assert accepted.status_code == 200, accepted.text

    clock.set("2025-06-26T00:00:00+02:00")
    assert (await listing(client, admin)).json()["open_kinds"] == ["referent"]
    late = await decide(client, admin, [(referent, "referent", "renew"),
                                        (trainer, "trainer", "remove")])
    assert late.status_code == 409 and late.json()["code"] == "campaign-deadline-passed"
    dropped = await decide(client, admin, [(referent, "referent", "renew")])
    assert dropped.status_code == 409 and dropped.json()["code"] == "campaign-deadline-passed"
    referents = await decide(client, admin, [(referent, "referent", "renew"),
                                             (second, "referent", "renew"),
                                             (trainer, "trainer", "renew")])
    assert referents.status_code == 200, referents.text

    clock.set("2025-07-01T00:00:00+02:00")
    closed_kinds = await decide(client, admin, [(referent, "referent", "renew"),
                                                (trainer, "trainer", "renew")])
    assert closed_kinds.status_code == 409
    assert closed_kinds.json()["code"] == "campaign-deadline-passed"


async def test_a_fourth_renewed_referent_is_refused(app, client, clock, admin):
    uids = [await hosted(app, clock, at=f"2025-03-1{i}T10:00:00+01:00") for i in range(3)]
    # A referent request for 2025-2026 is pending: it counts in the cap.
    await file_request(app, clock, at="2025-06-02T08:00:00+02:00")
    await open_2025(client, clock, admin)
    all_three = [(uid, "referent", "renew") for uid in uids]
    refused = await decide(client, admin, all_three)
    assert refused.status_code == 409 and refused.json()["code"] == "referent-cap-reached"
    two = await decide(client, admin, all_three[:2] + [(uids[2], "referent", "remove")])
    assert two.status_code == 200, two.text


async def test_removing_every_referent_is_refused(app, client, clock, admin):
    referent = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    trainer = await hosted(app, clock, at="2025-03-11T10:00:00+01:00", kind="trainer")
    await open_2025(client, clock, admin)
    removed = await decide(client, admin, [(referent, "referent", "remove")])
    assert removed.status_code == 409 and removed.json()["code"] == "referent-minimum"
    kept = await decide(client, admin, [(referent, "referent", "renew"),
                                        (trainer, "trainer", "remove")])
    assert kept.status_code == 200
    emptied = await decide(client, admin, [(trainer, "trainer", "remove")])
    assert emptied.status_code == 409 and emptied.json()["code"] == "referent-minimum"


async def access(client, admin, uid: str, at: str) -> dict:
    response = await client.get(f"/api/v1/accounts/{uid}/access", params={"at": at},
                                headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


async def test_closing_renews_without_a_gap_and_the_others_expire_on_the_first_of_september(
    app, client, clock, admin
):
    renewed = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    dropped = await hosted(app, clock, at="2025-03-10T11:00:00+01:00")
    silent = await hosted(app, clock, at="2025-03-11T10:00:00+01:00", kind="trainer")
    await open_2025(client, clock, admin)
    answered = await decide(client, admin, [(renewed, "referent", "renew"),
                                            (dropped, "referent", "remove")])
    assert answered.status_code == 200, answered.text

    clock.set("2025-06-30T23:59:00+02:00")
    early = await client.post(f"{BASE}/2025-2026/closing", headers=admin)
    assert early.status_code == 409 and early.json()["code"] == "campaign-open"

    clock.set("2025-07-01T09:00:00+02:00")
    closed = await client.post(f"{BASE}/2025-2026/closing", headers=admin)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["renew_decisions"] == 1 and closed.json()["remove_decisions"] == 1
    again = await client.post(f"{BASE}/2025-2026/closing", headers=admin)
    assert again.status_code == 200 and again.json() == closed.json()

    uow = app.state.container.uow_factory()
    async with uow:
        roles = await uow.accounts.roles(renewed)
        others = [r.valid_until for u in (dropped, silent) for r in await uow.accounts.roles(u)]
    assert [(r.valid_from.isoformat(), r.valid_until.isoformat()) for r in roles] == [
        ("2025-03-10", "2026-08-31")
    ]
    assert [d.isoformat() for d in others] == ["2025-08-31", "2025-08-31"]

    for at in ("2025-08-31T21:59:00Z", "2025-09-01T00:00:00+02:00", "2026-08-31T21:59:00Z"):
        assert (await access(client, admin, renewed, at))["allowed"] is True, at
    for uid in (dropped, silent):
        assert (await access(client, admin, uid, "2025-08-31T21:59:00Z"))["allowed"] is True
        on_first = await access(client, admin, uid, "2025-09-01T00:00:00+02:00")
        assert on_first["allowed"] is False and on_first["status"] == "expired"

    listed = (await listing(client, admin)).json()
    by_uid = {p["uid"]: p for p in listed["people"]}
    assert by_uid[renewed]["valid_until"] == "2026-08-31"
    assert by_uid[renewed]["decision"] == "renew"
    assert by_uid[silent]["decision"] is None
    assert listed["status"] == "closed" and listed["open_kinds"] == []


async def test_a_referent_replaced_before_june_is_not_listed(
    app, client, clock, admin
):
    old = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    # Replaced in May: the old role ends on the fulfilment date, not on 31 August.
    await hosted(app, clock, at="2025-05-12T10:00:00+02:00", replaces_uid=old)
    await open_2025(client, clock, admin)
    uids = [p["uid"] for p in (await listing(client, admin)).json()["people"]]
    assert old not in uids


async def test_campaign_changes_are_audited(app, client, clock, admin):
    referent = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    await open_2025(client, clock, admin)
    await decide(client, admin, [(referent, "referent", "renew")])
    clock.set("2025-07-01T09:00:00+02:00")
    await client.post(f"{BASE}/2025-2026/closing", headers=admin)
    events = (await client.get("/api/v1/audit-events", params={"limit": 500},
                               headers=admin)).json()["items"]
    actions = [e["action"] for e in events]
    for action in ("renewal-campaign.opened", "renewal-decisions.replaced",
                   "role.renewed", "renewal-campaign.closed"):
        assert action in actions, action


async def notice(client, admin, received_on: str) -> None:
    response = await client.post(
        "/api/v1/convention/termination-notices", headers=admin,
        json={"notifying_party": "region", "defaulting_party": "ut", "grounds": "art. 9",
              "letter_ref": f"LR-{received_on}", "received_on": received_on},
    )
    assert response.status_code == 201, response.text


async def test_no_campaign_opens_on_or_after_a_terminations_effective_date(
    client, clock, admin
):
    clock.set("2025-03-05T10:00:00+01:00")
    await notice(client, admin, "2025-03-01")  # effective 2025-06-01
    clock.set("2025-06-02T10:00:00+02:00")
    response = await client.post(BASE, json={"academic_year": "2025-2026"}, headers=admin)
    assert response.status_code == 409
    assert response.json()["code"] == "convention-not-active"


async def test_a_termination_still_pending_does_not_stop_the_campaign(client, clock, admin):
    clock.set("2025-04-12T10:00:00+02:00")
    await notice(client, admin, "2025-04-10")  # effective 2025-07-10, may still be cured
    clock.set("2025-06-02T10:00:00+02:00")
    response = await client.post(BASE, json={"academic_year": "2025-2026"}, headers=admin)
    assert response.status_code == 201, response.text
