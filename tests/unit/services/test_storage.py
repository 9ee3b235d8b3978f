"""app/services/storage.py on the fakes: snapshot ingestion and alert levels (R-STO-1,
R-STO-2, R-STO-3, R-TIME-5, R-CONV-2a), the size reading at start (R-UNIT-1a), the
reminder, retrieval (R-STO-4) and fold jobs, and the reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from app.domain.convention import TermChanges
from app.domain.errors import InvalidInput, NotFound
from app.domain.storage import AlertEvent, AlertKind, Level, LevelState, Snapshot
from app.domain.units import GB, GIB
from app.ports.storage import POOL_KEY, StoredLevel, school_key
from app.services import lifecycle
from app.services.convention import load_clock
from app.services.jobs import JobContext
from app.services.storage import (
    Candidate,
    ItemError,
    StoragePolicy,
    alerts,
    ingestion,
    jobs,
    policy,
    reads,
    size_reading,
)
from tests.unit.services.convention_world import (
    ALBI,
    RODEZ,
    UT_ADMIN,
    actor,
    add_referent,
    clock_at,
    confined_to,
    seeded_uow,
)

UT = "daip@univ-tlse3.fr"
POLICY = StoragePolicy(alert_cc=(UT,), pool_recipients=(UT,))
# Sunday 29 March 2026: Paris moves from UTC+1 to UTC+2 at 01:00 UTC.
DST_DAY = "2026-03-29T10:00:00+00:00"


def _snap(sid: str, at: str, used: float, school: str = RODEZ) -> Candidate:
    return Candidate(sid, Snapshot(sid, school, datetime.fromisoformat(at), int(used * GB)))


async def _ingest(uow, *candidates, at=DST_DAY, principal=UT_ADMIN, policy=POLICY):
    return await ingestion.ingest_snapshots(uow, clock_at(at), policy, list(candidates), principal)


async def _world():
    uow = seeded_uow()
    await add_referent(uow, RODEZ, "referente@ifms-rodez.fr")
    return uow


async def test_a_rise_to_warning_is_mailed_to_the_referents_with_ut_in_copy():
    uow = await _world()
    report = await _ingest(uow, _snap("s1", "2026-03-29T09:00:00+00:00", 36.9))

    assert [r.status for r in report.results] == ["accepted"]
    (alert,) = report.alerts
    assert (alert.event.kind, alert.event.level_to, alert.recipients_count) == (
        AlertKind.RAISED,
        Level.WARNING,
        1,
    )
    (mail,) = uow.outbox.messages.values()
    assert (mail.template, mail.recipients, mail.cc) == (
        "storage-alert",
        ("referente@ifms-rodez.fr",),
        (UT,),
    )
    assert "29 mars 2026 à 11 h 00" in mail.body_text  # summer time already
    level = uow.storage.level_rows[school_key(RODEZ)]
    assert (level.state.level, level.bytes_used) == (Level.WARNING, int(36.9 * GB))


async def test_one_byte_below_the_warning_threshold_is_no_alert():
    uow = await _world()
    report = await _ingest(
        uow,
        Candidate(
            "s1",
            Snapshot(
                "s1", RODEZ, datetime.fromisoformat("2026-03-29T09:00:00+00:00"), 36_899_999_999
            ),
        ),
    )
    assert report.alerts == []
    assert uow.outbox.messages == {}


async def test_a_late_snapshot_is_stored_but_changes_neither_usage_nor_alerts():
    uow = await _world()
    await _ingest(uow, _snap("s2", "2026-03-29T09:00:00+00:00", 10))
    report = await _ingest(uow, _snap("s1", "2026-03-29T08:00:00+00:00", 41))
    assert [r.status for r in report.results] == ["accepted"]
    assert report.alerts == []
    assert uow.storage.level_rows[school_key(RODEZ)].bytes_used == 10 * GB
    assert "s1" in uow.storage.stored


async def test_a_resent_snapshot_is_a_duplicate_and_other_content_a_conflict():
    uow = await _world()
    await _ingest(uow, _snap("s1", "2026-03-29T09:00:00+00:00", 10))
    # The same instant written with the Paris offset is the same snapshot.
    same = Candidate(
        "s1", Snapshot("s1", RODEZ, datetime.fromisoformat("2026-03-29T11:00:00+02:00"), 10 * GB)
    )
    report = await _ingest(uow, same, _snap("s1", "2026-03-29T09:00:00+00:00", 11))
    assert [r.status for r in report.results] == ["duplicate", "rejected"]
    assert report.results[1].errors[0].code == "snapshot-conflict"


@pytest.mark.parametrize(
    ("candidate", "code"),
    [
        (_snap("s", "2026-03-29T10:05:01+00:00", 1), "instant-in-future"),  # skew is 300 s
        (_snap("s", "2026-02-22T09:59:59+00:00", 1), "snapshot-too-old"),  # 35 days and 1 s
        (_snap("s", "2026-03-29T09:00:00+00:00", 1, "ifms-nowhere"), "unknown-school"),
        (_snap("s", "2026-03-29T09:00:00+00:00", 1, ALBI), "unknown-school"),  # not the caller's
    ],
)
async def test_an_item_breaking_a_rule_is_rejected_alone(candidate, code):
    uow = await _world()
    report = await _ingest(
        uow, candidate, _snap("ok", "2026-03-29T09:00:00+00:00", 1), principal=confined_to(RODEZ)
    )
    assert [r.status for r in report.results] == ["rejected", "accepted"]
    assert report.results[0].errors[0].code == code
    assert set(uow.storage.stored) == {"ok"}


async def test_a_snapshot_at_the_oldest_allowed_instant_is_accepted():
    report = await _ingest(await _world(), _snap("s", "2026-02-22T10:00:00+00:00", 1))
    assert report.results[0].status == "accepted"


async def test_a_school_added_by_amendment_is_measured_from_its_effective_date():
    uow = await _world()
    await lifecycle.record_amendment(
        uow,
        clock_at("2026-03-01T10:00:00+00:00"),
        actor(),
        reference="AV-ECOLE",
        signed_on=date(2026, 3, 1),
        effective_on=date(2026, 3, 29),
        changes=TermChanges(),
        schools_added="IFSI Nouvelle",
    )
    uow.schools.rows[ALBI] = replace(uow.schools.rows[ALBI], amendment_reference="AV-ECOLE")
    # 22:59:59 UTC on 28 March is still 28 March in Paris (UTC+1).
    report = await _ingest(
        uow,
        _snap("a1", "2026-03-28T22:59:59+00:00", 1, ALBI),
        _snap("a2", "2026-03-28T23:00:00+00:00", 1, ALBI),
    )
    assert [r.status for r in report.results] == ["rejected", "accepted"]
    assert report.results[0].errors[0].code == "school-not-beneficiary"


async def test_a_batch_of_more_than_a_thousand_items_is_refused_whole():
    with pytest.raises(InvalidInput):
        await _ingest(seeded_uow(), *[_snap(f"s{i}", DST_DAY, 1) for i in range(1001)])


async def test_an_item_the_edge_could_not_parse_is_rejected_with_its_errors():
    error = ItemError("bytes_used", "invalid-input", "not a number")
    report = await _ingest(seeded_uow(), Candidate("bad", None, (error,)))
    assert (report.results[0].status, report.results[0].errors) == ("rejected", (error,))


async def test_the_pool_raises_once_the_schools_total_reaches_its_warning():
    uow = await _world()
    schools = sorted(uow.schools.rows)[:12]  # 12 × 38 GB = 456 GB ≥ 90 % of 500 GB
    report = await _ingest(uow, *[_snap(c, "2026-03-29T09:00:00+00:00", 38, c) for c in schools])
    pool = [a for a in report.alerts if a.scope == "pool"]
    assert [(a.event.level_to, a.recipients_count) for a in pool] == [(Level.WARNING, 1)]
    assert "storage-pool-alert" in uow.outbox.templates()
    assert uow.storage.level_rows[POOL_KEY].bytes_used == 12 * 38 * GB


async def test_critical_reminders_follow_measured_time_seven_paris_days_apart_once_each():
    uow = await _world()
    raised = "2026-03-22T09:00:00+00:00"  # 10:00 in Paris (UTC+1)
    await _ingest(uow, _snap("s1", raised, 41), at=raised)
    # Seven Paris days later is 29 March, 10:00 in Paris, already UTC+2: 08:00 UTC.
    await _ingest(uow, _snap("s2", "2026-03-29T07:59:59+00:00", 41))

    def remind(at: str):
        return jobs.send_critical_reminders(lambda: uow, clock_at(at), POLICY)

    not_measured_yet = await remind(DST_DAY)
    await _ingest(uow, _snap("s3", "2026-03-29T08:00:00+00:00", 41))
    due = await remind(DST_DAY)
    again = await remind(DST_DAY)

    assert (not_measured_yet, due, again) == ({"reminders": 0}, {"reminders": 1}, {"reminders": 0})
    assert uow.outbox.templates() == ["storage-alert", "storage-alert"]
    assert uow.storage.alerts[-1].event.occurred_at == datetime.fromisoformat(
        "2026-03-29T08:00:00+00:00"
    )


async def test_the_retrieval_reminder_goes_out_90_days_before_the_access_end_once():
    uow = await _world()
    # The access end is 31 August 2029; 90 days before is 2 June 2029.
    assert await jobs.send_retrieval_reminders(
        lambda: uow, clock_at("2029-06-01T21:59:59+00:00"), POLICY
    ) == {"mailed": 0}
    first = await jobs.send_retrieval_reminders(
        lambda: uow, clock_at("2029-06-01T22:00:00+00:00"), POLICY
    )
    again = await jobs.send_retrieval_reminders(
        lambda: uow, clock_at("2029-06-02T06:00:00+00:00"), POLICY
    )
    after = await jobs.send_retrieval_reminders(
        lambda: uow, clock_at("2029-09-01T06:00:00+00:00"), POLICY
    )
    # Every school is reminded; one without a known referent through UT alone.
    assert (first, again, after) == ({"mailed": 20}, {"mailed": 0}, {"mailed": 0})
    rodez = next(m for m in uow.outbox.messages.values() if m.dedupe_key.endswith(RODEZ))
    assert (rodez.recipients, rodez.cc) == (("referente@ifms-rodez.fr",), (UT,))
    assert "31 août 2029" in rodez.body_text
    albi = next(m for m in uow.outbox.messages.values() if m.dedupe_key.endswith(ALBI))
    assert (albi.recipients, albi.cc) == ((UT,), ())


async def test_no_referent_is_current_after_the_access_end():
    uow = await _world()
    convention = await load_clock(uow)
    on_last_day = await alerts.current_referents(
        uow, convention, RODEZ, datetime.fromisoformat("2029-08-31T21:59:59+00:00")
    )
    after = await alerts.current_referents(
        uow, convention, RODEZ, datetime.fromisoformat("2029-08-31T22:00:00+00:00")
    )
    assert (on_last_day, after) == (["referente@ifms-rodez.fr"], [])


async def test_old_snapshots_fold_into_daily_figures_that_history_still_reads():
    uow = await _world()
    await _ingest(
        uow,
        _snap("s1", "2026-03-29T09:00:00+00:00", 5),
        _snap("s2", "2026-03-29T10:00:00+00:00", 4),
    )
    later = clock_at("2027-05-04T10:00:00+00:00")
    assert jobs.fold_cutoff(later.now(), 400) == datetime.fromisoformat(
        "2026-03-29T22:00:00+00:00"
    )  # 30 March 2026, midnight in Paris
    assert await jobs.fold_old_snapshots(lambda: uow, later, POLICY, chunk=1) == {"folded": 2}
    assert uow.storage.stored == {}
    found = await reads.history(
        uow,
        later,
        UT_ADMIN,
        RODEZ,
        window="day",
        start=datetime.fromisoformat("2026-03-28T00:00:00+00:00"),
        end=datetime.fromisoformat("2026-03-31T00:00:00+00:00"),
    )
    assert [(p.bytes_max, p.bytes_last) for p in found.points] == [(5 * GB, 4 * GB)]


def test_the_storage_jobs_describe_their_policy():
    registered = jobs.storage_jobs(StoragePolicy(retrieval_days=(60, 30, 7)))
    assert [j.name for j in registered] == [
        policy.REMINDERS_JOB,
        policy.RETRIEVAL_JOB,
        policy.FOLD_JOB,
    ]
    assert "60, 30 and 7 days" in registered[1].description


async def test_a_storage_job_runs_its_use_case_with_the_jobs_clock():
    uow = await _world()
    fold = jobs.storage_jobs(POLICY)[2]
    clock = clock_at(DST_DAY)
    assert await fold.run(JobContext(at=clock.now(), clock=clock, uow_factory=lambda: uow)) == {
        "folded": 0
    }


async def test_the_gib_reading_applied_at_start_rewrites_the_figures_and_levels():
    uow = await _world()
    await _ingest(uow, _snap("s1", "2026-03-29T09:00:00+00:00", 41))  # critical in SI
    policy = StoragePolicy(size_unit=GIB, alert_cc=(UT,))

    alerts = await size_reading.apply_size_reading(uow, clock_at(DST_DAY), actor(), policy)
    again = await size_reading.apply_size_reading(uow, clock_at(DST_DAY), actor(), policy)

    assert uow.convention.reference.school_alert_threshold_bytes == 41 * GIB
    assert [(a.event.kind, a.event.level_to) for a in alerts] == [
        (AlertKind.CLEARED, Level.WARNING)
    ]
    assert again == []
    assert uow.audit.actions() == ["convention.size-reading-applied"]


async def test_usage_shows_the_callers_schools_and_the_whole_pool():
    uow = await _world()
    await _ingest(
        uow,
        _snap("r", "2026-03-29T09:00:00+00:00", 10),
        _snap("a", "2026-03-29T09:00:00+00:00", 20, ALBI),
    )
    seen = await reads.usage(uow, clock_at(DST_DAY), confined_to(RODEZ))
    assert [(s.school_code, s.bytes_used) for s in seen.schools] == [(RODEZ, 10 * GB)]
    assert (seen.total_bytes, seen.capacity_bytes) == (30 * GB, 500 * GB)
    everyone = await reads.usage(uow, clock_at(DST_DAY), UT_ADMIN)
    unmeasured = next(s for s in everyone.schools if s.school_code == "ifsi-millau")
    assert (unmeasured.measured_at, unmeasured.level) == (None, Level.OK)


@pytest.mark.parametrize(
    ("window", "start", "end"),
    [
        ("month", None, None),
        ("day", "2026-03-29T10:00:00+00:00", "2026-03-29T10:00:00+00:00"),
        ("day", "2021-03-24T09:59:59+00:00", "2026-03-29T10:00:00+00:00"),  # over 1830 days
    ],
)
async def test_a_history_out_of_its_bounds_is_refused(window, start, end):
    with pytest.raises(InvalidInput):
        await reads.history(
            await _world(),
            clock_at(DST_DAY),
            UT_ADMIN,
            RODEZ,
            window=window,
            start=datetime.fromisoformat(start) if start else None,
            end=datetime.fromisoformat(end) if end else None,
        )


async def test_history_covers_whole_paris_days_and_weeks_and_hides_other_schools():
    uow = await _world()
    await _ingest(uow, _snap("s1", "2026-03-28T23:30:00+00:00", 3))  # 29 March in Paris
    day = await reads.history(
        uow, clock_at(DST_DAY), UT_ADMIN, RODEZ, start=None, end=None, window="day"
    )
    week = await reads.history(
        uow, clock_at(DST_DAY), UT_ADMIN, RODEZ, start=None, end=None, window="week"
    )
    assert day.points[-1].period_start == datetime.fromisoformat("2026-03-28T23:00:00+00:00")
    assert week.points[-1].period_start == datetime.fromisoformat("2026-03-22T23:00:00+00:00")
    assert day.latest_measured_at == datetime.fromisoformat("2026-03-28T23:30:00+00:00")
    with pytest.raises(NotFound):
        await reads.history(
            uow, clock_at(DST_DAY), confined_to(ALBI), RODEZ, start=None, end=None, window="day"
        )


async def test_a_referent_lists_its_schools_alerts_and_no_pool_alert():
    uow = await _world()
    schools = sorted(uow.schools.rows)[:12]
    await _ingest(uow, *[_snap(c, "2026-03-29T09:00:00+00:00", 38, c) for c in schools])

    def listing(principal, school=None):
        return reads.list_alerts(
            uow, principal, school_code=school, since=None, after_id=None, limit=100
        )

    mine = await listing(confined_to(schools[0]))
    assert [(a.scope, a.school_code) for a in mine] == [("school", schools[0])]
    assert {a.scope for a in await listing(UT_ADMIN)} == {"school", "pool"}
    assert await listing(confined_to(schools[0]), schools[1]) == []


async def test_a_history_of_exactly_1830_days_is_served():
    found = await reads.history(
        await _world(),
        clock_at(DST_DAY),
        UT_ADMIN,
        RODEZ,
        window="day",
        start=datetime.fromisoformat("2021-03-25T10:00:00+00:00"),
        end=datetime.fromisoformat("2026-03-29T10:00:00+00:00"),
    )
    assert found.points == []


async def test_the_forecast_fits_the_last_30_paris_days_across_the_dst_change():
    uow = await _world()
    # One snapshot a day at 23:30 Paris, 30 GB on 23 March growing 1 GB a day: the
    # clocks change on the 29th, the Paris days stay days.
    days = [date(2026, 3, 23 + n) for n in range(7)]
    for n, day in enumerate(days):
        offset = "+01:00" if day < date(2026, 3, 29) else "+02:00"
        measured = datetime.fromisoformat(f"{day.isoformat()}T23:30:00{offset}")
        async with uow:
            await uow.storage.insert_snapshots(
                [Snapshot(f"s{n}", RODEZ, measured, (30 + n) * GB)], received_at=measured)
            await uow.commit()
    last = datetime.fromisoformat("2026-03-29T23:30:00+02:00")

    async with uow:
        found = await alerts.school_forecast(uow, RODEZ, last, 41 * GB, Level.WARNING)
        too_few = await alerts.school_forecast(
            uow, RODEZ, datetime.fromisoformat("2026-03-28T23:30:00+01:00"), 41 * GB,
            Level.WARNING)

    assert (found.slope_bytes_per_day, found.points_used) == (GB, 7)
    assert found.critical_on == date(2026, 4, 3)  # 36 GB on the 29th + 5 days
    assert (too_few.slope_bytes_per_day, too_few.critical_on) == (None, None)


def test_mail_goes_to_the_referents_with_ut_in_copy_or_to_ut_alone():
    assert alerts.addressees(["r@ifms.fr"], [UT, "r@ifms.fr"]) == (["r@ifms.fr"], [UT])
    assert alerts.addressees([], [UT]) == ([UT], [])


async def test_the_terms_of_an_instant_are_those_of_its_paris_day():
    uow = await _world()
    await lifecycle.record_amendment(
        uow, clock_at("2028-01-10T10:00:00+00:00"), actor(), reference="AV-SEUIL",
        signed_on=date(2028, 1, 10), effective_on=date(2028, 2, 29),
        changes=TermChanges(school_alert_threshold_bytes=50 * GB), schools_added=None)
    convention = await load_clock(uow, fresh=True)
    before = alerts.terms_at(convention, datetime.fromisoformat("2028-02-28T22:59:59+00:00"))
    leap_day = alerts.terms_at(convention, datetime.fromisoformat("2028-02-28T23:00:00+00:00"))
    assert (before.school_alert_threshold_bytes, leap_day.school_alert_threshold_bytes) == (
        41 * GB, 50 * GB)


async def test_a_clearing_is_recorded_without_mail_and_a_rise_mailed():
    uow = await _world()
    convention = await load_clock(uow)
    at = datetime.fromisoformat(DST_DAY)
    level = StoredLevel(school_key(RODEZ), LevelState(Level.OK, measured_at=at), GB, 41 * GB)
    cleared = AlertEvent(AlertKind.CLEARED, Level.WARNING, Level.OK, GB, 41 * GB, at)
    raised = AlertEvent(AlertKind.RAISED, Level.OK, Level.WARNING, 37 * GB, 41 * GB, at)
    async with uow:
        recorded = await alerts.record_alerts(
            uow, at, POLICY, convention, [(RODEZ, cleared, level), (RODEZ, raised, level)])
        await uow.commit()
    assert [a.recipients_count for a in recorded] == [0, 1]
    assert uow.outbox.templates() == ["storage-alert"]
    assert len(uow.storage.alerts) == 2
