"""The convention: terms, state and access end on any date (R-CONV-1, R-CONV-2, R-CONV-3, R-CONV-4,
R-CONV-5)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Depends, Query

from app.api.caller import Caller, Router, caller_with
from app.api.deps import ClockDep, UowDep
from app.api.responses import problems
from app.domain.calendar import paris_date
from app.domain.convention import Party
from app.domain.convention_record import ConventionRecord
from app.schemas.common import IsoDate, money_fields
from app.schemas.convention import ConventionOut
from app.services.convention import convention_on
from app.services.convention_record import read_convention_record

router = Router(prefix="/api/v1", tags=["convention"])


def party_fields(party: dict[str, Any], record: ConventionRecord) -> dict[str, Any]:
    entry = record.of(Party(party["code"]))
    return {**party, "signed_on": entry.signed_on,
            "obligations_contact": entry.obligations_contact}


@router.get(
    "/convention",
    summary="The convention on a date",
    description=(
        "Reference data, parties (with their signature dates and obligations contacts, "
        "R-CONV-6), the deliberation, payee, DPO contacts, platform (annex 1), and the "
        "terms, state and access end in force on `at` (a Paris date, default today)."
    ),
    response_model=ConventionOut,
    responses=problems(),
)
async def get_convention(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("convention:read"))],
    at: Annotated[IsoDate | None, Query(description="Paris date (YYYY-MM-DD)")] = None,
) -> ConventionOut:
    on = at or paris_date(clock.now())
    view = await convention_on(uow, on)
    ref, status = view.reference, view.status
    record = await read_convention_record(uow)
    return ConventionOut.model_validate(
        {
            "reference": ref.reference,
            "title": ref.title,
            "at": on,
            "parties": [party_fields(p, record) for p in ref.parties],
            "effective_from": ref.effective_from,
            "ends_on": status.terms.ends_on,
            "state": status.state.value,
            "access_end_on": status.access_end_on,
            "prospective_access_end_on": status.prospective_access_end_on,
            "accepts_new_accounts": status.accepts_new_accounts,
            "terms": {
                "ends_on": status.terms.ends_on,
                "storage_capacity_bytes": status.terms.storage_capacity_bytes,
                "school_alert_threshold_bytes": status.terms.school_alert_threshold_bytes,
                "rate_per_student_cents": status.terms.rate_per_student_cents,
                "rate_per_student": money_fields(status.terms.rate_per_student_cents),
                "currency": status.terms.currency,
            },
            "payee": ref.payee,
            "dpo_contacts": list(ref.dpo_contacts),
            "platform": ref.platform,
            "deliberation": asdict(record.deliberation),
        }
    )
