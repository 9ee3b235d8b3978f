"""Moodle's access check without FastAPI's routing and dependency solving.

`GET /api/v1/accounts/{uid}/access` is the busiest call (the plugin asks at every
login and page of a course). Matching the route among ~75 and solving its dependencies
cost FastAPI more CPU than the check itself (docs/PERFORMANCE.md). This middleware,
innermost of ours, answers the plain call itself, with the same steps as the route
(app/api/routes/accounts.py, `access`): the token verified by the container's `verify_token`,
one of the route's scopes, `service.access_check` at the app's clock, `access_json`.

Anything else goes on to FastAPI untouched, which then answers exactly as it always
did: a query string (`at`, unknown parameters), a missing or refused token, a missing
scope, a token confined to schools (a referent: the visibility rule is the route's), an
unknown account (404), any failure (a database error is answered by the app's handlers:
503 and the rest). The request is then checked again from the start, which costs only
the rare call that was not plain. `scope["route"]` names the route's template, so the
access log and the metrics name it as before."""

from __future__ import annotations

from types import SimpleNamespace

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.container import container_of
from app.api.routes.accounts import ACCESS_PATH, ACCESS_SCOPES, access_json
from app.services import accounts as service

_PREFIX, _, _SUFFIX = ACCESS_PATH.partition("{uid}")
_HEADERS = [(b"content-type", b"application/json")]
# What the access log and the metrics read of `scope["route"]` (RequestContext): its
# template, as FastAPI's route would give it.
_ROUTE = SimpleNamespace(path=ACCESS_PATH)


class AccessFastPath:
    def __init__(self, app: ASGIApp):
        self.app = app
        self.answered = 0  # plain calls answered here (tests, diagnostics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await self._answer(scope) if _plain(scope) else None
        if body is None:
            await self.app(scope, receive, send)
            return
        self.answered += 1
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*_HEADERS, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope) -> bytes | None:
        """The body of the answer, or None to let FastAPI answer."""
        uid = scope["path"][len(_PREFIX):-len(_SUFFIX)]
        if not uid or "/" in uid:
            return None
        token = _bearer_token(scope["headers"])
        if token is None:
            return None
        services = container_of(scope["app"])
        try:
            principal = services.verify_token(token)
        except Exception:  # refused (401) or anything else: the route's dependencies answer
            return None
        if principal.schools is not None or not any(principal.has(s) for s in ACCESS_SCOPES):
            return None
        moment = services.clock.now()
        try:
            decision = await service.access_check(services.uow_factory(), uid, moment)
        except Exception:  # 404, database errors: FastAPI's route answers them
            return None
        scope.setdefault("state", {})["principal"] = principal
        scope["route"] = _ROUTE
        return access_json(uid, moment, decision)


def _plain(scope: Scope) -> bool:
    return (
        scope["type"] == "http"
        and scope["method"] == "GET"
        and not scope.get("query_string")
        and not scope.get("root_path")
        and scope["path"].startswith(_PREFIX)
        and scope["path"].endswith(_SUFFIX)
    )


def _bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token of the first Authorization header when it is `Bearer <token>` (what the
    route's HTTPBearer reads), else None."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None
