"""The service and PostgreSQL going away (DESIGN.md)."""

from __future__ import annotations

import asyncio
import threading
import time

import asyncpg
import httpx

from tests.faults.conftest import PrivateCluster, Service, pytestmark  # noqa: F401


def _request_body(ticket: str) -> dict:
    return {
        "ticket_ref": ticket, "school_code": "ifms-rodez", "kind": "trainer",
        "given_name": "Camille", "family_name": "Martin", "email": "c.m@example.org",
    }


def _post_with_retries(client: httpx.Client, headers: dict, ticket: str,
                       deadline: float) -> int | None:
    """The ticketing tool's behaviour: retry the same ticket until it gets an answer."""
    while time.monotonic() < deadline:
        try:
            response = client.post("/api/v1/account-requests", json=_request_body(ticket),
                                   headers=headers)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if response.status_code == 503:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert int(response.headers["retry-after"]) >= 1
            time.sleep(0.2)
            continue
        return response.status_code
    return None


def _stored_tickets(database_url: str) -> list[str]:
    async def read() -> list[str]:
        dsn = database_url.replace("postgresql+asyncpg", "postgresql")
        connection = await asyncpg.connect(dsn)
        try:
            rows = await connection.fetch("SELECT ticket_ref FROM account_requests")
            return [r["ticket_ref"] for r in rows]
        finally:
            await connection.close()

    return asyncio.run(read())


def test_while_postgres_is_down_the_service_answers_503_and_recovers(
    cluster: PrivateCluster, service: Service
):
    headers = {"Authorization": f"Bearer {service.token()}"}
    with httpx.Client(base_url=service.base_url, timeout=30) as client:
        assert client.get("/readyz").status_code == 200
        cluster.stop("fast")
        try:
            down = client.post("/api/v1/account-requests", json=_request_body("DOWN-1"),
                               headers=headers)
            assert down.status_code == 503
            assert down.headers["content-type"].startswith("application/problem+json")
            assert down.json()["code"] == "database-unavailable"
            assert int(down.headers["retry-after"]) >= 1
            assert client.get("/readyz").status_code == 503
            assert client.get("/healthz").status_code == 200
        finally:
            cluster.start()
        deadline = time.monotonic() + 30
        status = _post_with_retries(client, headers, "DOWN-1", deadline)
        assert status == 201
        assert client.get("/readyz").status_code == 200
    assert _stored_tickets(service.database_url).count("DOWN-1") == 1


def test_every_acknowledged_request_survives_a_restart_exactly_once(
    cluster: PrivateCluster, service: Service
):
    headers = {"Authorization": f"Bearer {service.token()}"}
    acknowledged: list[str] = []
    stop = threading.Event()

    def ticketing_tool() -> None:
        with httpx.Client(base_url=service.base_url, timeout=30) as client:
            n = 0
            while not stop.is_set():
                ticket = f"RESTART-{n}"
                status = _post_with_retries(client, headers, ticket, time.monotonic() + 60)
                if status in (200, 201):
                    acknowledged.append(ticket)
                n += 1

    worker = threading.Thread(target=ticketing_tool)
    worker.start()
    time.sleep(1.0)
    cluster.restart("fast")
    time.sleep(1.0)
    stop.set()
    worker.join(timeout=120)
    stored = _stored_tickets(service.database_url)
    assert acknowledged, "no request was acknowledged"
    for ticket in acknowledged:
        assert stored.count(ticket) == 1, ticket
    assert len(stored) == len(set(stored))


def test_acknowledged_writes_survive_an_immediate_stop(cluster: PrivateCluster,
                                                       service: Service):
    headers = {"Authorization": f"Bearer {service.token()}"}
    with httpx.Client(base_url=service.base_url, timeout=30) as client:
        tickets = [f"CRASH-{i}" for i in range(25)]
        for ticket in tickets:
            response = client.post("/api/v1/account-requests", json=_request_body(ticket),
                                   headers=headers)
            assert response.status_code == 201
        cluster.stop("immediate")
        cluster.start()
        status = _post_with_retries(client, headers, "CRASH-after", time.monotonic() + 30)
        assert status == 201
    stored = _stored_tickets(service.database_url)
    assert all(stored.count(t) == 1 for t in tickets)
