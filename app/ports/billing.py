"""Ports of the billing capability (R-BIL-1, R-BIL-2, R-BIL-3).

`BillingRepository` is implemented by `app/adapters/db/billing_repo.SqlBillingRepository`
(`uow.billing`); `StatementRenderer`s by `app/adapters/statement_render` (CSV, PDF), wired
by the composition root."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from app.domain.billing import Payment, Statement, StatementStatus


@dataclass(frozen=True)
class StatementPage:
    """Keyset position of a list ordered by (`updated_at`, `id`)."""

    updated_at: datetime
    id: str


class BillingRepository(Protocol):
    async def lock_year(self, academic_year: int) -> None:
        """Serialise changes of one year's statements until the end of the transaction."""
        ...

    async def get(self, statement_id: str) -> Statement | None:
        """One version with the payments of its chain (it and the versions it
        supersedes)."""
        ...

    async def of_year(self, academic_year: int) -> list[Statement]:
        """Every version of a year, by version, without payments."""
        ...

    async def add(self, statement: Statement) -> None: ...

    async def save(self, statement: Statement) -> None:
        """Store the status, content, fingerprint, issue instant, supersession and
        `updated_at` of a stored version."""
        ...

    async def delete(self, statement_id: str) -> None: ...

    async def add_payment(self, payment: Payment) -> None: ...

    async def list(
        self,
        *,
        academic_year: int | None,
        statuses: Collection[StatementStatus],
        updated_since: datetime | None,
        after: StatementPage | None,
        limit: int,
    ) -> list[Statement]:
        """Versions ordered by (`updated_at`, `id`), with their chains' payments."""
        ...


class StatementRenderer(Protocol):
    """Renders a served statement document in one media type (the same dictionary the
    JSON answer carries, so all representations agree)."""

    media_type: str
    file_extension: str

    def render(self, document: Mapping[str, Any]) -> bytes: ...


@dataclass(frozen=True)
class DateWords:
    """How a document a person reads writes a day and an instant (French, Paris time):
    given to the renderers by the composition root, so that a statement and a mail
    word dates alike."""

    day: Callable[[date], str]
    instant: Callable[[datetime], str]
