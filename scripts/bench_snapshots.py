"""Measure snapshot ingestion (`POST /api/v1/storage/snapshots`) on PostgreSQL (not a test).

    .venv/bin/python scripts/bench_snapshots.py \
        --admin-url postgresql://postgres@127.0.0.1:5432/postgres

Creates a scratch database, serves the app with uvicorn (one worker, the production
factory, auto-migrated and seeded) on 127.0.0.1, adds schools up to `--schools` (100 by
default: the 20 of the convention + generated ones, straight into the table), then over
real HTTP:

1. `--batches` batches of 1,000 new items (each school, 10 consecutive minutes), one
   after the other, then the same with `--concurrency` clients at once;
2. the first batch again (1,000 duplicates: a plugin retrying);
3. 100 1-item batches one after the other, then the target load: every school posts
   its own 1-item batch, all at once, `--rounds` times (100 schools posting every
   minute = 100 requests per minute).

Prints latencies (p50/p95/max) and throughput; the scratch database is dropped."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

GB = 1_000_000_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def summary(label: str, seconds: list[float], items: int, wall: float) -> str:
    ordered = sorted(seconds)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (f"{label}: {len(seconds)} requests, {items} items in {wall:.2f} s → "
            f"{items / wall:,.0f} items/s, {len(seconds) / wall:,.1f} requests/s; latency "
            f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
            f"max {ordered[-1] * 1000:.1f} ms")


async def wait_ready(base: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(300):
            if process.returncode is not None:
                raise SystemExit("the server stopped before being ready")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not get ready")


async def add_schools(dsn: str, total: int) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        codes = [r["code"] for r in await connection.fetch("SELECT code FROM schools")]
        now = datetime.now(UTC)
        extra = [f"bench-{n:03d}" for n in range(max(0, total - len(codes)))]
        await connection.executemany(
            "INSERT INTO schools (code, name, group_name, sites, amendment_reference, "
            "version, created_at, updated_at) VALUES ($1, $2, NULL, '[]', 'BENCH', 1, $3, $3)",
            [(code, f"Bench {code}", now) for code in extra],
        )
        return sorted(codes + extra)[:total]
    finally:
        await connection.close()


def batch(codes: list[str], start: datetime, tag: str, size: int = 1000) -> dict:
    per_school = max(1, size // len(codes))
    items = []
    for minute in range(per_school):
        at = (start + timedelta(minutes=minute)).isoformat()
        for n, code in enumerate(codes):
            if len(items) == size:
                break
            items.append({
                "snapshot_id": f"{tag}-{code}-{minute}",
                "school_code": code,
                "measured_at": at,
                "bytes_used": (20 + n % 25) * GB + minute * 1_000_000,
                "files_count": 10_000 + minute,
                "bytes_backup": 2 * GB,
            })
    return {"items": items}


async def post_all(client: httpx.AsyncClient, bodies: list[dict], concurrency: int,
                   headers: dict[str, str]) -> tuple[list[float], float]:
    latencies: list[float] = []
    queue = list(bodies)

    async def worker() -> None:
        while queue:
            body = queue.pop(0)
            started = time.perf_counter()
            response = await client.post("/api/v1/storage/snapshots", json=body,
                                         headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"unexpected {response.status_code}: {response.text[:300]}")
            counts = response.json()
            if counts["rejected"]:
                raise SystemExit(f"rejected items: {counts['results'][:3]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


async def bench(options: argparse.Namespace) -> None:
    name = f"bench_snapshots_{os.getpid()}"
    admin = await asyncpg.connect(options.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = options.admin_url.rsplit("/", 1)[0] + f"/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    port = free_port()
    tmp = tempfile.mkdtemp()
    env = {**os.environ, "DATABASE_URL": url, "AUTO_MIGRATE": "true",
           "SEED_ON_START": "true", "RUN_SCHEDULER": "false", "LOG_LEVEL": "WARNING",
           "ENVIRONMENT": "development",
           "JWT_PRIVATE_KEY_FILE": str(Path(tmp) / "dev-bench-key.pem")}
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--log-level", "warning", "--no-access-log", env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, server)
        minting = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("convention-api")), "tokens", "mint",
            "--sub", "bench", "--scope", "storage:write", "--client-id", "bench",
            env=env, stdout=asyncio.subprocess.PIPE,
        )
        token = (await minting.communicate())[0].decode().strip()
        headers = {"Authorization": f"Bearer {token}"}
        codes = await add_schools(dsn, options.schools)
        start = datetime.now(UTC) - timedelta(days=30)
        total = options.batches * 2 + 1
        bodies = [batch(codes, start + timedelta(minutes=10 * k), f"b{k}")
                  for k in range(total)]
        limits = httpx.Limits(max_connections=max(options.concurrency, len(codes)))
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            await post_all(client, bodies[:1], 1, headers)  # warm-up
            seq, wall = await post_all(client, bodies[1:options.batches + 1], 1, headers)
            print(summary("1,000-item batches, one client", seq, 1000 * len(seq), wall))
            par, wall = await post_all(client, bodies[options.batches + 1:],
                                       options.concurrency, headers)
            print(summary(f"1,000-item batches, {options.concurrency} clients", par,
                          1000 * len(par), wall))
            dup, wall = await post_all(client, bodies[1:2], 1, headers)
            print(summary("the same 1,000 items again (duplicates)", dup, 1000, wall))
            late = start + timedelta(days=1)
            one = [{"items": [{
                "snapshot_id": f"one-{n}", "school_code": codes[n % len(codes)],
                "measured_at": (late - timedelta(minutes=n)).isoformat(),
                "bytes_used": 30 * GB}]} for n in range(100)]
            seq, wall = await post_all(client, one, 1, headers)
            print(summary("1-item batches, one client", seq, len(seq), wall))
            singles: list[float] = []
            wall = 0.0
            for r in range(options.rounds):
                round_bodies = [{"items": [{
                    "snapshot_id": f"single-{r}-{code}", "school_code": code,
                    "measured_at": (late + timedelta(minutes=r)).isoformat(),
                    "bytes_used": 30 * GB}]} for code in codes]
                latencies, seconds = await post_all(client, round_bodies, len(codes), headers)
                singles += latencies
                wall += seconds
            print(summary(f"{len(codes)} schools posting 1 item at once, "
                          f"{options.rounds} rounds", singles, len(singles), wall))
            print(f"→ one round of {len(codes)} schools takes {wall / options.rounds:.2f} s "
                  f"of the minute it must fit in")
    finally:
        server.terminate()
        try:
            await asyncio.wait_for(server.wait(), 30)
        except TimeoutError:
            server.kill()
            await server.wait()
        admin = await asyncpg.connect(options.admin_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="libpq URL of a database to create the scratch one from")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
