"""The convention record: the deliberation that approved the convention, each party's
signature date and each party's obligations contact (the address the weekly obligations
digest writes to)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.domain.convention import Party
from app.domain.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class Deliberation:
    reference: str
    held_on: date
    members: int
    present_or_represented: int
    votes_for: int
    votes_against: int
    abstentions: int


@dataclass(frozen=True)
class PartyRecord:
    """What the record holds for one party: when it signed (None until recorded) and its
    obligations contact (an e-mail managed by UT, None until set)."""

    party: Party
    signed_on: date | None = None
    obligations_contact: str | None = None


@dataclass(frozen=True)
class ConventionRecord:
    """R-CONV-6: the convention record, shown by `GET /api/v1/convention`: the
    deliberation 2025/03/CFVU – 40 of 2025-03-11 and each party's signature date (UT:
    2025-03-31; the others recorded when known)."""

    deliberation: Deliberation
    parties: tuple[PartyRecord, ...]

    def of(self, party: Party) -> PartyRecord:
        return next((p for p in self.parties if p.party is party), PartyRecord(party))


CFVU_DELIBERATION = Deliberation(
    reference="2025/03/CFVU – 40", held_on=date(2025, 3, 11), members=41,
    present_or_represented=20, votes_for=20, votes_against=0, abstentions=0,
)
UT_SIGNED_ON = date(2025, 3, 31)
# The stored record before anything is recorded through the API (seeded by the migration).
INITIAL_PARTY_RECORDS = (
    PartyRecord(Party.REGION), PartyRecord(Party.UT, signed_on=UT_SIGNED_ON),
    PartyRecord(Party.GCS),
)


def check_signature(known: PartyRecord, signed_on: date, today: date) -> bool:
    """Whether recording `signed_on` as the party's signature date is new (False: the
    same is already recorded). A signature is not dated after today (422
    `date-in-future`); a party signs once: another date → 409 `signature-recorded`."""
    if signed_on > today:
        raise InvalidInput("a signature is not dated after today", code="date-in-future",
                           field="signed_on")
    if known.signed_on is None:
        return True
    if known.signed_on == signed_on:
        return False
    raise Conflict("this party's signature is recorded with another date",
                   code="signature-recorded")


def ensure_not_a_dpo_address(email: str, dpo_addresses: Iterable[str]) -> None:
    """An obligations contact is never a DPO's address (422 `dpo-address`): the DPOs are
    written to about personal data, not sent the obligations digest."""
    if email.strip().casefold() in {a.strip().casefold() for a in dpo_addresses}:
        raise InvalidInput("an obligations contact may not be a DPO's address",
                           code="dpo-address", field="email")
