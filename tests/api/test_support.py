"""Support requests through the HTTP API: the 48-hour answer deadline on DAIP's opening
hours (R-SUP-1), closures (R-SUP-2), responses, closures of requests, live SLA states,
referent confinement and the digest job."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import insert

from app.adapters.db.tables import AccountRow, RoleRow
from app.services.jobs import run_job
from tests.conftest import bearer

LATER = "2026-03-02T12:00:00+01:00"  # after every instant of the awkward cases
_ids = itertools.count(1)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
def writer(make_token) -> dict[str, str]:
    return bearer(make_token("support:read", "support:write"))


async def post_request(
    client, headers, *, received_at: str, message_id: str | None = None,
    from_email: str = "secretariat@ifsi.example", subject: str = "Accès à Moodle",
    school_code: str | None = "ifms-rodez", expect: int | None = 201,
):
    body = {
        "message_id": message_id or f"<req-{next(_ids)}@ifsi.example>",
        "received_at": received_at,
        "from_email": from_email,
        "subject": subject,
    }
    if school_code is not None:
        body["school_code"] = school_code
    response = await client.post("/api/v1/support-requests", json=body, headers=headers)
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


async def _transition(client, headers, request_id, step, body, expect):
    response = await client.post(
        f"/api/v1/support-requests/{request_id}/{step}", json=body, headers=headers
    )
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


async def respond(client, headers, request_id: str, responded_at: str, expect: int | None = 200):
    return await _transition(
        client, headers, request_id, "first-response", {"responded_at": responded_at}, expect
    )


async def close(client, headers, request_id: str, closed_at: str, expect: int | None = 200):
    return await _transition(client, headers, request_id, "closure", {"closed_at": closed_at},
                             expect)


async def get(client, headers, request_id: str) -> dict:
    response = await client.get(f"/api/v1/support-requests/{request_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def calculator(client, headers, received_at: str):
    return await client.get(
        f"/api/v1/calendar/support-deadline?received_at={quote(received_at, safe='')}",
        headers=headers,
    )


AWKWARD = [
    ("2025-03-03T10:00:00+01:00", "2025-03-05T10:00:00+01:00"),  # Mon → Wed
    ("2025-03-07T17:00:00+01:00", "2025-03-11T17:00:00+01:00"),  # Fri, over the weekend
    ("2025-03-08T11:00:00+01:00", "2025-03-11T17:30:00+01:00"),  # Sat: starts Mon 08:30
    ("2025-03-10T07:00:00+01:00", "2025-03-11T17:30:00+01:00"),  # before opening
    ("2025-03-28T10:00:00+01:00", "2025-04-01T10:00:00+02:00"),  # over the DST switch
    ("2025-04-30T10:00:00+02:00", "2025-05-05T10:00:00+02:00"),  # 1 May is a holiday
]


@pytest.mark.parametrize(("received_at", "due"), AWKWARD)
async def test_a_request_is_due_eighteen_opening_hours_after_reception(
    client, clock, writer, received_at, due
):
    clock.set(LATER)
    created = (await post_request(client, writer, received_at=received_at)).json()
    assert at(created["response_due_at"]) == at(due)
    assert created["response_due_at"].endswith("Z")
    assert created["status"] == "open"
    assert created["sla_state"] == "breached"  # a year later, still unanswered
    calculated = await calculator(client, writer, received_at)
    assert calculated.status_code == 200, calculated.text
    assert at(calculated.json()["response_due_at"]) == at(due)
    assert calculated.json()["reading"] == "two_opening_days"


@pytest.mark.parametrize(
    "settings_overrides", [{"support_deadline_reading": "literal_48_hours"}]
)
async def test_the_literal_reading_gives_forty_eight_opening_hours(client, clock, writer):
    clock.set(LATER)
    # Mon 7.5 h + Tue..Fri 4 × 9 h = 43.5 h, then 4.5 h on Monday 10 March.
    created = (await post_request(client, writer, received_at="2025-03-03T10:00:00+01:00")).json()
    assert at(created["response_due_at"]) == at("2025-03-10T13:00:00+01:00")
    calculated = (await calculator(client, writer, "2025-03-03T10:00:00+01:00")).json()
    assert calculated == {
        "response_due_at": "2025-03-10T12:00:00Z",
        "reading": "literal_48_hours",
        "budget_seconds": 48 * 3600,
    }


async def test_a_closure_moves_open_deadlines_and_answered_ones_keep_theirs(
    client, clock, writer, admin_headers
):
    clock.set("2025-12-19T16:00:00+01:00")
    open_one = (await post_request(client, writer, received_at="2025-12-19T15:00:00+01:00")).json()
    answered = (await post_request(client, writer, received_at="2025-12-18T15:00:00+01:00")).json()
    await respond(client, writer, answered["id"], "2025-12-19T15:30:00+01:00")
    assert at(open_one["response_due_at"]) == at("2025-12-23T15:00:00+01:00")
    assert at(answered["response_due_at"]) == at("2025-12-22T15:00:00+01:00")

    christmas = {"starts_on": "2025-12-20", "ends_on": "2026-01-04", "label": "Noël"}
    created = await client.post("/api/v1/calendar/closures", json=christmas, headers=admin_headers)
    assert created.status_code == 201, created.text

    assert at((await get(client, writer, open_one["id"]))["response_due_at"]) == at(
        "2026-01-06T15:00:00+01:00"
    )
    kept = await get(client, writer, answered["id"])
    assert at(kept["response_due_at"]) == at("2025-12-22T15:00:00+01:00")
    assert kept["sla_outcome"] == "met"
    calculated = (await calculator(client, writer, "2025-12-19T15:00:00+01:00")).json()
    assert at(calculated["response_due_at"]) == at("2026-01-06T15:00:00+01:00")

    removed = await client.delete(
        f"/api/v1/calendar/closures/{created.json()['id']}", headers=admin_headers
    )
    assert removed.status_code == 204
    assert at((await get(client, writer, open_one["id"]))["response_due_at"]) == at(
        "2025-12-23T15:00:00+01:00"
    )


async def test_a_response_at_the_deadline_is_met_and_one_second_later_breached(
    client, clock, writer
):
    clock.set(LATER)
    on_time = (await post_request(client, writer, received_at="2025-03-03T10:00:00+01:00")).json()
    late = (await post_request(client, writer, received_at="2025-03-03T10:00:00+01:00")).json()
    met = (await respond(client, writer, on_time["id"], "2025-03-05T10:00:00+01:00")).json()
    breached = (await respond(client, writer, late["id"], "2025-03-05T10:00:01+01:00")).json()
    assert (met["status"], met["sla_outcome"], met["sla_state"]) == ("answered", "met", "met")
    assert met["business_seconds_to_response"] == 18 * 3600
    assert at(met["responded_at"]) == at("2025-03-05T10:00:00+01:00")
    assert (breached["sla_outcome"], breached["sla_state"]) == ("breached", "breached")
    assert breached["business_seconds_to_response"] == 18 * 3600 + 1


async def test_the_ambiguous_autumn_hour_must_carry_its_offset(client, clock, writer):
    clock.set(LATER)
    naive = await post_request(
        client, writer, received_at="2025-10-26T02:30:00", expect=422
    )
    assert naive.headers["content-type"].startswith("application/problem+json")
    assert naive.json()["errors"][0]["field"].endswith("received_at")
    first = (await post_request(client, writer, received_at="2025-10-26T02:30:00+02:00")).json()
    second = (await post_request(client, writer, received_at="2025-10-26T02:30:00+01:00")).json()
    assert at(first["received_at"]) == at("2025-10-26T00:30:00Z")
    assert at(second["received_at"]) == at("2025-10-26T01:30:00Z")
    # A Sunday: both start at Monday's opening, due Tuesday at closing time.
    assert at(first["response_due_at"]) == at(second["response_due_at"]) == at(
        "2025-10-28T17:30:00+01:00"
    )
    assert (await calculator(client, writer, "2025-10-26T02:30:00")).status_code == 422


async def test_an_event_instant_beyond_the_clock_skew_is_refused(client, clock, writer):
    clock.set("2025-03-03T10:00:00+01:00")
    ahead = await post_request(
        client, writer, received_at="2025-03-03T10:05:01+01:00", expect=422
    )
    assert ahead.json()["code"] == "instant-in-future"
    await post_request(client, writer, received_at="2025-03-03T10:05:00+01:00")
    # The calculator asks about a moment: any instant is accepted.
    assert (await calculator(client, writer, "2030-01-07T10:00:00+01:00")).status_code == 200


async def test_the_same_message_id_answers_the_stored_request_or_a_conflict(
    client, clock, writer
):
    received = "2025-03-03T10:00:00+01:00"
    first = await post_request(client, writer, received_at=received, message_id="<a@x.example>")
    assert first.headers["location"] == f"/api/v1/support-requests/{first.json()['id']}"
    again = await post_request(
        client, writer, received_at="2025-03-03T09:00:00Z", message_id="<a@x.example>",
        expect=200,
    )
    assert again.json()["id"] == first.json()["id"]
    other = await post_request(
        client, writer, received_at=received, message_id="<a@x.example>",
        subject="Autre chose", expect=409,
    )
    assert other.json()["code"] == "message-conflict"


async def test_concurrent_duplicates_leave_one_request(client, clock, writer):
    responses = await asyncio.gather(
        *(
            post_request(client, writer, received_at="2025-03-03T10:00:00+01:00",
                         message_id="<twin@x.example>", expect=None)
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    listing = (await client.get("/api/v1/support-requests", headers=writer)).json()
    assert len(listing["items"]) == 1


async def test_a_message_id_longer_than_998_characters_is_refused(client, writer):
    long_id = "<" + "a" * 990 + "@x.example>"
    response = await post_request(
        client, writer, received_at="2025-03-03T09:00:00+01:00", message_id=long_id,
        expect=422,
    )
    assert response.json()["errors"][0]["field"].endswith("message_id")
    await post_request(
        client, writer, received_at="2025-03-03T09:00:00+01:00", message_id=long_id[-998:]
    )


async def test_an_unknown_school_is_a_422(client, writer):
    response = await post_request(
        client, writer, received_at="2025-03-03T09:00:00+01:00", school_code="nowhere",
        expect=422,
    )
    assert response.json()["code"] == "unknown-school"


async def test_a_first_response_repeated_answers_200_and_another_one_409(client, clock, writer):
    clock.set("2025-03-06T12:00:00+01:00")
    created = (await post_request(client, writer, received_at="2025-03-03T10:00:00+01:00")).json()
    first = (await respond(client, writer, created["id"], "2025-03-04T10:00:00+01:00")).json()
    again = (await respond(client, writer, created["id"], "2025-03-04T09:00:00Z")).json()
    assert again == first
    other = await respond(client, writer, created["id"], "2025-03-04T11:00:00+01:00", expect=409)
    assert other.json()["code"] == "already-answered"


async def test_out_of_order_instants_are_422(client, clock, writer):
    clock.set("2025-03-06T12:00:00+01:00")
    created = (await post_request(client, writer, received_at="2025-03-03T10:00:00+01:00")).json()
    early = await respond(client, writer, created["id"], "2025-03-03T09:59:59+01:00", expect=422)
    assert early.json()["code"] == "out-of-order"
    await respond(client, writer, created["id"], "2025-03-04T10:00:00+01:00")
    before_response = await close(
        client, writer, created["id"], "2025-03-04T09:00:00+01:00", expect=422
    )
    assert before_response.json()["code"] == "out-of-order"
    closed = (await close(client, writer, created["id"], "2025-03-04T10:00:00+01:00")).json()
    assert (closed["status"], closed["sla_outcome"], closed["sla_state"]) == (
        "closed", "met", "met"
    )
    ahead = await respond(client, writer, created["id"], "2025-03-06T12:05:01+01:00", expect=422)
    assert ahead.json()["code"] == "instant-in-future"


async def test_closing_an_unanswered_request_leaves_no_outcome_nor_state(client, clock, writer):
    clock.set("2025-03-10T12:00:00+01:00")
    created = (await post_request(client, writer, received_at="2025-03-03T10:00:00+01:00")).json()
    assert created["sla_state"] == "breached"
    too_early = await close(client, writer, created["id"], "2025-03-03T09:00:00+01:00", expect=422)
    assert too_early.json()["code"] == "out-of-order"
    closed = (await close(client, writer, created["id"], "2025-03-04T10:00:00+01:00")).json()
    assert closed["status"] == "closed"
    assert closed["sla_outcome"] is None and closed["sla_state"] is None
    assert closed["responded_at"] is None
    assert (await close(client, writer, created["id"], "2025-03-04T09:00:00Z")).json() == closed
    other = await close(client, writer, created["id"], "2025-03-05T10:00:00+01:00", expect=409)
    assert other.json()["code"] == "already-closed"
    late = await respond(client, writer, created["id"], "2025-03-05T10:00:00+01:00", expect=409)
    assert late.json()["code"] == "already-closed"


async def _requests_in_every_state(client, clock, writer) -> dict[str, str]:
    """At Wed 2025-03-05 12:00 Paris (at-risk: under 4 h 30 of the 18 h left)."""
    clock.set("2025-03-05T12:00:00+01:00")
    made: dict[str, str] = {}

    async def make(name: str, received_at: str, responded_at: str | None = None,
                   closed_at: str | None = None) -> None:
        created = (await post_request(client, writer, received_at=received_at,
                                      message_id=f"<{name}@x.example>")).json()
        if responded_at:
            await respond(client, writer, created["id"], responded_at)
        if closed_at:
            await close(client, writer, created["id"], closed_at)
        made[name] = created["id"]

    await make("on-track", "2025-03-05T09:00:00+01:00")  # due Fri 09:00
    await make("breached-open", "2025-03-03T11:00:00+01:00")  # due Wed 11:00
    await make("at-risk", "2025-03-03T15:00:00+01:00")  # due Wed 15:00: 3 h left
    await make("due-now", "2025-03-03T12:00:00+01:00")  # due Wed 12:00: 0 s left
    await make("threshold", "2025-03-03T16:30:00+01:00")  # due Wed 16:30: exactly 4 h 30
    await make("under-threshold", "2025-03-03T16:29:59+01:00")
    await make("met", "2025-03-03T16:00:00+01:00", "2025-03-04T10:00:00+01:00")
    await make("answered-late", "2025-03-03T09:00:00+01:00", "2025-03-05T11:00:00+01:00")
    await make("closed-unanswered", "2025-03-04T09:00:00+01:00",
               closed_at="2025-03-04T10:00:00+01:00")
    return made


async def test_the_sla_state_is_computed_now_and_filters_the_list(client, clock, writer):
    made = await _requests_in_every_state(client, clock, writer)
    by_id = {v: k for k, v in made.items()}
    expected = {
        "on_track": {"on-track", "threshold"},
        "at_risk": {"at-risk", "due-now", "under-threshold"},
        "breached": {"breached-open", "answered-late"},
        "met": {"met"},
    }
    everything = (await client.get("/api/v1/support-requests?limit=500", headers=writer)).json()
    states = {by_id[i["id"]]: i["sla_state"] for i in everything["items"]}
    for state, names in expected.items():
        listed = await client.get(f"/api/v1/support-requests?sla_state={state}", headers=writer)
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert {by_id[i["id"]] for i in items} == names, state
        assert {states[n] for n in names} == {state}
    assert states["closed-unanswered"] is None
    open_ones = (await client.get("/api/v1/support-requests?status=open", headers=writer)).json()
    assert len(open_ones["items"]) == 6

    clock.advance(hours=1)  # 13:00: "threshold" has 3 h 30 left
    at_risk = (await client.get("/api/v1/support-requests?sla_state=at_risk",
                                headers=writer)).json()
    assert {by_id[i["id"]] for i in at_risk["items"]} == {"at-risk", "threshold",
                                                          "under-threshold"}


async def test_the_list_pages_by_id_each_request_once(client, clock, writer):
    made = await _requests_in_every_state(client, clock, writer)
    seen, cursor = [], None
    while True:
        params = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(f"/api/v1/support-requests?{params}", headers=writer)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Ids are time-ordered (UUID 7): creation order to the millisecond.
    assert seen == sorted(made.values())


async def test_a_referent_sees_only_its_schools_requests(client, clock, writer, make_token):
    clock.set("2025-03-05T12:00:00+01:00")
    own = (await post_request(client, writer, received_at="2025-03-04T10:00:00+01:00")).json()
    other = (await post_request(client, writer, received_at="2025-03-04T10:00:00+01:00",
                                school_code="ifms-albi")).json()
    unknown = (await post_request(client, writer, received_at="2025-03-04T10:00:00+01:00",
                                  from_email="x@unknown.example", school_code=None)).json()
    assert unknown["school_code"] is None
    referent = bearer(make_token(profile="school-referent", schools=["ifms-rodez"]))
    listing = (await client.get("/api/v1/support-requests", headers=referent)).json()
    assert [i["id"] for i in listing["items"]] == [own["id"]]
    assert (await get(client, referent, own["id"]))["school_code"] == "ifms-rodez"
    for hidden in (other["id"], unknown["id"], "no-such-id"):
        response = await client.get(f"/api/v1/support-requests/{hidden}", headers=referent)
        assert response.status_code == 404
    filtered = await client.get("/api/v1/support-requests?school_code=ifms-albi",
                                headers=referent)
    assert filtered.json()["items"] == []
    forbidden = await client.post(
        f"/api/v1/support-requests/{own['id']}/first-response",
        json={"responded_at": "2025-03-05T10:00:00+01:00"}, headers=referent,
    )
    assert forbidden.status_code == 403


async def _account(app, uid: str, email: str, schools: list[str]) -> None:
    now = at("2025-01-06T09:00:00+01:00")
    async with app.state.container.engine.begin() as connection:
        await connection.execute(insert(AccountRow).values(
            uid=uid, given_name="Camille", family_name="Martin", email=email, created_at=now,
        ))
        for n, school in enumerate(schools):
            await connection.execute(insert(RoleRow).values(
                id=f"{uid}-{n}", uid=uid, kind="referent", school_code=school,
                valid_from=date(2024, 9, 1), valid_until=date(2025, 8, 31),
                created_at=now, updated_at=now,
            ))


async def test_the_school_is_the_senders_when_its_account_has_one(app, client, clock, writer):
    await _account(app, "abc1234d", "Referente@IFMS-Rodez.example", ["ifms-rodez"])
    await _account(app, "abc1234e", "two@schools.example", ["ifms-rodez", "ifms-albi"])
    one = (await post_request(client, writer, received_at="2025-03-03T09:00:00+01:00",
                              from_email="referente@ifms-rodez.example",
                              school_code=None)).json()
    two = (await post_request(client, writer, received_at="2025-03-03T09:00:00+01:00",
                              from_email="two@schools.example", school_code=None)).json()
    given = (await post_request(client, writer, received_at="2025-03-03T09:00:00+01:00",
                                from_email="referente@ifms-rodez.example",
                                school_code="ifms-albi")).json()
    assert (one["school_code"], two["school_code"], given["school_code"]) == (
        "ifms-rodez", None, "ifms-albi"
    )


async def test_scopes_are_required(client, make_token):
    reader = bearer(make_token("support:read"))
    denied = await post_request(client, reader, received_at="2025-03-03T09:00:00+01:00",
                                expect=403)
    assert denied.json()["code"] == "insufficient-scope"
    other = bearer(make_token("schools:read"))
    assert (await client.get("/api/v1/support-requests", headers=other)).status_code == 403
    assert (await calculator(client, other, "2025-03-03T09:00:00Z")).status_code == 403


# ------------------------------------------------------------------------ digest job


async def run_digest(app, clock, when: str) -> dict[str, int]:
    outcome = await run_job(
        app.state.container.jobs, "support-digest", uow_factory=app.state.container.uow_factory,
        locks=app.state.container.job_locks, clock=clock, at=at(when),
    )
    assert outcome.outcome == "succeeded", outcome.error
    return dict(outcome.counts)


async def digests(app) -> list:
    uow = app.state.container.uow_factory()
    async with uow:
        return [m for m in await uow.outbox.list(status=None, after_id=None, limit=500)
                if m.template == "support-digest"]


async def test_the_digest_lists_at_risk_and_breached_requests_once_an_hour(
    app, client, clock, writer
):
    await _requests_in_every_state(client, clock, writer)
    counts = await run_digest(app, clock, "2025-03-05T12:00:00+01:00")
    assert counts == {"at_risk": 3, "breached": 1, "queued": 1}
    [mail] = await digests(app)
    assert mail.recipients == (app.state.container.settings.daip_email,)
    assert "1 en retard, 3 bientôt échues" in mail.subject
    assert "Délai dépassé (1)" in mail.body_text and "Délai bientôt échu (3)" in mail.body_text
    assert "5 mars 2025 à 11 h 00" in mail.body_text  # breached-open, due Wed 11:00 Paris
    assert "Accès à Moodle" in mail.body_html

    again = await run_digest(app, clock, "2025-03-05T12:40:00+01:00")
    assert again["queued"] == 0
    next_hour = await run_digest(app, clock, "2025-03-05T13:05:00+01:00")
    assert next_hour["queued"] == 1
    assert len(await digests(app)) == 2


async def test_no_digest_outside_opening_hours(app, client, clock, writer):
    await _requests_in_every_state(client, clock, writer)
    for closed in ("2025-03-05T18:00:00+01:00", "2025-03-08T10:00:00+01:00",
                   "2025-03-06T08:29:59+01:00"):
        assert await run_digest(app, clock, closed) == {"outside_opening_hours": 1, "queued": 0}
    assert await digests(app) == []


async def test_no_digest_when_nothing_is_at_risk(app, client, clock, writer):
    clock.set("2025-03-05T12:00:00+01:00")
    await post_request(client, writer, received_at="2025-03-05T11:00:00+01:00")
    assert await run_digest(app, clock, "2025-03-05T12:00:00+01:00") == {
        "at_risk": 0, "breached": 0, "queued": 0
    }
    later = clock.now() + timedelta(days=7)
    counts = await run_digest(app, clock, later.isoformat())
    assert counts["breached"] == 1 and counts["queued"] == 1


async def test_instants_whose_deadline_cannot_be_represented_are_422(client, writer):
    end_of_time = await calculator(client, writer, "9999-12-31T23:59:59Z")
    assert end_of_time.status_code == 422
    assert end_of_time.json()["code"] in {"instant-out-of-range", "validation-error"}
    before_year_one = await post_request(
        client, writer, received_at="0001-01-01T00:30:00+01:00", expect=422
    )
    assert before_year_one.json()["code"] in {"instant-out-of-range", "validation-error"}
