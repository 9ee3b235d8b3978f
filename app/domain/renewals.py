"""June renewal campaigns (R-ACC-5): the pure rules.

A campaign for academic year N/N+1 is opened between 1 and 25 June N; it lists, per
school, the referents and trainers whose roles end on 31 Aug N. Schools answer renew /
remove per person until the end of the Paris day of their kind's deadline (30 June for
referents, 25 June for trainers); no answer means not renewed. Closing, after both
deadlines, makes renewed roles valid until 31 Aug N+1 (never shorter)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from app.domain.accounts import HOSTED_KINDS, Role, RoleKind
from app.domain.calendar import AcademicYear
from app.domain.convention import ConventionClock
from app.domain.errors import Conflict, InvalidInput

PersonKey = tuple[str, RoleKind]  # (uid, kind)


class CampaignStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Decision(StrEnum):
    RENEW = "renew"
    REMOVE = "remove"


@dataclass(frozen=True)
class Campaign:
    academic_year: int  # N of N/N+1
    status: CampaignStatus
    referent_deadline: date
    trainer_deadline: date
    opened_at: datetime
    closed_at: datetime | None

    @property
    def label(self) -> str:
        return AcademicYear(self.academic_year).label

    def deadline_for(self, kind: RoleKind) -> date:
        return self.referent_deadline if kind is RoleKind.REFERENT else self.trainer_deadline


def campaign_window(
    year: int, *, opens: tuple[int, int] = (6, 1), last_open: tuple[int, int] = (6, 25)
) -> tuple[date, date]:
    """A campaign for N/N+1 is opened between 1 and 25 June N (R-ACC-5)."""
    return date(year, *opens), date(year, *last_open)


def campaign_deadlines(
    year: int, *, referents: tuple[int, int] = (6, 30), trainers: tuple[int, int] = (6, 25)
) -> tuple[date, date]:
    return date(year, *referents), date(year, *trainers)


def ending_on(year: int) -> date:
    """The validity end the campaign for N/N+1 looks at: 31 Aug N."""
    return AcademicYear(year).previous().ends_on


def renewed_until(year: int) -> date:
    """The validity end of a role renewed by the campaign for N/N+1: 31 Aug N+1."""
    return AcademicYear(year).ends_on


def renews_at_closing(today: date, convention: ConventionClock) -> bool:
    """R-REF-1b: closing applies the stored renewals, except on or after the
    effective date of the termination governing `today`: then it renews nothing (the
    exception `ConventionClock.accepts_new_on` leaves to closing)."""
    notice = convention.status_on(today).notice
    return notice is None or today < notice.effective_on


def schools_without_referent(
    referent_roles: Mapping[str, Iterable[Role]], year: int, access_end_on: date
) -> list[str]:
    """The schools a closing lists (`renews_at_closing`): the keys of `referent_roles`
    with no referent role valid on some day of academic year N/N+1 (`year` = N), each
    role capped by the access end (`ConventionClock.access_end_on`); pending requests do not
    count. Sorted by code."""
    first, last = AcademicYear(year).starts_on, min(AcademicYear(year).ends_on, access_end_on)
    return sorted(
        code for code, roles in referent_roles.items()
        if not any(max(r.valid_from, first) <= min(r.valid_until, last) for r in roles)
    )


def ensure_campaign_can_open(year: int, today: date, convention: ConventionClock) -> None:
    """Opening the campaign for N/N+1 on `today` (Paris).

    409 `convention-not-active` when the year is outside the convention (it ends before
    the convention starts or starts after the access end in force today: a termination
    still pending, which a cure may lift, does not count) or when the convention accepts
    no renewal today (on or after a termination's effective date,
    `ConventionClock.status_on`);
    409 `campaign-window-closed` outside 1–25 June N."""
    academic_year = AcademicYear(year)
    status = convention.status_on(today)
    if (
        academic_year.ends_on < convention.effective_from
        or academic_year.starts_on > status.access_end_on
        or not status.accepts_new_accounts
    ):
        raise Conflict(
            "the convention accepts no renewal for this academic year (R-CONV-4, R-CONV-5)",
            code="convention-not-active",
        )
    first, last = campaign_window(year)
    if not first <= today <= last:
        raise Conflict(
            "a campaign for N/N+1 is opened between 1 and 25 June N (R-ACC-5)",
            code="campaign-window-closed",
        )


def open_kinds(campaign: Campaign, today: date) -> frozenset[RoleKind]:
    """The kinds whose decisions may still change on `today` (Paris): the campaign is
    open and the kind's deadline (inclusive) has not passed."""
    if campaign.status is not CampaignStatus.OPEN:
        return frozenset()
    return frozenset(k for k in HOSTED_KINDS if today <= campaign.deadline_for(k))


def last_deadline(campaign: Campaign) -> date:
    return max(campaign.referent_deadline, campaign.trainer_deadline)


def ensure_closable(campaign: Campaign, today: date) -> None:
    if campaign.status is CampaignStatus.OPEN and today <= last_deadline(campaign):
        raise Conflict(
            "the campaign is closed after both deadlines (R-ACC-5)", code="campaign-open"
        )


def merge_decisions(
    *,
    listed: Iterable[PersonKey],
    stored: Mapping[PersonKey, Decision],
    proposed: Sequence[tuple[str, RoleKind, Decision]],
    open_kinds: frozenset[RoleKind],
) -> dict[PersonKey, Decision]:
    """The school's decisions after a PUT that replaces them for the open kinds.

    422 for a duplicate entry or a person not listed; 409 `campaign-deadline-passed`
    when the entries of a kind whose deadline has passed differ from the stored ones."""
    listed_keys = set(listed)
    wanted: dict[PersonKey, Decision] = {}
    for uid, kind, decision in proposed:
        key = (uid, kind)
        if key in wanted:
            raise InvalidInput("a person appears twice in the decisions",
                               code="duplicate-decision", field="decisions")
        if key not in listed_keys:
            raise InvalidInput("a decision names someone this campaign does not list",
                               code="not-listed", field="decisions")
        wanted[key] = decision
    for kind in HOSTED_KINDS - open_kinds:
        before = {k: v for k, v in stored.items() if k[1] is kind}
        after = {k: v for k, v in wanted.items() if k[1] is kind}
        if before != after:
            raise Conflict(
                f"the deadline for {kind.value} decisions has passed (R-ACC-5)",
                code="campaign-deadline-passed",
            )
    return wanted


@dataclass(frozen=True)
class ListedPerson:
    """Someone whose role ends on 31 Aug N (or was renewed by the campaign)."""

    uid: str
    kind: RoleKind
    given_name: str
    family_name: str
    valid_until: date
    role_id: str


def listing_etag(
    year: int, school_code: str, people: Sequence[ListedPerson],
    decisions: Mapping[PersonKey, Decision], status: CampaignStatus,
) -> str:
    """A strong validator of what a school's GET shows: any change of the people, their
    validity, the decisions or the campaign's status changes it."""
    content = {
        "year": year,
        "school": school_code,
        "status": status.value,
        "people": sorted(
            [p.uid, p.kind.value, p.valid_until.isoformat(), p.role_id] for p in people
        ),
        "decisions": sorted([u, k.value, d.value] for (u, k), d in decisions.items()),
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return f'"{digest[:32]}"'
