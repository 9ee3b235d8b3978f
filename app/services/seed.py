"""Reference data (idempotent): the convention and its 20 beneficiary schools."""

from __future__ import annotations

from app.domain.errors import InvalidInput
from app.domain.reference import SCHOOLS, bic_is_valid, iban_is_valid, initial_reference
from app.domain.rules import DEFAULT_RULES, Rules
from app.domain.schools import School
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit


async def seed_reference_data(
    uow: UnitOfWork, clock: Clock, actor: Actor, rules: Rules = DEFAULT_RULES
) -> dict[str, int]:
    ref = initial_reference(rules.size_unit)
    if not iban_is_valid(ref.payee["iban"]) or not bic_is_valid(ref.payee["bic"]):
        raise InvalidInput("the payee's IBAN or BIC is not valid", code="invalid-payee")
    now = clock.now()
    added = {"convention": 0, "schools": 0}
    async with uow:
        if await uow.convention.get() is None:
            await uow.convention.add(ref)
            added["convention"] = 1
        existing = await uow.schools.codes()
        for seed in SCHOOLS:
            if seed.code in existing:
                continue
            school = School(
                code=seed.code,
                name=seed.name,
                group=seed.group,
                sites=seed.sites,
                amendment_reference=ref.reference,
                version=1,
                created_at=now,
                updated_at=now,
            )
            if await uow.schools.add(school):
                added["schools"] += 1
        if any(added.values()):
            await audit.record(
                uow, actor, now=now, action="reference-data.seeded",
                resource_type="convention", resource_id=ref.reference, new=added,
            )
        await uow.commit()
    return added
