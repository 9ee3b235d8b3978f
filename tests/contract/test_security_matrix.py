"""The security matrix, generated from the committed OpenAPI (new routes are covered):
every operation × {no token, a token without its scope, each profile of DESIGN.md, a
referent of school A} answers the documented 401/403 or a documented non-error answer;
another school's resource answers exactly like a missing one. Then the confinement
matrix: every operation called by a token confined to school A holding every scope, on
school B's resources, leaks nothing and changes nothing."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import app.adapters.db.tables  # noqa: F401  (registers every table in the metadata)
from app.domain.auth import PROFILES, SCOPES
from app.main import create_app
from app.settings import Settings
from tests.contract.conftest import LiveServer
from tests.fakes import FakeClock

CONTRACT = json.loads(
    (Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text()
)
PUBLIC = {"/healthz", "/readyz", "/metrics", "/.well-known/jwks.json", "/api/v1/oauth/token"}
SCHOOL_A, SCHOOL_B, MISSING_SCHOOL = "ifms-rodez", "ifms-albi", "zz-no-such-school"
PATH_VALUES = {
    "code": SCHOOL_A,
    "uid": "abc1234d",
    "academic_year": "2025-2026",
    "name": "outbox-dispatch",
}
QUERY_VALUES = {"from": "2025-03-03T10:00:00Z", "days": "15",
                "received_at": "2025-03-03T10:00:00Z"}
SCOPE_RE = re.compile(r"Scope: (.*?)\.(?:\s|$)")


def _operations():
    for path, operations in CONTRACT["paths"].items():
        if path in PUBLIC:
            continue
        for method, operation in operations.items():
            match = SCOPE_RE.search(operation.get("description", ""))
            assert match, f"{method.upper()} {path} names no scope"
            scopes = tuple(re.findall(r"`([^`]+)`", match.group(1)))
            yield pytest.param(path, method, operation, scopes, id=f"{method.upper()} {path}")


OPERATIONS = list(_operations())


def _url(path: str, **overrides: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return overrides.get(name) or PATH_VALUES.get(name, "01900000-0000-7000-8000-000000000000")

    return re.sub(r"\{([^}]+)\}", value, path)


def _query(operation: dict) -> dict[str, str]:
    return {
        p["name"]: QUERY_VALUES[p["name"]]
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }


def _call(server: LiveServer, method: str, path: str, operation: dict, token: str | None,
          **overrides: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs: dict = {"params": _query(operation), "headers": headers}
    if method in ("post", "put", "patch"):
        kwargs["json"] = {}
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        return client.request(method.upper(), _url(path, **overrides), **kwargs)


def _token(server: LiveServer, scopes, schools=None, sub="matrix") -> str:
    return server.app.state.container.tokens.issue(  # type: ignore[attr-defined]
        subject=sub, scopes=list(scopes), client_id="matrix", schools=schools,
        now=datetime.now(UTC),
    )


CALLERS = {name: (scopes, [SCHOOL_A] if name == "school-referent" else None)
           for name, scopes in PROFILES.items()}


@pytest.mark.parametrize(("path", "method", "operation", "scopes"), OPERATIONS)
def test_every_operation_answers_each_caller_as_documented(
    live_server: LiveServer, path, method, operation, scopes
):
    documented = set(operation["responses"])
    anonymous = _call(live_server, method, path, operation, None)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["www-authenticate"].startswith("Bearer")

    unrelated = next(s for s in SCOPES if s not in scopes)
    wrong = _call(live_server, method, path, operation, _token(live_server, [unrelated]))
    assert wrong.status_code == 403, wrong.text

    for name, (granted, schools) in CALLERS.items():
        response = _call(live_server, method, path, operation,
                         _token(live_server, granted, schools, sub=name))
        if set(granted) & set(scopes):
            assert response.status_code not in (401, 403), (name, response.text)
            assert response.status_code < 500, (name, response.text)
            assert str(response.status_code) in documented, (name, response.status_code)
        else:
            assert response.status_code == 403, (name, response.text)


SCHOOL_OPERATIONS = [p for p in OPERATIONS if "{code}" in p.values[0]]


@pytest.mark.parametrize(("path", "method", "operation", "scopes"), SCHOOL_OPERATIONS)
def test_another_schools_resource_answers_like_a_missing_one(
    live_server: LiveServer, path, method, operation, scopes
):
    referent_scopes = PROFILES["school-referent"]
    if not set(referent_scopes) & set(scopes):
        pytest.skip("the referent profile may not call this operation")
    token = _token(live_server, referent_scopes, [SCHOOL_A], sub="referent-a")
    other = _call(live_server, method, path, operation, token, code=SCHOOL_B)
    missing = _call(live_server, method, path, operation, token, code=MISSING_SCHOOL)
    assert other.status_code == missing.status_code
    if other.status_code == 404:
        strip = lambda body: {k: v for k, v in body.items() if k != "instance"}  # noqa: E731
        assert strip(other.json()) == strip(missing.json())
    assert other.status_code in (404, 422, 428), other.text


# ---------------------------------------------------------------------------------------
# Confinement on writes and lists: for EVERY operation, a token confined to school A that
# holds EVERY scope, against school B's resources (seeded by UT's admin). Nothing leaks
# (another school's resource answers byte for byte as a missing one; no list or export
# carries B's data) and nothing changes (every table compared before and after).

CONFINED_START = "2025-03-03T09:00:00+00:00"
MISSING_ID = "01900000-0000-7000-8000-000000000000"
MISSING_UID = "zzz9999z"

# What each path parameter names, by the path's prefix: `school` = a resource of one
# school; `private` = an operator's record of no school (invisible to a confined caller);
# `reference` = convention-wide data every party reads (a confined caller may not change
# it). A new parameter or prefix that is not here fails the suite.
RESOURCES: list[tuple[str, str, str]] = [
    ("/api/v1/schools/{code}", "code", "school"),
    ("/api/v1/renewal-campaigns/{academic_year}/schools/{code}", "code", "school"),
    ("/api/v1/renewal-campaigns/{academic_year}", "academic_year", "reference"),
    ("/api/v1/accounts/{uid}", "uid", "school"),
    ("/api/v1/account-requests/{id}", "id", "school"),
    ("/api/v1/trainings/{training_id}", "training_id", "school"),
    ("/api/v1/suspensions/{id}", "id", "school"),
    ("/api/v1/support-requests/{id}", "id", "school"),
    ("/api/v1/enrolments/{id}", "id", "school"),
    ("/api/v1/obligations/{obligation_id}", "obligation_id", "school"),
    ("/api/v1/billing/statements/{id}", "id", "private"),
    ("/api/v1/breaches/{id}", "id", "private"),
    ("/api/v1/jobs/{name}", "name", "private"),
    ("/api/v1/outbox-messages/{id}", "id", "private"),
    ("/api/v1/calendar/closures/{closure_id}", "closure_id", "reference"),
    ("/api/v1/convention/termination-notices/{id}", "id", "reference"),
    ("/api/v1/enrolment-campaigns/{academic_year}", "academic_year", "reference"),
]

TODAY, NOW = "2025-06-02", "2025-06-02T09:00:00+02:00"
# A valid body for every operation that takes one; `{school}` is school B or a missing
# school. Collection writes naming no school are convention-wide (403 `school-confined`).
BODIES: dict[str, object] = {
    "POST /api/v1/schools": {"code": "ifms-new", "name": "IFMS Nouveau",
                             "amendment_reference": "AV-2025-1"},
    "PATCH /api/v1/schools/{code}": {"name": "Renommée"},
    "POST /api/v1/calendar/closures": {"starts_on": "2026-04-06", "ends_on": "2026-04-10",
                                       "label": "Pâques"},
    "POST /api/v1/account-requests": {
        "ticket_ref": "T-ALBI-OPEN", "school_code": "{school}", "kind": "referent",
        "given_name": "Albane", "family_name": "Albipending",
        "email": "albi.pending@ifsi-albi.example", "received_at": CONFINED_START},
    "POST /api/v1/account-requests/{id}/fulfilment": {},
    "POST /api/v1/account-requests/{id}/rejection": {"reason": "doublon"},
    "POST /api/v1/account-requests/{id}/cancellation": {},
    "POST /api/v1/accounts/{uid}/lock": {"reason": "compte compromis"},
    "POST /api/v1/accounts/{uid}/unlock": {},
    "POST /api/v1/trainings/{training_id}/proposal": {"session_on": "2025-06-20"},
    "POST /api/v1/trainings/{training_id}/completion": {},
    "POST /api/v1/renewal-campaigns": {"academic_year": "2026-2027"},
    "PUT /api/v1/renewal-campaigns/{academic_year}/schools/{code}/decisions":
        {"decisions": []},
    "POST /api/v1/convention/amendments": {"reference": "AV-2025-9", "signed_on": TODAY,
                                           "effective_on": "2025-09-01"},
    "POST /api/v1/convention/termination-notices": {
        "notifying_party": "ut", "defaulting_party": "region", "grounds": "article 5",
        "letter_ref": "L-2", "received_on": TODAY},
    "POST /api/v1/convention/termination-notices/{id}/cure": {"cured_on": TODAY},
    "POST /api/v1/schools/{code}/suspensions": {
        "ground": "breach_of_obligations", "scope": "platform",
        "notified_at": "2025-06-02T08:00:00+02:00", "notice_ref": "UT-2025-99",
        "details": "manquement"},
    "POST /api/v1/suspensions/{id}/restoration-request": {"corrective_actions": "corrigé"},
    "POST /api/v1/suspensions/{id}/lifting": {"notified_at": "2025-06-02T08:30:00+02:00",
                                              "notice_ref": "UT-2025-L"},
    "POST /api/v1/suspensions/{id}/restoration-refusal": {
        "notified_at": "2025-06-02T08:30:00+02:00", "notice_ref": "UT-2025-R"},
    "POST /api/v1/support-requests": {
        "message_id": "<albi-1@ifsi-albi.example>", "received_at": "2025-03-03T08:00:00Z",
        "from_email": "albi.referent@ifsi-albi.example", "subject": "Accès Moodle",
        "school_code": "{school}"},
    "POST /api/v1/support-requests/{id}/first-response": {"responded_at": NOW},
    "POST /api/v1/support-requests/{id}/closure": {"closed_at": NOW},
    "PUT /api/v1/enrolment-campaigns/{academic_year}": {
        "main_opens_on": "2025-07-01", "main_closes_on": "2025-10-31",
        "s2_opens_on": "2026-01-05", "s2_closes_on": "2026-02-27"},
    "POST /api/v1/enrolments": {"items": [{
        "student_number": "20259001", "school_code": "{school}", "academic_year": "2024-2025",
        "enrolled_on": "2024-09-15", "given_name": "Albin", "family_name": "Albistudent",
        "email": "albi.student@ifsi-albi.example"}]},
    "POST /api/v1/enrolments/{id}/cancellation": {"cancelled_on": TODAY},
    "POST /api/v1/storage/snapshots": {"items": [{
        "snapshot_id": "albi-snap-1", "school_code": "{school}",
        "measured_at": "2025-06-02T06:00:00Z", "bytes_used": 45_000_000_000}]},
    "POST /api/v1/billing/statements": {"academic_year": "2024-2025"},
    "POST /api/v1/billing/statements/{id}/revision": {"reason": "recomptage"},
    "POST /api/v1/billing/statements/{id}/payments": {"received_on": TODAY,
                                                      "amount_cents": 100, "reference": "P-1"},
    "POST /api/v1/accounts/{uid}/erasure": {"reason": "demande de la personne"},
    "POST /api/v1/obligations/{obligation_id}/evidence": {"occurred_on": TODAY,
                                                          "document_ref": "PV-1"},
    "POST /api/v1/obligations/{obligation_id}/waiver": {"reason": "sans objet"},
    "POST /api/v1/breaches": {"reference": "VDP-2025-1", "discovered_by": "ut",
                              "discovered_at": "2025-06-01T10:00:00Z",
                              "description": "fuite d'un export"},
    "POST /api/v1/breaches/{id}/dpo-notifications": {"party": "gcs", "informed_at": NOW},
    "POST /api/v1/convention/signatures": {"party": "gcs", "signed_on": TODAY},
    "POST /api/v1/convention/obligations-contacts": {"party": "gcs",
                                                     "email": "secretariat@gcs.example"},
}
# Lists that, unconfined, do carry school B's data in this world: the confined caller's
# copy must not (so the check below can fail).
LISTS_WITH_OTHER_SCHOOL_DATA = {
    "/api/v1/audit-events", "/api/v1/outbox-messages", "/api/v1/accounts",
    "/api/v1/account-requests", "/api/v1/trainings", "/api/v1/suspensions",
    "/api/v1/support-requests", "/api/v1/support-requests/stats", "/api/v1/enrolments",
    "/api/v1/enrolment-campaigns/{academic_year}/census", "/api/v1/storage/usage",
    "/api/v1/storage/alerts", "/api/v1/billing/statements", "/api/v1/breaches",
}
LIST_QUERIES = {"/api/v1/jobs": {}, "/api/v1/audit-events": {"limit": "500"},
                "/api/v1/outbox-messages": {"limit": "500"}}


def _kind(path: str) -> tuple[str, str] | None:
    """(kind, parameter) of the resource a path addresses, None for a collection."""
    if "{" not in path:
        return None
    for prefix, parameter, kind in RESOURCES:
        if path.startswith(prefix) and "{" not in path[len(prefix):]:
            return kind, parameter
    raise AssertionError(f"{path}: its resource is not classified in RESOURCES")


def _is_list(path: str, method: str) -> bool:
    return method == "get" and (_kind(path) is None or path.endswith(("/census", "/runs")))


@dataclass
class ConfinedWorld:
    app: object
    client: httpx.AsyncClient
    url: str
    admin: dict[str, str]
    confined: dict[str, str]
    ids: dict[str, str]  # path template → school B's resource
    markers: set[str]  # what no confined answer may carry


@pytest.fixture(scope="module")
async def world(databases, key_file) -> AsyncIterator[ConfinedWorld]:
    url = await databases.fresh()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test", database_url=url, jwt_private_key_file=key_file,
        auto_migrate=False, seed_on_start=True, run_scheduler=False, log_level="WARNING",
    )
    clock = FakeClock(CONFINED_START)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            tokens = app.state.container.tokens  # type: ignore[attr-defined]

            def headers(schools: list[str] | None, sub: str) -> dict[str, str]:
                return {"Authorization": "Bearer " + tokens.issue(
                    subject=sub, scopes=list(SCOPES), client_id=sub, schools=schools,
                    now=clock.now(),
                )}

            ids = await _seed(client, clock, lambda: headers(None, "ut-admin"))
            # Tokens minted at the final instant (they would expire if minted earlier).
            admin = headers(None, "ut-admin")
            confined = headers([SCHOOL_A], "confined-a")
            # School B's own resources and people; not the convention-wide ones.
            shared = {"{academic_year}", "/api/v1/jobs/{name}",
                      "/api/v1/calendar/closures/{closure_id}",
                      "/api/v1/convention/termination-notices/{id}",
                      # a small integer, in any answer; the mails' recipients are markers
                      "/api/v1/outbox-messages/{id}"}
            markers = {v for k, v in ids.items() if k not in shared} | {
                SCHOOL_B, "Albireferent", "albi.referent@ifsi-albi.example", "Albipending",
                "albi.pending@ifsi-albi.example", "Albistudent",
                "albi.student@ifsi-albi.example", "Albitrainer",
            }
            yield ConfinedWorld(app, client, url, admin, confined, ids, markers)
    await databases.drop(url)


async def _ok(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in (statuses or (200, 201)), response.text
    return response.json()


async def _seed(client: httpx.AsyncClient, clock: FakeClock, admin_now) -> dict[str, str]:
    """School B's resources of every kind, made by UT's admin through the API (its token
    minted at each call's instant)."""
    post = client.post

    async def request(ticket: str, family: str, email: str, kind: str = "referent") -> dict:
        return await _ok(await post("/api/v1/account-requests", headers=admin_now(), json={
            "ticket_ref": ticket, "school_code": SCHOOL_B, "kind": kind,
            "given_name": "Albane", "family_name": family, "email": email,
            "received_at": CONFINED_START}))

    referent = await request("T-ALBI-1", "Albireferent", "albi.referent@ifsi-albi.example")
    uid = (await _ok(await post(f"/api/v1/account-requests/{referent['id']}/fulfilment",
                                headers=admin_now(), json={})))["uid"]
    trainer = await request("T-ALBI-2", "Albitrainer", "albi.trainer@ifsi-albi.example",
                            "trainer")
    locked = (await _ok(await post(f"/api/v1/account-requests/{trainer['id']}/fulfilment",
                                   headers=admin_now(), json={})))["uid"]
    await _ok(await post(f"/api/v1/accounts/{locked}/lock", headers=admin_now(),
                         json={"reason": "compte compromis"}))
    pending = await request("T-ALBI-OPEN", "Albipending", "albi.pending@ifsi-albi.example")
    trainings = await _ok(await client.get("/api/v1/trainings", headers=admin_now(),
                                           params={"school_code": SCHOOL_B}))
    support = await _ok(await post("/api/v1/support-requests", headers=admin_now(),
                                   json={**BODIES["POST /api/v1/support-requests"],
                                         "school_code": SCHOOL_B}))
    enrolled = await _ok(await post("/api/v1/enrolments", headers=admin_now(), json={"items": [
        {**BODIES["POST /api/v1/enrolments"]["items"][0], "school_code": SCHOOL_B}]}))
    [enrolment] = enrolled["results"]
    assert enrolment["status"] == "created", enrolled
    closure = await _ok(await post("/api/v1/calendar/closures", headers=admin_now(), json={
        "starts_on": "2025-12-24", "ends_on": "2025-12-31", "label": "Noël"}))
    statement = await _ok(await post("/api/v1/billing/statements", headers=admin_now(),
                                     json={"academic_year": "2024-2025"}))
    outbox = await client.get("/api/v1/outbox-messages", headers=admin_now())
    mail_id = outbox.json()["items"][0]["id"]
    clock.set(NOW)
    stored = await _ok(await post("/api/v1/storage/snapshots", headers=admin_now(), json={
        "items": [{**BODIES["POST /api/v1/storage/snapshots"]["items"][0],
                   "school_code": SCHOOL_B}]}))
    assert stored["accepted"] == 1, stored
    suspension = await _ok(await post(f"/api/v1/schools/{SCHOOL_B}/suspensions",
                                      headers=admin_now(),
                                      json=BODIES["POST /api/v1/schools/{code}/suspensions"]))
    await _ok(await post("/api/v1/renewal-campaigns", headers=admin_now(),
                         json={"academic_year": "2025-2026"}))
    notice = await _ok(await post("/api/v1/convention/termination-notices", headers=admin_now(),
                                  json={**BODIES["POST /api/v1/convention/termination-notices"],
                                        "letter_ref": "L-1"}))
    breach = await _ok(await post("/api/v1/breaches", headers=admin_now(),
                                  json=BODIES["POST /api/v1/breaches"]))
    return {
        "/api/v1/breaches/{id}": breach["id"],
        "/api/v1/accounts/{uid}": uid,
        "/api/v1/accounts/{uid}/unlock": locked,
        "/api/v1/account-requests/{id}": pending["id"],
        "/api/v1/trainings/{training_id}": trainings["items"][0]["id"],
        "/api/v1/suspensions/{id}": suspension["id"],
        "/api/v1/support-requests/{id}": support["id"],
        "/api/v1/enrolments/{id}": enrolment["enrolment_id"],
        "/api/v1/obligations/{obligation_id}": f"R-OBL-1:account-request:{pending['id']}",
        "/api/v1/billing/statements/{id}": statement["id"],
        "/api/v1/calendar/closures/{closure_id}": closure["id"],
        "/api/v1/convention/termination-notices/{id}": notice["id"],
        "/api/v1/jobs/{name}": "outbox-dispatch",
        "/api/v1/outbox-messages/{id}": str(mail_id),
        "{academic_year}": "2025-2026",
        "enrolment_uid": enrolment["uid"],
    }


def _value(world: ConfinedWorld, path: str, parameter: str, *, missing: bool) -> str:
    if parameter == "academic_year":
        return "2024-2025" if path.startswith("/api/v1/enrolment-campaigns") else "2025-2026"
    if parameter == "code":
        return MISSING_SCHOOL if missing else SCHOOL_B
    if missing:
        if path.startswith("/api/v1/outbox-messages/"):
            return "999999999"  # outbox messages have integer ids
        return {"uid": MISSING_UID, "name": "no-such-job",
                "obligation_id": f"R-OBL-1:account-request:{MISSING_ID}"}.get(parameter,
                                                                             MISSING_ID)
    prefix = next(p for p, name, _ in RESOURCES if name == parameter and path.startswith(p))
    return world.ids.get(path, world.ids[prefix])


def _request(world: ConfinedWorld, path: str, method: str, *, missing: bool) -> dict:
    url = re.sub(r"\{([^}]+)\}", lambda m: _value(world, path, m.group(1), missing=missing),
                 path)
    request: dict = {"method": method.upper(), "url": url,
                     "headers": {**world.confined, "If-Match": '"1"'}}
    key = f"{method.upper()} {path}"
    if key in BODIES:
        school = MISSING_SCHOOL if missing else SCHOOL_B
        request["content"] = json.dumps(BODIES[key]).replace('"{school}"', f'"{school}"')
        request["headers"]["Content-Type"] = "application/json"
    request["params"] = {**_query(_operation(path, method)), **LIST_QUERIES.get(path, {})}
    return request


def _operation(path: str, method: str) -> dict:
    return CONTRACT["paths"][path][method]


async def _tables(url: str) -> dict[str, list[str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return {
                table.name: sorted(repr(tuple(row)) for row in
                                   (await connection.execute(select(table))).all())
                for table in SQLModel.metadata.sorted_tables
            }
    finally:
        await engine.dispose()


def _seen(response: httpx.Response) -> str:
    """What the answer tells (a problem's `instance` only repeats the caller's own path)."""
    if not response.content:
        return ""
    return json.dumps(_without_instance(response), ensure_ascii=False)


def _without_instance(response: httpx.Response) -> object:
    body = response.json()
    return {k: v for k, v in body.items() if k != "instance"} if isinstance(body, dict) else body


def test_every_operation_and_body_is_classified_for_the_confinement_matrix():
    keys = {f"{p.values[1].upper()} {p.values[0]}" for p in OPERATIONS}
    for path, method, operation, _ in (p.values for p in OPERATIONS):
        _kind(path)
        if "requestBody" in operation:
            assert f"{method.upper()} {path}" in BODIES, f"no body for {method} {path}"
    assert set(BODIES) <= keys, set(BODIES) - keys


@pytest.mark.parametrize(("path", "method", "operation", "scopes"), OPERATIONS)
async def test_a_confined_token_with_every_scope_leaks_nothing_and_changes_nothing(
    world: ConfinedWorld, path, method, operation, scopes
):
    before = await _tables(world.url)
    response = await world.client.request(**_request(world, path, method, missing=False))
    assert response.status_code < 500, response.text
    assert str(response.status_code) in operation["responses"], response.status_code
    assert await _tables(world.url) == before, "a confined call changed the tables"
    leaked = {m for m in world.markers if m in _seen(response)}
    assert not leaked, f"school B's data in the answer: {sorted(leaked)}"

    kind = _kind(path)
    if _is_list(path, method):
        if response.status_code == 200 and path in LISTS_WITH_OTHER_SCHOOL_DATA:
            unconfined = await world.client.request(**{
                **_request(world, path, method, missing=False), "headers": world.admin})
            assert any(m in unconfined.text for m in world.markers), (
                "the world holds no school B data for this list: the check cannot fail")
        if kind is None or kind[0] != "private":
            return
    if kind is None and method == "get":
        return
    if kind is not None and kind[0] in ("school", "private"):
        missing = await world.client.request(**_request(world, path, method, missing=True))
        assert response.status_code == missing.status_code, (response.text, missing.text)
        assert _without_instance(response) == _without_instance(missing)
        assert response.status_code in (404, 200), response.text  # 200: a filtered list
        return
    if method == "get":  # convention-wide data: readable
        assert response.status_code == 200, response.text
        return
    if "{school}" in json.dumps(BODIES.get(f"{method.upper()} {path}", "")):
        missing = await world.client.request(**_request(world, path, method, missing=True))
        assert (response.status_code, _without_instance(response)) == (
            missing.status_code, _without_instance(missing))
        return
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "school-confined"
