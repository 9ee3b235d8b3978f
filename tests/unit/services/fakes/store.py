"""What every fake repository shares: its state is plain attributes that the fake unit
of work copies when a transaction starts and puts back when it ends uncommitted."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

# uow attribute -> the fake repository class that serves it; filled by each concept
# module of this package with `@serves("attribute")`.
REPOSITORIES: dict[str, Callable[[], FakeRepository]] = {}


def serves(attribute: str):
    """Register a fake repository class as the one behind `uow.<attribute>`."""

    def register(cls: type[FakeRepository]) -> type[FakeRepository]:
        if attribute in REPOSITORIES:
            raise RuntimeError(f"two fakes serve uow.{attribute}")
        REPOSITORIES[attribute] = cls
        return cls

    return register


class FakeRepository:
    """Base of the in-memory repositories. `uow` is the fake unit of work that holds the
    repository: a fake that answers from another concept's data (an account's student
    roles come from its enrolments) reads that concept's fake through it, as the SQL
    adapters read another table in the same transaction."""

    uow: Any = None

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy({k: v for k, v in vars(self).items() if k != "uow"})

    def restore(self, state: dict[str, Any]) -> None:
        kept_uow = self.uow
        vars(self).clear()
        vars(self).update(copy.deepcopy(state))
        self.uow = kept_uow


class Sequence:
    """Autoincrement ids, as the database gives them."""

    def __init__(self) -> None:
        self.last = 0

    def next(self) -> int:
        self.last += 1
        return self.last


def page_after(items: list[Any], key: Callable[[Any], Any], after: Any, limit: int | None):
    """Items in `key` order after `after` (keyset pagination), at most `limit`."""
    ordered = sorted(items, key=key)
    if after is not None:
        ordered = [i for i in ordered if key(i) > after]
    return ordered if limit is None else ordered[:limit]
