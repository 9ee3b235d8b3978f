"""One home per rule (RULES.md preamble): each rule id is cited in the docstrings of ONE
top-level function or class of app/domain — the one that decides it, named after what it
decides — and every other domain docstring names that home instead of the id. Module
docstrings and `#` comments are not homes: they may cite any id."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "app" / "domain"
RULE = re.compile(r"\bR-[A-Z]+-\d+[a-z]?\b")
# An id followed by a bare number that abbreviates another id — a range (two dots), a
# slash, an en dash, a comma, `and`, `to`, `or` — (a date after an id is not one).
ABBREVIATED = re.compile(
    r"\bR-[A-Z]+-\d+[a-z]?(?:\s*(?:\.\.|/|\u2013|,|&)\s*|\s+(?:and|to|or)\s+)\d{1,2}[a-z]?\b(?![-\d])"
)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _docstrings(source: str):
    """(top-level name, docstring) of every function or class docstring, nested ones
    included, under the top-level definition that holds them."""
    for top in ast.parse(source).body:
        if isinstance(top, _DEFS):
            for node in ast.walk(top):
                if isinstance(node, _DEFS):
                    yield top.name, ast.get_docstring(node) or ""


def rule_homes(sources: dict[str, str]) -> dict[str, set[str]]:
    """Rule id → the `module:top-level name` places whose docstrings cite it."""
    homes: dict[str, set[str]] = defaultdict(set)
    for module, source in sources.items():
        for top, doc in _docstrings(source):
            for rule_id in RULE.findall(doc):
                homes[rule_id].add(f"{module}:{top}")
    return homes


def _domain_sources() -> dict[str, str]:
    return {
        str(path.relative_to(DOMAIN)): path.read_text() for path in sorted(DOMAIN.rglob("*.py"))
    }


def test_a_rule_id_cited_in_two_top_level_domain_definitions_is_found():
    source = '''
"""Module docstring citing R-ACC-7 is no home."""
# R-ACC-7 in a comment is no home either.
def student_roles():
    """R-ACC-7: the student roles."""
class Windows:
    def grace(self):
        """Ends the grace (R-ACC-7)."""
def census():
    """R-BIL-1 once."""
'''
    homes = rule_homes({"m.py": source})

    assert homes["R-ACC-7"] == {"m.py:student_roles", "m.py:Windows"}
    assert homes["R-BIL-1"] == {"m.py:census"}


def test_each_rule_id_cited_in_domain_docstrings_has_one_home():
    shared = {
        rule_id: sorted(places)
        for rule_id, places in rule_homes(_domain_sources()).items()
        if len(places) > 1
    }

    assert shared == {}, (
        "a rule lives in one domain function or class; the others name it instead of "
        f"citing its id: {shared}"
    )


def test_domain_docstrings_write_each_rule_id_out_in_full():
    # Built by concatenation so that this file itself writes every id out in full.
    assert ABBREVIATED.search("decided here (R-ACC-1" + "..3)")
    assert ABBREVIATED.search("the SLA state (R-SUP-1" + "/2)")
    assert ABBREVIATED.search("the rules R-ACC-1" + " and 2")
    assert not ABBREVIATED.search("R-CONV-4a, 2027-02-28 is the effective date")
    abbreviated = [
        f"{module}:{top}: {match.group(0)}"
        for module, source in _domain_sources().items()
        for top, doc in _docstrings(source)
        for match in ABBREVIATED.finditer(doc)
    ]

    assert abbreviated == []
