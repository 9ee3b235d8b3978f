"""Personal data (R-GDPR-1, R-GDPR-2): the pseudonyms of an erasure, the text scrubber
that replaces a person's names and e-mails wherever they were copied, and the retention
arithmetic. Pure Python: time is an argument.

Pseudonyms are derived from a stable key (the uid of an account, the id of a support
request) with SHA-256, so that erasing twice writes the same values:

* names: `erased-<first 12 hex digits of sha256(key)>`;
* e-mails: `erased-<same 12 digits>@invalid.example` (`.example` is reserved by RFC 2606:
  nothing is ever delivered there);
* support request subjects: `[objet effacé]`.

This is pseudonymisation, not anonymisation: the uid stub is kept (it is never reused),
so the pseudonym of an account is linkable to its uid, and to nothing else.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.domain.access import AccountStatus
from app.domain.accounts import Role
from app.domain.calendar import add_months_clamped

PSEUDONYM_PREFIX = "erased-"
PSEUDONYM_DOMAIN = "invalid.example"
ERASED_SUBJECT = "[objet effacé]"
ERASED_MAIL_BODY = "[contenu effacé : durée de conservation échue (R-GDPR-1)]"
_ONE_DAY = timedelta(days=1)
_MIN_NAME_LENGTH = 2  # a one-letter "name" would clobber unrelated words


def pseudonym(key: str) -> str:
    """`erased-<12 hex digits>`: the same key always gives the same pseudonym."""
    return PSEUDONYM_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:12]


def pseudonym_email(key: str) -> str:
    return f"{pseudonym(key)}@{PSEUDONYM_DOMAIN}"


def is_pseudonym_email(address: str) -> bool:
    return address.startswith(PSEUDONYM_PREFIX) and address.endswith("@" + PSEUDONYM_DOMAIN)


def erased_fingerprint(record_id: str) -> str:
    """The content fingerprint an erased record keeps: it matches no content, so the
    erased values cannot be confirmed by hashing guesses, and a late retry of the
    original content is a conflict (409), never a silent match."""
    return hashlib.sha256(f"erased:{record_id}".encode()).hexdigest()


# ---------------------------------------------------------------- scrubbing


def html_forms(value: str) -> set[str]:
    """`value` as it may appear in a rendered HTML mail (Jinja2/MarkupSafe escaping and
    the standard library's), besides its plain form."""
    markup = (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("'", "&#39;").replace('"', "&#34;")
    )
    stdlib = (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace('"', "&quot;").replace("'", "&#x27;")
    )
    return {value, markup, stdlib}


def stored_forms(value: str) -> set[str]:
    """Every form in which `value` may be stored: plain, HTML-escaped, and inside JSON
    text (non-ASCII characters escaped as \\uXXXX). For SQL pre-filters (LIKE)."""
    forms = html_forms(value)
    forms |= {json.dumps(form)[1:-1] for form in list(forms)}
    return forms


@dataclass(frozen=True)
class Person:
    """What identifies a person in free text: their e-mail addresses and the names
    under which they were recorded (the account's and their requests')."""

    emails: frozenset[str]
    names: frozenset[tuple[str, str]]  # (given_name, family_name)
    subjects: frozenset[str] = frozenset()  # of their support requests


class Scrubber:
    """Replaces a person's e-mails and names in text by their pseudonyms.

    `mentions` (any record): the e-mail addresses (case-insensitive), the full names
    "given family" (and "family given") and the subjects of their support requests
    (`[objet effacé]`, as a digest quotes them). `own` (records addressed to or about
    the person): also each name on its own, as a whole word ("Bonjour Camille,")."""

    def __init__(self, person: Person, *, name: str, email: str):
        self.person = person
        self.name = name
        self.email = email
        full: list[tuple[str, str]] = []
        single: set[str] = set()
        for given, family in person.names:
            full += [(f"{given} {family}", f"{name} {name}"),
                     (f"{family} {given}", f"{name} {name}")]
            single |= {n for n in (given, family) if len(n.strip()) >= _MIN_NAME_LENGTH}
        mention_pairs = [(e, email) for e in person.emails if e]
        mention_pairs += [p for p in full if p[0].strip()]
        mention_pairs += [(subject, ERASED_SUBJECT) for subject in person.subjects
                          if len(subject.strip()) >= _MIN_NAME_LENGTH]
        self._mention = _pattern(mention_pairs)
        self._own = _pattern(mention_pairs + [(n, name) for n in single])

    def needles(self) -> set[str]:
        """Lower-cased substrings that any text mentioning the person contains (in some
        stored form), for SQL pre-filters; the replacement itself is exact."""
        out: set[str] = set()
        for value in self.person.emails:
            out |= stored_forms(value)
        for given, family in self.person.names:
            out |= stored_forms(f"{given} {family}") | stored_forms(f"{family} {given}")
        return {n.lower() for n in out if n.strip()}

    def mentions(self, text: str) -> str:
        return _apply(self._mention, text)

    def own(self, text: str) -> str:
        return _apply(self._own, text)

    def mentions_in(self, value: Any) -> Any:
        """`mentions` applied to every string of a JSON-like value (keys kept)."""
        return _walk(value, self.mentions)

    def own_in(self, value: Any) -> Any:
        return _walk(value, self.own)


@dataclass(frozen=True)
class _Compiled:
    regex: re.Pattern[str] | None
    replacements: dict[str, str]


_EMAIL_BEFORE = r"(?<![A-Za-z0-9._%+-])"
_EMAIL_AFTER = r"(?![A-Za-z0-9-])(?!\.[A-Za-z0-9])"  # a sentence's final dot is fine
_WORD_BEFORE = r"(?<!\w)"
_WORD_AFTER = r"(?!\w)"


def _pattern(pairs: Iterable[tuple[str, str]]) -> _Compiled:
    """One case-insensitive alternation of every form of every needle, longest first
    (an e-mail before the names it contains), each matched whole: `marie@x.fr` is not
    replaced inside `anne-marie@x.fr`, nor `Martin` inside `Martinez`."""
    replacements: dict[str, str] = {}
    for needle, replacement in pairs:
        for form in html_forms(needle):
            replacements.setdefault(form.casefold(), replacement)
    if not replacements:
        return _Compiled(None, {})
    alternatives = []
    for form in sorted(replacements, key=len, reverse=True):
        if "@" in form:
            alternatives.append(_EMAIL_BEFORE + re.escape(form) + _EMAIL_AFTER)
        else:
            alternatives.append(_WORD_BEFORE + re.escape(form) + _WORD_AFTER)
    return _Compiled(re.compile("|".join(alternatives), re.IGNORECASE), replacements)


def _apply(compiled: _Compiled, text: str) -> str:
    if compiled.regex is None or not text:
        return text
    return compiled.regex.sub(
        lambda m: compiled.replacements.get(m.group(0).casefold(), m.group(0)), text
    )


def _walk(value: Any, scrub: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: _walk(v, scrub) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, scrub) for v in value]
    return value


# ---------------------------------------------------------------- retention (R-GDPR-1)


def erasable_from(last_day: date, months: int) -> date:
    """First Paris day on which data kept `months` after `last_day` (the last day of
    access, or the day of closure) are erased: the day after the same date `months`
    later. A last day of access on 31 Aug 2025 with 12 months: kept on 31 Aug 2026,
    erased from 1 Sep 2026; a support request closed on 15 Jan 2024 with 24 months:
    kept on 15 Jan 2026, erased from 16 Jan 2026."""
    return add_months_clamped(last_day, months) + _ONE_DAY


def closed_request_erasable_on(closed_on: date, months: int) -> date:
    """R-GDPR-1a: the Paris day from which a rejected or cancelled account request is
    pseudonymised: `months` calendar months after the Paris date of its rejection or
    cancellation, clamped to the month's end (12 months: 2027-03-15 → 2028-03-15,
    2024-02-29 → 2025-02-28, 2026-08-31 → 2027-08-31)."""
    return add_months_clamped(closed_on, months)


def latest_erasable_last_day(today: date, months: int) -> date:
    """An upper bound of the last days erasable on `today` (for SQL pre-filters): every
    `last_day` with `erasable_from(last_day, months) <= today` is at most this day."""
    return add_months_clamped(today, -months) + timedelta(days=3)


def last_enrolment_year_ended_by(day: date) -> int:
    """The latest academic year N/N+1 whose last day (31 Aug N+1) is on or before `day`:
    an enrolment of a later year (not cancelled) gives access after `day`."""
    return day.year - 1 if (day.month, day.day) >= (8, 31) else day.year - 2


def last_access_day(roles: Iterable[Role], access_end_on: date) -> date | None:
    """The last Paris day on which one of the roles (grace included) gave or gives
    access, capped by the convention's access end (`ConventionClock.access_end_on`); None when
    no role ever
    gave a day of access."""
    best: date | None = None
    for role in roles:
        last = min(role.last_access_day(), access_end_on)
        if last < role.valid_from:
            continue
        if best is None or last > best:
            best = last
    return best


def inactive_account_erasable(
    *, status: AccountStatus, last_day: date | None, created_on: date, today: date,
    months: int,
) -> bool:
    """R-GDPR-1: an account without access — `status` (`evaluate_access` without locks
    nor suspensions, which never give access) `expired` or `disabled` — whose last day
    of access is `months` or more behind `today` (`erasable_from`). An account that
    never had a day of access counts from its creation day (as if its last day of
    access were the day before)."""
    if status not in (AccountStatus.EXPIRED, AccountStatus.DISABLED):
        return False
    since = last_day if last_day is not None else created_on - _ONE_DAY
    return today >= erasable_from(since, months)
