"""The audit trail (R-GDPR-2): what `record` stores and who `list_events` answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.domain.accounts import RoleKind
from app.services import audit
from tests.unit.services.fakes import FakeUnitOfWork, actor_of, client, referent, staff

NOW = datetime(2024, 2, 29, 12, 0, tzinfo=UTC)


def test_changes_name_each_differing_field_and_mask_personal_values():
    changes = audit.changes_between(
        {"email": "a@x.fr", "status": "received", "kind": RoleKind.REFERENT, "same": 1},
        {"email": "b@x.fr", "status": "fulfilled", "kind": RoleKind.TRAINER, "same": 1,
         "due_on": date(2024, 2, 29), "sites": ("Albi", "Rodez")},
    )
    assert changes == {
        "email": {"old": "***", "new": "***"},
        "status": {"old": "received", "new": "fulfilled"},
        "kind": {"old": "referent", "new": "trainer"},
        "due_on": {"old": None, "new": "2024-02-29"},
        "sites": {"old": None, "new": ["Albi", "Rodez"]},
    }


def test_a_personal_field_that_appears_is_masked_and_none_stays_none():
    assert audit.changes_between(None, {"given_name": "Léa", "phone": None}) == {
        "given_name": {"old": None, "new": "***"}
    }


async def test_record_names_the_actor_its_client_and_the_request(uow: FakeUnitOfWork):
    robot = client("ticketing-1", profile="ticketing")
    async with uow:
        await audit.record(
            uow, actor_of(robot, "req-42"), now=NOW, action="school.updated",
            resource_type="school", resource_id="ifms-albi", old={"name": "A"},
            new={"name": "B"},
        )
        await uow.commit()
    (event,) = uow.audit.events
    assert (event.actor, event.client_id, event.request_id) == (
        "ticketing-1", "ticketing-1", "req-42"
    )
    assert (event.occurred_at, event.changes) == (NOW, {"name": {"old": "A", "new": "B"}})


async def _three_events(uow: FakeUnitOfWork) -> None:
    async with uow:
        for minutes, resource_id in ((0, "a"), (1, "b"), (2, "a")):
            await audit.record(
                uow, actor_of(), now=NOW + timedelta(minutes=minutes), action="x.changed",
                resource_type="school", resource_id=resource_id,
            )
        await uow.commit()


async def test_list_events_newest_first_filtered_and_paged(uow: FakeUnitOfWork):
    await _three_events(uow)
    listed = await audit.list_events(
        uow, staff(), resource_type="school", resource_id="a", actor=None, since=None,
        before_id=None, limit=10,
    )
    assert [e.id for e in listed] == [3, 1]
    older = await audit.list_events(
        uow, staff(), resource_type=None, resource_id=None, actor="ut-admin",
        since=NOW + timedelta(minutes=1), before_id=3, limit=10,
    )
    assert [e.id for e in older] == [2]


async def test_a_caller_confined_to_schools_lists_no_event(uow: FakeUnitOfWork):
    await _three_events(uow)
    assert await audit.list_events(
        uow, referent("ifms-albi"), resource_type=None, resource_id=None, actor=None,
        since=None, before_id=None, limit=10,
    ) == []
