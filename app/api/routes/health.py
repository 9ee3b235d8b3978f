"""Operations: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from app.api.container import ContainerDep
from app.api.problems import ProblemException

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers", responses={503: {}})
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database answers and its schema is at head",
    responses={503: {"description": "Not ready"}},
)
async def readyz(services: ContainerDep) -> JSONResponse:
    ready, detail = await services.readiness()
    return JSONResponse(
        {"status": "ready" if ready else "not-ready", "detail": detail},
        status_code=200 if ready else 503,
    )


def _scraper_allowed(request: Request, expected: str | None) -> bool:
    if not expected:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description=(
        "Request counts and latencies (labels from closed sets: method, route template, "
        "status) and the operational gauges, read from the database at most once a "
        "minute. With the `METRICS_TOKEN` setting, requires `Authorization: Bearer "
        "<METRICS_TOKEN>` (401 without it)."
    ),
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
        401: {"description": "`METRICS_TOKEN` is set and the bearer token is not it"},
    },
)
async def metrics(
    request: Request, services: ContainerDep
) -> Response:
    if not _scraper_allowed(request, services.metrics_token):
        raise ProblemException(401, "the metrics need the scraper's bearer token",
                               code="unauthorized",
                               headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    payload = await services.render_metrics()
    return Response(payload, media_type=CONTENT_TYPE_LATEST)
