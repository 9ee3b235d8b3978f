"""Wire models of schools."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.schemas.common import Input, Reference, SchoolCode

SchoolName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
SiteName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
GroupName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class SchoolFields(BaseModel):
    """Fields shared by the school's input and output models."""

    name: SchoolName
    group: GroupName | None = None
    sites: Annotated[list[SiteName], Field(max_length=20)] = []


class SchoolCreate(SchoolFields, Input):
    code: SchoolCode
    amendment_reference: Reference


class SchoolPatch(Input):
    name: SchoolName | None = None
    group: GroupName | None = None
    sites: Annotated[list[SiteName], Field(max_length=20)] | None = None


class SchoolOut(SchoolFields):
    code: str
    status: str
    amendment_reference: str
    beneficiary_from: date | None = Field(
        default=None, description="R-CONV-2a: the effective date of the amendment that "
        "added the school; null for the schools of the convention itself")
    beneficiary_until: date | None = Field(
        default=None, description="R-CONV-2a: the day before a removal takes effect")
    version: int
    created_at: datetime
    updated_at: datetime


class SchoolList(BaseModel):
    items: list[SchoolOut]
    next_cursor: str | None
