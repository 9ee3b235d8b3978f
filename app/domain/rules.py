"""The readings of RULES.md's **Decision** lines, as one value object.

Each field is a setting (app/settings.py) with the documented default, so the university
can change a reading without a code change; the entrypoints build `Rules` from the
settings and pass it to the use cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.convention import TerminationAccessEnd
from app.domain.errors import InvalidInput
from app.domain.units import GB, GIB, go_in_bytes

__all__ = ["DEFAULT_RULES", "GB", "GIB", "Rules", "month_day"]


def month_day(text: str, name: str) -> tuple[int, int]:
    """"MM-DD" → (month, day), checked against a leap year."""
    try:
        month, day = (int(part) for part in text.split("-"))
        date(2024, month, day)
    except ValueError:
        raise InvalidInput(f"{name} is written MM-DD", code="invalid-setting") from None
    return month, day


@dataclass(frozen=True)
class Rules:
    # R-TIME-3: closures count for every deadline (else for support deadlines only)
    closures_for_all_deadlines: bool = True
    # R-UNIT-1: "Go" read as SI gigabytes (else GiB)
    size_unit: int = GB
    # R-ACC-3: from this day (month, day) a new hosted role runs to 31 Aug of next year
    renewal_season_starts: tuple[int, int] = (6, 1)
    # R-ACC-5: answer deadlines of the June campaign (inclusive, Paris)
    referent_answer_deadline: tuple[int, int] = (6, 30)
    trainer_answer_deadline: tuple[int, int] = (6, 25)
    # R-BIL-1: census on the close of the main campaign (else on the fixed 31 Oct N)
    census_on_main_close: bool = True
    # R-ACC-7: continuing students keep a grace after 31 Aug N+1 (else access ends then)
    student_grace: bool = True
    # R-CONV-4: which 31 Aug ends access after a termination
    termination_access_end: TerminationAccessEnd = TerminationAccessEnd.END_OF_ACADEMIC_YEAR

    def bytes_of(self, units: int) -> int:
        """`units` "Go" in bytes (`units.go_in_bytes`)."""
        return go_in_bytes(units, self.size_unit)


DEFAULT_RULES = Rules()
