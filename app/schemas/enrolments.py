"""Wire models of students: enrolment windows, batches, enrolments, the census.

A batch is validated item by item (`parse_items`), so that one malformed item is
rejected on its own instead of failing the batch; the API and the CSV import share it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, ValidationError

from app.domain.accounts import UID_FORMAT_TEXT
from app.domain.calendar import AcademicYear
from app.domain.enrolments import MAX_BATCH_ITEMS, EnrolmentRequest, ItemError
from app.domain.errors import InvalidInput
from app.schemas.accounts import Email, PersonName
from app.schemas.common import AcademicYearText, Bool, Input, IsoDate, SchoolCode

StudentNumber = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]
UidText = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class EnrolmentItemIn(Input):
    """One enrolment sent by the schooling office. `uid` when the student already has a
    UT account (else one is generated); names and e-mail make a new account (an existing
    account keeps its own)."""

    student_number: StudentNumber
    uid: UidText | None = Field(
        default=None, description=f"R-ACC-1: {UID_FORMAT_TEXT} (else invalid-uid)"
    )
    school_code: SchoolCode
    academic_year: AcademicYearText = Field(description='"2024-2025"')
    enrolled_on: IsoDate
    given_name: PersonName
    family_name: PersonName
    email: Email
    final_year: Bool = False
    transfer: Bool = Field(
        default=False, description="from another establishment: semester-2 window only"
    )

    def to_request(self) -> EnrolmentRequest:
        return EnrolmentRequest(
            student_number=self.student_number,
            school_code=self.school_code,
            academic_year=AcademicYear.parse(self.academic_year).start_year,
            enrolled_on=self.enrolled_on,
            given_name=self.given_name,
            family_name=self.family_name,
            email=self.email,
            uid=self.uid,
            final_year=self.final_year,
            transfer=self.transfer,
        )


def _field(loc: tuple[Any, ...]) -> str | None:
    return ".".join(str(part) for part in loc) or None


def parse_item(raw: Any) -> EnrolmentRequest | list[ItemError]:
    """One raw item → a request, or its errors (code `validation-error` per field, or the
    rule's code such as `invalid-academic-year`). Never echoes the input."""
    try:
        return EnrolmentItemIn.model_validate(raw).to_request()
    except ValidationError as exc:
        return [
            ItemError(
                "validation-error",
                str(error.get("msg", "invalid value")).removeprefix("Value error, ")[:300],
                _field(tuple(error.get("loc", ()))),
            )
            for error in exc.errors(include_input=False, include_url=False)
        ]
    except InvalidInput as exc:
        return [ItemError(exc.code, exc.detail, "academic_year")]


def parse_items(raw_items: list[Any]) -> list[EnrolmentRequest | list[ItemError]]:
    return [parse_item(raw) for raw in raw_items]


def batch_request_schema() -> dict[str, Any]:
    """The documented body of POST /api/v1/enrolments (validated item by item)."""
    item = EnrolmentItemIn.model_json_schema()
    return {
        "title": "EnrolmentBatchIn",
        "type": "object",
        "additionalProperties": False,
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "maxItems": MAX_BATCH_ITEMS,
                # Items are validated one by one: an invalid item is answered `rejected`
                # in `results` (200), never a 422 for the batch. The contract therefore
                # accepts any JSON value as an item; `x-item-schema` documents a valid one.
                "items": {"description": "An enrolment; see `x-item-schema`."},
                "x-item-schema": item,
                "description": f"at most {MAX_BATCH_ITEMS} items (more → 413), each "
                "validated on its own",
            }
        },
    }


class ItemErrorOut(BaseModel):
    code: str
    message: str
    field: str | None = None


class EnrolmentResultOut(BaseModel):
    index: int
    status: Literal["created", "duplicate", "rejected"]
    enrolment_id: str | None
    uid: str | None
    errors: list[ItemErrorOut]


class EnrolmentBatchOut(BaseModel):
    created: int
    duplicates: int
    rejected: int
    results: list[EnrolmentResultOut]


class EnrolmentOut(BaseModel):
    id: str
    uid: str
    student_number: str
    school_code: str
    academic_year: str
    enrolled_on: date
    final_year: bool
    transfer: bool
    status: Literal["active", "cancelled"]
    cancelled_on: date | None
    created_at: datetime


class EnrolmentList(BaseModel):
    items: list[EnrolmentOut]
    next_cursor: str | None


class EnrolmentCancellationIn(Input):
    cancelled_on: IsoDate


class EnrolmentWindowsFields(BaseModel):
    main_opens_on: date
    main_closes_on: date
    s2_opens_on: date
    s2_closes_on: date


class EnrolmentWindowsIn(EnrolmentWindowsFields, Input):
    main_opens_on: IsoDate  # type: ignore[assignment]
    main_closes_on: IsoDate  # type: ignore[assignment]
    s2_opens_on: IsoDate  # type: ignore[assignment]
    s2_closes_on: IsoDate  # type: ignore[assignment]
    census_on: IsoDate | None = Field(
        default=None, description="read-only: omitted, or equal to main_closes_on"
    )


class EnrolmentWindowsOut(EnrolmentWindowsFields):
    academic_year: str
    census_on: date
    is_default: bool
    updated_at: datetime | None


class SchoolCountOut(BaseModel):
    school_code: str
    students: int


class CensusOut(BaseModel):
    academic_year: str
    census_on: date
    total: int
    schools: list[SchoolCountOut]
