"""Throttling of `POST /api/v1/oauth/token`: failures per (source address, client id) and
per source address; the source address is the peer unless the peer is a trusted proxy
(FORWARDED_ALLOW_IPS, applied by uvicorn's proxy headers handling as `serve` sets it)."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.api.ratelimit import TokenFailureLimiter
from app.domain.auth import SYSTEM
from app.ports.audit import Actor
from app.services import clients

URL = "/api/v1/oauth/token"
# Small limits keep the tests short (each failure costs an argon2 verification).
PAIR, ADDRESS = 3, 6


@pytest.fixture
async def two_clients(app, clock):
    made = []
    for name in ("Ticketing", "Plugin"):
        created = await clients.create_client(
            app.state.container.uow_factory(), clock, app.state.container.client_auth,
            Actor(SYSTEM),
            name=name, scopes=["account-requests:read"],
        )
        made.append((created.client.client_id, created.secret))
    return made


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic(app) -> Monotonic:
    time = Monotonic()
    app.state.container = replace(
        app.state.container,
        token_rate_limiter=TokenFailureLimiter(per_pair=PAIR, per_address=ADDRESS,
                                               monotonic=time),
    )
    return time


def from_address(app, host: str, *, proxy_trust: str | None = None) -> httpx.AsyncClient:
    served = app if proxy_trust is None else ProxyHeadersMiddleware(app, proxy_trust)
    transport = httpx.ASGITransport(app=served, client=(host, 40000),
                                    raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def token(http: httpx.AsyncClient, client_id: str, secret: str, **headers: str):
    return await http.post(URL, data={"grant_type": "client_credentials",
                                      "client_id": client_id, "client_secret": secret},
                           headers=headers)


async def test_a_correct_secret_is_never_refused_for_failures_from_other_addresses(
    app, two_clients, monotonic
):
    (client_id, secret), _ = two_clients
    async with from_address(app, "203.0.113.7") as attacker, \
            from_address(app, "198.51.100.20") as owner:
        statuses = [(await token(attacker, client_id, "guess")).status_code
                    for _ in range(PAIR + 5)]
        assert statuses[:PAIR] == [401] * PAIR and set(statuses[PAIR:]) == {429}
        assert (await token(owner, client_id, secret)).status_code == 200
        # The attacker's own address stays refused, even with the right secret.
        refused = await token(attacker, client_id, secret)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


async def test_an_address_failing_with_many_client_ids_is_refused_for_all_of_them(
    app, two_clients, monotonic
):
    (client_id, secret), (other_id, other_secret) = two_clients
    async with from_address(app, "203.0.113.8") as sprayer, \
            from_address(app, "198.51.100.21") as owner:
        for n in range(ADDRESS):
            assert (await token(sprayer, f"guess-{n}", "x")).status_code == 401
        assert (await token(sprayer, other_id, other_secret)).status_code == 429
        assert (await token(owner, other_id, other_secret)).status_code == 200
        assert (await token(owner, client_id, secret)).status_code == 200


async def test_successes_are_not_counted_and_forget_the_pairs_failures(
    app, two_clients, monotonic
):
    (client_id, secret), _ = two_clients
    async with from_address(app, "198.51.100.22") as owner:
        for _ in range(PAIR + 2):
            assert (await token(owner, client_id, secret)).status_code == 200
        for _ in range(2):
            for _ in range(PAIR - 1):
                assert (await token(owner, client_id, "typo")).status_code == 401
            assert (await token(owner, client_id, secret)).status_code == 200


async def test_the_window_slides_with_the_monotonic_clock(app, two_clients, monotonic):
    (client_id, secret), _ = two_clients
    async with from_address(app, "203.0.113.9") as caller:
        for _ in range(PAIR):
            assert (await token(caller, client_id, "bad")).status_code == 401
            monotonic.now += 10
        refused = await token(caller, client_id, secret)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "30"  # the first failure leaves at +60 s
        monotonic.now += 29
        assert (await token(caller, client_id, secret)).status_code == 429
        monotonic.now += 1
        assert (await token(caller, client_id, secret)).status_code == 200


async def test_an_untrusted_peer_cannot_choose_its_address_with_x_forwarded_for(
    app, settings, two_clients, monotonic
):
    (client_id, _), _ = two_clients
    async with from_address(app, "203.0.113.10",
                            proxy_trust=settings.forwarded_allow_ips) as spoofer:
        statuses = [(await token(spoofer, client_id, "bad",
                                 **{"X-Forwarded-For": f"192.0.2.{n}"})).status_code
                    for n in range(PAIR + 2)]
    assert statuses[:PAIR] == [401] * PAIR and statuses[PAIR:] == [429, 429]


@pytest.mark.parametrize("settings_overrides", [{"forwarded_allow_ips": "10.0.0.0/8"}])
async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_counters(
    app, settings, two_clients, monotonic
):
    (client_id, secret), _ = two_clients
    async with from_address(app, "10.1.2.3", proxy_trust=settings.forwarded_allow_ips) as proxy:
        for _ in range(PAIR):
            assert (await token(proxy, client_id, "bad",
                                **{"X-Forwarded-For": "203.0.113.11"})).status_code == 401
        refused = await token(proxy, client_id, secret, **{"X-Forwarded-For": "203.0.113.11"})
        assert refused.status_code == 429
        other = await token(proxy, client_id, secret, **{"X-Forwarded-For": "198.51.100.23"})
        assert other.status_code == 200


def test_serve_hands_forwarded_allow_ips_to_uvicorn(monkeypatch):
    from typer.testing import CliRunner

    import app.cli as cli_module

    seen = {}

    class Server:
        def __init__(self, config):
            seen["config"] = config

        def run(self):
            seen["ran"] = True

    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8,192.168.1.1")
    monkeypatch.setattr(cli_module.uvicorn, "Server", Server)
    result = CliRunner().invoke(cli_module.cli, ["serve", "--port", "0"])
    assert result.exit_code == 0, result.output
    config = seen["config"]
    assert seen["ran"] and config.proxy_headers
    assert config.forwarded_allow_ips == "10.0.0.0/8,192.168.1.1"
