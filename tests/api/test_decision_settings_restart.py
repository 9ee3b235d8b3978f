"""RULES.md preamble: a decision setting takes effect at start-up on any database. Each
test starts the service with the default readings, records data, stops it, starts it
again on the same database with one setting at its other value and shows the answer
change (or the start refused with `invalid-setting`). Recorded outcomes stay as they were.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from app.domain.auth import PROFILES, SCOPES
from app.domain.errors import InvalidInput
from app.domain.reference import SCHOOLS
from app.main import create_app
from app.services.storage import REMINDERS_JOB
from tests.api.storage_helpers import GB, add_referent, measure, queued, run

_numbers = itertools.count(80_000_000)
GIB = 1 << 30
ALL_SCHOOLS = [s.code for s in SCHOOLS]


@asynccontextmanager
async def started(settings, clock, **readings) -> AsyncIterator[tuple[object, object]]:
    """The service started on the test's database with `readings` over the defaults:
    (app, a client whose `as_(*scopes)` headers carry a token minted now)."""
    app = create_app(settings.model_copy(update=readings), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield app, c


def headers(app, clock, *scopes: str, profile: str | None = None) -> dict[str, str]:
    granted = list(scopes) + (list(PROFILES[profile]) if profile else [])
    token = app.state.container.tokens.issue(now=clock.now(), subject="ut-admin", scopes=granted,
                                   client_id="test-client", schools=None)
    return {"Authorization": f"Bearer {token}"}


class _Token(str):
    """The bare token of a headers dict (the storage helpers add `Bearer ` themselves)."""

    def __new__(cls, h: dict[str, str]):
        return super().__new__(cls, h["Authorization"].removeprefix("Bearer "))


def admin(app, clock) -> dict[str, str]:
    return headers(app, clock, *SCOPES)


async def usage_of(client, h, code: str = "ifms-rodez") -> dict:
    body = (await client.get("/api/v1/storage/usage", headers=h)).json()
    return next(s for s in body["schools"] if s["school_code"] == code)


async def rodez_measured(app, client, clock, bytes_used: int) -> str:
    """A referent for ifms-rodez, one snapshot of `bytes_used` at 08:00Z: its level."""
    await add_referent(app, "ifms-rodez", "referente.rodez@ifsi.example")
    clock.set("2025-03-03T07:55:00Z")
    plugin = _Token(headers(app, clock, profile="moodle-plugin"))
    await measure(client, clock, plugin, "ifms-rodez", "2025-03-03T08:00:00Z", bytes_used)
    return (await usage_of(client, admin(app, clock)))["level"]


async def test_size_unit_iec_rereads_41_go_on_a_database_seeded_in_si_and_back(
    settings, clock
):
    """R-UNIT-1a: 42 GB is critical under SI (41 GB); restarted in IEC the threshold is
    41 GiB (44,023,414,784 bytes): critical clears to warning (42 + 1 GB hysteresis <
    41 GiB, but ≥ 90 % of it), recorded, not mailed; restarted in SI it rises again and
    is mailed as any rise."""
    async with started(settings, clock) as (app, client):
        assert await rodez_measured(app, client, clock, 42 * GB) == "critical"
        assert len(await queued(app, "storage-alert")) == 1

    async with started(settings, clock, size_unit="IEC") as (app, client):
        h = admin(app, clock)
        convention = (await client.get("/api/v1/convention", headers=h)).json()
        assert convention["terms"]["school_alert_threshold_bytes"] == 41 * GIB
        assert convention["terms"]["storage_capacity_bytes"] == 500 * GIB
        rodez = await usage_of(client, h)
        assert (rodez["level"], rodez["threshold_bytes"]) == ("warning", 41 * GIB)
        events = (await client.get("/api/v1/storage/alerts", headers=h)).json()["items"]
        assert [(e["kind"], e["level_to"]) for e in events] == [
            ("raised", "critical"), ("cleared", "warning")]
        assert len(await queued(app, "storage-alert")) == 1  # a clearing is not mailed

    async with started(settings, clock, size_unit="IEC") as (app, client):
        events = (await client.get("/api/v1/storage/alerts",
                                   headers=admin(app, clock))).json()["items"]
        assert len(events) == 2  # the same reading again changes nothing

    async with started(settings, clock) as (app, client):
        h = admin(app, clock)
        assert (await usage_of(client, h))["level"] == "critical"
        events = (await client.get("/api/v1/storage/alerts", headers=h)).json()["items"]
        assert [(e["kind"], e["level_to"]) for e in events][-1] == ("raised", "critical")
        mails = await queued(app, "storage-alert")
        assert len(mails) == 2
        assert "42,00 Go" in mails[-1].body_text


async def test_an_amended_threshold_is_not_reinterpreted_by_the_size_unit(settings, clock):
    """R-UNIT-1a: amendments state bytes; the IEC reading changes only the convention's
    own figures."""
    async with started(settings, clock) as (app, client):
        h = admin(app, clock)
        amended = await client.post("/api/v1/convention/amendments", headers=h, json={
            "reference": "AV-SEUIL", "signed_on": "2025-01-10", "effective_on": "2025-02-01",
            "changes": {"school_alert_threshold_bytes": 50 * GB}})
        assert amended.status_code == 201, amended.text
    async with started(settings, clock, size_unit="IEC") as (app, client):
        terms = (await client.get("/api/v1/convention", headers=admin(app, clock),
                                  params={"at": "2025-03-03"})).json()["terms"]
        assert terms["school_alert_threshold_bytes"] == 50 * GB
        assert terms["storage_capacity_bytes"] == 500 * GIB


async def test_student_grace_false_ends_a_continuing_students_access_on_31_august(
    settings, clock
):
    """R-ACC-7: with the grace (default) a continuing student enrolled for 2024-2025 is
    in `grace` on 1 Sept 2025; restarted with STUDENT_GRACE=false, expired that day."""
    async with started(settings, clock) as (app, client):
        office = headers(app, clock, profile="schooling-office")
        body = {"items": [{
            "student_number": str(next(_numbers)), "school_code": "ifms-rodez",
            "academic_year": "2024-2025", "enrolled_on": "2024-09-16", "given_name": "Léa",
            "family_name": "Dupont", "email": "lea.dupont@example.org"}]}
        response = await client.post("/api/v1/enrolments", json=body, headers=office)
        uid = response.json()["results"][0]["uid"]
        access = await client.get(f"/api/v1/accounts/{uid}/access", headers=admin(app, clock),
                                  params={"at": "2025-09-01T00:00:00+02:00"})
        assert access.json()["status"] == "grace"

    async with started(settings, clock, student_grace=False) as (app, client):
        h = admin(app, clock)
        for at, status in (("2025-08-31T23:59:59+02:00", "active"),
                           ("2025-09-01T00:00:00+02:00", "expired")):
            access = await client.get(f"/api/v1/accounts/{uid}/access", headers=h,
                                      params={"at": at})
            assert access.json()["status"] == status, at
        account = (await client.get(f"/api/v1/accounts/{uid}", headers=h)).json()
        assert [r["grace_until"] for r in account["roles"]] == [None]


async def test_termination_access_end_notice_year_ends_access_on_the_effective_date(
    settings, clock
):
    """R-CONV-4: a notice received 2027-06-15 takes effect 2027-09-15. By default access
    runs to 31 Aug 2028; with `notice_year`, 31 Aug 2027 of the letter's year would be
    before the effective date, so access ends on 2027-09-15."""
    clock.set("2027-06-15T10:00:00Z")
    async with started(settings, clock) as (app, client):
        h = admin(app, clock)
        notice = await client.post("/api/v1/convention/termination-notices", headers=h, json={
            "notifying_party": "region", "defaulting_party": "ut",
            "grounds": "inexécution de l'article 5", "letter_ref": "LRAR-1",
            "received_on": "2027-06-15"})
        assert notice.status_code == 201, notice.text
        assert notice.json()["access_end_on"] == "2028-08-31"
        status = (await client.get("/api/v1/convention", headers=h,
                                   params={"at": "2027-09-15"})).json()
        assert status["access_end_on"] == "2028-08-31"

    async with started(settings, clock, termination_access_end="notice_year") as (app, client):
        h = admin(app, clock)
        status = (await client.get("/api/v1/convention", headers=h,
                                   params={"at": "2027-09-15"})).json()
        assert (status["state"], status["access_end_on"]) == ("terminated", "2027-09-15")
        ended = (await client.get("/api/v1/convention", headers=h,
                                  params={"at": "2027-09-16"})).json()
        assert ended["state"] == "ended"
        [listed] = (await client.get("/api/v1/convention/termination-notices",
                                     headers=h)).json()["items"]
        assert listed["access_end_on"] == "2027-09-15"


async def test_closures_for_support_only_move_an_open_requests_due_date_back(
    settings, clock
):
    """R-TIME-3, R-TIME-4: received 2025-12-18, due 15 days later: 2026-01-02 falls in
    the Christmas closure, so the default reading moves it to Monday 2026-01-05;
    restarted with CLOSURES_COUNT_FOR_ALL_DEADLINES=false the open request is due on
    Friday 2026-01-02 again (1 Jan is the holiday, not the 2nd)."""
    clock.set("2025-12-18T10:00:00Z")
    async with started(settings, clock) as (app, client):
        h = admin(app, clock)
        closure = await client.post("/api/v1/calendar/closures", headers=h, json={
            "starts_on": "2025-12-20", "ends_on": "2026-01-04", "label": "Fermeture de Noël"})
        assert closure.status_code == 201, closure.text
        filed = await client.post("/api/v1/account-requests", headers=h, json={
            "ticket_ref": "T-XMAS", "school_code": "ifms-rodez", "kind": "trainer",
            "given_name": "Camille", "family_name": "Martin",
            "email": "camille.martin@example.org", "received_at": "2025-12-18T09:00:00+01:00"})
        assert filed.json()["due_on"] == "2026-01-05", filed.text
        request_id = filed.json()["id"]

    async with started(settings, clock, closures_count_for_all_deadlines=False) as (
        app, client
    ):
        read = await client.get(f"/api/v1/account-requests/{request_id}",
                                headers=admin(app, clock))
        assert read.json()["due_on"] == "2026-01-02"


async def test_literal_48_opening_hours_move_an_unanswered_support_deadline(
    settings, clock
):
    """R-SUP-1, R-SUP-2: an open request's deadline follows the reading in force at each
    start; the calculator gives the same instant."""
    async with started(settings, clock) as (app, client):
        h = admin(app, clock)
        created = await client.post("/api/v1/support-requests", headers=h, json={
            "message_id": "<restart-1@ifsi.example>", "received_at": "2025-03-03T09:00:00+01:00",
            "from_email": "secretariat@ifsi.example", "subject": "Accès"})
        assert created.status_code == 201, created.text
        before = created.json()["response_due_at"]
        assert before == "2025-03-05T08:00:00Z"  # 18 opening hours

    async with started(settings, clock, support_deadline_reading="literal_48_hours") as (
        app, client
    ):
        h = admin(app, clock)
        read = (await client.get(f"/api/v1/support-requests/{created.json()['id']}",
                                 headers=h)).json()
        assert read["response_due_at"] != before
        assert read["response_due_at"] == "2025-03-10T11:00:00Z"  # 48 opening hours


async def test_census_on_a_fixed_31_october_whatever_the_stored_windows(settings, clock):
    """R-BIL-1: windows stored with the main campaign closing 15 Nov; the census moves
    from that close to the fixed 31 Oct when restarted with CENSUS_ON_MAIN_CLOSE=false."""
    campaign = "/api/v1/enrolment-campaigns/2024-2025"
    async with started(settings, clock) as (app, client):
        h = admin(app, clock)
        changed = await client.put(campaign, headers=h | {"If-Match": '"0"'}, json={
            "main_opens_on": "2024-07-01", "main_closes_on": "2024-11-15",
            "s2_opens_on": "2025-01-01", "s2_closes_on": "2025-02-28"})
        assert changed.status_code == 200, changed.text
        assert changed.json()["census_on"] == "2024-11-15"
    async with started(settings, clock, census_on_main_close=False) as (app, client):
        read = (await client.get(campaign, headers=admin(app, clock))).json()
        assert (read["main_closes_on"], read["census_on"]) == ("2024-11-15", "2024-10-31")


async def test_an_open_campaigns_answer_deadlines_follow_the_settings_at_start(
    settings, clock
):
    """R-ACC-5: a campaign opened with the default deadlines (30 and 25 June) and still
    open takes 28 and 20 June when restarted with those settings."""
    clock.set("2025-06-02T08:00:00Z")
    async with started(settings, clock) as (app, client):
        opened = await client.post("/api/v1/renewal-campaigns", headers=admin(app, clock),
                                   json={"academic_year": "2025-2026"})
        assert opened.status_code == 201, opened.text
        assert (opened.json()["referent_deadline"],
                opened.json()["trainer_deadline"]) == ("2025-06-30", "2025-06-25")
    async with started(settings, clock, referent_answer_deadline="06-28",
                       trainer_answer_deadline="06-20") as (app, client):
        read = (await client.get("/api/v1/renewal-campaigns/2025-2026",
                                 headers=admin(app, clock))).json()
        assert (read["referent_deadline"], read["trainer_deadline"]) == (
            "2025-06-28", "2025-06-20")


async def test_a_warning_percent_of_95_clears_a_warning_raised_at_90_without_a_mail(
    settings, clock
):
    """R-STO-2: 37 GB is a warning at 90 % (36.9 GB); restarted with 95 % (38.95 GB)
    the level falls (37 + 1 GB hysteresis < 38.95 GB), recorded and not mailed."""
    async with started(settings, clock) as (app, client):
        assert await rodez_measured(app, client, clock, 37 * GB) == "warning"
    async with started(settings, clock, warning_ratio_percent=95) as (app, client):
        assert (await usage_of(client, admin(app, clock)))["level"] == "ok"
        assert len(await queued(app, "storage-alert")) == 1


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("renewal_season_starts", "06-31"),
        ("referent_answer_deadline", "June 30"),
        ("retrieval_reminder_days", "90,,30"),
    ],
)
def test_a_malformed_decision_setting_refuses_the_start(settings, clock, setting, value):
    """RULES.md preamble: a malformed value is refused at start-up (`invalid-setting`)."""
    with pytest.raises(InvalidInput) as refused:
        create_app(settings.model_copy(update={setting: value}), clock=clock)
    assert refused.value.code == "invalid-setting"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SIZE_UNIT", "GiB"),
        ("STUDENT_GRACE", "perhaps"),
        ("TERMINATION_ACCESS_END", "end_of_notice"),
        ("SUPPORT_DEADLINE_READING", "48h"),
        ("CENSUS_ON_MAIN_CLOSE", "31-10"),
        ("CLOSURES_COUNT_FOR_ALL_DEADLINES", "sometimes"),
        ("WARNING_RATIO_PERCENT", "100"),
        ("RETENTION_CLOSED_REQUEST_MONTHS", "0"),
    ],
)
def test_a_malformed_environment_variable_refuses_the_start_naming_it(
    monkeypatch, clock, variable, value
):
    """RULES.md preamble: the settings read from the environment; a malformed value is
    refused at start-up with `invalid-setting`, naming the variable, not its value."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidInput) as refused:
        create_app(clock=clock)
    assert refused.value.code == "invalid-setting"
    assert variable in refused.value.detail and value not in refused.value.detail


def test_production_without_the_creation_mail_links_refuses_the_start(monkeypatch, clock):
    """R-ACC-9a through the environment."""
    for name, value in {"ENVIRONMENT": "production",
                        "DATABASE_URL": "postgresql+asyncpg://svc@db/convention",
                        "JWT_PRIVATE_KEY_FILE": "/run/secrets/key.pem",
                        "MOODLE_URL": "https://moodle.univ-tlse3.fr"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ACTIVATION_URL", raising=False)
    with pytest.raises(InvalidInput) as refused:
        create_app(clock=clock)
    assert refused.value.code == "invalid-setting"
    assert "ACTIVATION_URL" in refused.value.detail


async def test_a_hysteresis_of_zero_clears_a_critical_level_held_in_the_band(settings, clock):
    """R-STO-2 `HYSTERESIS_BYTES`: 42 GB raised critical, then 40.5 GB keeps it (within
    1 GB of 41 GB); restarted with a hysteresis of 0 the level is re-evaluated from that
    snapshot and falls to warning, recorded, not mailed."""
    async with started(settings, clock) as (app, client):
        assert await rodez_measured(app, client, clock, 42 * GB) == "critical"
        plugin = _Token(headers(app, clock, profile="moodle-plugin"))
        await measure(client, clock, plugin, "ifms-rodez", "2025-03-03T08:05:00Z",
                      40_500_000_000)
        assert (await usage_of(client, admin(app, clock)))["level"] == "critical"
    async with started(settings, clock, hysteresis_bytes=0) as (app, client):
        assert (await usage_of(client, admin(app, clock)))["level"] == "warning"
        assert len(await queued(app, "storage-alert")) == 1


async def test_reminders_every_3_days_apply_to_a_critical_episode_raised_before(
    settings, clock
):
    """R-STO-2 `CRITICAL_REMINDER_DAYS`: critical since 3 March 08:00Z under the default
    (7 days); restarted with 3, a reminder is due on 6 March, measured time permitting."""
    async with started(settings, clock) as (app, client):
        assert await rodez_measured(app, client, clock, 42 * GB) == "critical"
        clock.set("2025-03-06T08:55:00Z")
        plugin = _Token(headers(app, clock, profile="moodle-plugin"))
        await measure(client, clock, plugin, "ifms-rodez", "2025-03-06T09:00:00Z", 42 * GB)
        assert (await run(app, clock, REMINDERS_JOB, "2025-03-06T10:00:00Z"))[
            "reminders"] == 0
    async with started(settings, clock, critical_reminder_days=3) as (app, client):
        assert (await run(app, clock, REMINDERS_JOB, "2025-03-06T10:00:00Z"))[
            "reminders"] == 1


async def test_a_later_renewal_season_changes_the_validity_of_a_june_creation(
    settings, clock
):
    """R-ACC-3 `RENEWAL_SEASON_STARTS`: a trainer created on 15 June is valid to 31 Aug
    of next year by default, to 31 Aug of this year when the season starts on 1 July."""
    async def created(app, client) -> str:
        clock.set("2025-06-15T10:00:00+02:00")
        h = admin(app, clock)
        filed = await client.post("/api/v1/account-requests", headers=h, json={
            "ticket_ref": f"T-SEASON-{next(_numbers)}", "school_code": "ifms-rodez",
            "kind": "trainer", "given_name": "Camille", "family_name": "Martin",
            "email": f"c{next(_numbers)}@example.org",
            "received_at": "2025-06-15T09:00:00+02:00"})
        done = await client.post(f"/api/v1/account-requests/{filed.json()['id']}/fulfilment",
                                 headers=h, json={})
        uid = done.json()["uid"]
        account = (await client.get(f"/api/v1/accounts/{uid}", headers=h)).json()
        return account["roles"][0]["valid_until"]

    async with started(settings, clock) as (app, client):
        assert await created(app, client) == "2026-08-31"
    async with started(settings, clock, renewal_season_starts="07-01") as (app, client):
        assert await created(app, client) == "2025-08-31"


async def test_pool_alerts_off_records_no_pool_event(settings, clock):
    """R-STO-1 `POOL_ALERTS`: 20 schools at 23 GB (460 GB, 92 % of 500 GB) raise the pool
    to warning by default; restarted with POOL_ALERTS=false, a fall and a new rise of the
    total record no pool event."""
    async def fill(app, client, at: str, size: int = 23 * GB) -> list:
        clock.set(at)
        plugin = _Token(headers(app, clock, profile="moodle-plugin"))
        items = [{"snapshot_id": f"pool-{next(_numbers)}", "school_code": code,
                  "measured_at": at, "bytes_used": size} for code in ALL_SCHOOLS]
        response = await client.post("/api/v1/storage/snapshots", json={"items": items},
                                     headers={"Authorization": f"Bearer {plugin}"})
        assert response.status_code == 200, response.text
        alerts = (await client.get("/api/v1/storage/alerts",
                                   headers=admin(app, clock))).json()["items"]
        return [a for a in alerts if a["scope"] == "pool"]

    async with started(settings, clock) as (app, client):
        assert len(await fill(app, client, "2025-03-03T08:00:00Z")) == 1
    async with started(settings, clock, pool_alerts=False) as (app, client):
        # Down to 20 GB, then up to 460 GB again: a clearing and a rise by default.
        await fill(app, client, "2025-03-03T09:00:00Z", size=GB)
        assert len(await fill(app, client, "2025-03-03T10:00:00Z")) == 1
