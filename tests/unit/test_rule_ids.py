"""Rule ids are written out in full everywhere (RULES.md preamble): `R-ACC-1, R-ACC-2`,
never a range or a pair, so that `grep -rn R-ACC-2 app tests` finds every place."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A rule id followed by `..`, `/` or an en dash and another number.
ABBREVIATED = re.compile(r"\bR-[A-Z]+-[0-9]+[a-z]?(?:\.\.|/|\u2013)[0-9]+")
SUFFIXES = {".py", ".md", ".json", ".html", ".txt", ".example", ".ini", ".toml", ".yaml",
            ".yml", ".lua", ".sql"}


def _texts():
    for top in ("app", "tests", "docs", "alembic", "scripts", "deploy", "openapi"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
                yield path
    yield ROOT / "README.md"
    yield ROOT / ".env.example"


def test_rule_ids_are_written_out_in_full_everywhere():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {match.group(0)}"
        for path in _texts()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        for match in ABBREVIATED.finditer(line)
    ]
    assert found == []


def test_the_check_recognises_an_abbreviated_id():
    assert ABBREVIATED.search("see R-ACC-1" + "..3")
    assert ABBREVIATED.search("R-SUP-1" + "/2")
    assert not ABBREVIATED.search("R-ACC-1, R-ACC-2, R-ACC-3 and R-CONV-2a")
