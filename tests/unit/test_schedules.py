"""Job schedules: slots, Paris wall-clock times across DST, due-ness."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from app.domain.schedules import DailyAt, Every, due_slot


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("interval", "at", "slot"),
    [
        (timedelta(minutes=1), "2025-03-03T09:00:30+00:00", "2025-03-03T09:00:00+00:00"),
        (timedelta(minutes=1), "2025-03-03T09:00:00+00:00", "2025-03-03T09:00:00+00:00"),
        (timedelta(minutes=1), "2025-03-03T10:00:59+01:00", "2025-03-03T09:00:00+00:00"),
        (timedelta(hours=6), "2025-03-03T17:59:59+00:00", "2025-03-03T12:00:00+00:00"),
        (timedelta(seconds=90), "2025-03-03T00:01:00+00:00", "2025-03-03T00:00:00+00:00"),
    ],
)
def test_every_interval_cuts_the_timeline_into_epoch_aligned_slots(interval, at, slot):
    assert Every(interval).latest_slot(utc(at)) == utc(slot)


@pytest.mark.parametrize(
    ("wall", "at", "slot"),
    [
        # winter (UTC+1): 06:00 Paris is 05:00 UTC
        (time(6), "2025-03-03T05:00:00+00:00", "2025-03-03T05:00:00+00:00"),
        (time(6), "2025-03-03T04:59:59+00:00", "2025-03-02T05:00:00+00:00"),
        # summer (UTC+2): 06:00 Paris is 04:00 UTC
        (time(6), "2025-07-01T04:00:00+00:00", "2025-07-01T04:00:00+00:00"),
        # the night of the spring change: the day before was still in winter time
        (time(6), "2025-03-30T03:59:00+00:00", "2025-03-29T05:00:00+00:00"),
        (time(6), "2025-03-30T04:00:00+00:00", "2025-03-30T04:00:00+00:00"),
        # 02:30 does not exist on 30 March 2025: it runs at 03:30 CEST (01:30 UTC)
        (time(2, 30), "2025-03-30T02:00:00+00:00", "2025-03-30T01:30:00+00:00"),
        # 02:30 happens twice on 26 October 2025: the first one (CEST, 00:30 UTC)
        (time(2, 30), "2025-10-26T00:30:00+00:00", "2025-10-26T00:30:00+00:00"),
        # just after midnight Paris, still 22:xx UTC the day before
        (time(0, 5), "2025-07-01T22:10:00+00:00", "2025-07-01T22:05:00+00:00"),
    ],
)
def test_daily_slots_are_paris_wall_clock_times_across_dst(wall, at, slot):
    assert DailyAt(wall).latest_slot(utc(at)) == utc(slot)


@pytest.mark.parametrize(
    ("last_done", "at", "expected"),
    [
        (None, "2025-03-03T09:00:30+00:00", "2025-03-03T09:00:00+00:00"),
        ("2025-03-03T08:59:00+00:00", "2025-03-03T09:00:30+00:00", "2025-03-03T09:00:00+00:00"),
        ("2025-03-03T09:00:00+00:00", "2025-03-03T09:00:59+00:00", None),
        # replaying an earlier instant after a later slot ran: nothing to do
        ("2025-03-04T09:00:00+00:00", "2025-03-03T09:00:30+00:00", None),
    ],
)
def test_a_job_is_due_when_its_latest_slot_is_after_its_last_success(last_done, at, expected):
    last = utc(last_done) if last_done else None
    got = due_slot(Every(timedelta(minutes=1)), utc(at), last)
    assert got == (utc(expected) if expected else None)


def test_a_replayed_day_runs_a_daily_job_once():
    schedule = DailyAt(time(6))
    last = None
    ran = []
    for hour in range(0, 48, 3):  # two Paris days, every three hours
        at = utc("2025-05-01T00:00:00+02:00") + timedelta(hours=hour)
        slot = due_slot(schedule, at, last)
        if slot is not None:
            ran.append(slot)
            last = slot
    assert ran == [
        utc("2025-04-30T06:00:00+02:00"),  # the first look, at midnight, finds yesterday's
        utc("2025-05-01T06:00:00+02:00"),
        utc("2025-05-02T06:00:00+02:00"),
    ]


def test_schedules_refuse_naive_instants_and_odd_intervals():
    with pytest.raises(ValueError):
        Every(timedelta(minutes=1)).latest_slot(datetime(2025, 3, 3, 9))
    with pytest.raises(ValueError):
        DailyAt(time(6)).latest_slot(datetime(2025, 3, 3, 9))
    with pytest.raises(ValueError):
        Every(timedelta(milliseconds=1500))
    with pytest.raises(ValueError):
        Every(timedelta(0))


@pytest.mark.parametrize(
    ("schedule", "text"),
    [
        (Every(timedelta(minutes=1)), "every 1 minute"),
        (Every(timedelta(minutes=15)), "every 15 minutes"),
        (Every(timedelta(hours=6)), "every 6 hours"),
        (Every(timedelta(days=1)), "every 1 day"),
        (Every(timedelta(seconds=90)), "every 90 seconds"),
        (DailyAt(time(6, 30)), "daily at 06:30 Europe/Paris"),
    ],
)
def test_schedules_describe_themselves(schedule, text):
    assert schedule.describe() == text
