"""Callers of the use cases: principals and the actors the audit trail names."""

from __future__ import annotations

from app.domain.auth import PROFILES, SCOPES, Principal
from app.ports.audit import Actor


def staff(subject: str = "ut-admin", *, scopes: frozenset[str] | None = None) -> Principal:
    """A UT administrator, confined to no school, holding every scope unless told."""
    return Principal(subject, None, frozenset(SCOPES) if scopes is None else scopes)


def referent(*schools: str, subject: str = "referent") -> Principal:
    """A school referent confined to `schools`, with the referent profile's scopes."""
    return Principal(subject, None, frozenset(PROFILES["school-referent"]), tuple(schools))


def client(client_id: str, *, profile: str, schools: tuple[str, ...] | None = None) -> Principal:
    """A machine client with a profile's scopes (confined when `schools` is given)."""
    return Principal(client_id, client_id, frozenset(PROFILES[profile]), schools)


def actor_of(principal: Principal | None = None, request_id: str | None = "req-1") -> Actor:
    return Actor(principal or staff(), request_id)
