"""`convention-api enrolments import` on the real database, and the repository's census
aggregate against the domain's rule (R-ACC-6, R-BIL-1)."""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.adapters.csv_import import read_enrolments
from app.adapters.db.engine import create_engine, session_factory
from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.cli import CLI_ACTOR, cli
from app.domain.enrolments import CensusRule, Enrolment, EnrolmentRequest
from app.domain.preconditions import Precondition
from app.services import enrolments as service
from tests.fakes import FakeClock

runner = CliRunner()

FRENCH_HEADER = ("Numéro étudiant;Code établissement;Année universitaire;Date inscription;"
                 "Prénom;Nom;Courriel;Dernière année;Transfert;Commentaire")


@pytest.fixture
def cli_env(databases, key_file, monkeypatch, tmp_path):
    url = databases.empty_url()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(key_file))
    monkeypatch.chdir(tmp_path)
    for step in (["db", "upgrade"], ["db", "seed"]):
        assert runner.invoke(cli, step).exit_code == 0
    return url


def run_import(path: Path, *extra: str):
    return runner.invoke(cli, ["enrolments", "import", str(path), *extra])


def stored(url: str) -> list[Enrolment]:
    async def work() -> list[Enrolment]:
        engine = create_engine(url)
        try:
            async with SqlUnitOfWorkFactory(session_factory(engine))() as uow:
                return await uow.enrolments.list(academic_year=None, school_codes=None,
                                                 status=None, after_id=None, limit=100_000)
        finally:
            await engine.dispose()

    return asyncio.run(work())


def summary(output: str) -> dict[str, int]:
    counts = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[0] in ("created", "duplicate", "rejected") and \
                cells[1].isdigit():
            counts[cells[0]] = int(cells[1])
    return counts


def test_a_windows_1252_export_with_french_headers_is_imported_then_answers_duplicates(
    cli_env, tmp_path
):
    path = tmp_path / "inscriptions.csv"
    path.write_bytes("\r\n".join([
        FRENCH_HEADER,
        "20240001;ifms-rodez;2024/2025;15/09/2024;Élodie;Lefèvre;e.l@example.org;non;non;",
        "20240002;ifms-albi;2024-2025;2024-07-01;Zoé;Çelik;z.c@example.org;oui;;à voir",
        "20240003;ifms-albi;2024-2025;28/02/2025;Noël;Brûlé;n.b@example.org;;oui;",
    ]).encode("cp1252"))
    first = run_import(path)
    assert first.exit_code == 0, first.output
    assert summary(first.output) == {"created": 3, "duplicate": 0, "rejected": 0}
    rows = sorted(stored(cli_env), key=lambda e: e.student_number)
    assert [(e.student_number, e.school_code, e.enrolled_on, e.final_year, e.transfer)
            for e in rows] == [
        ("20240001", "ifms-rodez", date(2024, 9, 15), False, False),
        ("20240002", "ifms-albi", date(2024, 7, 1), True, False),
        ("20240003", "ifms-albi", date(2025, 2, 28), False, True),
    ]
    again = run_import(path)
    assert again.exit_code == 0
    assert summary(again.output) == {"created": 0, "duplicate": 3, "rejected": 0}


def test_a_utf8_file_with_bom_and_commas_is_read_like_the_api(cli_env, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + (
            "student_number,school_code,academic_year,enrolled_on,given_name,family_name,"
            "email,final_year,transfer\n"
            '20250001,ifms-tarbes,2025-2026,2025-10-31,"Anaïs, Marie",Roux,a.r@example.org,'
            "false,false\n"
        ).encode()
    )
    parsed = read_enrolments(path)
    assert (parsed.encoding, parsed.delimiter) == ("utf-8-sig", ",")
    assert isinstance(parsed.items[0], EnrolmentRequest)
    assert parsed.items[0].given_name == "Anaïs, Marie"
    result = run_import(path)
    assert result.exit_code == 0, result.output
    assert [e.student_number for e in stored(cli_env)] == ["20250001"]


def test_a_rejected_row_is_reported_by_line_without_its_content_and_exits_1(
    cli_env, tmp_path
):
    path = tmp_path / "inscriptions.csv"
    path.write_text("\n".join([
        FRENCH_HEADER,
        "20240011;ifms-rodez;2024-2025;2024-09-15;Léa;Secret-Name;l.s@example.org;;;",
        "20240012;ifms-rodez;2024-2025;2024-11-01;Léa;Secret-Name;l.s@example.org;;;",
        "20240013;nowhere;2024-2025;2024-09-15;Léa;Secret-Name;l.s@example.org;;;",
        "20240014;ifms-rodez",
        "20240015;ifms-rodez;2024-2025;2024-09-15;Léa;Secret-Name;pas-un-courriel;;;",
    ]), encoding="utf-8")
    result = run_import(path)
    assert result.exit_code == 1
    assert summary(result.output) == {"created": 1, "duplicate": 0, "rejected": 4}
    for line, code in ((3, "enrolment-window-closed"), (4, "unknown-school"),
                       (5, "csv-row-invalid"), (6, "validation-error")):
        assert any(row.split("│")[1].strip() == str(line) and code in row
                   for row in result.output.splitlines() if row.count("│") >= 4), code
    assert "Secret-Name" not in result.output and "pas-un-courriel" not in result.output
    assert len(stored(cli_env)) == 1


def test_a_dry_run_checks_everything_and_stores_nothing(cli_env, tmp_path):
    path = tmp_path / "inscriptions.csv"
    path.write_text("\n".join([
        FRENCH_HEADER,
        "20240021;ifms-rodez;2024-2025;2024-09-15;Léa;Roux;l.r@example.org;;;",
        "20240022;ifms-rodez;2024-2025;2024-12-15;Léa;Roux;l.r@example.org;;;",
    ]), encoding="utf-8")
    dry = run_import(path, "--dry-run")
    assert dry.exit_code == 1
    assert summary(dry.output) == {"created": 1, "duplicate": 0, "rejected": 1}
    assert "dry run" in dry.output
    assert stored(cli_env) == []


def test_a_file_without_a_required_column_is_refused_before_anything_is_stored(
    cli_env, tmp_path
):
    path = tmp_path / "inscriptions.csv"
    path.write_text("Numéro étudiant;Nom\n20240031;Roux\n", encoding="utf-8")
    result = run_import(path)
    assert result.exit_code == 2
    assert "missing column(s): school_code, academic_year" in result.output
    assert stored(cli_env) == []


def test_a_file_longer_than_a_batch_keeps_its_line_numbers_and_its_students(
    cli_env, tmp_path
):
    lines = [FRENCH_HEADER]
    for n in range(1_205):
        year = 2024 + n % 2
        lines.append(f"{30_000_000 + n // 2};ifms-auch;{year}-{year + 1};"
                     f"02/09/{year};Léa;Roux;l{n // 2}@example.org;non;non;")
    lines[1_150] = lines[1_150].replace("02/09/", "02/12/")  # line 1,151 of the file
    path = tmp_path / "inscriptions.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = run_import(path)
    assert result.exit_code == 1
    assert summary(result.output) == {"created": 1_204, "duplicate": 0, "rejected": 1}
    assert any(row.split("│")[1].strip() == "1151" for row in result.output.splitlines()
               if row.count("│") >= 4)
    rows = stored(cli_env)
    by_number: dict[str, set[str]] = {}
    for e in rows:
        by_number.setdefault(e.student_number, set()).add(e.uid)
    assert all(len(uids) == 1 for uids in by_number.values())  # one account per student
    assert len({next(iter(u)) for u in by_number.values()}) == len(by_number)


# --- the census aggregate is the domain's rule ------------------------------------------


async def test_the_census_aggregate_counts_exactly_what_the_rule_counts(databases):
    url = await databases.fresh()
    engine = create_engine(url)
    try:
        factory = SqlUnitOfWorkFactory(session_factory(engine))
        from app.services.seed import seed_reference_data

        # After every enrolment and cancellation date below (R-ACC-6a refuses later ones).
        clock = FakeClock("2026-12-01T09:00:00+00:00")
        await seed_reference_data(factory(), clock, CLI_ACTOR)
        rng = random.Random(7)
        items = []
        for n in range(400):
            year = rng.choice([2024, 2025])
            transfer = rng.random() < 0.2
            first = date(year + 1, 1, 1) if transfer else date(year, 7, 1)
            span = 59 if transfer else 123
            items.append(EnrolmentRequest(
                student_number=f"C{n}", school_code=rng.choice(["ifms-albi", "ifms-rodez",
                                                                "ifms-lot"]),
                academic_year=year, enrolled_on=first + timedelta(days=rng.randrange(span)),
                given_name="A", family_name="B", email="a.b@example.org", transfer=transfer,
            ))
        outcome = await service.enrol_batch(factory(), clock, CLI_ACTOR, items)
        assert outcome.created == 400
        for result in outcome.results:
            if rng.random() < 0.3:
                request = items[result.index]
                cancelled_on = request.enrolled_on + timedelta(days=rng.randrange(200))
                await service.cancel_enrolment(factory(), clock, CLI_ACTOR,
                                               result.enrolment_id,  # type: ignore[arg-type]
                                               cancelled_on=cancelled_on)
        await service.change_windows(
            factory(), clock, CLI_ACTOR, 2025, expected=Precondition.version(0),
            main_opens_on=date(2025, 7, 1), main_closes_on=date(2025, 9, 30),
            s2_opens_on=date(2026, 1, 1), s2_closes_on=date(2026, 2, 28), census_on=None,
        )
        async with factory() as uow:
            everything = await uow.enrolments.list(academic_year=None, school_codes=None,
                                                   status=None, after_id=None, limit=10_000)
        for year, census_on in ((2024, date(2024, 10, 31)), (2025, date(2025, 9, 30))):
            counted = await service.census(factory(), year)
            rule = CensusRule(year, census_on)
            expected: dict[str, int] = {}
            for e in everything:
                if rule.counts(e):
                    expected[e.school_code] = expected.get(e.school_code, 0) + 1
            assert counted == expected
            assert sum(expected.values()) > 0
    finally:
        await engine.dispose()
        await databases.drop(url)



def test_hostile_fields_reject_their_own_lines_and_the_other_students_are_enrolled(
    cli_env, tmp_path
):
    good = "2024002{n};ifms-rodez;2024-2025;2024-09-15;Léa;Nom{n};l{n}@example.org;;;"
    path = tmp_path / "inscriptions.csv"
    path.write_text("\n".join([
        FRENCH_HEADER,
        good.format(n=1),
        good.format(n=2).replace("Léa", "L" * 200_000),  # beyond the csv field limit
        good.format(n=3).replace("Léa", "L\x00a"),  # NUL
        good.format(n=4).replace("Léa", "=HYPERLINK(1)" * 1000),  # too long for a name
        good.format(n=5),
    ]), encoding="utf-8")
    result = run_import(path)
    assert result.exit_code == 1
    assert summary(result.output) == {"created": 2, "duplicate": 0, "rejected": 3}
    for line in (3, 4, 5):
        assert any(row.split("│")[1].strip() == str(line)
                   for row in result.output.splitlines() if row.count("│") >= 4), line
    assert "LLLL" not in result.output
    assert sorted(e.student_number for e in stored(cli_env)) == ["20240021", "20240025"]
