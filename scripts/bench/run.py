"""`make bench`: the service against bare baselines on PostgreSQL, over loopback HTTP.

    .venv/bin/python scripts/bench/run.py [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

1. Creates a scratch database on the server of `--admin-url` (dropped at the end unless
   `--keep`; `--database NAME` reuses one kept from an earlier run and skips loading),
   migrates and seeds it with the CLI, loads the volumes with COPY (scripts/bench/load.py),
   runs the storage-fold job once (`convention-api jobs run storage-fold`), VACUUM ANALYZE.
2. Writes a real RSA signing key, registers real clients (CLI) and gets real tokens from
   `POST /api/v1/oauth/token`; serves the service (`ENVIRONMENT=production`) and the
   baseline app (scripts/bench/baseline_app.py) with uvicorn, 1 worker then 2.
3. Each load scenario: a 2 s warm-up of both, then 3 rounds of 5 s runs of wrk
   (baseline then service, interleaved so that a change of machine load hits both);
   medians and min–max, ratios to the baseline of the same run.
4. Billing census and draft, first and last pages of 100,000-row listings (1 worker),
   peak RSS (VmHWM) of each uvicorn worker after the load.
5. Writes docs/PERFORMANCE.md between its markers (the rest of the file is kept) and the
   raw figures to var/bench/results-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.bench import load as loader  # noqa: E402
from scripts.bench import report  # noqa: E402
from scripts.bench.baseline_app import REQUEST_COPY, SNAPSHOT_COPY  # noqa: E402

BIN = Path(sys.executable).parent
WRK_DIR = "scripts/bench/wrk"
WARMUP_S = 2
RUN_S = 5
ROUNDS = 3
BATCH = 1000
LIST_LIMIT = 50


def log(message: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split(" ")[0:3].__str__()


# ----------------------------------------------------------------------------- servers


class Server:
    """uvicorn serving a factory on 127.0.0.1 with `workers` processes."""

    def __init__(self, name: str, factory: str, env: dict[str, str], workers: int,
                 ready_path: str):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.ready_path = ready_path
        self.log_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(
            # `convention-api serve`: uvicorn, with TCP_NODELAY kept under several workers
            # (app/adapters/uvicorn_workers.py, tcp_listener); the baseline is served the
            # same way.
            [str(BIN / "convention-api"), "serve", "--app", factory, "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers), "--no-access-log",
             "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self.log_file, stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} stopped: {self.output()[-2000:]}")
            try:
                ready = httpx.get(self.base + self.ready_path, timeout=2).status_code == 200
            except httpx.TransportError:
                ready = False
            if ready and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not get ready: {self.output()[-2000:]}")

    def output(self) -> str:
        self.log_file.seek(0)
        return self.log_file.read().decode(errors="replace")

    def worker_pids(self) -> list[int]:
        """The processes serving requests: uvicorn itself with 1 worker, its children
        (the supervisor's workers) otherwise."""
        if self.workers == 1:
            return [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            pids = [int(p) for p in children.read_text().split()]
        except OSError:
            return []
        return [p for p in pids if _is_worker(p)]

    def peak_rss_mb(self) -> list[float]:
        return [_vm_hwm_kb(pid) / 1024 for pid in self.worker_pids()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log_file.close()


def _is_worker(pid: int) -> bool:
    """A worker spawned by uvicorn's supervisor (not multiprocessing's resource tracker)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


# -------------------------------------------------------------------------------- wrk


@dataclass
class Run:
    requests: int
    seconds: float
    bad: int
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return (self.requests - self.bad) / self.seconds


def wrk(url: str, script: str, args: list[str], connections: int, seconds: int) -> Run:
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency",
               "--timeout", "10s", "-s", f"{WRK_DIR}/{script}", url, "--", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                          timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {done.stdout[-1500:]} {done.stderr[-1500:]}")
    data = json.loads(line.removeprefix("BENCH "))
    errors = sum(data[k] for k in ("connect", "read", "write", "timeout"))
    return Run(requests=data["requests"], seconds=data["duration_us"] / 1e6,
               bad=max(data["bad"], data["status"]), errors=errors,
               p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000)


@dataclass
class Side:
    """One side of a scenario: where and how wrk drives it."""

    url: str
    script: str
    args: Callable[[str], list[str]]  # run tag → script arguments


@dataclass
class Pair:
    name: str
    connections: int
    baseline: Side
    service: Side
    rows_per_request: int = 1
    baseline_runs: list[Run] = field(default_factory=list)
    service_runs: list[Run] = field(default_factory=list)


def drive(pair: Pair, tag: str) -> None:
    log(f"{pair.name}: warm-up, then {ROUNDS} × {RUN_S} s each side "
        f"({pair.connections} connections; load {load_average()})")
    for side_name, side in (("baseline", pair.baseline), ("service", pair.service)):
        wrk(side.url, side.script, side.args(f"{tag}w{side_name[0]}"), pair.connections,
            WARMUP_S)
    for r in range(ROUNDS):
        pair.baseline_runs.append(wrk(pair.baseline.url, pair.baseline.script,
                                      pair.baseline.args(f"{tag}b{r}"), pair.connections,
                                      RUN_S))
        pair.service_runs.append(wrk(pair.service.url, pair.service.script,
                                     pair.service.args(f"{tag}s{r}"), pair.connections,
                                     RUN_S))
    b, s = pair.baseline_runs, pair.service_runs
    log(f"  baseline {statistics.median(x.rps for x in b) * pair.rows_per_request:,.0f}/s "
        f"p99 {statistics.median(x.p99_ms for x in b):.1f} ms | service "
        f"{statistics.median(x.rps for x in s) * pair.rows_per_request:,.0f}/s "
        f"p99 {statistics.median(x.p99_ms for x in s):.1f} ms | bad "
        f"{sum(x.bad + x.errors for x in b)}/{sum(x.bad + x.errors for x in s)}")


# --------------------------------------------------------------------------- database


async def create_database(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def drop_database(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def sql(dsn: str, statement: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(statement, *args)
    finally:
        await conn.close()


def cli(env: dict[str, str], *args: str, timeout: int = 900) -> str:
    done = subprocess.run([str(BIN / "convention-api"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"convention-api {' '.join(args)} failed: {done.stdout} {done.stderr}")
    return done.stdout


def prepare_database(dsn: str, env: dict[str, str], now: datetime) -> dict[str, Any]:
    info: dict[str, Any] = {}
    started = time.perf_counter()
    cli(env, "db", "upgrade")
    cli(env, "db", "seed")
    info["migrate_seed_s"] = time.perf_counter() - started
    log("loading volumes (COPY)")
    loaded = asyncio.run(loader.load(dsn, now, log=log))
    info["counts"] = loaded.counts
    info["load_s"] = loaded.seconds
    log("running storage-fold once (convention-api jobs run storage-fold)")
    started = time.perf_counter()
    out = cli(env, "jobs", "run", "storage-fold")
    info["fold_s"] = time.perf_counter() - started
    info["fold_output"] = out.strip()[-300:]
    started = time.perf_counter()
    asyncio.run(_vacuum(dsn))
    info["vacuum_s"] = time.perf_counter() - started
    rows = asyncio.run(sql(dsn, "SELECT (SELECT count(*) FROM storage_snapshots) AS raw, "
                                "(SELECT count(*) FROM storage_daily) AS daily"))
    info["after_fold"] = dict(rows[0])
    log(f"  fold {info['fold_s']:.1f} s → {info['after_fold']}")
    return info


async def _vacuum(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def _baseline_tables(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for copy, table in ((SNAPSHOT_COPY, "storage_snapshots"),
                            (REQUEST_COPY, "account_requests")):
            await conn.execute(f"DROP TABLE IF EXISTS {copy}")
            await conn.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
            if table == "storage_snapshots":  # its own id sequence
                await conn.execute(f"CREATE SEQUENCE IF NOT EXISTS {copy}_id_seq")
                await conn.execute(
                    f"ALTER TABLE {copy} ALTER COLUMN id SET DEFAULT nextval('{copy}_id_seq')")
    finally:
        await conn.close()


# ------------------------------------------------------------------------------ tokens


def write_signing_key(directory: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / "signing-key.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return path


CLIENTS = {
    "moodle-1": "storage:write access:read",
    "moodle-2": "storage:write access:read",
    "moodle-3": "storage:write access:read",
    "ticketing": "account-requests:read account-requests:write",
    "admin": "billing:read billing:write enrolments:read accounts:read support:read",
}


def register_clients(env: dict[str, str]) -> dict[str, tuple[str, str]]:
    out = {}
    for name, scopes in CLIENTS.items():
        text = cli(env, "clients", "create", name, "--scope", scopes)
        values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        out[name] = (values["client_id"], values["client_secret"])
    return out


def fetch_tokens(base: str, clients: dict[str, tuple[str, str]]) -> dict[str, list[str]]:
    """Real tokens from the token endpoint: two per Moodle client (rotated by wrk), one
    for the ticketing tool and one for the admin (≤ 10 a minute: the rate limit)."""
    out: dict[str, list[str]] = {}
    with httpx.Client(base_url=base) as client:
        for name, (client_id, secret) in clients.items():
            for _ in range(2 if name.startswith("moodle") else 1):
                response = client.post("/api/v1/oauth/token", data={
                    "grant_type": "client_credentials", "client_id": client_id,
                    "client_secret": secret})
                response.raise_for_status()
                out.setdefault(name, []).append(response.json()["access_token"])
    return out


# ------------------------------------------------------------------------- single calls


def timed(expect: int, call: Callable[..., httpx.Response], *args: Any,
          **kwargs: Any) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = call(*args, **kwargs)
    elapsed = time.perf_counter() - started
    if response.status_code != expect:
        raise SystemExit(f"unexpected {response.status_code}: {response.text[:500]}")
    return elapsed, response


def billing(base: str, token: str) -> dict[str, list[float]]:
    """Census and draft of 2025-2026 (the draft computes the census again), a warm-up
    then 3 measured rounds; each draft is discarded so that the next one is allowed."""
    headers = {"Authorization": f"Bearer {token}"}
    out: dict[str, list[float]] = {"census": [], "draft": []}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for r in range(ROUNDS + 1):
            census_s, census = timed(
                200, client.get, "/api/v1/enrolment-campaigns/2025-2026/census")
            draft_s, draft = timed(201, client.post, "/api/v1/billing/statements",
                                   json={"academic_year": "2025-2026"})
            timed(204, client.post, f"/api/v1/billing/statements/{draft.json()['id']}/discard")
            if r > 0:
                out["census"].append(census_s)
                out["draft"].append(draft_s)
        out["students"] = [census.json()["total"]]
    return out


LISTS = {
    "accounts": ("/api/v1/accounts", {},
                 "SELECT uid AS key FROM accounts ORDER BY uid"),
    "enrolments 2025-2026": ("/api/v1/enrolments", {"academic_year": "2025-2026"},
                             "SELECT id AS key FROM enrolments WHERE academic_year = 2025 "
                             "ORDER BY id"),
    "support requests": ("/api/v1/support-requests", {},
                         "SELECT id AS key FROM support_requests ORDER BY id"),
}


def lists(base: str, token: str, dsn: str) -> dict[str, dict[str, Any]]:
    """First page and last page (cursor built from the key before the last `limit`
    rows), a warm-up then 3 rounds each."""
    from app.api.deps import encode_cursor

    headers = {"Authorization": f"Bearer {token}"}
    out: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for name, (path, params, query) in LISTS.items():
            keys = [r["key"] for r in asyncio.run(sql(dsn, query))]
            cursor = encode_cursor(keys[len(keys) - LIST_LIMIT - 1])
            first: list[float] = []
            last: list[float] = []
            for r in range(ROUNDS + 1):
                f_s, f = timed(200, client.get, path, params={**params, "limit": LIST_LIMIT})
                l_s, page = timed(200, client.get, path,
                                  params={**params, "limit": LIST_LIMIT, "cursor": cursor})
                body = page.json()
                if len(body["items"]) != LIST_LIMIT or body["next_cursor"] is not None \
                        or len(f.json()["items"]) != LIST_LIMIT:
                    raise SystemExit(f"{name}: the last page is not the last {LIST_LIMIT}")
                if r > 0:
                    first.append(f_s)
                    last.append(l_s)
            out[name] = {"rows": len(keys), "first": first, "last": last}
    return out


# -------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=os.environ.get(
        "BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--database", help="reuse this loaded database (kept by --keep)")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--scenarios", default="access,snapshots,account-requests,billing,lists")
    parser.add_argument("--label", default="", help="a name for this run in the JSON file")
    parser.add_argument("--no-report", action="store_true", help="JSON only")
    options = parser.parse_args()
    scenarios = set(options.scenarios.split(","))
    started = time.perf_counter()
    now = datetime.now(UTC)
    results: dict[str, Any] = {
        "started_at": now.isoformat(timespec="seconds"), "label": options.label,
        "load_before": load_average(), "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no", "app")),
        "machine": _machine(), "workers": {},
    }
    name = options.database or f"bench_{os.getpid()}"
    dsn = options.admin_url.rsplit("/", 1)[0] + f"/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    tmp = Path(tempfile.mkdtemp(prefix="convention-bench-"))
    env = {
        **os.environ, "DATABASE_URL": url, "ENVIRONMENT": "production",
        "AUTO_MIGRATE": "false", "SEED_ON_START": "false", "RUN_SCHEDULER": "false",
        "LOG_LEVEL": "INFO", "JWT_PRIVATE_KEY_FILE": str(write_signing_key(tmp)),
        "JWT_LIFETIME_SECONDS": "7200", "SMTP_PORT": "1", "BENCH_DSN": dsn,
        # Production refuses to start without the links of the creation mail.
        "ACTIVATION_URL": "https://moodle.example.invalid/activation",
        "MOODLE_URL": "https://moodle.example.invalid/",
        "PYTHONPATH": str(ROOT),
    }
    created = False
    try:
        if options.database is None:
            log(f"creating database {name} (load {load_average()})")
            asyncio.run(create_database(options.admin_url, name))
            created = True
            results["data"] = prepare_database(dsn, env, now)
        else:
            results["data"] = {"reused": name}
        asyncio.run(_baseline_tables(dsn))
        clients = register_clients(env)
        schools_file = tmp / "schools.txt"
        schools = [r["code"] for r in asyncio.run(sql(dsn, "SELECT code FROM schools "
                                                           "ORDER BY code"))]
        schools_file.write_text("\n".join(schools) + "\n")
        uids = [r["uid"] for r in asyncio.run(sql(
            dsn, "SELECT uid FROM accounts ORDER BY md5(uid) LIMIT 20000"))]
        uids_file = tmp / "uids.txt"
        uids_file.write_text("\n".join(uids) + "\n")
        tokens: dict[str, list[str]] | None = None
        base_epoch = int((now - timedelta(days=20)).timestamp())
        run_id = format(int(now.timestamp()), "x")  # tickets and snapshot ids: new each run
        for workers in [int(w) for w in options.workers.split(",")]:
            log(f"--- uvicorn with {workers} worker(s)")
            service = Server("service", "app.main:create_app", env, workers, "/readyz")
            baseline = Server("baseline", "scripts.bench.baseline_app:create_app", env,
                              workers, "/openapi.json")
            figures: dict[str, Any] = {}
            try:
                service.wait_ready()
                baseline.wait_ready()
                if tokens is None:
                    tokens = fetch_tokens(service.base, clients)
                    figures["token_endpoint"] = "real tokens from POST /api/v1/oauth/token"
                moodle = [t for n, ts in tokens.items() if n.startswith("moodle") for t in ts]
                tokens_file = tmp / "moodle-tokens.txt"
                tokens_file.write_text("\n".join(moodle) + "\n")
                pairs = _pairs(service, baseline, uids_file, tokens_file, schools_file,
                               base_epoch, tokens, scenarios)
                for pair in pairs:
                    drive(pair, f"{run_id}w{workers}{pair.name[:3]}")
                    figures[pair.name] = {
                        "connections": pair.connections,
                        "rows_per_request": pair.rows_per_request,
                        "baseline": [r.__dict__ for r in pair.baseline_runs],
                        "service": [r.__dict__ for r in pair.service_runs],
                    }
                if workers == 1 and "billing" in scenarios:
                    log("billing census and draft")
                    figures["billing"] = billing(service.base, tokens["admin"][0])
                    log(f"  {figures['billing']}")
                if workers == 1 and "lists" in scenarios:
                    log("list endpoints: first and last pages")
                    figures["lists"] = lists(service.base, tokens["admin"][0], dsn)
                figures["peak_rss_mb"] = service.peak_rss_mb()
                figures["baseline_peak_rss_mb"] = baseline.peak_rss_mb()
                log(f"  peak RSS per worker {figures['peak_rss_mb']} MB")
            finally:
                service.stop()
                baseline.stop()
            results["workers"][str(workers)] = figures
    finally:
        if created and not options.keep:
            asyncio.run(drop_database(options.admin_url, name))
            log(f"dropped {name}")
        elif created:
            log(f"kept database {name} (reuse with --database {name})")
    results["load_after"] = load_average()
    results["total_s"] = time.perf_counter() - started
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path = out_dir / f"results-{stamp}{'-' + options.label if options.label else ''}.json"
    json_path.write_text(json.dumps(results, indent=1, default=str))
    log(f"raw figures: {json_path.relative_to(ROOT)}")
    if not options.no_report:
        report.write(results, ROOT / "docs" / "PERFORMANCE.md")
        log("wrote docs/PERFORMANCE.md")
    for line in report.summary_lines(results):
        log(line)
    log(f"total {results['total_s'] / 60:.1f} min")


def _pairs(service: Server, baseline: Server, uids_file: Path, tokens_file: Path,
           schools_file: Path, base_epoch: int, tokens: dict[str, list[str]],
           scenarios: set[str]) -> list[Pair]:
    pairs: list[Pair] = []
    if "access" in scenarios:
        for connections in (64, 8):
            pairs.append(Pair(
                f"access c{connections}", connections,
                Side(baseline.base, "lookup.lua",
                     lambda tag: ["/a/accounts/", "", str(uids_file)]),
                Side(service.base, "lookup.lua",
                     lambda tag: ["/api/v1/accounts/", "/access", str(uids_file),
                                  str(tokens_file)]),
            ))
    if "snapshots" in scenarios:
        pairs.append(Pair(
            "snapshots", 4,
            Side(baseline.base, "snapshots.lua",
                 lambda tag: ["/b/snapshots", tag, str(schools_file), str(base_epoch),
                              str(BATCH), '"inserted":1000']),
            Side(service.base, "snapshots.lua",
                 lambda tag: ["/api/v1/storage/snapshots", tag, str(schools_file),
                              str(base_epoch), str(BATCH), '"accepted":1000',
                              tokens["moodle-1"][0]]),
            rows_per_request=BATCH,
        ))
    if "account-requests" in scenarios:
        pairs.append(Pair(
            "account-requests", 16,
            Side(baseline.base, "account_requests.lua",
                 lambda tag: ["/c/account-requests", tag, str(schools_file), "0"]),
            Side(service.base, "account_requests.lua",
                 lambda tag: ["/api/v1/account-requests", tag, str(schools_file), "1",
                              tokens["ticketing"][0]]),
        ))
    return pairs


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip()


def _machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": sys.version.split()[0],
            "wrk": subprocess.run(["wrk", "--version"], capture_output=True,
                                  text=True).stdout.split("\n")[0][:60]}


if __name__ == "__main__":
    main()
