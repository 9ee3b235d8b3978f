"""Liveness, readiness and metrics."""

from __future__ import annotations


async def test_healthz_answers_ok(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_the_schema_is_at_head(client):
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


async def test_readyz_fails_when_the_schema_is_behind(app, client):
    async with app.state.container.engine.begin() as connection:
        from sqlalchemy import text

        await connection.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not-ready"


async def test_metrics_count_requests_by_route_template(client, admin_headers):
    await client.get("/api/v1/schools/ifms-rodez", headers=admin_headers)
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert 'route="/api/v1/schools/{code}"' in response.text
    assert "http_request_duration_seconds" in response.text
