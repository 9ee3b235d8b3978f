"""Dependencies of the HTTP edge: unit of work, clock, cursors and conditional requests.
`Annotated` aliases keep route signatures short. Who calls is app/api/caller.py's
`caller_with`; `require` and `get_actor` serve routes not yet written with it."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from fastapi import Depends, Query, Request

from app.api.caller import authorized_principal, bearer, unauthorized
from app.api.caller import scope_doc as scope_doc  # the routes not yet on `Caller`
from app.api.container import container_of
from app.api.problems import ProblemException
from app.domain.auth import Principal
from app.domain.preconditions import Precondition
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork

T = TypeVar("T")


def require(*scopes: str) -> Callable[..., Any]:
    """A dependency granting the call when the token holds any one of `scopes` (its
    principal); `caller_with` gives the whole `Caller`."""

    async def dependency(
        request: Request, token: Annotated[str | None, Depends(bearer)]
    ) -> Principal:
        return authorized_principal(request, token, scopes)

    dependency.__name__ = "require_" + "_or_".join(s.replace(":", "_") for s in scopes)
    dependency.scopes = scopes  # type: ignore[attr-defined]  # the contract's security
    return dependency


async def get_uow(request: Request) -> UnitOfWork:
    return container_of(request.app).uow_factory()


async def get_clock(request: Request) -> Clock:
    return container_of(request.app).clock


async def get_actor(request: Request) -> Actor:
    principal = getattr(request.state, "principal", None)
    if principal is None:  # pragma: no cover - routes declare require() first
        raise unauthorized("a bearer token is required")
    return Actor(principal=principal, request_id=getattr(request.state, "request_id", None))


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ClockDep = Annotated[Clock, Depends(get_clock)]
# A list's page size and the opaque cursor of its next page (`next_cursor`).
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=500)]


def encode_cursor(*key: Any) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def paged(rows: Sequence[T], limit: int, key: Callable[[T], Any]) -> tuple[list[T], str | None]:
    """The page of `limit` rows out of the `limit + 1` a list asked for, and the cursor of
    the next page (`key` of its last row, a value or a tuple; None on the last page)."""
    page = list(rows[:limit])
    if len(rows) <= limit:
        return page, None
    last = key(page[-1])
    return page, encode_cursor(*last) if isinstance(last, tuple) else encode_cursor(last)


CURSOR_TEXT_MAX = 300
ID_MAX = 2**63 - 1  # a BIGINT key


def _invalid_cursor() -> ProblemException:
    return ProblemException(
        422, "the cursor is not valid", code="invalid-cursor",
        errors=[{"field": "query.cursor", "code": "invalid-cursor",
                 "message": "not a cursor from this list"}],
    )


def _cursor_scalar(value: Any) -> bool:
    """A value `encode_cursor` writes: text the database can hold (no NUL, no lone
    surrogate, bounded) or an integer a BIGINT holds. Anything else in a cursor was not
    made by this service."""
    if isinstance(value, str):
        if len(value) > CURSOR_TEXT_MAX or "\x00" in value:
            return False
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return True
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= ID_MAX


def decode_cursor(
    cursor: str | None, arity: int, kinds: tuple[type, ...] | None = None
) -> list[Any] | None:
    """The key of a cursor made by `encode_cursor`, or 422 `invalid-cursor`.

    `kinds` (one type per position) also checks what each position holds."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        key = None
    if (not isinstance(key, list) or len(key) != arity
            or not all(_cursor_scalar(k) for k in key)
            or (kinds is not None
                and not all(type(k) is kind for k, kind in zip(key, kinds, strict=True)))):
        raise _invalid_cursor()
    return key


def text_cursor(cursor: str | None) -> str | None:
    """The text key of a cursor made by `encode_cursor(key)` (lists keyed by a text)."""
    key = decode_cursor(cursor, 1)
    return str(key[0]) if key else None


def decode_id_cursor(cursor: str | None) -> int | None:
    """The row id of a cursor made by `encode_cursor(id)` (lists keyed by id)."""
    key = decode_cursor(cursor, 1, (int,))
    if key is None:
        return None
    if key[0] < 0:
        raise _invalid_cursor()
    return int(key[0])


def etag_of(version: int | str) -> str:
    return f'"{version}"'


IF_MATCH_MAX = 2000
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


def parse_if_match(value: str) -> Precondition:
    """RFC 9110 §13.1.1: `*` or a comma-separated list of entity tags. Only strong tags
    can match; a value that is not such a list (garbage, unbalanced quotes, a huge
    number without quotes) matches nothing (412), it is not an error of the request."""
    value = value.strip()
    if value == "*":
        return Precondition(any_version=True)
    if len(value) > IF_MATCH_MAX:
        return Precondition()
    tags: set[str] = set()
    position = 0
    while position < len(value):
        found = _ENTITY_TAG.match(value, position)
        if found is None or found.end() == position:
            return Precondition()  # not a list of entity tags
        if found.group(1) is None:
            tags.add(found.group(2))
        position = found.end()
    return Precondition(tags=frozenset(tags))


def required_if_match(request: Request) -> Precondition:
    """The `If-Match` precondition of a change: 428 when absent or empty."""
    value = request.headers.get("if-match")
    if not value or not value.strip():
        raise ProblemException(
            428, "this change requires an If-Match header with the resource's ETag",
            code="precondition-required",
        )
    return parse_if_match(value)


_QUERY_NAMES: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def _takes_several(annotation: Any) -> bool:
    """Whether a query parameter so annotated is a list (`?x=1&x=2`)."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return any(_takes_several(arg) for arg in get_args(annotation))
    return isinstance(origin, type) and issubclass(origin, (list, tuple, set, frozenset))


def _query_names(dependant: Any) -> tuple[set[str], set[str]]:
    """The route's query parameters, and those of them that take one value."""
    names = {p.alias for p in dependant.query_params}
    single = {
        p.alias for p in dependant.query_params
        if not _takes_several(p.field_info.annotation)
    }
    for sub in dependant.dependencies:
        sub_names, sub_single = _query_names(sub)
        names |= sub_names
        single |= sub_single
    return names, single


async def forbid_unknown_query(request: Request) -> None:
    """Unknown query parameters are refused (422), as unknown body fields are; so is a
    parameter of one value given several times (which one would count is a guess).

    Dependencies of every request are `async def`: FastAPI runs a plain `def` one in
    the thread pool, a thread hop per dependency and per request."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _QUERY_NAMES.get(id(route))
    if known is None:
        names, single = _query_names(dependant)
        known = (frozenset(names), frozenset(single))
        _QUERY_NAMES[id(route)] = known
    names, single = known
    given = [k for k, _ in request.query_params.multi_items()]
    unknown = sorted({k for k in given if k not in names})
    if unknown:
        raise ProblemException(
            422, "unknown query parameter(s)", code="validation-error",
            errors=[{"field": "query", "code": "extra_forbidden",
                     "message": f"{len(unknown)} unknown parameter(s)"}],
        )
    repeated = sorted({k for k in given if k in single and given.count(k) > 1})
    if repeated:
        raise ProblemException(
            422, "a query parameter of one value is given several times",
            code="validation-error",
            errors=[{"field": f"query.{name}", "code": "repeated_parameter",
                     "message": "give this parameter once"} for name in repeated],
        )
