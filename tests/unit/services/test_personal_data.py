"""Personal data (R-GDPR-1, R-GDPR-1a, R-GDPR-2): export, erasure on request and the
daily retention job."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.domain.access import AccountStatus
from app.domain.account_requests import RequestStatus
from app.domain.errors import NotFound
from app.domain.personal_data import PSEUDONYM_DOMAIN
from app.ports.outbox import OutgoingMail
from app.services import accounts, personal_data
from app.services.jobs import JobContext
from tests.fakes import FakeClock
from tests.unit.services.accounts_builders import new_request
from tests.unit.services.fakes import FakeUnitOfWork, actor_of, referent, staff

URLS = {"moodle_url": "https://moodle.example", "activation_url": "https://moodle.example/a"}
POLICY = personal_data.RetentionPolicy()


async def _person(uow: FakeUnitOfWork, at: str = "2024-02-29T10:00:00+00:00") -> str:
    """A trainer created through a request (its mail queued), locked once."""
    clock = FakeClock(at)
    request, _ = await accounts.create_request(
        uow, clock, actor_of(), new_request("T-1", family_name="Zorro"), skew_seconds=30
    )
    done = await accounts.fulfil_request(uow, clock, actor_of(), request.id, uid="abc1234d",
                                         fulfilled_at=None, skew_seconds=30, **URLS)
    await accounts.lock_account(uow, clock, actor_of(), "abc1234d",
                                reason="Léa Zorro a prêté son compte", locked_at=None,
                                skew_seconds=30)
    return done.uid


async def test_an_export_holds_the_account_its_requests_mails_and_events(seeded):
    uid = await _person(seeded)
    data = await personal_data.export_personal_data(seeded, FakeClock(), staff(), uid)
    assert data.account.family_name == "Zorro"
    assert [r.ticket_ref for r in data.account_requests] == ["T-1"]
    assert [m.template for m in data.mails] == ["account-created"]
    assert [reason for _, reason, _ in data.locks] == ["Léa Zorro a prêté son compte"]
    assert {e.action for e in data.audit_events} >= {
        "account-request.received", "role.created", "account.locked"
    }
    with pytest.raises(NotFound):
        await personal_data.export_personal_data(seeded, FakeClock(), referent("ifms-albi"),
                                                 uid)


async def test_an_erasure_pseudonymises_every_place_and_is_done_once(seeded):
    uid = await _person(seeded)
    clock = FakeClock("2025-03-03T09:00:00+00:00")
    erasure = await personal_data.erase_account(seeded, clock, actor_of(), uid,
                                                reason="demande de Léa Zorro")
    account = seeded.accounts.rows[uid]
    assert account.erased_at == clock.now() and account.email.endswith(PSEUDONYM_DOMAIN)
    assert "Zorro" not in account.family_name
    (request,) = seeded.account_requests.rows.values()
    assert request.email == account.email
    (mail,) = seeded.outbox.messages.values()
    assert mail.status == "dead" and mail.recipients == ()  # not sent yet: nobody left
    assert "Zorro" not in mail.body_text
    assert all("Zorro" not in reason for _, reason, _ in seeded.accounts.lock_rows.values())
    erased_event = seeded.audit.events[-1]
    assert erased_event.action == "account.erased" and "Zorro" not in str(erased_event.changes)
    assert erasure.counts["account_requests"] == 1 and erasure.counts["mails"] == 1
    again = await personal_data.erase_account(seeded, clock, actor_of(), uid, reason="x")
    assert (again.erased_at, again.counts) == (clock.now(), {})
    view = await accounts.get_account(seeded, clock, staff(), uid)
    assert view.decision.status is AccountStatus.ERASED


async def _retention(uow: FakeUnitOfWork, at: str) -> dict[str, int]:
    clock = FakeClock(at)
    job = personal_data.retention_job(POLICY)
    return await job.run(JobContext(at=clock.now(), clock=clock, uow_factory=lambda: uow))


async def test_an_account_is_erased_from_the_day_after_twelve_months_without_access(seeded):
    uid = await _person(seeded)  # trainer role ended 31 Aug 2024
    await accounts.unlock_account(seeded, FakeClock("2024-03-01T09:00:00+00:00"), actor_of(),
                                  uid, unlocked_at=None, skew_seconds=30)
    kept = await _retention(seeded, "2025-08-31T21:59:00+00:00")  # 31 Aug, 23:59 Paris
    assert kept["accounts_erased"] == 0 and seeded.accounts.rows[uid].erased_at is None
    erased = await _retention(seeded, "2025-08-31T22:00:00+00:00")  # 1 Sep, 00:00 Paris
    assert erased["accounts_erased"] == 1 and seeded.accounts.rows[uid].erased_at is not None


async def test_a_cancelled_request_loses_its_names_twelve_months_later_clamped(seeded):
    clock = FakeClock("2024-02-29T10:00:00+00:00")
    request, _ = await accounts.create_request(seeded, clock, actor_of(), new_request("T-9"),
                                               skew_seconds=30)
    await accounts.close_request(seeded, clock, actor_of(), request.id,
                                 target=RequestStatus.CANCELLED, reason=None)
    on_27th = await personal_data.erase_closed_account_requests(
        seeded, FakeClock("2025-02-27T12:00:00+00:00"), actor_of(), POLICY
    )
    on_28th = await personal_data.erase_closed_account_requests(
        seeded, FakeClock("2025-02-28T12:00:00+00:00"), actor_of(), POLICY
    )
    assert (on_27th, on_28th) == (0, 1)
    stored = seeded.account_requests.rows[request.id]
    assert stored.email.endswith(PSEUDONYM_DOMAIN) and stored.ticket_ref == "T-9"
    assert seeded.audit.actions()[-1] == "account-request.erased"


async def test_old_support_digests_are_emptied_and_expired_responses_purged(seeded):
    digest = OutgoingMail("support-digest:2023-01-16", personal_data.SUPPORT_DIGEST_TEMPLATE,
                          ("daip@ut.fr",), "Demandes ouvertes", "Jean Dupont attend",
                          "<p>Jean Dupont</p>")
    async with seeded:
        await seeded.outbox.add(digest, now=datetime(2023, 1, 16, 6, tzinfo=UTC),
                                message_id="<m1@ut>")
        seeded.outbox.messages[1] = replace(seeded.outbox.messages[1], status="sent")
        seeded.personal_data.responses["k1"] = ("{}", datetime(2025, 1, 1, tzinfo=UTC))
        seeded.personal_data.responses["k2"] = ("{}", datetime(2025, 1, 18, tzinfo=UTC))
        await seeded.commit()
    kept = await _retention(seeded, "2025-01-16T12:00:00+00:00")  # 24 months to the day
    assert kept["support_digests_erased"] == 0
    counts = await _retention(seeded, "2025-01-17T12:00:00+00:00")
    assert counts["support_digests_erased"] == 1
    assert counts["idempotent_responses_purged"] == 0  # k1 went with the first run
    assert list(seeded.personal_data.responses) == ["k2"]
    assert "Dupont" not in seeded.outbox.messages[1].body_text


def test_the_retention_job_runs_daily_under_its_name():
    job = personal_data.retention_job(POLICY)
    assert job.name == personal_data.RETENTION_JOB
    assert "12 months" in job.description and "24 months" in job.description
