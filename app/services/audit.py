"""The audit trail (R-GDPR-2): one event per state change, in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from app.domain.auth import Principal
from app.ports.audit import Actor, AuditEvent
from app.ports.unit_of_work import UnitOfWork
from app.services.visibility import confined

# Fields whose values are personal data: recorded as changed, never with their value.
PERSONAL_FIELDS = frozenset(
    {"given_name", "family_name", "email", "from_email", "name_of_person", "subject",
     "display_name", "phone"}
)
MASK = "***"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def changes_between(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> dict[str, dict[str, Any]]:
    """field → {"old", "new"} for every field that differs; personal values masked."""
    old = old or {}
    new = new or {}
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key in PERSONAL_FIELDS:
            out[key] = {
                "old": MASK if before is not None else None,
                "new": MASK if after is not None else None,
            }
        else:
            out[key] = {"old": _plain(before), "new": _plain(after)}
    return out


def event(
    actor: Actor,
    *,
    now: datetime,
    action: str,
    resource_type: str,
    resource_id: str,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """The audit event of a change, for a repository that writes it with the change."""
    return AuditEvent(
        occurred_at=now,
        actor=actor.principal.subject,
        client_id=actor.principal.client_id,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        request_id=actor.request_id,
        changes=changes_between(old, new),
    )


async def record(
    uow: UnitOfWork,
    actor: Actor,
    *,
    now: datetime,
    action: str,
    resource_type: str,
    resource_id: str,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
) -> None:
    await uow.audit.add(event(
        actor, now=now, action=action, resource_type=resource_type,
        resource_id=resource_id, old=old, new=new,
    ))


async def list_events(
    uow: UnitOfWork,
    principal: Principal,
    *,
    resource_type: str | None,
    resource_id: str | None,
    actor: str | None,
    since: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[AuditEvent]:
    """Events name no school (a resource type and id): none is listed to a caller
    confined to schools."""
    if confined(principal):
        return []
    async with uow:
        return await uow.audit.list(
            resource_type=resource_type,
            resource_id=resource_id,
            actor=actor,
            since=since,
            before_id=before_id,
            limit=limit,
        )
