"""French writing for people — dates, times, numbers, sizes and money — in one home,
used by the mails, the statement's PDF and the console alike.

Babel's `fr_FR` data (CLDR) decides month names, the decimal comma and the thousands
separator (a narrow no-break space, U+202F); only the French ordinal of the first day of
a month (`1er mars`) is added here, as CLDR's date patterns do not carry it. Instants are
shown on Paris' clock."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal

from app.domain.calendar import PARIS
from app.domain.units import UNIT_LABELS

FRENCH = Locale.parse("fr_FR")
_CENT = Decimal("0.01")


def french_date(value: date | datetime) -> str:
    """`3 mars 2025`, `1er mars 2025`; an instant is shown on its Paris date."""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    pattern = "d'er' MMMM y" if value.day == 1 else "d MMMM y"
    return format_date(value, pattern, locale=FRENCH)


def french_time(value: datetime) -> str:
    """`10 h 05` on Paris' clock."""
    return format_time(value.astimezone(PARIS), "H' h 'mm", locale=FRENCH)


def french_datetime(value: datetime) -> str:
    """`3 mars 2025 à 10 h 05` (Europe/Paris)."""
    return f"{french_date(value)} à {french_time(value)}"


def french_short_date(value: date | datetime) -> str:
    """`03/03/2025` (tables, where a column of dates must line up)."""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    return format_date(value, "dd/MM/y", locale=FRENCH)


def french_number(value: int | float | Decimal, decimals: int = 0) -> str:
    """`36 900 000 000`, `90,5` (`decimals` fixed digits after the comma)."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=FRENCH)


def french_size(value: int, size_unit: int) -> str:
    """A size in bytes in the unit of the reading of "Go" in force, two decimals:
    36,900,000,000 bytes → `36,90 Go` (SI) or `34,37 Gio` (GiB)."""
    amount = (Decimal(value) / Decimal(size_unit)).quantize(_CENT)
    return f"{french_number(amount, 2)} {UNIT_LABELS[size_unit]}"


def french_amount(cents: int) -> str:
    """An amount of integer cents, two decimals, no currency sign: `82 874,00`."""
    return french_number(Decimal(cents) / 100, 2)


def french_euros(cents: int) -> str:
    """An amount of integer cents in euros: `82 874,00 €`."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=FRENCH)
