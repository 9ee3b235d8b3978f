"""Beneficiary schools (R-SCH-1)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from app.domain.errors import InvalidInput

SCHOOL_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class SchoolStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # a platform suspension of the whole school is active now


@dataclass(frozen=True)
class School:
    code: str
    name: str
    group: str | None
    sites: tuple[str, ...]
    amendment_reference: str
    version: int
    created_at: datetime
    updated_at: datetime

    def changed(self, *, now: datetime, **changes: object) -> School:
        """A copy with `changes` applied, the version bumped and `updated_at` moved."""
        return replace(self, **changes, version=self.version + 1, updated_at=now)  # type: ignore[arg-type]


def validate_school_code(code: str) -> str:
    if not (2 <= len(code) <= 64) or not SCHOOL_CODE.match(code):
        raise InvalidInput(
            "a school code is 2 to 64 lowercase letters, digits and single hyphens",
            code="invalid-school-code",
            field="code",
        )
    return code
