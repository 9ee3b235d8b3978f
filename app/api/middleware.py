"""Pure ASGI middleware: request ids and access logs, body guard, metrics.

The body guard enforces the HTTP contract before any route runs: size limits (413 as
soon as the limit is passed, before the body is read whole — Content-Length first, then
counted chunks for chunked uploads), JSON media type (415), strict JSON (NaN/Infinity
→ 422), a nesting depth of at most `MAX_JSON_DEPTH` (422 `json-too-deep`) and no NUL
characters anywhere in a JSON body, the path or the query string (422: PostgreSQL text
cannot hold them). All of it runs before authentication: an anonymous caller gets the
same 4xx."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import PROBLEM_JSON, STATUS_CODES, problem_body

log = logging.getLogger("app.access")

FORM_PATHS = frozenset({"/api/v1/oauth/token"})

# Our deepest body is a batch item inside a list inside an object (depth 4); 32 leaves
# room for any future schema while every later parser (FastAPI's, pydantic's, the walk
# for NUL characters) stays far from Python's recursion limit.
MAX_JSON_DEPTH = 32


def _problem_bytes(status: int, code: str, detail: str, path: str, base: str) -> bytes:
    return json.dumps(
        problem_body(status, code, detail=detail, instance=path, base_url=base)
    ).encode()


async def send_problem(
    send: Send, status: int, code: str, detail: str, path: str, base: str,
    headers: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    payload = _problem_bytes(status, code, detail, path, base)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a parsed JSON value nests arrays/objects more than `limit` deep.

    Level by level (no recursion, whatever the depth), linear in the number of values;
    `json.loads` makes plain dicts and lists only, hence the exact type tests (faster)."""
    level = [value] if type(value) in _CONTAINERS else []
    depth = 1
    while level:
        deeper = [
            child
            for node in level
            for child in (node.values() if type(node) is dict else node)
            if type(child) in _CONTAINERS
        ]
        if deeper:
            depth += 1
            if depth > limit:
                return True
        level = deeper
    return False


_CONTAINERS = (dict, list)


def parse_strict_json(body: bytes) -> Any:
    """The body as JSON: strict (no NaN/Infinity) and at most `MAX_JSON_DEPTH` deep.

    Raises `JsonTooDeep` beyond the limit and ValueError when it is not JSON. The
    standard parser guards its own recursion (a RecursionError long before the C stack
    is at risk): a body deeper than that is refused as too deep as well, and a body
    with few brackets cannot be deep, so most bodies skip the walk."""
    try:
        parsed = json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        raise JsonTooDeep from None
    if (body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH
            and isinstance(parsed, dict | list) and json_depth_exceeds(parsed)):
        raise JsonTooDeep
    return parsed


class JsonTooDeep(ValueError):
    """A JSON document nests deeper than `MAX_JSON_DEPTH`."""


def _nul_in_url(scope: Scope) -> bool:
    return "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(
        scope.get("query_string", b"").replace(b"+", b" ")
    )


class BodyGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        batch_max_bytes: int,
        batch_paths: frozenset[str],
        problem_base: str,
    ):
        self.app = app
        self.max_bytes = max_bytes
        self.batch_max_bytes = batch_max_bytes
        self.batch_paths = batch_paths
        self.base = problem_base

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _nul_in_url(scope):
            await send_problem(
                send, 422, "validation-error", "NUL characters are not allowed",
                scope["path"].replace("\x00", ""), self.base,
            )
            return
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.batch_max_bytes if path in self.batch_paths else self.max_bytes
        headers = {k.lower(): v for k, v in scope["headers"]}
        try:
            _check_declared_length(headers, limit)
            body = await _read_body(receive, limit)
            if body is None:  # the client went away
                return
            if body and path not in FORM_PATHS and path.startswith("/api/"):
                _check_json(body, headers)
        except _Refused as refused:
            await send_problem(send, refused.status, refused.code, refused.detail, path,
                               self.base)
            return
        scope.setdefault("state", {})["raw_body"] = body
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class _Refused(Exception):
    """The body guard's answer to a request it refuses."""

    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def _too_large(limit: int) -> _Refused:
    return _Refused(413, "payload-too-large", f"the body exceeds {limit} bytes")


def _check_declared_length(headers: dict[bytes, bytes], limit: int) -> None:
    declared = headers.get(b"content-length")
    if declared is None:
        return
    try:
        declared_len = int(declared)
    except ValueError:
        raise _Refused(400, "bad-request", "invalid Content-Length") from None
    if declared_len > limit:
        raise _too_large(limit)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, refused as soon as it exceeds `limit`; None on a disconnect."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _check_json(body: bytes, headers: dict[bytes, bytes]) -> None:
    """A JSON body: strict, not nested too deep, without NUL characters. The parsed
    value is not kept while the route runs: a 1,000-item batch parsed is megabytes."""
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if not (content_type == b"application/json" or content_type.endswith(b"+json")):
        raise _Refused(415, "unsupported-media-type", "the body must be application/json")
    try:
        parsed = parse_strict_json(body)
    except JsonTooDeep:
        raise _Refused(
            422, "json-too-deep",
            f"the body nests arrays and objects more than {MAX_JSON_DEPTH} deep",
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise _Refused(422, "invalid-json", "the body is not strict JSON") from None
    # In UTF-8 JSON a NUL can only be the escape \u0000 (a raw NUL is invalid): bodies
    # with neither (nearly all) skip the walk of the values. A UTF-16/32 body (json.loads
    # accepts them) has zero bytes, so it is walked.
    if (b"\\u0000" in body or b"\x00" in body) and _has_nul(parsed):
        raise _Refused(422, "validation-error", "NUL characters are not allowed")


class RequestContext:
    """Request id (`X-Request-ID`, echoed or made), access log, metrics hook.

    The access log records the route template and status, never the query string."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        observe: Callable[[str, str, int, float], None] | None = None,
    ):
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if incoming and len(incoming) <= 64 and incoming.isprintable() \
            else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            status = status_holder["status"]
            if self.observe is not None:
                self.observe(scope["method"], template, status, elapsed)
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )


Middleware = Callable[[Scope, Receive, Send], Awaitable[None]]
__all__ = ["STATUS_CODES", "BodyGuard", "RequestContext", "send_problem"]
