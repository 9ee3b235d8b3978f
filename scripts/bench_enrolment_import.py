"""Measure `convention-api enrolments import` on a generated CSV (not a test).

    .venv/bin/python scripts/bench_enrolment_import.py --rows 50000 \
        --database-url sqlite+aiosqlite:///./var/bench.db
    createdb -h 127.0.0.1 -U postgres bench && .venv/bin/python \
        scripts/bench_enrolment_import.py --database-url \
        postgresql+asyncpg://postgres@127.0.0.1:5432/bench

The database must be empty or already migrated; it is migrated and seeded, then the file
(Windows-1252, `;`, the French headers of the export) is imported twice: the first run
creates every enrolment and account, the second answers duplicates. Prints the wall time
of each run (the whole command: process start, parsing, batches of 1,000)."""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

SCHOOLS = ["ifsi-millau", "ifms-lot", "ifms-montauban", "ifms-pamiers", "ifms-albi",
           "ifms-castres-mazamet", "ifms-rodez", "ifms-tarbes", "ifms-auch",
           "croix-rouge-toulouse", "aehp-toulouse", "prefms-ifsi"]
HEADER = ("Numéro étudiant;Code établissement;Année universitaire;Date inscription;Prénom;"
          "Nom;Courriel;Dernière année;Transfert")


def generate(path: Path, rows: int, seed: int = 2024) -> None:
    rng = random.Random(seed)
    lines = [HEADER]
    for n in range(rows):
        year = 2024 + n % 3
        transfer = rng.random() < 0.03
        if transfer:
            day = date(year + 1, 1, 1) + timedelta(days=rng.randrange(59))
        else:
            day = date(year, 7, 1) + timedelta(days=rng.randrange(123))
        lines.append(";".join([
            f"{21_000_000 + n // 3}", rng.choice(SCHOOLS), f"{year}/{year + 1}",
            day.strftime("%d/%m/%Y"), "Élodie", "Lefèvre", f"etu{n // 3}@example.org",
            "oui" if rng.random() < 0.3 else "non", "oui" if transfer else "non",
        ]))
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")


def run(args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    return time.perf_counter() - started, done.returncode, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--database-url", required=True)
    options = parser.parse_args()
    cli = str(Path(sys.executable).with_name("convention-api"))
    env = {**os.environ, "DATABASE_URL": options.database_url}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inscriptions.csv"
        generate(path, options.rows)
        for step in (["db", "upgrade"], ["db", "seed"]):
            subprocess.run([cli, *step], env=env, check=True, capture_output=True)
        for label in ("first import", "same file again"):
            seconds, code, output = run([cli, "enrolments", "import", str(path)], env)
            summary = [line for line in output.splitlines() if "│" in line]
            print(f"{label}: {options.rows} rows in {seconds:.1f} s (exit {code})")
            print("\n".join(summary))


if __name__ == "__main__":
    main()
