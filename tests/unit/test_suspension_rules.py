"""Suspensions (R-SUS-1, R-SUS-2, R-SUS-2a): when a suspension starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.errors import InvalidInput
from app.domain.suspensions import Ground, suspension_start

# The spring DST change instant: 02:00 Paris does not exist, 03:00 CEST follows 01:59 CET.
NOTIFIED = datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 30, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize("ground", [g for g in Ground if g is not Ground.MASS_MAILING])
def test_r_sus_2a_an_art_6_2_suspension_starts_at_its_notification_by_default(ground):
    """R-SUS-2a: `starts_at` defaults to `notified_at`, never to now."""
    assert suspension_start(ground, starts_at=None, notified_at=NOTIFIED, now=NOW) == NOTIFIED


@pytest.mark.parametrize(
    ("starts_at", "accepted"),
    [(NOTIFIED, True), (NOTIFIED + SECOND, True), (NOTIFIED - SECOND, False),
     (datetime(2025, 2, 28, 23, 0, tzinfo=UTC), False)],
)
def test_r_sus_2a_an_art_6_2_suspension_never_starts_before_its_notification(
    starts_at, accepted
):
    """R-SUS-2a: exactly at the notification instant passes; one second earlier → 422
    `out-of-order` on `starts_at`."""
    if accepted:
        assert suspension_start(Ground.SECURITY_THREAT, starts_at=starts_at,
                                notified_at=NOTIFIED, now=NOW) == starts_at
    else:
        with pytest.raises(InvalidInput) as caught:
            suspension_start(Ground.SECURITY_THREAT, starts_at=starts_at,
                             notified_at=NOTIFIED, now=NOW)
        assert (caught.value.code, caught.value.field) == ("out-of-order", "starts_at")


def test_r_sus_2a_a_mass_mailing_suspension_may_start_before_the_school_is_informed():
    """R-SUS-2a: art. 6.1 needs no prior notice: a start before `notified_at` (or with
    none) stands, and the default is now."""
    early = NOTIFIED - timedelta(days=1)
    assert suspension_start(Ground.MASS_MAILING, starts_at=early, notified_at=NOTIFIED,
                            now=NOW) == early
    assert suspension_start(Ground.MASS_MAILING, starts_at=None, notified_at=None,
                            now=NOW) == NOW


def _suspension(status, **kw):
    from app.domain.access import SuspensionScope
    from app.domain.suspensions import Suspension

    return Suspension(
        id="s-1", school_code="ifsi-a", ground=Ground.SECURITY_THREAT,
        scope=SuspensionScope.PLATFORM, kinds=None, account_uids=None, starts_at=NOTIFIED,
        notified_at=NOTIFIED, notice_ref="UT-1", details="x", status=status,
        restoration_requested_at=kw.pop("requested_at", None), corrective_actions=None,
        lifted_at=None, lifting_ref=None, created_at=NOTIFIED, **kw,
    )


def test_r_sus_2b_a_written_refusal_answers_a_pending_restoration_request():
    """R-SUS-2b: from `restoration_requested` only; at the request's instant or later;
    the refusal already recorded is a retry; anything else is 409."""
    from app.domain.errors import Conflict
    from app.domain.suspensions import SuspensionStatus, check_restoration_refusal

    requested = NOTIFIED + timedelta(days=2)
    pending = _suspension(SuspensionStatus.RESTORATION_REQUESTED, requested_at=requested)
    assert check_restoration_refusal(pending, requested, "UT-R") is True
    with pytest.raises(InvalidInput) as caught:
        check_restoration_refusal(pending, requested - SECOND, "UT-R")
    assert caught.value.code == "out-of-order"
    refused = _suspension(SuspensionStatus.ACTIVE, restoration_refused_at=requested,
                          restoration_refusal_ref="UT-R")
    assert check_restoration_refusal(refused, requested, "UT-R") is False
    for other in (_suspension(SuspensionStatus.ACTIVE), _suspension(SuspensionStatus.LIFTED),
                  refused):
        with pytest.raises(Conflict) as conflict:
            check_restoration_refusal(other, requested + SECOND, "UT-R2")
        assert conflict.value.code == "invalid-transition"
