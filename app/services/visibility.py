"""The one visibility policy for callers confined to schools (DESIGN.md, Security).

Confinement is a property of the caller, not of its scopes: a principal with `schools`
(the token's `schools` claim, or a client registered with `--school`) reads and writes
only resources of those schools, whatever scopes it holds.

- A resource of another school answers exactly as a missing one (`visible_or_404`:
  the same `NotFound` the caller raises for an unknown id), reads and writes alike,
  checked before any state rule so that no 409 tells it exists. A school itself is
  `school_or_404`; an account belongs to the school of each of its roles
  (`account_or_404`: one seen is enough).
- A record that names no school and is private to the operator (audit events, outbox
  messages, job runs, billing statements, a support request without a school) is
  visible to no confined caller: 404 on the item, omitted from lists.
- Convention-wide data that every party reads (the convention, closures, amendments,
  termination notices, campaign windows) stays readable, but a confined caller may not
  change it: `ensure_unconfined` answers 403 `school-confined`.
- Lists filter in the query with `school_filter` (None: no filter, []: nothing)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from app.domain.auth import Principal
from app.domain.errors import Forbidden, NotFound
from app.domain.schools import School

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


def school_code_of(resource: Any) -> str | None:
    """The school of a resource that names one (`school_code`), the default owner."""
    return resource.school_code


def visible_or_404(
    principal: Principal, resource: T | None, detail: str,
    school_of: Callable[[T], SchoolOf] = school_code_of,
) -> T:
    """`resource` when it exists and the caller sees its school; else `NotFound(detail)`,
    the very error of a missing one."""
    if resource is None or not sees(principal, school_of(resource)):
        raise NotFound(detail)
    return resource


def school_or_404(principal: Principal, school: School | None) -> School:
    return visible_or_404(principal, school, "no such school", lambda s: s.code)


def account_or_404(principal: Principal, account: T | None, role_schools: Iterable[str]) -> T:
    """An account (or its view) when it exists and one of its roles' schools is seen."""
    schools = list(role_schools)
    return visible_or_404(principal, account, "no such account", lambda _: schools)


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
