"""Database failures answered as problems, never a bare 500: unavailable → 503 with
`Retry-After`, lost to a concurrent change → 409. Which driver error is which is the
adapters' knowledge (`app/adapters/db/faults.py`), given here by the composition root."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.api.problems import problem_response

log = logging.getLogger("app")


@dataclass(frozen=True)
class DatabaseFaults:
    """How the database adapters' errors are told apart."""

    unavailable: tuple[type[Exception], ...]  # always "the database is unavailable"
    driver_errors: tuple[type[Exception], ...]  # the other errors, classified below
    connection_lost: Callable[[BaseException], bool]
    lost_to_concurrent_change: Callable[[BaseException], bool]
    error_type: Callable[[BaseException], str]


def database_unavailable(request: Request, error_type: str) -> JSONResponse:
    log.warning("database unavailable", extra={"error_type": error_type})
    return problem_response(
        request, 503, code="database-unavailable",
        detail="the database is unavailable; retry later", headers={"Retry-After": "2"},
    )


def install_database_errors(app: FastAPI, faults: DatabaseFaults) -> None:
    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        return database_unavailable(request, faults.error_type(exc))

    async def driver_error(request: Request, exc: Exception) -> JSONResponse:
        error_type = faults.error_type(exc)
        if faults.connection_lost(exc):
            return database_unavailable(request, error_type)
        if faults.lost_to_concurrent_change(exc):
            log.info("lost to a concurrent change", extra={"error_type": error_type})
            return problem_response(
                request, 409, code="concurrent-change",
                detail="a concurrent change of the same resource won; read it and retry",
            )
        log.error("database error", extra={"error_type": error_type})
        return problem_response(
            request, 500, code="internal-error", detail="an unexpected error occurred"
        )

    for error in faults.unavailable:
        app.add_exception_handler(error, unavailable)
    for error in faults.driver_errors:
        app.add_exception_handler(error, driver_error)
