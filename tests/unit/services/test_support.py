"""app/services/support.py on the fakes: the answer deadline on DAIP's opening hours
(R-SUP-1, R-TIME-3), first responses and closures (R-SUP-2), silence (R-SUP-3),
statistics, the digest and the mailbox import."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from app.domain.calendar import Closure, WorkingCalendar
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.support import SlaOutcome, SlaState, SupportClosure, SupportStatus
from app.ports.support import InboundMail
from app.services.jobs import JobContext
from app.services.support import jobs, mailbox_import, requests, sla, sla_statistics
from app.services.support.requests import NewSupportRequest
from app.services.support.sla import SupportPolicy
from tests.unit.services.convention_world import (
    ALBI,
    RODEZ,
    UT_ADMIN,
    actor,
    add_referent,
    add_role,
    clock_at,
    confined_to,
    seeded_uow,
)

POLICY = SupportPolicy()
# Friday before Easter 2026, 16:30 Paris: 1 h that day, Easter Monday is a holiday,
# 9 h on Tuesday, 8 h on Wednesday → due Wednesday 8 April 16:30 Paris.
GOOD_FRIDAY = datetime.fromisoformat("2026-04-03T14:30:00+00:00")
DUE_AFTER_EASTER = datetime.fromisoformat("2026-04-08T14:30:00+00:00")
DAIP = "daip@univ-tlse3.fr"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _new(message_id="<m1@ifms-rodez.fr>", received_at=GOOD_FRIDAY, school=RODEZ, **kw):
    return NewSupportRequest(
        message_id=message_id,
        received_at=received_at,
        from_email=kw.get("from_email", "eleve@ifms-rodez.fr"),
        subject=kw.get("subject", "Accès Moodle"),
        school_code=school,
    )


async def _create(uow, data=None, clock=None, principal=UT_ADMIN):
    return await requests.create_request(
        uow,
        clock or clock_at("2026-04-03T15:00:00+00:00"),
        actor(principal),
        data or _new(),
        POLICY,
    )


async def test_the_deadline_counts_two_opening_days_past_a_public_holiday():
    uow = seeded_uow()
    view, created = await _create(uow)
    assert created
    assert view.request.response_due_at == DUE_AFTER_EASTER
    assert view.sla_state is SlaState.on_track
    assert uow.audit.actions() == ["support-request.received"]
    assert (
        await sla.support_deadline(uow, received_at=GOOD_FRIDAY, policy=POLICY)
        == DUE_AFTER_EASTER
    )


async def test_the_deadline_crosses_the_spring_dst_weekend_in_opening_hours():
    # Friday 27 March 2026 16:30 CET → Tuesday 31 March 16:30 CEST.
    due = await sla.support_deadline(
        seeded_uow(), received_at=_utc("2026-03-27T15:30:00+00:00"), policy=POLICY
    )
    assert due == _utc("2026-03-31T14:30:00+00:00")


async def test_a_closure_moves_open_deadlines_and_leaves_answered_ones():
    uow = seeded_uow()
    open_view, _ = await _create(uow)
    answered_view, _ = await _create(uow, _new("<m2@x>"))
    await requests.record_first_response(
        uow,
        clock_at("2026-04-03T15:10:00+00:00"),
        actor(),
        answered_view.request.id,
        responded_at=_utc("2026-04-03T15:05:00+00:00"),
        policy=POLICY,
    )
    calendar = WorkingCalendar([Closure(date(2026, 4, 7), date(2026, 4, 7), "pont")])
    async with uow:
        changed = await sla.SupportDeadlines(POLICY).recompute(
            uow, calendar=calendar, now=GOOD_FRIDAY
        )
        await uow.commit()
    assert changed == 1
    stored = uow.support_requests.requests
    assert stored[open_view.request.id].response_due_at == _utc("2026-04-09T14:30:00+00:00")
    assert stored[answered_view.request.id].response_due_at == DUE_AFTER_EASTER


async def test_the_same_message_again_is_the_stored_request_other_content_conflicts():
    uow = seeded_uow()
    first, _ = await _create(uow)
    again, created = await _create(uow)
    assert (again.request.id, created) == (first.request.id, False)
    with pytest.raises(Conflict) as other:
        await _create(uow, _new(subject="Autre chose"))
    assert other.value.code == "message-conflict"
    assert len(uow.support_requests.requests) == 1


async def test_without_a_school_the_senders_single_school_is_taken():
    uow = seeded_uow()
    await add_referent(uow, ALBI, "prof@ifms-albi.fr")
    await add_role(uow, "deux", "trainer", ALBI)
    await add_role(uow, "deux-bis", "trainer", RODEZ)
    for uid in ("deux", "deux-bis"):
        uow.accounts.rows[uid] = replace(uow.accounts.rows[uid], email="deux@ecoles.fr")
    view, _ = await _create(uow, _new(school=None, from_email="Prof@ifms-albi.fr"))
    assert view.request.school_code == ALBI
    unknown, _ = await _create(uow, _new("<m2@x>", school=None, from_email="deux@ecoles.fr"))
    assert unknown.request.school_code is None


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (_new(school="ifms-nowhere"), "unknown-school"),
        (_new(school=ALBI), "unknown-school"),  # another school than the caller's
        (_new(school=None), "unknown-school"),  # no school found: not one of the caller's
        (_new(from_email="pas-une-adresse"), "invalid-email"),
        (_new(message_id=""), "invalid-input"),
    ],
)
async def test_a_request_the_caller_may_not_file_changes_nothing(data, code):
    uow = seeded_uow()
    with pytest.raises(InvalidInput) as refused:
        await _create(uow, data, principal=confined_to(RODEZ))
    assert refused.value.code == code
    assert uow.support_requests.requests == {}


async def test_a_request_received_beyond_the_clock_skew_is_refused():
    with pytest.raises(InvalidInput):
        await _create(seeded_uow(), _new(received_at=_utc("2026-04-03T15:05:01+00:00")))


async def test_a_first_response_before_the_deadline_is_met_and_repeats_answer_as_is():
    uow = seeded_uow()
    view, _ = await _create(uow)
    clock = clock_at("2026-04-08T15:00:00+00:00")
    answered = await requests.record_first_response(
        uow, clock, actor(), view.request.id, responded_at=DUE_AFTER_EASTER, policy=POLICY
    )
    again = await requests.record_first_response(
        uow, clock, actor(), view.request.id, responded_at=DUE_AFTER_EASTER, policy=POLICY
    )
    assert answered.sla_outcome is SlaOutcome.met  # at the deadline itself
    assert answered.request.business_seconds_to_response == 18 * 3600
    assert again.request == answered.request
    with pytest.raises(Conflict) as other:
        await requests.record_first_response(
            uow,
            clock,
            actor(),
            view.request.id,
            responded_at=_utc("2026-04-08T14:00:00+00:00"),
            policy=POLICY,
        )
    assert other.value.code == "already-answered"
    assert uow.audit.actions().count("support-request.answered") == 1


async def test_a_response_one_second_late_is_breached_and_one_before_receipt_out_of_order():
    uow = seeded_uow()
    view, _ = await _create(uow)
    with pytest.raises(InvalidInput) as early:
        await requests.record_first_response(
            uow,
            clock_at("2026-04-09T00:00:00+00:00"),
            actor(),
            view.request.id,
            responded_at=GOOD_FRIDAY - timedelta(seconds=1),
            policy=POLICY,
        )
    assert early.value.code == "out-of-order"
    late = await requests.record_first_response(
        uow,
        clock_at("2026-04-09T00:00:00+00:00"),
        actor(),
        view.request.id,
        responded_at=DUE_AFTER_EASTER + timedelta(seconds=1),
        policy=POLICY,
    )
    assert late.sla_outcome is SlaOutcome.breached


async def test_closing_without_an_answer_has_no_sla_and_is_repeatable():
    uow = seeded_uow()
    view, _ = await _create(uow)
    clock = clock_at("2026-04-04T10:00:00+00:00")
    closed = await requests.close_request(
        uow, clock, actor(), view.request.id, closed_at=clock.now(), policy=POLICY
    )
    again = await requests.close_request(
        uow, clock, actor(), view.request.id, closed_at=clock.now(), policy=POLICY
    )
    assert (closed.request.status, closed.sla_state, closed.request.closure) == (
        SupportStatus.closed,
        None,
        SupportClosure.manual,
    )
    assert again.request == closed.request
    with pytest.raises(Conflict) as other:
        await requests.close_request(
            uow,
            clock,
            actor(),
            view.request.id,
            closed_at=clock.now() - timedelta(hours=1),
            policy=POLICY,
        )
    assert other.value.code == "already-closed"
    with pytest.raises(Conflict) as answer:
        await requests.record_first_response(
            uow, clock, actor(), view.request.id, responded_at=clock.now(), policy=POLICY
        )
    assert answer.value.code == "already-closed"


async def test_another_schools_request_answers_as_a_missing_one():
    uow = seeded_uow()
    view, _ = await _create(uow)
    clock = clock_at("2026-04-04T10:00:00+00:00")
    for call in (
        requests.get_request(uow, clock, confined_to(ALBI), view.request.id, POLICY),
        requests.close_request(
            uow,
            clock,
            actor(confined_to(ALBI)),
            view.request.id,
            closed_at=clock.now(),
            policy=POLICY,
        ),
    ):
        with pytest.raises(NotFound):
            await call
    seen = await requests.get_request(uow, clock, confined_to(RODEZ), view.request.id, POLICY)
    assert seen.request.id == view.request.id


async def test_list_requests_by_sla_state_now_and_by_school():
    uow = seeded_uow()
    risky, _ = await _create(uow)
    fresh, _ = await _create(
        uow,
        _new("<m2@x>", school=ALBI, received_at=_utc("2026-04-08T07:00:00+00:00")),
        clock=clock_at("2026-04-08T07:00:00+00:00"),
    )
    clock = clock_at("2026-04-08T12:30:00+00:00")  # 2 h left of 18 on the first one

    def listing(principal=UT_ADMIN, **kw):
        return requests.list_requests(
            uow,
            clock,
            principal,
            status=None,
            state=kw.get("state"),
            school_code=kw.get("school"),
            after_id=None,
            limit=10,
            policy=POLICY,
        )

    at_risk = await listing(state=SlaState.at_risk)
    on_track = await listing(state=SlaState.on_track)
    assert [v.request.id for v in at_risk] == [risky.request.id]
    assert [v.request.id for v in on_track] == [fresh.request.id]
    assert [v.request.id for v in await listing(confined_to(ALBI))] == [fresh.request.id]
    assert await listing(confined_to(ALBI), school=RODEZ) == []


async def test_statistics_by_school_and_paris_month_count_open_breaches():
    uow = seeded_uow()
    # 31 March 2026, 22:30 UTC is already April in Paris.
    april, _ = await _create(
        uow,
        _new(received_at=_utc("2026-03-31T22:30:00+00:00")),
        clock=clock_at("2026-04-01T06:00:00+00:00"),
    )
    march, _ = await _create(
        uow,
        _new("<m2@x>", school=ALBI, received_at=_utc("2026-03-31T21:59:00+00:00")),
        clock=clock_at("2026-04-01T06:00:00+00:00"),
    )
    await requests.record_first_response(
        uow,
        clock_at("2026-04-01T08:00:00+00:00"),
        actor(),
        march.request.id,
        responded_at=_utc("2026-04-01T07:30:00+00:00"),
        policy=POLICY,
    )
    stats = await sla_statistics.statistics(
        uow, clock_at("2026-05-01T00:00:00+00:00"), UT_ADMIN, start=None, end=None, school_code=None
    )
    assert (stats.overall.received, stats.overall.met, stats.overall.open_breached) == (2, 1, 1)
    assert stats.overall.compliance_ratio == 0.5
    assert [m for m, _ in stats.by_month] == ["2026-03", "2026-04"]
    assert [s for s, _ in stats.by_school] == [ALBI, RODEZ]
    assert sla_statistics.paris_month(april.request.received_at) == "2026-04"
    mine = await sla_statistics.statistics(
        uow,
        clock_at("2026-05-01T00:00:00+00:00"),
        confined_to(RODEZ),
        start=None,
        end=None,
        school_code=ALBI,
    )
    assert mine.overall.received == 0
    with pytest.raises(InvalidInput):
        await sla_statistics.statistics(
            uow,
            clock_at("2026-05-01T00:00:00+00:00"),
            UT_ADMIN,
            start=GOOD_FRIDAY,
            end=GOOD_FRIDAY,
            school_code=None,
        )


def test_the_sla_filter_splits_at_a_quarter_of_the_budget_in_opening_time():
    hours = sla.opening_clock(WorkingCalendar())
    now = _utc("2026-04-08T12:30:00+00:00")  # Wednesday 14:30 Paris
    found = sla.sla_filter(SlaState.at_risk, now=now, clock=hours, policy=POLICY)
    assert POLICY.risk_threshold_seconds() == 4.5 * 3600
    # 3 h left on Wednesday, 1 h 30 on Thursday from 08:30.
    assert found.risk_until == _utc("2026-04-09T08:00:00+00:00")


async def test_the_digest_lists_requests_at_risk_and_breached_once_an_hour_when_open():
    uow = seeded_uow()
    await _create(uow)
    job = jobs.support_digest_job(POLICY, daip_email=DAIP)
    closed = clock_at("2026-04-06T10:00:00+00:00")  # Easter Monday: DAIP is closed
    assert await jobs.send_digest(uow, closed, POLICY, daip_email=DAIP) == {
        "outside_opening_hours": 1,
        "queued": 0,
    }

    clock = clock_at("2026-04-08T13:00:00+00:00")
    counts = await job.run(JobContext(at=clock.now(), clock=clock, uow_factory=lambda: uow))
    again = await jobs.send_digest(uow, clock, POLICY, daip_email=DAIP)

    assert counts == {"at_risk": 1, "breached": 0, "queued": 1}
    assert again["queued"] == 0
    assert uow.outbox.templates() == ["support-digest"]


async def test_a_silent_answered_request_closes_at_paris_midnight_of_the_31st_day():
    uow = seeded_uow()
    view, _ = await _create(uow)
    # Answered on 3 April 2026 at 23:30 Paris: closes on 4 May at 00:00 Paris.
    await requests.record_first_response(
        uow,
        clock_at("2026-04-08T00:00:00+00:00"),
        actor(),
        view.request.id,
        responded_at=_utc("2026-04-03T21:30:00+00:00"),
        policy=POLICY,
    )
    before = clock_at("2026-05-03T21:59:59+00:00")
    assert await jobs.close_silent_requests(uow, before, actor()) == {"closed": 0}

    job = jobs.support_auto_close_job()
    clock = clock_at("2026-05-03T22:15:00+00:00")
    counts = await job.run(JobContext(at=clock.now(), clock=clock, uow_factory=lambda: uow))

    assert counts == {"closed": 1}
    stored = uow.support_requests.requests[view.request.id]
    assert (stored.closed_at, stored.closure) == (
        _utc("2026-05-03T22:00:00+00:00"),
        SupportClosure.automatic,
    )


def _mail(message_id, sender, at, replies=(), subject="Accès"):
    return InboundMail(
        message_id=message_id,
        from_email=sender,
        subject=subject,
        received_at=_utc(at),
        sent_at=_utc(at),
        in_reply_to=tuple(replies),
        source=f"{message_id}.eml",
    )


async def test_the_mailbox_import_records_requests_responses_and_follow_ups_once():
    uow = seeded_uow()
    mails = [
        _mail("<r1@x>", DAIP, "2026-04-07T08:00:00+00:00", ["<q1@x>"]),
        _mail("<q1@x>", "eleve@ifms-rodez.fr", GOOD_FRIDAY.isoformat()),
        _mail("<f1@x>", "eleve@ifms-rodez.fr", "2026-04-08T08:00:00+00:00", ["<r1@x>"]),
        _mail("<n1@x>", DAIP, "2026-04-08T09:00:00+00:00", ["<unknown@x>"]),
        InboundMail(None, "x@y.fr", "s", None, None, (), "broken.eml"),
    ]
    clock = clock_at("2026-04-09T00:00:00+00:00")

    report = await mailbox_import.import_mailbox(
        lambda: uow, clock, actor(), mails, POLICY, daip_email=DAIP.upper()
    )
    rerun = await mailbox_import.import_mailbox(
        lambda: uow, clock, actor(), mails, POLICY, daip_email=DAIP
    )

    assert (
        report.created,
        report.responses,
        report.follow_ups,
        report.ignored,
        report.invalid,
    ) == (1, 1, 1, 1, 1)
    assert (rerun.created, rerun.already_recorded, rerun.responses_already_recorded) == (0, 1, 1)
    (request,) = uow.support_requests.requests.values()
    assert request.responded_at == _utc("2026-04-07T08:00:00+00:00")
    assert request.last_message == _utc("2026-04-08T08:00:00+00:00")


def test_instants_utc_cannot_hold_are_refused_as_out_of_range():
    year_one = datetime.fromisoformat("0001-01-01T00:30:00+01:00")
    with pytest.raises(InvalidInput) as refused:
        sla.utc_instant(year_one, "received_at")
    assert refused.value.code == "instant-out-of-range"
    hours = sla.opening_clock(WorkingCalendar())
    with pytest.raises(InvalidInput) as no_deadline:
        sla.response_deadline(_utc("9999-12-31T16:00:00+00:00"), hours, POLICY.reading)
    assert no_deadline.value.code == "instant-out-of-range"


async def test_a_request_closed_unanswered_has_no_sla_state_nor_outcome():
    uow = seeded_uow()
    view, _ = await _create(uow)
    closed = replace(view.request, status=SupportStatus.closed,
                     closed_at=_utc("2026-04-04T10:00:00+00:00"))
    hours = sla.opening_clock(WorkingCalendar())
    now = _utc("2026-04-10T10:00:00+00:00")
    single = sla.sla_view(closed, hours, now, POLICY)
    async with uow:
        (listed,) = await sla.sla_views(uow, [view.request], now, POLICY)
    assert (single.sla_state, single.sla_outcome) == (None, None)
    assert listed.sla_state is SlaState.breached  # open and past its deadline
