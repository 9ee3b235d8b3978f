"""A fake unit of work with in-memory repositories, for unit tests of the use cases
(never for our own database: the SQL adapters have their own tests).

Each concept has its module here with its fake repositories, registered with
`@serves("uow attribute")`; every module of this package is imported below, so a new
concept module needs no change to this file. A repository without a fake yet answers
with an AssertionError naming the module to add."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from app.domain.rules import DEFAULT_RULES, Rules
from tests.fakes import FakeClock
from tests.unit.services.fakes.people import actor_of, client, referent, staff
from tests.unit.services.fakes.store import REPOSITORIES, FakeRepository

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

# The repositories of the UnitOfWork port (app/ports/unit_of_work.py).
PORT_REPOSITORIES = (
    "convention", "schools", "clients", "audit", "outbox", "closures", "job_runs",
    "accounts", "account_requests", "trainings", "campaigns", "lifecycle", "enrolments",
    "support_requests", "storage", "billing", "personal_data",
)


class MissingFake:
    """Stands for a repository no concept module fakes yet."""

    def __init__(self, attribute: str):
        self._attribute = attribute

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(
            f"uow.{self._attribute}.{name}: no fake serves uow.{self._attribute} yet "
            f"(add a module to tests/unit/services/fakes/ with @serves({self._attribute!r}))"
        )


class FakeUnitOfWork:
    """The UnitOfWork port in memory: a transaction rolls back unless committed.

    Entering copies every repository's state; `commit()` makes the current state the one
    kept; leaving (or `rollback()`) puts back the last committed state. `commits` counts
    the commits, so a test tells "nothing changed" from "changed and committed"."""

    def __init__(self, rules: Rules = DEFAULT_RULES, **repositories: FakeRepository):
        self.rules = rules
        self.convention_cache = None
        self.commits = 0
        self.repositories: dict[str, Any] = {}
        for attribute in PORT_REPOSITORIES:
            made = repositories.get(attribute) or (
                REPOSITORIES[attribute]() if attribute in REPOSITORIES else None
            )
            if made is None:
                self.repositories[attribute] = MissingFake(attribute)
                continue
            made.uow = self
            self.repositories[attribute] = made
        self.__dict__.update(self.repositories)
        self._committed: dict[str, dict[str, Any]] | None = None

    def _faked(self) -> dict[str, FakeRepository]:
        return {k: r for k, r in self.repositories.items() if isinstance(r, FakeRepository)}

    async def __aenter__(self) -> FakeUnitOfWork:
        self._committed = {k: r.snapshot() for k, r in self._faked().items()}
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.rollback()
        self._committed = None

    async def commit(self) -> None:
        assert self._committed is not None, "commit outside a transaction"
        self._committed = {k: r.snapshot() for k, r in self._faked().items()}
        self.commits += 1

    async def rollback(self) -> None:
        assert self._committed is not None, "rollback outside a transaction"
        for attribute, state in self._committed.items():
            self.repositories[attribute].restore(state)


__all__ = [
    "FakeClock",
    "FakeRepository",
    "FakeUnitOfWork",
    "MissingFake",
    "actor_of",
    "client",
    "referent",
    "staff",
]
