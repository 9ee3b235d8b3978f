"""Moodle's access check without FastAPI's routing and dependency solving.

`GET /api/v1/accounts/{uid}/access` is the busiest call (the plugin asks at every
login and page of a course). Matching the route among ~75 and solving its dependencies
cost FastAPI more CPU than the check itself (docs/PERFORMANCE.md). This middleware,
innermost of ours, answers the plain call itself, with the same steps as the route
(app/api/routes/accounts.py, `access`): the same functions read and verify the token
(`bearer_token`, `verify_token`), check the scope (`grants`) and make the answer
(`access_answer`): one answer, two doors.

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

from app.api.caller import grants, verified_or_none
from app.api.container import container_of
from app.api.routes.accounts import ACCESS_PATH, ACCESS_SCOPES, access_answer

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
        services = container_of(scope["app"])
        try:
            principal = verified_or_none(services.verify_token, scope["headers"])
        except Exception:  # anything but a refusal: the route's dependencies answer
            return None
        # A referent's call goes to the route: its visibility check reads the account.
        if principal is None or principal.schools is not None or not grants(
            principal, ACCESS_SCOPES
        ):
            return None
        try:
            body = await access_answer(services.uow_factory, services.clock, principal, uid, None)
        except Exception:  # 404, database errors: FastAPI's route answers them
            return None
        scope.setdefault("state", {})["principal"] = principal
        scope["route"] = _ROUTE
        return body


def _plain(scope: Scope) -> bool:
    return (
        scope["type"] == "http"
        and scope["method"] == "GET"
        and not scope.get("query_string")
        and not scope.get("root_path")
        and scope["path"].startswith(_PREFIX)
        and scope["path"].endswith(_SUFFIX)
    )
