"""Several processes on one PostgreSQL:
two `convention-api jobs run` at once, the service under two uvicorn workers hit with the
same writes at once, and two outbox dispatchers at once. Each write happens once.

PostgreSQL only (advisory locks, SKIP LOCKED, one database for many processes): each test
gets a fresh database on TEST_DATABASE_URL's server; everything listens on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.adapters.db.engine import create_engine, session_factory
from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.services.mail import message_id_for, queue_mail
from tests.dbutil import ON_POSTGRES
from tests.processes import (
    UvicornProcess,
    bearer_token,
    run_cli,
    service_env,
    start_cli,
)
from tests.smtp import SmtpRecorder

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="several processes need PostgreSQL")

AT = "2025-06-02T06:00:00+02:00"  # the instant every runner runs "as of"


def query(database_url: str, sql: str) -> list[asyncpg.Record]:
    """Rows read straight from the database (not through the service)."""

    async def fetch() -> list[asyncpg.Record]:
        dsn = database_url.replace("postgresql+asyncpg", "postgresql")
        connection = await asyncpg.connect(dsn)
        try:
            return await connection.fetch(sql)
        finally:
            await connection.close()

    return asyncio.run(fetch())


def queue_mails(database_url: str, keys: list[str]) -> None:
    async def queue() -> None:
        engine = create_engine(database_url)
        try:
            uow = SqlUnitOfWorkFactory(session_factory(engine))()
            async with uow:
                for key in keys:
                    await queue_mail(uow, now=_instant(AT), template="smtp-test",
                                     to=["ops@ut.example"],
                                     context={"requested_at": _instant(AT)}, dedupe_key=key)
                await uow.commit()
        finally:
            await engine.dispose()

    asyncio.run(queue())


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def wait_all(processes: list[subprocess.Popen], timeout: float = 180) -> list[tuple[str, str]]:
    """Wait for every process (killing the laggards at the deadline); their outputs."""
    outputs = []
    for process in processes:
        try:
            outputs.append(process.communicate(timeout=timeout))
        except subprocess.TimeoutExpired:
            process.kill()
            outputs.append(process.communicate(timeout=10))
    return outputs


class HoldingSmtp(SmtpRecorder):
    """Holds every DATA until `release` is set (in a worker thread, so the server keeps
    accepting other sessions); `waiting` counts the sessions held at once."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.waiting = 0
        self.most_waiting = 0
        self._count = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._count:
            self.waiting += 1
            self.most_waiting = max(self.most_waiting, self.waiting)
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        with self._count:
            self.waiting -= 1
        return await super().handle_DATA(server, session, envelope)


def run_holding(
    smtp: HoldingSmtp, start: Callable[[], list[subprocess.Popen]],
    release_when: Callable[[list[subprocess.Popen]], bool], timeout: float = 120,
) -> list[tuple[str, str]]:
    """Start `smtp`, holding every DATA, and the processes; release it once
    `release_when` holds (or at the deadline), wait for all; they must all exit 0."""
    smtp.start()
    try:
        processes = start()
        deadline = time.monotonic() + timeout
        while not release_when(processes) and time.monotonic() < deadline:
            time.sleep(0.02)
        smtp.release.set()
        outputs = wait_all(processes)
    finally:
        smtp.release.set()
        smtp.stop()
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, f"{stdout}\n{stderr[-3000:]}"
    return outputs


def parse_outcomes(stdout: str) -> dict[str, str]:
    """`convention-api jobs run` prints `job<TAB>outcome<TAB>slot<TAB>counts` per job."""
    return {fields[0]: fields[1] for fields in (line.split("\t") for line in stdout.splitlines())
            if len(fields) >= 2}


# ----------------------------------------------------------------- two job runners


def test_two_job_runners_started_at_once_run_each_due_job_once(
    database_url, key_file, tmp_path
):
    smtp = HoldingSmtp()
    env = service_env(database_url, key_file, smtp_port=smtp.port)
    run_cli("db", "seed", env=env, cwd=tmp_path)
    queue_mails(database_url, ["runner-race"])
    # The runner that takes outbox-dispatch's lock is held in DATA; the other one finds
    # that job locked and runs every other job. Once it is done, release the first.
    outputs = run_holding(
        smtp, lambda: [start_cli("jobs", "run", "--at", AT, env=env, cwd=tmp_path)
                       for _ in range(2)],
        release_when=lambda processes: any(p.poll() is not None for p in processes),
    )
    first, second = (parse_outcomes(stdout) for stdout, _ in outputs)
    assert first.keys() == second.keys() and "outbox-dispatch" in first
    for job in first:
        assert sorted([first[job], second[job]]) in (
            ["locked", "succeeded"], ["not-due", "succeeded"]
        ), (job, first[job], second[job])
    assert sorted([first["outbox-dispatch"], second["outbox-dispatch"]]) == [
        "locked", "succeeded"
    ]  # the runs really overlapped
    rows = query(database_url, "SELECT job, outcome, scheduled_for FROM job_runs")
    per_job = Counter(r["job"] for r in rows)
    assert per_job == Counter(first.keys()), per_job  # one row per job: one run per slot
    assert {r["outcome"] for r in rows} == {"succeeded"}
    assert smtp.message_ids() == [message_id_for("runner-race")]


# ------------------------------------------------------- two uvicorn workers at once


def _request_body(ticket: str, received_at: datetime) -> dict:
    return {
        "ticket_ref": ticket, "school_code": "ifms-rodez", "kind": "trainer",
        "given_name": "Camille", "family_name": "Martin", "email": "c.m@example.org",
        "received_at": received_at.isoformat(),
    }


def _peers(pid: int, port: int) -> set[int]:
    """The client ports of the established TCP connections process `pid` holds on its
    local port `port` (read from /proc)."""
    sockets = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:  # gone since it was listed (a worker being replaced)
        return set()
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            sockets.add(target[8:-1])
    peers = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01" and fields[9] in sockets:
                    peers.add(int(fields[2].rsplit(":", 1)[1], 16))
    return peers


def _workers(pid: int) -> list[int]:
    """uvicorn's worker processes (children of `pid`, not multiprocessing's helpers)."""
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        pids = [int(p) for p in children.read().split()]
    workers = []
    for child in pids:
        with open(f"/proc/{child}/cmdline", "rb") as cmdline:
            if b"resource_tracker" not in cmdline.read():
                workers.append(child)
    return workers


def fire_at_once(base_url: str, n: int, requests: list[tuple[str, str, dict]],
                 peers: Callable[[], dict[int, set[int]]],
                 ) -> tuple[list[list[httpx.Response]], dict[int, int]]:
    """Each request `n` times at once over `n` kept-alive connections, half of them on
    each of the two workers, one request after the other; the connections per worker at
    the end (`peers()`: the client ports each worker is connected to).

    The connections are opened one after the other, and one that lands on a worker that
    already has its half is closed again: opened all at once, the worker that wakes first
    accepts the whole backlog, and a worker still starting accepts nothing."""

    async def fire() -> tuple[list[list[httpx.Response]], dict[int, int]]:
        clients: list[httpx.AsyncClient] = []
        kept: Counter[int] = Counter()
        deadline = time.monotonic() + 60
        try:
            while len(clients) < n:
                assert time.monotonic() < deadline, f"connections not spread: {kept}"
                client = httpx.AsyncClient(
                    base_url=base_url, timeout=60,
                    limits=httpx.Limits(max_connections=1, keepalive_expiry=300),
                )
                response = await client.get("/healthz")
                assert response.status_code == 200
                stream = response.extensions["network_stream"]
                _, client_port = stream.get_extra_info("client_addr")
                [worker] = [w for w, ports in peers().items() if client_port in ports]
                if kept[worker] >= n // 2:
                    await client.aclose()  # that worker has its half already
                    await asyncio.sleep(0.02)
                else:
                    kept[worker] += 1
                    clients.append(client)
            answers = [
                list(await asyncio.gather(*(client.request(method, url, **kwargs)
                                            for client in clients)))
                for method, url, kwargs in requests
            ]
            return answers, {w: len(ports) for w, ports in peers().items()}
        finally:
            for client in clients:
                await client.aclose()

    return asyncio.run(fire())


def test_two_uvicorn_workers_store_each_repeated_write_once(
    database_url, key_file, tmp_path
):
    env = service_env(database_url, key_file, smtp_port=9, database_pool_size=5)
    headers = {"Authorization": f"Bearer {bearer_token(key_file, subject='ticketing')}"}
    plugin = {"Authorization": f"Bearer {bearer_token(key_file, subject='moodle-plugin')}"}
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)  # the service runs on the real clock
    batch = {"items": [
        {"snapshot_id": f"burst-{n:03d}", "school_code": "ifms-rodez",
         "measured_at": an_hour_ago.isoformat(), "bytes_used": 1_000_000 + n}
        for n in range(50)
    ]}
    n = 24
    with UvicornProcess(env, tmp_path / "uvicorn.log", workers=2,
                        options=("--keep-alive-seconds", "120")) as service:
        (keyed, unkeyed, snapshots), served = fire_at_once(
            service.base_url, n,
            [
                ("POST", "/api/v1/account-requests",
                 {"json": _request_body("KEYED-1", an_hour_ago),
                  "headers": {**headers, "Idempotency-Key": "same-key-1"}}),
                ("POST", "/api/v1/account-requests",
                 {"json": _request_body("TICKET-1", an_hour_ago), "headers": headers}),
                ("POST", "/api/v1/storage/snapshots", {"json": batch, "headers": plugin}),
            ],
            peers=lambda: {w: _peers(w, service.port) for w in _workers(service.process.pid)},
        )
        log = service.log_tail()

    assert sorted(served.values()) == [n // 2, n // 2], (served, log)  # both workers answered

    first = [r for r in keyed if r.status_code == 201 and "idempotent-replayed" not in r.headers]
    assert len(first) == 1, [(r.status_code, r.text[:200]) for r in keyed]
    for response in keyed:
        if response is first[0]:
            continue
        assert response.status_code in (201, 409), response.text
        if response.status_code == 201:  # a replay: the first answer again
            assert response.headers["idempotent-replayed"] == "true"
            assert response.json() == first[0].json()
        else:
            assert response.json()["code"] == "idempotency-key-in-progress"

    statuses = Counter(r.status_code for r in unkeyed)
    assert statuses == {201: 1, 200: n - 1}, [(r.status_code, r.text[:200]) for r in unkeyed]
    assert len({r.json()["id"] for r in unkeyed}) == 1

    assert all(r.status_code == 200 for r in snapshots), [r.text[:200] for r in snapshots]
    accepted = Counter()
    for response in snapshots:
        for item in response.json()["results"]:
            assert item["status"] in ("accepted", "duplicate"), item
            if item["status"] == "accepted":
                accepted[item["snapshot_id"]] += 1
    assert accepted == Counter({item["snapshot_id"]: 1 for item in batch["items"]})

    rows = query(database_url, "SELECT ticket_ref, count(*) AS n FROM account_requests "
                               "GROUP BY ticket_ref")
    assert {r["ticket_ref"]: r["n"] for r in rows} == {"KEYED-1": 1, "TICKET-1": 1}
    [keys] = query(database_url, "SELECT count(*) AS n FROM idempotency_keys "
                                 "WHERE idempotency_key = 'same-key-1' AND state = 'completed'")
    assert keys["n"] == 1
    [stored] = query(database_url, "SELECT count(*) AS n FROM storage_snapshots "
                                   "WHERE snapshot_id LIKE 'burst-%'")
    assert stored["n"] == 50


def _samples(text: str, name: str, **labels: str) -> list[float]:
    """The values of `name`'s samples whose labels include `labels`."""
    return [sample.value for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()]


def test_one_scrape_under_two_uvicorn_workers_counts_the_requests_of_both(
    database_url, key_file, tmp_path
):
    parent = tmp_path / "metrics"
    parent.mkdir()
    env = service_env(database_url, key_file, smtp_port=9)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(parent)  # serve makes its own directory in it
    headers = {"Authorization": f"Bearer {bearer_token(key_file, subject='ticketing')}"}
    n = 12
    with UvicornProcess(env, tmp_path / "uvicorn.log", workers=2,
                        options=("--keep-alive-seconds", "120")) as service:
        [answers], served = fire_at_once(
            service.base_url, n, [("GET", "/api/v1/schools", {"headers": headers})],
            peers=lambda: {w: _peers(w, service.port) for w in _workers(service.process.pid)},
        )
        scraped = httpx.get(f"{service.base_url}/metrics", timeout=30)
        during = [path.name for path in parent.iterdir()]
        log = service.log_tail()

    assert sorted(served.values()) == [n // 2, n // 2], (served, log)  # both workers answered
    assert [r.status_code for r in answers] == [200] * n
    assert scraped.status_code == 200, scraped.text
    route = {"method": "GET", "route": "/api/v1/schools"}
    assert sum(_samples(scraped.text, "http_requests_total", **route)) == n, scraped.text
    assert _samples(scraped.text, "http_request_duration_seconds_count", **route) == [n]
    # The database's gauges once, from the worker that answered, not once per worker.
    assert _samples(scraped.text, "convention_database_metrics_up") == [1]
    # A fresh directory for this start, gone once the server stopped.
    assert len(during) == 1 and during[0].startswith("convention-metrics-"), during
    assert list(parent.iterdir()) == []


# ------------------------------------------------------------ two outbox dispatchers

MESSAGES = 60


def test_two_jobs_run_outbox_dispatch_at_once_send_each_mail_once(
    database_url, key_file, tmp_path, smtp_server
):
    keys = [f"bulk-cli:{n}" for n in range(MESSAGES)]
    queue_mails(database_url, keys)
    env = service_env(database_url, key_file, smtp_port=smtp_server.port, outbox_batch_size=5)
    dispatchers = [start_cli("jobs", "run", "outbox-dispatch", "--at", AT, env=env, cwd=tmp_path)
                   for _ in range(2)]
    outputs = wait_all(dispatchers)
    for dispatcher, (stdout, stderr) in zip(dispatchers, outputs, strict=True):
        assert dispatcher.returncode == 0, f"{stdout}\n{stderr[-3000:]}"
    assert sorted(smtp_server.message_ids()) == sorted(message_id_for(k) for k in keys)
    rows = query(database_url, "SELECT status, count(*) AS n FROM outbox_messages "
                               "GROUP BY status")
    assert {r["status"]: r["n"] for r in rows} == {"sent": MESSAGES}


BARE_DISPATCHER = """
import asyncio, json, sys
from datetime import datetime, timedelta
from app.adapters.db.engine import create_engine, session_factory
from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.bootstrap import build_mailer
from app.services.jobs import FrozenClock
from app.services.mail import OutboxPolicy, dispatch_outbox
from app.settings import Settings

async def main():
    settings = Settings()
    engine = create_engine(settings.database_url)
    try:
        counts = await dispatch_outbox(
            SqlUnitOfWorkFactory(session_factory(engine)),
            FrozenClock(datetime.fromisoformat(sys.argv[1])), build_mailer(settings),
            OutboxPolicy(batch_size=4),
        )
    finally:
        await engine.dispose()
    print(json.dumps(counts))

asyncio.run(main())
"""


def test_two_dispatchers_without_the_job_lock_still_send_each_mail_once(
    database_url, key_file, tmp_path
):
    """The job lock is the first guard; leases taken with FOR UPDATE SKIP LOCKED are the
    second: two dispatcher processes really sending at the same time share the queue."""
    keys = [f"bulk-bare:{n}" for n in range(MESSAGES)]
    queue_mails(database_url, keys)
    smtp = HoldingSmtp()
    env = service_env(database_url, key_file, smtp_port=smtp.port)
    outputs = run_holding(
        smtp, lambda: [
            subprocess.Popen([sys.executable, "-c", BARE_DISPATCHER, AT], env=env, cwd=tmp_path,
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ],
        release_when=lambda _: smtp.waiting >= 2,  # both inside a DATA at the same time
    )
    assert smtp.most_waiting == 2  # both were sending at once
    counts = [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]
    assert all(c["sent"] > 0 for c in counts), counts
    assert sum(c["sent"] for c in counts) == MESSAGES and all(c["lost"] == 0 for c in counts)
    delivered = smtp.message_ids()
    assert sorted(delivered) == sorted(message_id_for(k) for k in keys)  # each exactly once
    rows = query(database_url, "SELECT status, attempts, count(*) AS n FROM outbox_messages "
                               "GROUP BY status, attempts")
    assert [(r["status"], r["attempts"], r["n"]) for r in rows] == [("sent", 1, MESSAGES)]
