"""The one visibility policy for callers confined to schools (DESIGN.md, Security).

Confinement is a property of the caller, not of its scopes: a principal with `schools`
(the token's `schools` claim, or a client registered with `--school`) reads and writes
only resources of those schools, whatever scopes it holds.

- A resource of another school answers exactly as a missing one (`visible_or_404`:
  the same `NotFound` the caller raises for an unknown id), reads and writes alike,
  checked before any state rule so that no 409 tells it exists.
- A record that names no school and is private to the operator (audit events, outbox
  messages, job runs, billing statements, a support request without a school) is
  visible to no confined caller: 404 on the item, omitted from lists.
- Convention-wide data that every party reads (the convention, closures, amendments,
  termination notices, campaign windows) stays readable, but a confined caller may not
  change it: `ensure_unconfined` answers 403 `school-confined`.
- Lists filter in the query with `school_filter` (None: no filter, []: nothing)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from app.domain.auth import Principal
from app.domain.errors import Forbidden, NotFound

T = TypeVar("T")

SchoolOf = str | None | Iterable[str]


def confined(principal: Principal) -> bool:
    return principal.schools is not None


def sees(principal: Principal, school: SchoolOf) -> bool:
    """Whether the caller may know a resource naming `school` (a code, None for a record
    of no school, or the codes of every school it belongs to: one seen is enough)."""
    if principal.schools is None:
        return True
    if school is None:
        return False
    if isinstance(school, str):
        return school in principal.schools
    return any(code in principal.schools for code in school)


def visible_or_404(
    principal: Principal, resource: T | None, school_of: Callable[[T], SchoolOf], detail: str
) -> T:
    """`resource` when it exists and the caller sees its school; else `NotFound(detail)`,
    the very error of a missing one."""
    if resource is None or not sees(principal, school_of(resource)):
        raise NotFound(detail)
    return resource


def school_filter(principal: Principal, school_code: str | None = None) -> list[str] | None:
    """The school codes a list is limited to: None for every school, [] for none (a
    school the caller does not see filters to nothing, as an unknown one does)."""
    if school_code is not None:
        return [school_code] if sees(principal, school_code) else []
    return list(principal.schools) if principal.schools is not None else None


def ensure_unconfined(principal: Principal, what: str) -> None:
    """Convention-wide data is changed by unconfined callers only (403)."""
    if principal.schools is not None:
        raise Forbidden(
            f"a caller confined to schools may not change {what}", code="school-confined"
        )


def unschooled_or_404(principal: Principal, detail: str, code: str | None = None) -> None:
    """An operator's record that names no school: a confined caller gets the 404 of a
    missing one (`detail`, `code`: the missing one's; no read needed, since no such record
    is visible to it)."""
    if principal.schools is not None:
        raise NotFound(detail, code=code)
