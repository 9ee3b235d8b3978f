"""The fake unit of work keeps the port's promise: nothing stays unless committed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.schools import School
from tests.unit.services.fakes import FakeUnitOfWork, MissingFake

NOW = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)


def _school(code: str) -> School:
    return School(code, code.upper(), None, (), "CONV", 1, NOW, NOW)


async def test_a_change_left_uncommitted_is_rolled_back(uow: FakeUnitOfWork):
    async with uow:
        await uow.schools.add(_school("ifms-a"))
    async with uow:
        assert await uow.schools.get("ifms-a") is None
    assert uow.commits == 0


async def test_a_committed_change_stays_and_a_later_one_without_commit_does_not(
    uow: FakeUnitOfWork,
):
    async with uow:
        await uow.schools.add(_school("ifms-a"))
        await uow.commit()
        await uow.schools.add(_school("ifms-b"))
    async with uow:
        assert await uow.schools.codes() == {"ifms-a"}
    assert uow.commits == 1


async def test_an_error_inside_the_transaction_leaves_nothing(uow: FakeUnitOfWork):
    with pytest.raises(RuntimeError):
        async with uow:
            await uow.schools.add(_school("ifms-a"))
            raise RuntimeError("use case failed")
    assert uow.schools.rows == {}


async def test_repositories_read_each_other_through_the_unit_of_work(uow: FakeUnitOfWork):
    assert uow.schools.uow is uow and uow.lifecycle.uow is uow


def test_a_repository_without_a_fake_says_which_module_to_add():
    missing = MissingFake("storage")
    with pytest.raises(AssertionError, match="fakes/"):
        missing.latest  # noqa: B018
