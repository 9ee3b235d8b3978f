"""Fakes of the convention's reference data, the schools and the registered clients."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from app.domain.reference import ConventionReference
from app.domain.schools import School
from app.ports.clients import ApiClient
from tests.unit.services.fakes.store import FakeRepository, page_after, serves


@serves("convention")
class FakeConventionRepository(FakeRepository):
    def __init__(self) -> None:
        self.reference: ConventionReference | None = None

    async def get(self) -> ConventionReference | None:
        return self.reference

    async def add(self, ref: ConventionReference) -> None:
        if self.reference is not None:
            raise AssertionError("the convention's reference is stored once")
        self.reference = ref

    async def set_size_figures(self, capacity_bytes: int, threshold_bytes: int) -> None:
        assert self.reference is not None
        self.reference = replace(
            self.reference, storage_capacity_bytes=capacity_bytes,
            school_alert_threshold_bytes=threshold_bytes,
        )


@serves("schools")
class FakeSchoolRepository(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[str, School] = {}

    async def get(self, code: str) -> School | None:
        return self.rows.get(code)

    async def list(
        self, *, codes: Sequence[str] | None, after: str | None, limit: int
    ) -> list[School]:
        found = [s for s in self.rows.values() if codes is None or s.code in codes]
        return page_after(found, lambda s: s.code, after, limit)

    async def add(self, school: School) -> bool:
        if school.code in self.rows:
            return False
        self.rows[school.code] = school
        return True

    async def update(self, school: School, *, expected_version: int) -> bool:
        current = self.rows.get(school.code)
        if current is None or current.version != expected_version:
            return False
        self.rows[school.code] = school
        return True

    async def codes(self) -> set[str]:
        return set(self.rows)


@serves("clients")
class FakeClientRepository(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[str, ApiClient] = {}

    async def get(self, client_id: str) -> ApiClient | None:
        return self.rows.get(client_id)

    async def add(self, client: ApiClient) -> None:
        if client.client_id in self.rows:
            raise AssertionError("client ids are unique (the table's primary key)")
        self.rows[client.client_id] = client

    async def list(self) -> list[ApiClient]:
        return sorted(self.rows.values(), key=lambda c: c.client_id)

    async def revoke(self, client_id: str, at: datetime) -> bool:
        client = self.rows.get(client_id)
        if client is None or client.revoked_at is not None:
            return False
        self.rows[client_id] = replace(client, revoked_at=at)
        return True
