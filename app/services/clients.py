"""Registered machine clients (OAuth2 client credentials) and the tokens they get."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.auth import SCOPES
from app.domain.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from app.ports.audit import Actor
from app.ports.clients import ApiClient, ClientAuth
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit


@dataclass(frozen=True)
class NewClient:
    client: ApiClient
    secret: str  # shown once


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    scope: str


def check_scopes(scopes: Sequence[str]) -> tuple[str, ...]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InvalidInput("unknown scope(s): " + ", ".join(unknown), code="invalid-scope")
    return tuple(dict.fromkeys(scopes))


async def create_client(
    uow: UnitOfWork,
    clock: Clock,
    auth: ClientAuth,
    actor: Actor,
    *,
    name: str,
    scopes: Sequence[str],
    schools: Sequence[str] | None = None,
    client_id: str | None = None,
) -> NewClient:
    scopes = check_scopes(scopes)
    secret = auth.new_client_secret()
    secret_hash = await asyncio.to_thread(auth.hash_secret, secret)
    now = clock.now()
    client = ApiClient(
        client_id=client_id or auth.new_client_id(),
        name=name,
        secret_hash=secret_hash,
        scopes=scopes,
        schools=tuple(schools) if schools is not None else None,
        created_at=now,
        revoked_at=None,
    )
    async with uow:
        if await uow.clients.get(client.client_id) is not None:
            raise InvalidInput("this client id is taken", code="client-exists")
        if schools is not None:
            unknown = set(schools) - await uow.schools.codes()
            if unknown:
                raise InvalidInput("unknown school code(s)", code="unknown-school")
        await uow.clients.add(client)
        await audit.record(
            uow, actor, now=now, action="client.created", resource_type="api_client",
            resource_id=client.client_id,
            new={"name": name, "scopes": list(scopes), "schools": schools},
        )
        await uow.commit()
    return NewClient(client=client, secret=secret)


async def list_clients(uow: UnitOfWork) -> list[ApiClient]:
    async with uow:
        return await uow.clients.list()


async def revoke_client(uow: UnitOfWork, clock: Clock, actor: Actor, client_id: str) -> None:
    now = clock.now()
    async with uow:
        if not await uow.clients.revoke(client_id, now):
            raise NotFound("no such active client")
        await audit.record(
            uow, actor, now=now, action="client.revoked", resource_type="api_client",
            resource_id=client_id, new={"revoked_at": now},
        )
        await uow.commit()


async def issue_token(
    uow: UnitOfWork,
    clock: Clock,
    auth: ClientAuth,
    *,
    client_id: str,
    client_secret: str,
    requested_scope: str | None,
) -> IssuedToken:
    async with uow:
        client = await uow.clients.get(client_id)
    if client is None or client.revoked_at is not None:
        await asyncio.to_thread(auth.verify_against_nothing, client_secret)
        raise Unauthenticated("client authentication failed")
    if not await asyncio.to_thread(auth.verify_secret, client.secret_hash, client_secret):
        raise Unauthenticated("client authentication failed")
    granted = client.scopes
    if requested_scope:
        wanted = tuple(dict.fromkeys(requested_scope.split()))
        if not set(wanted) <= set(granted):
            raise Forbidden("a requested scope is not granted to this client",
                            code="invalid_scope")
        granted = wanted
    token = auth.issue(
        subject=client.client_id,
        scopes=granted,
        client_id=client.client_id,
        schools=client.schools,
        now=clock.now(),
    )
    return IssuedToken(token=token, expires_in=auth.lifetime_seconds, scope=" ".join(granted))
