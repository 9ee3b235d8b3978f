"""app/services/lifecycle.py on the fakes: amendments (R-CONV-2), termination notices
(R-CONV-3, R-CONV-3a) and suspensions (R-SUS-1, R-SUS-2, R-SUS-2a, R-SUS-2b)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.domain.access import SuspensionScope
from app.domain.accounts import RoleKind
from app.domain.convention import TermChanges
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.domain.lifecycle import NoticeStatus
from app.domain.suspensions import Ground, SuspensionStatus
from app.services import lifecycle
from app.services.convention import load_clock
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

CLOCK = clock_at("2028-03-01T10:00:00+00:00")
LEAP_DAY = date(2028, 2, 29)


async def _amend(uow, reference="AV-1", effective_on=LEAP_DAY, **kw):
    kw.setdefault("changes", TermChanges(rate_per_student_cents=2400))
    return await lifecycle.record_amendment(
        uow,
        CLOCK,
        actor(),
        reference=reference,
        signed_on=date(2028, 2, 1),
        effective_on=effective_on,
        schools_added=kw.pop("schools_added", None),
        **kw,
    )


async def _notice(uow, letter="LR-1", received_on=date(2027, 11, 30), **kw):
    return await lifecycle.file_notice(
        uow,
        CLOCK,
        actor(),
        notifying_party=kw.get("notifying", "region"),
        defaulting_party=kw.get("defaulting", "ut"),
        grounds="manquements",
        letter_ref=letter,
        received_on=received_on,
    )


# ---------------------------------------------------------------- amendments


async def test_an_amendment_is_stored_audited_and_applies_from_its_effective_day():
    uow = seeded_uow()
    record = await _amend(uow)
    assert record.amendment.reference == "AV-1"
    assert [r.amendment.reference for r in await lifecycle.list_amendments(uow)] == ["AV-1"]
    assert uow.audit.actions() == ["amendment.recorded"]
    clock = await load_clock(uow, fresh=True)
    assert clock.terms_on(LEAP_DAY).rate_per_student_cents == 2400


async def test_an_amendment_reference_is_recorded_once():
    uow = seeded_uow()
    await _amend(uow)
    with pytest.raises(Conflict) as twice:
        await _amend(uow, changes=TermChanges(rate_per_student_cents=1))
    assert twice.value.code == "amendment-exists"


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"changes": TermChanges()}, "empty-amendment"),
        ({"changes": TermChanges(ends_on=date(2028, 2, 28))}, "invalid-amendment"),
        ({"removes_school_codes": ("ifms-nowhere",)}, "unknown-school"),
    ],
)
async def test_an_invalid_amendment_changes_nothing(kw, code):
    uow = seeded_uow()
    with pytest.raises(InvalidInput) as refused:
        await _amend(uow, **kw)
    assert refused.value.code == code
    assert (await lifecycle.list_amendments(uow), uow.audit.events) == ([], [])


async def test_an_amendment_signed_in_the_future_or_by_a_confined_caller_is_refused():
    uow = seeded_uow()
    with pytest.raises(InvalidInput):
        await lifecycle.record_amendment(
            uow,
            CLOCK,
            actor(),
            reference="AV-2",
            signed_on=date(2028, 3, 2),
            effective_on=date(2028, 9, 1),
            changes=TermChanges(rate_per_student_cents=1),
            schools_added=None,
        )
    with pytest.raises(Forbidden):
        await lifecycle.record_amendment(
            uow,
            CLOCK,
            actor(confined_to(RODEZ)),
            reference="AV-2",
            signed_on=LEAP_DAY,
            effective_on=date(2028, 9, 1),
            changes=TermChanges(rate_per_student_cents=1),
            schools_added=None,
        )


# ---------------------------------------------------------------- notices


async def test_a_notice_takes_effect_three_months_later_clamped_to_the_month_end():
    uow = seeded_uow()
    record, created = await _notice(uow)  # 30 November 2027 + 3 months = 29 February 2028
    assert created
    assert record.notice.effective_on == LEAP_DAY
    assert lifecycle.notice_status(record, clock_at("2028-02-28T22:59:59+00:00")) is (
        NoticeStatus.PENDING
    )
    assert lifecycle.notice_status(record, clock_at("2028-02-28T23:00:00+00:00")) is (
        NoticeStatus.EFFECTIVE
    )  # midnight in Paris
    assert (await lifecycle.get_notice(uow, record.notice.id)).letter_ref == "LR-1"
    assert uow.audit.actions() == ["termination.notified"]


async def test_the_same_letter_again_answers_the_stored_notice_other_content_conflicts():
    uow = seeded_uow()
    first, _ = await _notice(uow)
    again, created = await _notice(uow)
    assert (again, created) == (first, False)
    with pytest.raises(Conflict) as other:
        await _notice(uow, received_on=date(2027, 12, 1))
    assert other.value.code == "notice-conflict"
    assert len(await lifecycle.list_notices(uow)) == 1


async def test_a_notice_after_the_governing_one_took_effect_is_refused():
    uow = seeded_uow()
    await _notice(uow)
    with pytest.raises(Conflict) as late:
        await _notice(uow, "LR-2", received_on=LEAP_DAY)
    assert late.value.code == "convention-not-active"
    await _notice(uow, "LR-3", received_on=date(2028, 2, 28), notifying="gcs")


@pytest.mark.parametrize(("notifying", "defaulting"), [("ifms-rodez", "ut"), ("ut", "ut")])
async def test_only_a_party_notifies_another_party(notifying, defaulting):
    with pytest.raises(InvalidInput) as refused:
        await _notice(seeded_uow(), notifying=notifying, defaulting=defaulting)
    assert refused.value.code == "invalid-notice"


async def test_a_cure_before_the_effective_date_is_recorded_once_and_a_late_one_refused():
    uow = seeded_uow()
    record, _ = await _notice(uow)
    with pytest.raises(Conflict) as late:
        await lifecycle.cure_notice(uow, CLOCK, actor(), record.notice.id, cured_on=LEAP_DAY)
    assert late.value.code == "cure-too-late"

    cured = await lifecycle.cure_notice(
        uow, CLOCK, actor(), record.notice.id, cured_on=date(2028, 2, 28)
    )
    again = await lifecycle.cure_notice(
        uow, CLOCK, actor(), record.notice.id, cured_on=date(2028, 2, 28)
    )

    assert cured.notice.cured_on == again.notice.cured_on == date(2028, 2, 28)
    assert lifecycle.notice_status(again, CLOCK) is NoticeStatus.CURED
    assert uow.audit.actions() == ["termination.notified", "termination.cured"]
    with pytest.raises(NotFound):
        await lifecycle.cure_notice(uow, CLOCK, actor(), "nope", cured_on=date(2028, 2, 1))
    with pytest.raises(NotFound):
        await lifecycle.get_notice(uow, "nope")


# ---------------------------------------------------------------- suspensions

NOTIFIED = datetime.fromisoformat("2028-02-29T09:00:00+00:00")


async def _suspend(uow, principal=UT_ADMIN, **kw):
    fields = {
        "school_code": RODEZ,
        "ground": Ground.BREACH_OF_OBLIGATIONS,
        "scope": SuspensionScope.PLATFORM,
        "starts_at": None,
        "notified_at": NOTIFIED,
        "notice_ref": "LR-S1",
        "details": "manquements",
        "kinds": None,
        "account_uids": None,
        "skew_seconds": 300,
    } | kw
    return await lifecycle.suspend(uow, CLOCK, actor(principal), **fields)


async def test_a_suspension_starts_at_its_notification_and_mails_the_referents():
    uow = seeded_uow()
    await add_referent(uow, RODEZ, "referente@ifms-rodez.fr")

    suspension = await _suspend(uow)

    assert (suspension.starts_at, suspension.status) == (NOTIFIED, SuspensionStatus.ACTIVE)
    assert uow.outbox.templates() == ["suspension-notice"]
    (mail,) = uow.outbox.messages.values()
    assert mail.recipients == ("referente@ifms-rodez.fr",)
    assert "29 février 2028" in mail.body_text
    assert uow.audit.actions() == ["suspension.created"]


async def test_an_art_6_2_suspension_starting_before_its_notification_is_out_of_order():
    uow = seeded_uow()
    with pytest.raises(InvalidInput) as refused:
        await _suspend(uow, starts_at=datetime.fromisoformat("2028-02-29T08:59:59+00:00"))
    assert refused.value.code == "out-of-order"
    assert uow.lifecycle.suspension_rows == {}


async def test_a_mass_mailing_suspension_names_trainers_of_the_school_only():
    uow = seeded_uow()
    await add_role(uow, "trainer1", "trainer", RODEZ)
    await add_role(uow, "referent1", "referent", RODEZ)
    fields = {
        "ground": Ground.MASS_MAILING,
        "scope": SuspensionScope.MESSAGING,
        "notified_at": None,
        "notice_ref": None,
    }
    with pytest.raises(InvalidInput) as not_trainer:
        await _suspend(uow, account_uids=frozenset({"referent1"}), **fields)
    assert not_trainer.value.code == "invalid-suspension"

    suspension = await _suspend(uow, account_uids=frozenset({"trainer1"}), **fields)

    assert suspension.kinds == frozenset({RoleKind.TRAINER})
    assert suspension.starts_at == CLOCK.now()  # no prior notice (art. 6.1)
    (mail,) = uow.outbox.messages.values()  # the school's referent is told
    assert mail.recipients == ("referent1@ifms.fr",)


async def test_another_schools_suspension_answers_as_a_missing_one():
    uow = seeded_uow()
    with pytest.raises(NotFound):
        await _suspend(uow, confined_to(ALBI))
    suspension = await _suspend(uow)
    with pytest.raises(NotFound):
        await lifecycle.get_suspension(uow, confined_to(ALBI), suspension.id)
    with pytest.raises(NotFound):
        await lifecycle.lift(
            uow,
            CLOCK,
            actor(confined_to(ALBI)),
            suspension.id,
            notified_at=NOTIFIED,
            notice_ref="L",
            skew_seconds=300,
        )
    assert (await lifecycle.get_suspension(uow, confined_to(RODEZ), suspension.id)) == suspension


async def test_restoration_requested_then_refused_then_lifted():
    uow = seeded_uow()
    await add_referent(uow, RODEZ, "referente@ifms-rodez.fr")
    s = await _suspend(uow)
    requested_at = datetime.fromisoformat("2028-03-01T08:00:00+00:00")

    requested = await lifecycle.request_restoration(
        uow,
        CLOCK,
        actor(confined_to(RODEZ)),
        s.id,
        requested_at=requested_at,
        corrective_actions="mesures",
        skew_seconds=300,
    )
    refused = await lifecycle.refuse_restoration(
        uow, CLOCK, actor(), s.id, notified_at=requested_at, notice_ref="REF-1", skew_seconds=300
    )
    lifted = await lifecycle.lift(
        uow, CLOCK, actor(), s.id, notified_at=CLOCK.now(), notice_ref="LEV-1", skew_seconds=300
    )

    assert requested.status is SuspensionStatus.RESTORATION_REQUESTED
    assert (refused.status, refused.restoration_refusal_ref) == (SuspensionStatus.ACTIVE, "REF-1")
    assert (lifted.status, lifted.lifted_at) == (SuspensionStatus.LIFTED, CLOCK.now())
    assert uow.outbox.templates() == ["suspension-notice", "suspension-lifted"]
    assert uow.audit.actions()[1:] == [
        "suspension.restoration-requested",
        "suspension.restoration-refused",
        "suspension.lifted",
    ]


async def test_repeated_transitions_answer_as_they_are_and_wrong_ones_conflict():
    uow = seeded_uow()
    s = await _suspend(uow)
    with pytest.raises(Conflict):  # no request pending
        await lifecycle.refuse_restoration(
            uow, CLOCK, actor(), s.id, notified_at=NOTIFIED, notice_ref="R", skew_seconds=300
        )
    with pytest.raises(InvalidInput) as early:
        await lifecycle.lift(
            uow,
            CLOCK,
            actor(),
            s.id,
            skew_seconds=300,
            notice_ref="L",
            notified_at=datetime.fromisoformat("2028-02-29T08:00:00+00:00"),
        )
    assert early.value.code == "out-of-order"
    first = await lifecycle.lift(
        uow, CLOCK, actor(), s.id, notified_at=NOTIFIED, notice_ref="L", skew_seconds=300
    )
    assert (
        await lifecycle.lift(
            uow, CLOCK, actor(), s.id, notified_at=NOTIFIED, notice_ref="L", skew_seconds=300
        )
        == first
    )
    with pytest.raises(Conflict):
        await lifecycle.request_restoration(
            uow, CLOCK, actor(), s.id, requested_at=None, corrective_actions="x", skew_seconds=300
        )
    assert uow.audit.actions().count("suspension.lifted") == 1


async def test_an_instant_beyond_the_clock_skew_is_refused():
    uow = seeded_uow()
    with pytest.raises(InvalidInput):
        await _suspend(uow, notified_at=datetime.fromisoformat("2028-03-01T10:05:01+00:00"))


async def test_list_suspensions_filters_by_status_school_and_confinement():
    uow = seeded_uow()
    rodez = await _suspend(uow)
    albi = await _suspend(uow, school_code=ALBI)
    await lifecycle.lift(
        uow, CLOCK, actor(), albi.id, notified_at=NOTIFIED, notice_ref="L", skew_seconds=300
    )

    def ids(found):
        return [s.id for s in found]

    everything = await lifecycle.list_suspensions(
        uow, UT_ADMIN, status=None, school_code=None, after_id=None, limit=10
    )
    assert sorted(ids(everything)) == sorted([rodez.id, albi.id])
    assert ids(
        await lifecycle.list_suspensions(
            uow, UT_ADMIN, status=SuspensionStatus.ACTIVE, school_code=None, after_id=None, limit=10
        )
    ) == [rodez.id]
    assert ids(
        await lifecycle.list_suspensions(
            uow, confined_to(RODEZ), status=None, school_code=None, after_id=None, limit=10
        )
    ) == [rodez.id]
    assert (
        await lifecycle.list_suspensions(
            uow, confined_to(RODEZ), status=None, school_code=ALBI, after_id=None, limit=10
        )
        == []
    )
