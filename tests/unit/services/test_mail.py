"""app/services/mail.py on the fakes: queueing, requeueing and the dispatcher."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.formatting import french_date, french_datetime
from app.ports.outbox import DeliveryError
from app.services.jobs import JobContext
from app.services.mail import (
    OutboxPolicy,
    dispatch_outbox,
    list_messages,
    message_id_for,
    outbox_job,
    queue_mail,
    queue_test_mail,
    render,
    requeue_dead,
    requeue_message,
)
from tests.unit.services.convention_world import (
    RODEZ,
    UT_ADMIN,
    actor,
    clock_at,
    confined_to,
    seeded_uow,
)
from tests.unit.services.fakes.trail import FakeMailer

NEW_YEAR_EVE = "2026-12-31T23:30:00+00:00"  # already 1 January 2027 in Paris


async def _queued(uow, n: int = 1, *, at: str = NEW_YEAR_EVE) -> list[int]:
    async with uow:
        for i in range(n):
            await queue_mail(
                uow,
                now=datetime.fromisoformat(at),
                template="smtp-test",
                to=[f"ops{i}@univ-tlse3.fr"],
                context={"requested_at": datetime.fromisoformat(at)},
                dedupe_key=f"k{i}",
            )
        await uow.commit()
    return sorted(uow.outbox.messages)


def _with_status(uow, message_id: int, **changes) -> None:
    uow.outbox.messages[message_id] = replace(uow.outbox.messages[message_id], **changes)


def test_french_dates_of_instants_are_their_paris_dates():
    instant = datetime.fromisoformat(NEW_YEAR_EVE)
    assert french_date(instant) == "1er janvier 2027"
    assert french_datetime(instant) == "1er janvier 2027 à 0 h 30"
    assert render("smtp-test", {"requested_at": instant}).subject


async def test_queue_mail_renders_and_stores_once_per_dedupe_key():
    uow = seeded_uow()
    now = datetime.fromisoformat(NEW_YEAR_EVE)
    async with uow:
        first = await queue_mail(
            uow,
            now=now,
            template="smtp-test",
            to=["a@b.fr"],
            cc=["c@d.fr"],
            context={"requested_at": now},
            dedupe_key="same",
        )
        again = await queue_mail(
            uow,
            now=now,
            template="smtp-test",
            to=["x@y.fr"],
            context={"requested_at": now},
            dedupe_key="same",
        )
        await uow.commit()
    (message,) = uow.outbox.messages.values()
    assert (first, again) == (True, False)
    assert (message.recipients, message.cc) == (("a@b.fr",), ("c@d.fr",))
    assert message.message_id == message_id_for("same")
    assert (message.status, message.next_attempt_at) == ("pending", now)


@pytest.mark.parametrize("to", [["not-an-address"], ["a@b.fr\r\nBcc: x@y.fr"]])
async def test_a_mail_to_a_bad_address_is_refused(to):
    uow = seeded_uow()
    async with uow:
        with pytest.raises(InvalidInput) as refused:
            await queue_mail(
                uow,
                now=datetime.fromisoformat(NEW_YEAR_EVE),
                template="smtp-test",
                to=to,
                context={},
                dedupe_key="k",
            )
    assert refused.value.code == "invalid-email"
    assert uow.outbox.messages == {}


async def test_a_mail_without_recipient_or_with_an_empty_key_is_a_bug():
    uow = seeded_uow()
    now = datetime.fromisoformat(NEW_YEAR_EVE)
    async with uow:
        with pytest.raises(ValueError):
            await queue_mail(uow, now=now, template="smtp-test", to=[], context={}, dedupe_key="k")
        with pytest.raises(ValueError):
            await queue_mail(
                uow,
                now=now,
                template="smtp-test",
                to=["a@b.fr"],
                context={"requested_at": now},
                dedupe_key="",
            )


async def test_list_messages_filters_by_status_and_is_empty_for_a_confined_caller():
    uow = seeded_uow()
    ids = await _queued(uow, 3)
    _with_status(uow, ids[1], status="dead")

    dead = await list_messages(uow, UT_ADMIN, status="dead", after_id=None, limit=10)

    assert [m.id for m in dead] == [ids[1]]
    assert await list_messages(uow, confined_to(RODEZ), status=None, after_id=None, limit=10) == []
    with pytest.raises(InvalidInput):
        await list_messages(uow, UT_ADMIN, status="lost", after_id=None, limit=10)


async def test_requeueing_a_dead_message_resets_its_attempts_and_audits():
    uow = seeded_uow()
    (message_id,) = await _queued(uow)
    _with_status(uow, message_id, status="dead", attempts=8)
    clock = clock_at("2027-01-02T08:00:00+00:00")

    requeued, changed = await requeue_message(uow, clock, actor(), message_id)

    assert changed
    assert (requeued.status, requeued.attempts, requeued.next_attempt_at) == (
        "pending",
        0,
        clock.now(),
    )
    assert uow.audit.actions() == ["mail.requeued"]
    again, changed_again = await requeue_message(uow, clock, actor(), message_id)
    assert (again.status, changed_again) == ("pending", False)


async def test_a_sent_or_erased_message_is_not_requeued_and_others_are_not_found():
    uow = seeded_uow()
    sent, erased = await _queued(uow, 2)
    _with_status(uow, sent, status="sent")
    _with_status(uow, erased, status="dead", recipients=(), cc=())
    clock = clock_at("2027-01-02T08:00:00+00:00")
    for message_id, code in ((sent, "message-sent"), (erased, "message-without-recipient")):
        with pytest.raises(Conflict) as refused:
            await requeue_message(uow, clock, actor(), message_id)
        assert refused.value.code == code
    for principal, message_id in ((UT_ADMIN, 99), (confined_to(RODEZ), erased)):
        with pytest.raises(NotFound):
            await requeue_message(uow, clock, actor(principal), message_id)
    assert uow.audit.events == []


async def test_requeue_dead_reports_each_message_and_never_stops():
    uow = seeded_uow()
    dead, sent, pending = await _queued(uow, 3)
    _with_status(uow, dead, status="dead")
    _with_status(uow, sent, status="sent")
    clock = clock_at("2027-01-02T08:00:00+00:00")

    report = await requeue_dead(lambda: uow, clock, actor(), [dead, sent, pending, 42])

    assert report.requeued == [dead]
    assert [m for m, _ in report.skipped] == [sent, pending]
    assert report.missing == [42]
    _with_status(uow, pending, status="dead")
    assert (await requeue_dead(lambda: uow, clock, actor(), None)).requeued == [pending]


async def test_dispatch_sends_retries_with_backoff_and_gives_up_on_a_permanent_failure():
    uow = seeded_uow()
    ok, temporary, permanent = await _queued(uow, 3)
    mailer = FakeMailer()
    mailer.failures = []
    clock = clock_at("2027-01-01T08:00:00+00:00")
    policy = OutboxPolicy(backoff_base=timedelta(minutes=1))

    class Failing(FakeMailer):
        async def send(self, message):
            if message.id == temporary:
                raise DeliveryError("421 try later", permanent=False)
            if message.id == permanent:
                raise DeliveryError("550 no such user", permanent=True)
            return await super().send(message)

    counts = await dispatch_outbox(lambda: uow, clock, Failing(), policy)

    assert counts == {"sent": 1, "retried": 1, "dead": 1, "lost": 0}
    messages = uow.outbox.messages
    assert messages[ok].sent_at == clock.now()
    assert messages[temporary].next_attempt_at == clock.now() + timedelta(minutes=1)
    assert (messages[permanent].status, messages[permanent].last_error) == (
        "dead",
        "550 no such user",
    )


async def test_the_last_allowed_temporary_failure_is_dead():
    uow = seeded_uow()
    (message_id,) = await _queued(uow)
    _with_status(uow, message_id, status="retrying", attempts=7)
    mailer = FakeMailer()
    mailer.failures = [DeliveryError("421 busy", permanent=False)]

    counts = await dispatch_outbox(
        lambda: uow, clock_at("2027-01-01T08:00:00+00:00"), mailer, OutboxPolicy(max_attempts=8)
    )

    assert counts["dead"] == 1
    assert uow.outbox.messages[message_id].last_error == "gave up after 8 attempts: 421 busy"


async def test_a_mailer_bug_counts_as_a_temporary_failure():
    uow = seeded_uow()
    (message_id,) = await _queued(uow)
    mailer = FakeMailer()
    mailer.failures = [KeyError("bug")]
    counts = await dispatch_outbox(
        lambda: uow, clock_at("2027-01-01T08:00:00+00:00"), mailer, OutboxPolicy()
    )
    assert counts["retried"] == 1
    assert uow.outbox.messages[message_id].last_error == "unexpected KeyError"


async def test_the_outbox_job_dispatches_with_the_jobs_clock_and_units_of_work():
    uow = seeded_uow()
    await _queued(uow, 2)
    mailer = FakeMailer()
    at = datetime.fromisoformat("2027-01-01T08:00:00+00:00")
    context = JobContext(at=at, clock=clock_at(at.isoformat()), uow_factory=lambda: uow)

    counts = await outbox_job(mailer, OutboxPolicy())(context)

    assert counts["sent"] == 2 and len(mailer.sent) == 2


async def test_the_test_mail_is_queued_audited_and_named_by_its_message_id():
    uow = seeded_uow()
    message_id = await queue_test_mail(uow, clock_at(NEW_YEAR_EVE), actor(), to="ops@univ-tlse3.fr")
    (message,) = uow.outbox.messages.values()
    assert (message.message_id, message.template) == (message_id, "smtp-test")
    assert uow.audit.actions() == ["mail.test-queued"]
