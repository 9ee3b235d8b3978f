"""`Idempotency-Key` on POST (DESIGN.md, HTTP contract), as pure ASGI middleware.

Installed inside the body guard, which has already read the body (`scope["state"]
["raw_body"]`). For a POST that carries the header and a valid bearer token:

* the key (1–255 printable ASCII characters, else 422) is scoped to the caller's token
  subject and client id AND its rights (scopes and schools), and claimed by an INSERT
  committed at once (state `in_progress`) with the SHA-256 of the canonical JSON body.
  A token with other rights never receives a stored answer: its call goes to the route,
  which checks it (403 without the scope, 404 for another school's resource) and, when
  allowed, answers what the resource holds now (transitions are idempotent by content);
* a claimed key answers: completed, same body, method and path → the stored status,
  `Location`/`ETag`/`Content-Type` and body again, with `Idempotent-Replayed: true`;
  another body or path → 422 `idempotency-key-reused`; still running → 409
  `idempotency-key-in-progress`;
* after the route, a response below 500 (4xx included) is stored before it is sent;
  a 5xx or an exception drops the claim so that the client can retry;
* a claim still `in_progress` after `idempotency_lease_seconds` belongs to a process
  that died between the claim and the completion (kill -9, OOM): the next call with the
  key takes it over and is processed. The business write still happens at most once:
  each transition reads its row under a lock and answers a repeat with what is stored.

Without the header, without a token or with an invalid one the request goes on untouched
(the route answers, 401 included). Keys expire after `idempotency_ttl_hours`; the store
purges expired keys lazily when it claims one.

The store, clock, settings and token verifier are read from the app's container
(`app.api.container`): this module does not import adapters.
"""

from __future__ import annotations

import hashlib
import json
import logging
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.caller import verified_or_none
from app.api.container import container_of
from app.api.problems import problem_response
from app.domain.auth import Principal
from app.ports.idempotency import IdempotencyRecord, IdempotencyStore

log = logging.getLogger("app.api.idempotency")

HEADER = "Idempotency-Key"
EXCLUDED_PATHS = frozenset({"/api/v1/oauth/token"})
REPLAYED_HEADERS = (b"location", b"etag", b"content-type")
MAX_KEY_LENGTH = 255
CLIENT_KEY_MAX = 300


def canonical_sha256(raw_body: bytes) -> str:
    """SHA-256 of the canonical JSON of the body (sorted keys, no spaces); of the raw
    bytes when the body is not JSON."""
    try:
        canonical = json.dumps(
            json.loads(raw_body), sort_keys=True, separators=(",", ":")
        ).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = raw_body
    return hashlib.sha256(canonical).hexdigest()


def client_key(principal: Principal) -> str:
    """The scope of a key: the token's subject and client id, and the rights it was
    used with (scopes, schools), so that a stored answer is only ever replayed to a
    caller with the same rights as the one it was given to."""
    schools = sorted(principal.schools) if principal.schools is not None else None
    key = json.dumps([principal.subject, principal.client_id, sorted(principal.scopes),
                      schools], separators=(",", ":"))
    if len(key) > CLIENT_KEY_MAX:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def valid_key(value: str) -> bool:
    return 1 <= len(value) <= MAX_KEY_LENGTH and all(" " <= ch <= "~" for ch in value)


def _principal(scope: Scope) -> Principal | None:
    return verified_or_none(container_of(scope["app"]).verify_token, scope["headers"])


async def _problem(
    scope: Scope, receive: Receive, send: Send, status: int, code: str, detail: str,
    errors: list[dict[str, str]] | None = None,
) -> None:
    response = problem_response(Request(scope), status, code=code, detail=detail, errors=errors)
    await response(scope, receive, send)


async def _replay(send: Send, record: IdempotencyRecord) -> None:
    body = (record.body or "").encode()
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record.headers.items()]
    headers += [
        (b"content-length", str(len(body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send(
        {"type": "http.response.start", "status": record.status_code, "headers": headers}
    )
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] in EXCLUDED_PATHS
        ):
            await self.app(scope, receive, send)
            return
        values = [v for k, v in scope["headers"] if k.lower() == b"idempotency-key"]
        if not values:
            await self.app(scope, receive, send)
            return
        principal = _principal(scope)
        if principal is None:  # the route answers 401
            await self.app(scope, receive, send)
            return
        key = values[0].decode("latin-1")
        if len(values) > 1 or not valid_key(key):
            await _problem(
                scope, receive, send, 422, "validation-error",
                f"{HEADER} must be one value of 1 to {MAX_KEY_LENGTH} printable characters",
                errors=[{"field": f"header.{HEADER}", "code": "invalid-idempotency-key",
                         "message": "1 to 255 printable ASCII characters"}],
            )
            return
        await self._idempotent(scope, receive, send, client_key(principal), key)

    async def _idempotent(
        self, scope: Scope, receive: Receive, send: Send, owner: str, key: str
    ) -> None:
        services = container_of(scope["app"])
        store: IdempotencyStore = services.idempotency_store
        now = services.clock.now()
        raw_body = scope.get("state", {}).get("raw_body")
        if raw_body is None:  # pragma: no cover - a wiring mistake
            raise RuntimeError("IdempotencyMiddleware must run inside BodyGuard")
        method = scope["method"]
        path = scope["path"]
        if scope.get("query_string"):
            path += "?" + scope["query_string"].decode("latin-1")
        digest = canonical_sha256(raw_body)
        held = await store.claim(
            client_key=owner, key=key, method=method, path=path, body_sha256=digest,
            now=now, expires_at=now + timedelta(hours=services.idempotency_ttl_hours),
            stale_before=now - timedelta(seconds=services.idempotency_lease_seconds),
        )
        if held is not None:
            await self._answer_held(scope, receive, send, held, method, path, digest)
            return

        start: Message | None = None
        chunks: list[bytes] = []
        finished = False

        async def buffered_send(message: Message) -> None:
            nonlocal start, finished
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            finished = True
            body = b"".join(chunks)
            try:
                await self._settle(store, owner, key, now, start, body)
            except Exception as exc:  # the change is done: answer anyway, drop the claim
                log.warning("idempotency store failed", extra={"error_type": type(exc).__name__})
                with suppress(Exception):
                    await store.release(client_key=owner, key=key, claimed_at=now)
            await send(start)
            await send({"type": "http.response.body", "body": body})

        try:
            await self.app(scope, receive, buffered_send)
        finally:
            if not finished:  # an exception, or no complete response: let the client retry
                await store.release(client_key=owner, key=key, claimed_at=now)

    @staticmethod
    async def _answer_held(
        scope: Scope, receive: Receive, send: Send, held: IdempotencyRecord,
        method: str, path: str, digest: str,
    ) -> None:
        if held.body_sha256 != digest or held.method != method or held.path != path:
            await _problem(
                scope, receive, send, 422, "idempotency-key-reused",
                f"this {HEADER} was used with another request; use a new key",
            )
        elif held.state != "completed" or held.status_code is None:
            await _problem(
                scope, receive, send, 409, "idempotency-key-in-progress",
                f"a request with this {HEADER} is still being processed; retry later",
            )
        else:
            await _replay(send, held)

    @staticmethod
    async def _settle(
        store: IdempotencyStore, owner: str, key: str, claimed_at: datetime, start: Message,
        body: bytes,
    ) -> None:
        status = int(start["status"])
        text: str | None = None
        if status < 500:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:
            await store.release(client_key=owner, key=key, claimed_at=claimed_at)
            return
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in start.get("headers", [])
            if k.lower() in REPLAYED_HEADERS
        }
        await store.complete(
            client_key=owner, key=key, claimed_at=claimed_at, status_code=status,
            headers=headers, body=text,
        )


def document_idempotency_key(schema: dict[str, Any], ttl_hours: int) -> None:
    """Declare the optional `Idempotency-Key` header on every POST of the OpenAPI
    document (but the token endpoint), with its 409 answer."""
    parameter = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": (
            "Optional. Same key + same body replays the first response (header "
            "`Idempotent-Replayed: true`); same key + other body → 422 "
            "`idempotency-key-reused`; while the first call runs → 409 "
            "`idempotency-key-in-progress` (a call whose process died is taken over after "
            "its lease). Scoped to the calling client and its rights (scopes, schools): "
            "a token with other rights is checked and processed as a new call. Expires "
            f"after {ttl_hours} hours."
        ),
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    }
    has_problem = "Problem" in schema.get("components", {}).get("schemas", {})
    for path, operations in schema.get("paths", {}).items():
        operation = operations.get("post")
        if operation is None or path in EXCLUDED_PATHS:
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == HEADER for p in parameters):
            parameters.append(parameter)
        responses = operation.setdefault("responses", {})
        if "409" not in responses and has_problem:
            responses["409"] = {
                "description": "Conflicts with the current state (or a concurrent call "
                               f"with the same {HEADER})",
                "content": {"application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}}},
            }
