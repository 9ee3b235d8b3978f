"""Personal-data breach records (art. 12): the party that discovered a breach, when, and
the instant each other party's DPO was informed. The obligations register reads them
(R-OBL-16); they survive the convention's end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.convention import Party
from app.domain.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class DpoNotification:
    """The instant `party`'s DPO was informed of a breach, with the document that shows it."""

    party: Party
    informed_at: datetime
    reference: str | None
    note: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class Breach:
    id: str
    reference: str
    discovered_by: Party
    discovered_at: datetime
    description: str
    recorded_at: datetime
    notifications: tuple[DpoNotification, ...] = ()

    def parties_to_inform(self) -> tuple[Party, ...]:
        """Every party of the convention but the one that discovered the breach."""
        return tuple(p for p in Party if p is not self.discovered_by)

    def notification_to(self, party: Party) -> DpoNotification | None:
        return next((n for n in self.notifications if n.party is party), None)

    def same_record(self, discovered_by: Party, discovered_at: datetime,
                    description: str) -> bool:
        return (self.discovered_by, self.discovered_at, self.description) == (
            discovered_by, discovered_at, description)


def check_dpo_notification(
    breach: Breach, party: Party, informed_at: datetime, reference: str | None,
    note: str | None,
) -> bool:
    """Whether informing `party`'s DPO at `informed_at` is a new fact to record (False:
    the very same is already recorded). The discoverer does not inform itself (422
    `invalid-party`); nobody is informed before the discovery (422 `out-of-order`); a
    party already informed otherwise → 409 `dpo-already-informed`."""
    if party not in breach.parties_to_inform():
        raise InvalidInput("the party that discovered the breach does not inform itself",
                           code="invalid-party", field="party")
    if informed_at < breach.discovered_at:
        raise InvalidInput("a DPO is informed at or after the discovery",
                           code="out-of-order", field="informed_at")
    known = breach.notification_to(party)
    if known is None:
        return True
    if (known.informed_at, known.reference, known.note) == (informed_at, reference, note):
        return False
    raise Conflict("this party's DPO is already recorded as informed otherwise",
                   code="dpo-already-informed")
