"""The one visibility policy for callers confined to schools (DESIGN.md, Security)."""

from __future__ import annotations

import pytest

from app.domain.auth import SCOPES, Principal
from app.domain.errors import Forbidden, NotFound
from app.services.visibility import (
    ensure_unconfined,
    school_filter,
    sees,
    unschooled_or_404,
    visible_or_404,
)

STAFF = Principal("ut-admin", None, frozenset(SCOPES))
RODEZ = Principal("referent", None, frozenset(SCOPES), ("ifms-rodez",))


@pytest.mark.parametrize(
    ("school", "staff", "rodez"),
    [
        ("ifms-rodez", True, True),
        ("ifms-albi", True, False),
        (None, True, False),
        (["ifms-albi", "ifms-rodez"], True, True),
        (["ifms-albi"], True, False),
        ([], True, False),
    ],
)
def test_a_confined_caller_sees_its_schools_and_nothing_of_no_school(school, staff, rodez):
    assert sees(STAFF, school) is staff
    assert sees(RODEZ, school) is rodez


def test_another_schools_resource_raises_the_very_error_of_a_missing_one():
    with pytest.raises(NotFound) as other:
        visible_or_404(RODEZ, {"school": "ifms-albi"}, "no such thing", lambda r: r["school"])
    with pytest.raises(NotFound) as missing:
        visible_or_404(RODEZ, None, "no such thing", lambda r: r["school"])
    assert (other.value.code, other.value.detail) == (missing.value.code, missing.value.detail)
    own = {"school": "ifms-rodez"}
    assert visible_or_404(RODEZ, own, "no such thing", lambda r: r["school"]) is own


def test_a_resource_is_judged_by_its_school_code_unless_told_otherwise():
    class Resource:
        def __init__(self, school_code: str | None):
            self.school_code = school_code

    own = Resource("ifms-rodez")
    assert visible_or_404(RODEZ, own, "no such thing") is own
    with pytest.raises(NotFound):
        visible_or_404(RODEZ, Resource("ifms-albi"), "no such thing")
    with pytest.raises(NotFound):
        visible_or_404(RODEZ, Resource(None), "no such thing")
    assert visible_or_404(STAFF, Resource(None), "no such thing").school_code is None


def test_a_list_filter_is_none_for_staff_and_the_callers_schools_otherwise():
    assert school_filter(STAFF) is None
    assert school_filter(STAFF, "ifms-albi") == ["ifms-albi"]
    assert school_filter(RODEZ) == ["ifms-rodez"]
    assert school_filter(RODEZ, "ifms-rodez") == ["ifms-rodez"]
    assert school_filter(RODEZ, "ifms-albi") == []


def test_convention_wide_writes_are_refused_to_a_confined_caller_only():
    ensure_unconfined(STAFF, "closures")
    with pytest.raises(Forbidden) as refused:
        ensure_unconfined(RODEZ, "closures")
    assert refused.value.code == "school-confined"


def test_a_record_of_no_school_is_missing_for_a_confined_caller():
    unschooled_or_404(STAFF, "no such job", code="job-not-found")
    with pytest.raises(NotFound) as hidden:
        unschooled_or_404(RODEZ, "no such job", code="job-not-found")
    assert (hidden.value.code, hidden.value.detail) == ("job-not-found", "no such job")
