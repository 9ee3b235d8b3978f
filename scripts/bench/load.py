"""Realistic volumes loaded once, straight into a migrated and seeded database, with
asyncpg COPY (the service's own code is not used to load: it is what is measured).

* 100,000 accounts, each with one hosted role (a trainer, or one of the 3 referents of
  each school), and two enrolments (academic years 2024-2025 and 2025-2026) = 200,000
  enrolments: the access check of any account reads both sources of roles;
* 1,000 locks (a third of them still open), 2 lifted suspensions, one amendment and one
  cured termination notice (the convention clock has something to fold);
* 20 schools × 2 years of 5-minute storage snapshots up to now = 4.2 M rows (the
  folding job is run afterwards by the harness);
* 50,000 support requests over the 2 years, most of them answered and closed.

Deterministic (seeded random), so two runs load the same data."""

from __future__ import annotations

import hashlib
import random
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import asyncpg

from app.domain.accounts import hosted_valid_until
from app.domain.ids import new_id

ACCOUNTS = 100_000
YEARS = (2024, 2025)
LOCKS = 1_000
SUPPORT_REQUESTS = 50_000
SNAPSHOT_STEP = timedelta(minutes=5)
SNAPSHOT_DAYS = 730
GB = 1_000_000_000


@dataclass
class Loaded:
    """What was loaded, and how long each part took (seconds)."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    uids: list[str] = field(default_factory=list)
    schools: list[str] = field(default_factory=list)


def _uids(rng: random.Random, n: int) -> list[str]:
    seen: set[str] = set()
    letters, digits = string.ascii_lowercase, string.digits
    while len(seen) < n:
        seen.add(
            "".join(rng.choice(letters) for _ in range(3))
            + "".join(rng.choice(digits) for _ in range(4))
            + rng.choice(letters)
        )
    out = sorted(seen)
    rng.shuffle(out)
    return out


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _at(day: date, seconds: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


async def _copy(conn: asyncpg.Connection, table: str, columns: list[str],
                records: Iterator[tuple] | list[tuple]) -> int:
    rows = records if isinstance(records, list) else list(records)
    await conn.copy_records_to_table(table, records=rows, columns=columns)
    return len(rows)


async def load(dsn: str, now: datetime, log=print) -> Loaded:
    rng = random.Random(20261129)
    out = Loaded()
    conn = await asyncpg.connect(dsn)
    try:
        out.schools = [r["code"]
                       for r in await conn.fetch("SELECT code FROM schools ORDER BY code")]
        if len(out.schools) != 20:
            raise SystemExit(f"expected the 20 seeded schools, found {len(out.schools)}")
        async with conn.transaction():
            await _people(conn, rng, now, out, log)
            await _lifecycle(conn, now, out)
            await _support(conn, rng, now, out, log)
        await _snapshots(conn, now, out, log)
    finally:
        await conn.close()
    return out


async def _people(conn, rng, now, out: Loaded, log) -> None:
    started = time.perf_counter()
    uids = _uids(rng, ACCOUNTS)
    out.uids = uids
    schools = out.schools
    accounts, roles, enrolments = [], [], []
    referents: dict[str, int] = {}
    for n, uid in enumerate(uids):
        school = schools[n % len(schools)]
        created = datetime(2024, 7, 1, tzinfo=UTC) + timedelta(minutes=n)
        number = f"S{n:08d}"
        accounts.append((uid, f"Prénom{n}", f"Nom{n}", f"{uid}@etu.example.fr", number,
                         created, None, 1))
        kind = "trainer"
        if referents.get(school, 0) < 3:
            referents[school] = referents.get(school, 0) + 1
            kind = "referent"
        valid_from = date(2024, 9, 1) + timedelta(days=rng.randrange(0, 800))
        valid_from = min(valid_from, now.date())
        roles.append((new_id(created), uid, kind, school, valid_from,
                      hosted_valid_until(valid_from), None, created, created))
        for year in YEARS:
            enrolled_on = date(year, 9, 1) + timedelta(days=rng.randrange(0, 40))
            cancelled = rng.random() < 0.01
            final_year = year == YEARS[-1] and rng.random() < 0.3
            at = _at(enrolled_on, 3600 * 9)
            enrolments.append((
                new_id(at), uid, number, school, year, enrolled_on, final_year,
                rng.random() < 0.005, "cancelled" if cancelled else "active",
                enrolled_on + timedelta(days=60) if cancelled else None,
                _sha(f"{number}:{year}"), at,
            ))
    enrolments.sort(key=lambda r: r[0])  # created in id (time) order
    out.counts["accounts"] = await _copy(
        conn, "accounts",
        ["uid", "given_name", "family_name", "email", "student_number", "created_at",
         "erased_at", "version"], accounts)
    out.counts["roles"] = await _copy(
        conn, "roles",
        ["id", "uid", "kind", "school_code", "valid_from", "valid_until", "request_id",
         "created_at", "updated_at"], roles)
    out.counts["enrolments"] = await _copy(
        conn, "enrolments",
        ["id", "uid", "student_number", "school_code", "academic_year", "enrolled_on",
         "final_year", "transfer", "status", "cancelled_on", "content_sha256", "created_at"],
        enrolments)
    locks = []
    for n, uid in enumerate(rng.sample(uids, LOCKS)):
        locked_at = now - timedelta(days=rng.randrange(1, 600))
        unlocked_at = None if n % 3 == 0 else locked_at + timedelta(days=rng.randrange(1, 30))
        locks.append((new_id(locked_at), uid, "verrouillage de test", locked_at, unlocked_at))
    out.counts["account_locks"] = await _copy(
        conn, "account_locks", ["id", "uid", "reason", "locked_at", "unlocked_at"], locks)
    elapsed = out.seconds["accounts, roles, enrolments, locks"] = time.perf_counter() - started
    log(f"  accounts/roles/enrolments/locks in {elapsed:.1f} s")


async def _lifecycle(conn, now, out: Loaded) -> None:
    """Something for the convention clock and the suspension covers to read."""
    school = out.schools[0]
    created = datetime(2025, 3, 1, tzinfo=UTC)
    await conn.execute(
        "INSERT INTO amendments (reference, signed_on, effective_on, ends_on, "
        "storage_capacity_bytes, school_alert_threshold_bytes, rate_per_student_cents, "
        "schools_added, created_at) VALUES ('AV-BENCH-1', $1, $2, NULL, NULL, NULL, 2300, "
        "NULL, $3)", date(2025, 2, 15), date(2026, 9, 1), created)
    await conn.execute(
        "INSERT INTO termination_notices (id, notifying_party, defaulting_party, grounds, "
        "letter_ref, received_on, cured_on, created_at) VALUES ($1, 'region', 'ut', "
        "'retard de paiement (banc d''essai)', 'LR-BENCH-1', $2, $3, $4)",
        new_id(created), date(2025, 4, 1), date(2025, 4, 20), created)
    for n in range(2):
        starts = datetime(2025, 5, 1 + n, 8, tzinfo=UTC)
        await conn.execute(
            "INSERT INTO suspensions (id, school_code, ground, scope, kinds, account_uids, "
            "starts_at, notified_at, notice_ref, details, status, restoration_requested_at, "
            "corrective_actions, lifted_at, lifting_ref, created_at) VALUES ($1, $2, "
            "$6, $3, NULL, NULL, $4, $4, NULL, 'banc d''essai', 'lifted', $5, "
            "'corrigé', $5, 'LEV-BENCH', $4)",
            new_id(starts), school, "platform" if n == 0 else "messaging", starts,
            starts + timedelta(days=2), "security_threat" if n == 0 else "mass_mailing")
    out.counts["amendments"] = 1
    out.counts["termination_notices"] = 1
    out.counts["suspensions"] = 2


async def _support(conn, rng, now, out: Loaded, log) -> None:
    started = time.perf_counter()
    first = now - timedelta(days=SNAPSHOT_DAYS)
    span = (now - first).total_seconds() - 7 * 86400
    rows = []
    instants = sorted(first + timedelta(seconds=rng.random() * span)
                      for _ in range(SUPPORT_REQUESTS))
    for n, received in enumerate(instants):
        school = out.schools[n % len(out.schools)]
        due = received + timedelta(hours=48)
        answered = rng.random() < 0.97 or n > SUPPORT_REQUESTS - 50
        responded = received + timedelta(hours=rng.randrange(1, 60)) if answered else None
        closed = responded + timedelta(days=1) if responded and n < SUPPORT_REQUESTS - 200 \
            else None
        status = "closed" if closed else ("answered" if responded else "open")
        rows.append((
            new_id(received), f"<bench-{n}@ifsi.example.fr>", _sha(str(n)), received,
            f"referent{n % 997}@ifsi.example.fr", f"Demande d'assistance {n}", school, due,
            status, responded, closed,
            int((responded - received).total_seconds()) if responded else None,
            received, None, responded or received, "manual" if closed else None,
        ))
    out.counts["support_requests"] = await _copy(
        conn, "support_requests",
        ["id", "message_id", "content_sha256", "received_at", "from_email", "subject",
         "school_code", "response_due_at", "status", "responded_at", "closed_at",
         "business_seconds_to_response", "created_at", "erased_at", "last_message_at",
         "closure"], rows)
    out.seconds["support requests"] = time.perf_counter() - started
    log(f"  support requests in {out.seconds['support requests']:.1f} s")


async def _snapshots(conn, now, out: Loaded, log) -> None:
    """20 schools × 730 days × 288 = 4,204,800 rows, one COPY per school."""
    started = time.perf_counter()
    end = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % 5)
    steps = SNAPSHOT_DAYS * 288
    first = end - SNAPSHOT_STEP * (steps - 1)
    total = 0
    for s, school in enumerate(out.schools):
        base = (8 + s % 7) * GB

        def rows(school=school, base=base) -> Iterator[tuple]:
            at = first
            for k in range(steps):
                used = base + (k * 37_000) % (3 * GB)
                yield (f"{school}-{k}", school, at, used, 20_000 + k // 100, GB, at)
                at += SNAPSHOT_STEP

        total += await _copy(
            conn, "storage_snapshots",
            ["snapshot_id", "school_code", "measured_at", "bytes_used", "files_count",
             "bytes_backup", "received_at"], rows())
    out.counts["storage_snapshots"] = total
    out.seconds["storage snapshots (COPY)"] = time.perf_counter() - started
    log(f"  {total:,} storage snapshots in {out.seconds['storage snapshots (COPY)']:.1f} s")
