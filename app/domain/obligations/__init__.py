"""The obligations register (RULES.md, "Obligations register"): the record, its states,
and one module per family of rules deriving obligations from facts."""

from app.domain.obligations.model import (
    GCS,
    PARTIES,
    REGION,
    UT,
    Evidence,
    MetBy,
    Obligation,
    ObligationState,
    Waiver,
    is_party,
    listed_at,
    met_instant,
    obligation_state,
    school_party,
    sort_key,
)

__all__ = [
    "GCS", "PARTIES", "REGION", "UT", "Evidence", "MetBy", "Obligation", "ObligationState",
    "Waiver", "is_party", "listed_at", "met_instant", "obligation_state", "school_party",
    "sort_key",
]
