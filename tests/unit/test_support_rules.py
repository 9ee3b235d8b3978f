"""Support SLA rules and statistics (R-SUP-1, R-SUP-2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.domain.calendar import WorkingCalendar
from app.domain.errors import InvalidInput
from app.domain.opening_hours import (
    BUDGET_SECONDS,
    DeadlineReading,
    OpeningHoursClock,
    response_due_at,
)
from app.domain.support import (
    SlaOutcome,
    SlaState,
    SupportStatus,
    compliance_ratio,
    median,
    nearest_rank_percentile,
    sla_outcome,
    sla_state,
    validate_closure_order,
    validate_response_order,
)

PARIS = ZoneInfo("Europe/Paris")
ONE_SECOND = timedelta(seconds=1)
BUDGET = BUDGET_SECONDS[DeadlineReading.two_opening_days]


def paris(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=PARIS)


CLOCK = OpeningHoursClock(WorkingCalendar())
RECEIVED = paris(2025, 3, 3, 10)  # Monday
DUE = response_due_at(RECEIVED, CLOCK)  # Wednesday 10:00


def test_the_scenario_deadline_is_wednesday_ten():
    assert paris(2025, 3, 5, 10).astimezone(UTC) == DUE


# ------------------------------------------------------------------ outcome


def test_a_response_exactly_at_the_deadline_is_met():
    assert sla_outcome(DUE, DUE) is SlaOutcome.met


def test_a_response_one_second_after_the_deadline_is_breached():
    assert sla_outcome(DUE, DUE + ONE_SECOND) is SlaOutcome.breached


def test_outcome_compares_instants_not_wall_clocks():
    in_tokyo = DUE.astimezone(timezone(timedelta(hours=9)))
    assert sla_outcome(DUE, in_tokyo) is SlaOutcome.met
    assert sla_outcome(DUE, in_tokyo + ONE_SECOND) is SlaOutcome.breached


def test_outcome_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        sla_outcome(DUE, datetime(2025, 3, 5, 9))


# ------------------------------------------------------------------ live state


def _state(status, *, now, responded_at=None, ratio=0.25):
    return sla_state(
        status=status,
        received_at=RECEIVED,
        response_due_at=DUE,
        responded_at=responded_at,
        now=now,
        clock=CLOCK,
        budget_seconds=BUDGET,
        at_risk_ratio=ratio,
    )


LATER = paris(2025, 3, 20, 12)


@pytest.mark.parametrize(
    ("status", "responded_at", "now", "expected"),
    [
        pytest.param("answered", DUE, LATER, SlaState.met, id="answered-on-time"),
        pytest.param("answered", DUE + ONE_SECOND, LATER, SlaState.breached, id="answered-late"),
        pytest.param("closed", None, LATER, None, id="closed-unanswered-has-no-state"),
        pytest.param("closed", DUE, LATER, SlaState.met, id="closed-after-timely-answer"),
        pytest.param(
            "closed", DUE + ONE_SECOND, LATER, SlaState.breached, id="closed-after-late-answer"
        ),
        # 5.5 h on Tuesday + 1.5 h on Wednesday = 7 h left ≥ 4.5 h (25 % of 18 h).
        pytest.param("open", None, paris(2025, 3, 4, 12), SlaState.on_track, id="open-on-track"),
        # Exactly 4.5 h left: not below the threshold.
        pytest.param(
            "open", None, paris(2025, 3, 4, 14, 30), SlaState.on_track, id="open-at-threshold"
        ),
        pytest.param(
            "open", None, paris(2025, 3, 4, 14, 30, 1), SlaState.at_risk, id="open-just-below"
        ),
        # Tuesday evening: only Wednesday's 1.5 h are left, closed hours do not count.
        pytest.param("open", None, paris(2025, 3, 4, 20), SlaState.at_risk, id="open-evening"),
        pytest.param("open", None, paris(2025, 3, 5, 10), SlaState.at_risk, id="open-at-due"),
        pytest.param(
            "open", None, paris(2025, 3, 5, 10, 0, 1), SlaState.breached, id="open-past-due"
        ),
    ],
)
def test_sla_state(status, responded_at, now, expected):
    assert _state(SupportStatus(status), responded_at=responded_at, now=now) == expected


def test_state_accepts_status_strings():
    assert _state("open", now=paris(2025, 3, 4, 12)) is SlaState.on_track


def test_at_risk_ratio_is_a_setting():
    now = paris(2025, 3, 4, 12)  # 7 h left of 18 h
    assert _state(SupportStatus.open, now=now, ratio=0.5) is SlaState.at_risk
    assert _state(SupportStatus.open, now=now, ratio=0.0) is SlaState.on_track


def test_answered_without_response_instant_is_refused():
    with pytest.raises(ValueError):
        _state(SupportStatus.answered, now=LATER)


def test_state_values_are_the_wire_names():
    assert [s.value for s in SlaState] == ["on_track", "at_risk", "breached", "met"]
    assert [s.value for s in SupportStatus] == ["open", "answered", "closed"]
    assert [s.value for s in SlaOutcome] == ["met", "breached"]


# ------------------------------------------------------------------ statistics


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        pytest.param([], 50, None, id="empty"),
        pytest.param([7], 95, 7.0, id="single"),
        pytest.param(list(range(1, 11)), 50, 5.0, id="p50-of-10"),
        pytest.param(list(range(1, 11)), 90, 9.0, id="p90-of-10"),
        pytest.param(list(range(1, 11)), 91, 10.0, id="p91-of-10"),
        pytest.param(list(range(1, 11)), 100, 10.0, id="p100"),
        pytest.param(list(range(1, 11)), 0, 1.0, id="p0-is-the-minimum"),
        pytest.param(list(range(1, 31)), 10, 3.0, id="exact-rank-no-float-drift"),
        pytest.param([15, 20, 35, 40, 50], 30, 20.0, id="wikipedia-p30"),
        pytest.param([15, 20, 35, 40, 50], 40, 20.0, id="wikipedia-p40"),
        pytest.param([15, 20, 35, 40, 50], 50, 35.0, id="wikipedia-p50"),
        pytest.param([50, 15, 40, 20, 35], 100, 50.0, id="unsorted-input"),
        pytest.param([1.5, 2.5, 0.5], 50, 1.5, id="floats"),
    ],
)
def test_nearest_rank_percentile(values, p, expected):
    assert nearest_rank_percentile(values, p) == expected


def test_percentile_outside_0_100_is_refused():
    with pytest.raises(ValueError):
        nearest_rank_percentile([1, 2], 101)
    with pytest.raises(ValueError):
        nearest_rank_percentile([1, 2], -1)


def test_median_is_a_value_of_the_sample():
    assert median([3, 1, 2]) == 2.0
    assert median([1, 2, 3, 4]) == 2.0
    assert median([]) is None


@pytest.mark.parametrize(
    ("met", "breached", "open_breached", "expected"),
    [
        (0, 0, 0, None),
        (3, 1, 0, 0.75),
        (1, 1, 2, 0.25),
        (0, 0, 5, 0.0),
        (4, 0, 0, 1.0),
    ],
)
def test_compliance_ratio(met, breached, open_breached, expected):
    assert compliance_ratio(met, breached, open_breached) == expected


def test_compliance_ratio_refuses_negative_counts():
    with pytest.raises(ValueError):
        compliance_ratio(-1, 0, 0)


# ------------------------------------------------------------------ ordering


def test_a_response_before_the_receipt_is_out_of_order():
    with pytest.raises(InvalidInput) as caught:
        validate_response_order(RECEIVED, RECEIVED - ONE_SECOND)
    assert caught.value.code == "out-of-order"
    assert caught.value.field == "responded_at"


def test_a_response_at_the_receipt_instant_is_in_order():
    validate_response_order(RECEIVED, RECEIVED)
    validate_response_order(RECEIVED, RECEIVED.astimezone(UTC))


def test_a_closure_before_the_response_is_out_of_order():
    responded = RECEIVED + timedelta(hours=2)
    with pytest.raises(InvalidInput) as caught:
        validate_closure_order(RECEIVED, responded, responded - ONE_SECOND)
    assert caught.value.code == "out-of-order"
    assert caught.value.field == "closed_at"


def test_a_closure_before_the_receipt_is_out_of_order():
    with pytest.raises(InvalidInput) as caught:
        validate_closure_order(RECEIVED, None, RECEIVED - ONE_SECOND)
    assert caught.value.code == "out-of-order"


def test_closure_checks_the_response_order_too():
    with pytest.raises(InvalidInput) as caught:
        validate_closure_order(RECEIVED, RECEIVED - ONE_SECOND, RECEIVED)
    assert caught.value.field == "responded_at"


def test_closures_in_order_pass():
    validate_closure_order(RECEIVED, None, RECEIVED)
    validate_closure_order(RECEIVED, RECEIVED, RECEIVED)
    validate_closure_order(RECEIVED, DUE, DUE + timedelta(days=3))
