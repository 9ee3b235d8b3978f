"""A person's data through the HTTP API (R-GDPR-1, R-GDPR-2): the export, the erasure
(checked on the tables themselves), its refusals afterwards, and the retention job."""

from __future__ import annotations

import itertools
import json
from datetime import datetime

import pytest
from sqlalchemy import select

from app.adapters.db.tables import (
    AccountLockRow,
    AccountRequestRow,
    AccountRow,
    AuditEventRow,
    IdempotencyKeyRow,
    OutboxAttemptRow,
    OutboxMessageRow,
    SupportRequestRow,
)
from app.bootstrap import build_mailer
from app.domain.accounts import RoleKind
from app.domain.auth import SYSTEM
from app.domain.errors import Conflict
from app.domain.personal_data import (
    ERASED_MAIL_BODY,
    ERASED_SUBJECT,
    pseudonym,
    pseudonym_email,
)
from app.ports.audit import Actor
from app.services.accounts import NewRequest, create_request, fulfil_request
from app.services.jobs import run_job
from app.services.mail import OutboxPolicy, dispatch_outbox
from tests.conftest import bearer

ACTOR = Actor(SYSTEM)
GIVEN, FAMILY = "Zéphyrine", "Quillebœuf"
EMAIL = "zephyrine.q@ifsi.example"
ORIGINALS = (GIVEN, FAMILY, EMAIL)
TABLES = (AccountRow, AccountRequestRow, SupportRequestRow, OutboxMessageRow,
          OutboxAttemptRow, AuditEventRow, AccountLockRow, IdempotencyKeyRow)
_tickets = itertools.count(1)
_messages = itertools.count(1)


@pytest.fixture
def settings_overrides(smtp_server):
    return {"smtp_port": smtp_server.port}


@pytest.fixture
def manager(make_token) -> dict[str, str]:
    return bearer(make_token("personal-data:manage", "accounts:read", "access:read",
                             sub="dpo-ut"))


async def referent(app, clock, *, at: str, given=GIVEN, family=FAMILY, email=EMAIL,
                   uid: str | None = None, school="ifms-rodez") -> str:
    """A referent account filed and fulfilled at `at`; its uid."""
    clock.set(at)
    request, _ = await create_request(
        app.state.container.uow_factory(), clock, ACTOR,
        NewRequest(ticket_ref=f"GDPR-{next(_tickets)}", school_code=school,
                   kind=RoleKind.REFERENT, given_name=given, family_name=family, email=email,
                   received_at=datetime.fromisoformat(at), existing_uid=None,
                   replaces_uid=None, daip_notified_on=None),
        skew_seconds=300,
    )
    done = await fulfil_request(
        app.state.container.uow_factory(), clock, ACTOR, request.id, uid=uid, fulfilled_at=None,
        skew_seconds=300, moodle_url="https://moodle.example",
        activation_url="https://activation.example",
    )
    assert done.uid is not None
    return done.uid


async def support_request(client, headers, *, received_at: str, from_email: str,
                          subject: str) -> str:
    response = await client.post(
        "/api/v1/support-requests",
        json={"message_id": f"<gdpr-{next(_messages)}@ifsi.example>",
              "received_at": received_at, "from_email": from_email, "subject": subject,
              "school_code": "ifms-rodez"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def run(app, clock, job: str, at: str) -> dict[str, int]:
    services = app.state.container
    outcome = await run_job(services.jobs, job, uow_factory=services.uow_factory,
                            locks=services.job_locks, clock=clock,
                            at=datetime.fromisoformat(at))
    assert outcome.outcome == "succeeded", outcome.error
    return dict(outcome.counts)


async def dispatch(app, clock) -> None:
    services = app.state.container
    await dispatch_outbox(services.uow_factory, clock, build_mailer(services.settings),
                          OutboxPolicy())


async def dump(app) -> dict[str, str]:
    """Each table's rows as one lower-cased JSON text (JSON columns decoded)."""
    out: dict[str, str] = {}
    async with app.state.container.engine.connect() as conn:
        for row_type in TABLES:
            table = row_type.__table__
            rows = (await conn.execute(select(table).order_by(*table.primary_key))).all()
            out[table.name] = json.dumps(
                [dict(r._mapping) for r in rows], default=str, ensure_ascii=False
            ).lower()
    return out


def holding(tables: dict[str, str], value: str) -> set[str]:
    return {name for name, text in tables.items() if value.lower() in text}


async def a_person_with_every_kind_of_data(app, client, clock, smtp_server, make_token):
    """A referent with a lock, two support requests (one quoted by DAIP's digest), the
    welcome mail and the digest delivered; another person's support request."""
    uid = await referent(app, clock, at="2025-03-03T10:00:00+01:00")
    admin = bearer(make_token("accounts:write", "support:write", "support:read"))
    locked = await client.post(
        f"/api/v1/accounts/{uid}/lock",
        json={"reason": f"À la demande de {GIVEN} {FAMILY} ({EMAIL})"},
        headers={**admin, "Idempotency-Key": "lock-1"})  # its response is kept for replays
    assert locked.status_code == 200, locked.text
    assert (await client.post(f"/api/v1/accounts/{uid}/unlock", json={},
                              headers=admin)).status_code == 200
    mine = await support_request(client, admin, received_at="2025-03-03T10:00:00+01:00",
                                 from_email="Zephyrine.Q@IFSI.example",
                                 subject=f"Accès perdu pour {GIVEN}")
    other = await support_request(client, admin, received_at="2025-03-03T10:00:00+01:00",
                                  from_email="autre@ifsi.example", subject="Autre demande")
    digest = await run(app, clock, "support-digest", "2025-03-05T12:00:00+01:00")
    assert digest["queued"] == 1
    clock.set("2025-03-05T12:05:00+01:00")
    await dispatch(app, clock)
    assert len(smtp_server.messages) == 2  # the welcome mail and the digest
    return uid, mine, other


async def test_the_export_holds_each_kind_of_data(
    app, client, clock, smtp_server, make_token, manager
):
    uid, mine, other = await a_person_with_every_kind_of_data(
        app, client, clock, smtp_server, make_token)
    response = await client.get(f"/api/v1/accounts/{uid}/personal-data", headers=manager)
    assert response.status_code == 200, response.text
    data = response.json()
    account = data["account"]
    assert (account["uid"], account["given_name"], account["family_name"], account["email"]) \
        == (uid, GIVEN, FAMILY, EMAIL)
    assert account["status"] == "active" and account["erased_at"] is None
    assert [(r["kind"], r["school_code"], r["valid_until"]) for r in data["hosted_roles"]] \
        == [("referent", "ifms-rodez", "2025-08-31")]
    assert [t["status"] for t in data["trainings"]] == ["due"]
    assert [lock["reason"] for lock in data["locks"]] == [
        f"À la demande de {GIVEN} {FAMILY} ({EMAIL})"]
    assert [(r["email"], r["status"], r["uid"]) for r in data["account_requests"]] \
        == [(EMAIL, "fulfilled", uid)]
    assert [r["id"] for r in data["support_requests"]] == [mine]  # not the other sender's
    actions = {e["action"] for e in data["audit_events"]}
    assert {"account-request.received", "account-request.fulfilled", "role.created",
            "account.locked", "account.unlocked", "support-request.received"} <= actions
    assert all(e["resource_id"] != other for e in data["audit_events"])
    [mail] = data["mails"]  # the digest went to DAIP, not to the person
    assert (mail["template"], mail["status"]) == ("account-created", "sent")
    assert set(mail) == {"message_id", "template", "subject", "status", "created_at",
                         "sent_at"}
    assert data["enrolments"] == [] and data["renewal_decisions"] == []


async def test_a_students_export_holds_enrolments_and_the_student_role(
    client, make_token, manager
):
    office = bearer(make_token(profile="schooling-office"))
    item = {"student_number": "22000001", "school_code": "ifms-rodez",
            "academic_year": "2024-2025", "enrolled_on": "2024-09-15", "given_name": GIVEN,
            "family_name": FAMILY, "email": EMAIL}
    batch = await client.post("/api/v1/enrolments", json={"items": [item]}, headers=office)
    assert batch.status_code == 200, batch.text
    uid = batch.json()["results"][0]["uid"]
    data = (await client.get(f"/api/v1/accounts/{uid}/personal-data", headers=manager)).json()
    assert data["account"]["student_number"] == "22000001"
    assert [(e["student_number"], e["academic_year"]) for e in data["enrolments"]] \
        == [("22000001", "2024-2025")]
    assert [r["kind"] for r in data["account"]["roles"]] == ["student"]
    assert data["hosted_roles"] == []


async def test_an_erasure_pseudonymises_every_place_in_one_go(
    app, client, clock, smtp_server, make_token, manager
):
    uid, mine, _ = await a_person_with_every_kind_of_data(
        app, client, clock, smtp_server, make_token)
    before = await dump(app)
    for value in ORIGINALS:  # the scan finds what it looks for
        assert holding(before, value) >= {"accounts", "account_requests"} | (
            {"outbox_messages"} if value != FAMILY else set())
    assert holding(before, EMAIL) >= {"support_requests", "account_locks", "idempotency_keys"}
    assert holding(before, GIVEN) >= {"support_requests", "audit_events"}

    clock.set("2025-04-01T09:00:00+02:00")
    response = await client.post(
        f"/api/v1/accounts/{uid}/erasure",
        json={"reason": f"Courrier de {GIVEN} {FAMILY} <{EMAIL}> du 28 mars"},
        headers=manager)
    assert response.status_code == 200, response.text
    assert response.json() == {"uid": uid, "status": "erased",
                               "erased_at": "2025-04-01T07:00:00Z"}

    after = await dump(app)
    for value in ORIGINALS:
        assert holding(after, value) == set(), value
    assert f"accès perdu pour {GIVEN}".lower() not in after["outbox_messages"]
    assert "autre@ifsi.example" in after["support_requests"]  # others are untouched
    assert "autre demande" in after["outbox_messages"]
    assert pseudonym_email(uid) in after["outbox_messages"]

    async with app.state.container.engine.connect() as conn:
        row = (await conn.execute(select(AccountRow.__table__).where(
            AccountRow.__table__.c.uid == uid))).one()
        support = (await conn.execute(select(SupportRequestRow.__table__).where(
            SupportRequestRow.__table__.c.id == mine))).one()
        event = (await conn.execute(select(AuditEventRow.__table__).where(
            AuditEventRow.__table__.c.action == "account.erased"))).one()
    assert (row.given_name, row.family_name, row.email) \
        == (pseudonym(uid), pseudonym(uid), pseudonym_email(uid))
    assert (support.from_email, support.subject) == (pseudonym_email(uid), ERASED_SUBJECT)
    assert support.erased_at is not None
    assert event.actor == "dpo-ut" and event.resource_id == uid
    assert event.changes["email"] == {"old": "***", "new": "***"}
    assert event.changes["reason"]["new"] == (
        f"Courrier de {pseudonym(uid)} {pseudonym(uid)} <<address>> du 28 mars")
    assert event.changes["support_requests"]["new"] == 1


async def test_after_an_erasure_access_is_refused_and_the_uid_never_comes_back(
    app, client, clock, make_token, manager, admin_headers
):
    uid = await referent(app, clock, at="2025-03-03T10:00:00+01:00")
    erased = await client.post(f"/api/v1/accounts/{uid}/erasure",
                               json={"reason": "demande de la personne"}, headers=manager)
    assert erased.status_code == 200, erased.text
    state = await dump(app)

    access = (await client.get(f"/api/v1/accounts/{uid}/access", headers=manager)).json()
    assert (access["status"], access["allowed"]) == ("erased", False)
    stub = (await client.get(f"/api/v1/accounts/{uid}", headers=manager)).json()
    assert (stub["uid"], stub["given_name"], stub["email"], stub["status"]) \
        == (uid, pseudonym(uid), pseudonym_email(uid), "erased")

    clock.advance(seconds=3600)
    again = await client.post(f"/api/v1/accounts/{uid}/erasure",
                              json={"reason": "une autre raison"}, headers=manager)
    assert again.status_code == 200
    assert again.json() == erased.json()
    assert await dump(app) == state  # nothing changed, not even the audit trail

    with pytest.raises(Conflict) as refused:
        await referent(app, clock, at="2025-03-03T12:00:00+01:00", given="Autre",
                       family="Personne", email="autre.personne@ifsi.example", uid=uid)
    assert refused.value.code == "uid-erased"
    tickets = bearer(make_token(profile="ticketing"))
    filed = await client.post("/api/v1/account-requests", headers=tickets, json={
        "ticket_ref": "GDPR-HTTP", "school_code": "ifms-rodez", "kind": "trainer",
        "given_name": "Autre", "family_name": "Personne", "email": "autre@ifsi.example",
        "received_at": "2025-03-03T11:00:00+01:00"})
    assert filed.status_code == 201, filed.text
    fulfilled = await client.post(f"/api/v1/account-requests/{filed.json()['id']}/fulfilment",
                                  json={"uid": uid}, headers=admin_headers)
    assert fulfilled.status_code == 409
    assert fulfilled.json()["code"] == "uid-erased"

    office = bearer(make_token(profile="schooling-office"))
    batch = await client.post("/api/v1/enrolments", headers=office, json={"items": [{
        "student_number": "22000002", "uid": uid, "school_code": "ifms-rodez",
        "academic_year": "2024-2025", "enrolled_on": "2024-09-15", "given_name": "Autre",
        "family_name": "Personne", "email": "autre@ifsi.example"}]})
    assert batch.status_code == 200, batch.text
    [result] = batch.json()["results"]
    assert result["status"] == "rejected"
    assert [e["code"] for e in result["errors"]] == ["uid-erased"]

    export = (await client.get(f"/api/v1/accounts/{uid}/personal-data",
                               headers=manager)).json()
    assert export["account"]["status"] == "erased"
    assert export["account"]["erased_at"] is not None


async def test_a_mail_not_sent_yet_loses_the_erased_recipient(app, client, clock, manager):
    uid = await referent(app, clock, at="2025-03-03T10:00:00+01:00")
    response = await client.post(f"/api/v1/accounts/{uid}/erasure",
                                 json={"reason": "demande"}, headers=manager)
    assert response.status_code == 200
    uow = app.state.container.uow_factory()
    async with uow:
        [mail] = await uow.outbox.list(status=None, after_id=None, limit=10)
    assert (mail.template, mail.status, mail.recipients) == ("account-created", "dead", ())
    assert GIVEN not in mail.body_text and GIVEN not in mail.body_html


async def test_only_ut_may_export_or_erase(app, client, clock, make_token, manager):
    uid = await referent(app, clock, at="2025-03-03T10:00:00+01:00")
    referent_a = bearer(make_token(profile="school-referent", schools=["ifms-rodez"]))
    assert (await client.get(f"/api/v1/accounts/{uid}/personal-data",
                             headers=referent_a)).status_code == 403
    assert (await client.post(f"/api/v1/accounts/{uid}/erasure", json={"reason": "x"},
                              headers=referent_a)).status_code == 403
    other_school = bearer(make_token("personal-data:manage", schools=["ifms-albi"]))
    hidden = await client.get(f"/api/v1/accounts/{uid}/personal-data", headers=other_school)
    missing = await client.get("/api/v1/accounts/zzz9999z/personal-data", headers=manager)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == missing.json()["code"]
    refused = await client.post(f"/api/v1/accounts/{uid}/erasure", json={"reason": "x"},
                                headers=other_school)
    assert refused.status_code == 404
    assert (await client.post("/api/v1/accounts/zzz9999z/erasure", json={"reason": "x"},
                              headers=manager)).status_code == 404
    assert (await client.post(f"/api/v1/accounts/{uid}/erasure", json={},
                              headers=manager)).status_code == 422
    stub = (await client.get(f"/api/v1/accounts/{uid}", headers=manager)).json()
    assert stub["status"] == "active"  # nothing was erased


# ---------------------------------------------------------------- retention (R-GDPR-1)


async def status_of(client, headers, uid: str) -> str:
    return (await client.get(f"/api/v1/accounts/{uid}", headers=headers)).json()["status"]


async def test_an_account_is_erased_twelve_months_after_its_last_day_of_access(
    app, client, clock, manager
):
    gone = await referent(app, clock, at="2025-03-03T10:00:00+01:00")  # until 31 Aug 2025
    kept = await referent(app, clock, at="2025-06-15T10:00:00+02:00", given="Anne",
                          family="Durand", email="anne.durand@ifsi.example")  # 31 Aug 2026
    clock.set("2026-09-01T02:00:00+02:00")
    counts = await run(app, clock, "retention", "2026-08-31T23:59:59+02:00")
    assert counts == {"accounts_erased": 0, "support_requests_erased": 0,
                      "support_digests_erased": 0, "idempotent_responses_purged": 0,
                      "closed_account_requests_erased": 0}  # R-GDPR-1a's count
    assert await status_of(client, manager, gone) == "expired"

    counts = await run(app, clock, "retention", "2026-09-01T00:00:00+02:00")
    assert counts["accounts_erased"] == 1
    assert await status_of(client, manager, gone) == "erased"
    assert await status_of(client, manager, kept) == "expired"  # its last day: 31 Aug 2026
    account = (await client.get(f"/api/v1/accounts/{gone}", headers=manager)).json()
    assert account["email"] == pseudonym_email(gone)
    assert EMAIL not in json.dumps(await dump(app), ensure_ascii=False)

    again = await run(app, clock, "retention", "2026-09-02T03:30:00+02:00")
    assert again["accounts_erased"] == 0


async def test_a_student_counts_from_the_end_of_the_grace_period(client, clock, app, make_token,
                                                                 manager):
    office = bearer(make_token(profile="schooling-office"))
    batch = await client.post("/api/v1/enrolments", headers=office, json={"items": [{
        "student_number": "22000003", "school_code": "ifms-rodez",
        "academic_year": "2024-2025", "enrolled_on": "2024-09-15", "final_year": False,
        "given_name": GIVEN, "family_name": FAMILY, "email": EMAIL}]})
    uid = batch.json()["results"][0]["uid"]
    clock.set("2026-11-02T02:00:00+01:00")
    # Grace until 31 Oct 2025 (the next main campaign's close, R-ACC-7).
    assert (await run(app, clock, "retention", "2026-10-31T12:00:00+01:00"))[
        "accounts_erased"] == 0
    assert (await run(app, clock, "retention", "2026-11-01T12:00:00+01:00"))[
        "accounts_erased"] == 1
    assert await status_of(client, manager, uid) == "erased"


async def test_a_support_request_is_erased_twenty_four_months_after_closure(
    app, client, clock, make_token
):
    support = bearer(make_token("support:read", "support:write"))
    clock.set("2024-01-10T10:00:00+01:00")
    request_id = await support_request(client, {**support, "Idempotency-Key": "s-1"},
                                       received_at="2024-01-10T10:00:00+01:00",
                                       from_email=EMAIL, subject=f"Accès pour {GIVEN}")
    assert (await run(app, clock, "support-digest", "2024-01-12T09:05:00+01:00"))[
        "queued"] == 1  # DAIP's digest quotes the request
    clock.set("2024-01-12T09:06:00+01:00")
    await dispatch(app, clock)
    clock.set("2024-01-15T16:00:00+01:00")
    closed = await client.post(f"/api/v1/support-requests/{request_id}/closure",
                               json={"closed_at": "2024-01-15T15:00:00+01:00"},
                               headers=support)
    assert closed.status_code == 200, closed.text
    still_open = await support_request(client, support,
                                       received_at="2024-01-11T10:00:00+01:00",
                                       from_email=EMAIL, subject="Toujours ouverte")
    clock.set("2026-01-17T02:00:00+01:00")

    counts = await run(app, clock, "retention", "2026-01-15T23:59:59+01:00")
    assert counts == {"accounts_erased": 0, "support_requests_erased": 0,
                      "support_digests_erased": 1,  # sent 12 Jan 2024: gone from 13 Jan 2026
                      "idempotent_responses_purged": 1,
                      "closed_account_requests_erased": 0}  # R-GDPR-1a's count
    assert EMAIL in (await client.get(f"/api/v1/support-requests/{request_id}",
                                      headers=support)).json()["from_email"]
    async with app.state.container.engine.connect() as conn:
        [digest] = (await conn.execute(select(OutboxMessageRow.__table__))).all()
    assert (digest.subject, digest.body_text) == (ERASED_SUBJECT, ERASED_MAIL_BODY)

    counts = await run(app, clock, "retention", "2026-01-16T00:00:00+01:00")
    assert counts == {"accounts_erased": 0, "support_requests_erased": 1,
                      "support_digests_erased": 0, "idempotent_responses_purged": 0,
                      "closed_account_requests_erased": 0}  # R-GDPR-1a's count
    erased = (await client.get(f"/api/v1/support-requests/{request_id}",
                               headers=support)).json()
    assert (erased["from_email"], erased["subject"]) == (
        pseudonym_email(f"support:{request_id}"), ERASED_SUBJECT)
    assert erased["status"] == "closed"
    kept = (await client.get(f"/api/v1/support-requests/{still_open}", headers=support)).json()
    assert kept["from_email"] == EMAIL

    runs = await client.get("/api/v1/jobs/retention/runs",
                            headers=bearer(make_token("audit:read")))
    assert runs.status_code == 200, runs.text
    recorded = [item["counts"]["support_requests_erased"] for item in runs.json()["items"]]
    assert recorded == [1, 0]  # newest first
    assert EMAIL not in runs.text and request_id not in runs.text  # counts only
