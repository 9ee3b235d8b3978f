"""Reading the schooling office's enrolment export (CSV) into batch items.

Encoding: UTF-8 (with or without BOM), else Windows-1252. Separator: `;` or `,`, the one
of the header line. Header names (case, accents, spaces and hyphens ignored) are the API's
field names or their French aliases (`HEADERS`); values as the API takes them, plus
`DD/MM/YYYY` dates, `2024/2025` years and `oui`/`non` booleans. Each row becomes the same
item the API validates (`app.schemas.enrolments.parse_item`); a row with a problem is
rejected alone, with its line number and never its content, whatever its fields (of any
size) hold."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from app.domain.enrolments import EnrolmentRequest, ItemError
from app.schemas.enrolments import parse_item

# field → accepted header names (normalised: lowercase ASCII, "_" for spaces/hyphens)
HEADERS: dict[str, tuple[str, ...]] = {
    "student_number": ("student_number", "numero_etudiant", "num_etudiant", "no_etudiant",
                       "ine_ut", "code_etudiant"),
    "uid": ("uid", "identifiant", "login"),
    "school_code": ("school_code", "code_etablissement", "etablissement"),
    "academic_year": ("academic_year", "annee_universitaire", "annee"),
    "enrolled_on": ("enrolled_on", "date_inscription", "date_d_inscription"),
    "given_name": ("given_name", "prenom"),
    "family_name": ("family_name", "nom", "nom_de_famille"),
    "email": ("email", "courriel", "mail", "e_mail"),
    "final_year": ("final_year", "derniere_annee", "annee_finale"),
    "transfer": ("transfer", "transfert"),
}
REQUIRED = ("student_number", "school_code", "academic_year", "enrolled_on", "given_name",
            "family_name", "email")
BOOLEAN_FIELDS = ("final_year", "transfer")
_TRUE = {"true", "1", "oui", "o", "yes", "y", "vrai", "x"}
_FALSE = {"false", "0", "non", "n", "no", "faux", ""}
_FRENCH_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_SLASHED_YEAR = re.compile(r"^(\d{4})/(\d{4})$")


class CsvFormatError(Exception):
    """The file cannot be read as an enrolment export (nothing is imported)."""


@dataclass
class CsvEnrolments:
    encoding: str
    delimiter: str
    lines: list[int] = field(default_factory=list)  # file line of each item
    items: list[EnrolmentRequest | list[ItemError]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def normalise_header(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[\s\-']+", "_", plain.strip().lower()).strip("_")


_ALIASES = {alias: name for name, aliases in HEADERS.items() for alias in aliases}


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") >= max(1, header_line.count(",")) else ","


def _value(name: str, raw: str) -> Any:
    value = raw.strip()
    if name in BOOLEAN_FIELDS:
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        return value  # refused by the item's validation
    if name == "uid":
        return value or None
    if name == "enrolled_on" and (match := _FRENCH_DATE.match(value)):
        day, month, year = match.groups()
        return f"{year}-{month}-{day}"
    if name == "academic_year" and (match := _SLASHED_YEAR.match(value)):
        return f"{match.group(1)}-{match.group(2)}"
    return value


def _columns(header: list[str]) -> tuple[list[str | None], list[str]]:
    """The known column of each header cell (None: ignored) and the ignored cells' names
    (unknown, or a known column repeated)."""
    columns: list[str | None] = []
    ignored: list[str] = []
    for name in header:
        known = _ALIASES.get(normalise_header(name))
        if known is None or known in columns:
            ignored.append(name.strip())
            known = None
        columns.append(known)
    return columns, ignored


def read_enrolments(path: Path) -> CsvEnrolments:
    """Every data row of the file as a batch item (or its errors), in file order."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CsvFormatError(f"cannot read {path}: {exc.strerror}") from None
    text, encoding = decode(data)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise CsvFormatError("the file has no header line")
    delimiter = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error:
        raise CsvFormatError("the header line cannot be read as CSV") from None
    columns, ignored = _columns(header)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise CsvFormatError(
            "missing column(s): " + ", ".join(missing) + " (see the README, section Students)"
        )
    result = CsvEnrolments(encoding=encoding, delimiter=delimiter, ignored_columns=ignored)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            # A field beyond the csv module's limit (128 KiB): this line alone is
            # rejected, the reader goes on with the next one.
            result.lines.append(reader.line_num)
            result.items.append([ItemError(
                "csv-row-invalid", "a field is too large to be read as CSV",
            )])
            continue
        if not any(cell.strip() for cell in row):
            continue  # blank line
        result.lines.append(reader.line_num)
        if len(row) != len(columns):
            result.items.append([ItemError(
                "csv-row-invalid",
                f"{len(row)} fields where the header has {len(columns)}",
            )])
            continue
        nul = [name for name, cell in zip(columns, row, strict=True)
               if name is not None and "\x00" in cell]
        if nul:  # the API refuses them too (PostgreSQL text cannot hold them)
            result.items.append([ItemError("validation-error",
                                           "NUL characters are not allowed", name)
                                 for name in nul])
            continue
        raw = {name: _value(name, cell) for name, cell in zip(columns, row, strict=True)
               if name is not None}
        result.items.append(parse_item(raw))
    return result


def summary_table(*, created: int, duplicates: int, rejected: int, dry_run: bool) -> Table:
    table = Table(title="Enrolments" + (" (dry run: nothing stored)" if dry_run else ""))
    table.add_column("status")
    table.add_column("rows", justify="right")
    table.add_row("created", str(created))
    table.add_row("duplicate", str(duplicates))
    table.add_row("rejected", str(rejected), style="red" if rejected else None)
    table.add_row("total", str(created + duplicates + rejected), style="bold")
    return table


def rejections_table(rows: list[tuple[int, ItemError]], limit: int = 100) -> Table:
    """Rejected rows by file line: code, field, message (no row content)."""
    table = Table(title=f"Rejected rows (first {min(limit, len(rows))} of {len(rows)})")
    for column in ("line", "code", "field", "message"):
        table.add_column(column)
    for line, error in rows[:limit]:
        table.add_row(str(line), error.code, error.field or "", error.message)
    return table


def print_tables(console: Console, *tables: Table) -> None:
    for table in tables:
        console.print(table)
