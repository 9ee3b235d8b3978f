"""Registered machine clients: creation, listing, revocation and their tokens."""

from __future__ import annotations

import pytest

from app.domain.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from app.services import clients
from tests.fakes import FakeClock
from tests.unit.services.fakes import FakeUnitOfWork, actor_of


class FakeClientAuth:
    """The ClientAuth port without argon2 or keys: a secret's hash is readable, tokens
    are the claims they carry."""

    lifetime_seconds = 900

    def __init__(self) -> None:
        self.made = 0
        self.checked_against_nothing = 0

    def hash_secret(self, secret: str) -> str:
        return "hashed:" + secret

    def verify_secret(self, secret_hash: str, secret: str) -> bool:
        return secret_hash == "hashed:" + secret

    def verify_against_nothing(self, secret: str) -> bool:
        self.checked_against_nothing += 1
        return False

    def new_client_id(self) -> str:
        self.made += 1
        return f"client-{self.made}"

    def new_client_secret(self) -> str:
        return f"secret-{self.made}"

    def issue(self, *, subject, scopes, client_id, schools, now) -> str:
        return f"{subject}|{' '.join(scopes)}|{schools}|{now.isoformat()}"


@pytest.fixture
def auth() -> FakeClientAuth:
    return FakeClientAuth()


async def test_a_created_client_is_stored_hashed_and_audited(
    seeded: FakeUnitOfWork, clock: FakeClock, auth: FakeClientAuth
):
    made = await clients.create_client(
        seeded, clock, auth, actor_of(), name="Ticketing",
        scopes=["schools:read", "schools:read", "account-requests:write"],
        schools=["ifms-rodez"],
    )
    stored = seeded.clients.rows[made.client.client_id]
    assert stored.secret_hash == "hashed:" + made.secret
    assert stored.scopes == ("schools:read", "account-requests:write")
    assert stored.schools == ("ifms-rodez",)
    assert seeded.audit.actions() == ["client.created"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"scopes": ["schools:read", "root"]}, "invalid-scope"),
        ({"scopes": ["schools:read"], "schools": ["ifms-nowhere"]}, "unknown-school"),
        ({"scopes": ["schools:read"], "client_id": "taken"}, "client-exists"),
    ],
)
async def test_a_client_with_bad_input_is_refused_and_nothing_stored(
    seeded: FakeUnitOfWork, clock: FakeClock, auth: FakeClientAuth, kwargs, code
):
    await clients.create_client(
        seeded, clock, auth, actor_of(), name="First", scopes=[], client_id="taken"
    )
    with pytest.raises(InvalidInput) as refused:
        await clients.create_client(seeded, clock, auth, actor_of(), name="X", **kwargs)
    assert refused.value.code == code
    assert list(seeded.clients.rows) == ["taken"]


async def test_list_clients_by_id(seeded: FakeUnitOfWork, clock: FakeClock, auth):
    for client_id in ("zeta", "alpha"):
        await clients.create_client(
            seeded, clock, auth, actor_of(), name=client_id, scopes=[], client_id=client_id
        )
    assert [c.client_id for c in await clients.list_clients(seeded)] == ["alpha", "zeta"]


async def test_revoking_twice_finds_no_active_client(
    seeded: FakeUnitOfWork, clock: FakeClock, auth: FakeClientAuth
):
    made = await clients.create_client(seeded, clock, auth, actor_of(), name="M", scopes=[])
    await clients.revoke_client(seeded, clock, actor_of(), made.client.client_id)
    assert seeded.clients.rows[made.client.client_id].revoked_at == clock.now()
    with pytest.raises(NotFound):
        await clients.revoke_client(seeded, clock, actor_of(), made.client.client_id)
    assert seeded.audit.actions() == ["client.created", "client.revoked"]


async def test_a_token_carries_the_requested_scopes_among_those_granted(
    seeded: FakeUnitOfWork, clock: FakeClock, auth: FakeClientAuth
):
    made = await clients.create_client(
        seeded, clock, auth, actor_of(), name="M", scopes=["storage:write", "access:read"],
        schools=["ifms-albi"],
    )
    issued = await clients.issue_token(
        seeded, clock, auth, client_id=made.client.client_id, client_secret=made.secret,
        requested_scope="access:read",
    )
    assert issued.scope == "access:read" and issued.expires_in == 900
    assert issued.token.startswith(f"{made.client.client_id}|access:read|('ifms-albi',)")
    with pytest.raises(Forbidden) as refused:
        await clients.issue_token(
            seeded, clock, auth, client_id=made.client.client_id, client_secret=made.secret,
            requested_scope="access:read billing:read",
        )
    assert refused.value.code == "invalid_scope"


async def test_a_wrong_secret_an_unknown_or_revoked_client_get_the_same_refusal(
    seeded: FakeUnitOfWork, clock: FakeClock, auth: FakeClientAuth
):
    made = await clients.create_client(seeded, clock, auth, actor_of(), name="M", scopes=[])
    client_id = made.client.client_id
    attempts = [(client_id, "wrong"), ("unknown", made.secret)]
    for attempted_id, secret in attempts:
        with pytest.raises(Unauthenticated, match="client authentication failed"):
            await clients.issue_token(
                seeded, clock, auth, client_id=attempted_id, client_secret=secret,
                requested_scope=None,
            )
    await clients.revoke_client(seeded, clock, actor_of(), client_id)
    with pytest.raises(Unauthenticated, match="client authentication failed"):
        await clients.issue_token(
            seeded, clock, auth, client_id=client_id, client_secret=made.secret,
            requested_scope=None,
        )
    assert auth.checked_against_nothing == 2
