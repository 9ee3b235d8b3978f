"""June renewal campaigns (R-ACC-5, R-REF-1, R-REF-1b): opening, listing, decisions, closing.

One room per concept; this package answers every name its callers import.
"""

from __future__ import annotations

from app.services.renewals.closing import close_campaign
from app.services.renewals.decisions import replace_decisions
from app.services.renewals.listing import (
    KINDS,
    CampaignSummary,
    SchoolListing,
    get_campaign,
    parse_year,
    school_listing,
)
from app.services.renewals.opening import CampaignDeadlines, open_campaign

__all__ = [
    "KINDS",
    "CampaignDeadlines",
    "CampaignSummary",
    "SchoolListing",
    "close_campaign",
    "get_campaign",
    "open_campaign",
    "parse_year",
    "replace_decisions",
    "school_listing",
]
