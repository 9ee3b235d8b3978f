"""Billing through the HTTP API: the yearly statement for the Region from the census, its
versions, payments, JSON/CSV/PDF representations, polling and the July reminders
(R-BIL-1, R-BIL-2, R-BIL-3, R-MONEY-1, R-CONV-2)."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
import shutil
import subprocess
import zlib
from datetime import datetime
from decimal import Decimal

import pytest
import rfc8785

from app.api.deps import encode_cursor
from app.domain.enrolments import MAX_BATCH_ITEMS
from app.domain.reference import SCHOOLS
from app.schemas.billing import StatementOut
from app.services.jobs import run_job
from tests.conftest import bearer

URL = "/api/v1/billing/statements"
FLOATING = {"status", "payments", "payment_status", "superseded_by", "content_sha256"}
PERSONAL = ("Dupont", "example.org", "Léa")
_numbers = itertools.count(50_000_000)


@pytest.fixture
def finance(make_token) -> dict[str, str]:
    return bearer(make_token("billing:read", "billing:write", sub="ut-finance"))


@pytest.fixture
def region(make_token) -> dict[str, str]:
    return bearer(make_token(profile="region", sub="region-it"))


@pytest.fixture
def office(make_token) -> dict[str, str]:
    return bearer(make_token(profile="schooling-office", sub="scolarite"))


def item(school: str, *, year: str = "2024-2025", on: str = "2024-09-02") -> dict:
    return {
        "student_number": str(next(_numbers)), "school_code": school, "academic_year": year,
        "enrolled_on": on, "given_name": "Léa", "family_name": "Dupont",
        "email": "lea.dupont@example.org",
    }


async def enrol(client, office, counts: dict[str, int], *, year: str = "2024-2025",
                on: str = "2024-09-02") -> list[str]:
    """Enrol `counts[school]` students per school through the API, in batches of at most
    MAX_BATCH_ITEMS; the enrolment ids."""
    items = [item(school, year=year, on=on)
             for school, n in counts.items() for _ in range(n)]
    ids: list[str] = []
    for start in range(0, len(items), MAX_BATCH_ITEMS):
        response = await client.post(
            "/api/v1/enrolments", json={"items": items[start:start + MAX_BATCH_ITEMS]},
            headers=office,
        )
        assert response.status_code == 200, response.text
        assert response.json()["rejected"] == 0, response.text
        ids += [r["enrolment_id"] for r in response.json()["results"]]
    return ids


async def create(client, headers, year: str = "2024-2025", status: int = 201) -> dict:
    response = await client.post(URL, json={"academic_year": year}, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


async def issue(client, headers, statement_id: str) -> dict:
    response = await client.post(f"{URL}/{statement_id}/issuing", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def pay(client, headers, statement_id: str, *, cents: int, reference: str,
              on: str = "2025-03-01", status: int = 201) -> dict:
    response = await client.post(
        f"{URL}/{statement_id}/payments",
        json={"received_on": on, "amount_cents": cents, "reference": reference},
        headers=headers,
    )
    assert response.status_code == status, response.text
    return response.json()


def recomputed_hash(document: dict) -> str:
    frozen = {k: v for k, v in document.items() if k not in FLOATING}
    return hashlib.sha256(rfc8785.dumps(frozen)).hexdigest()


def french_decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def pdf_text(content: bytes) -> str:
    """The PDF's text: pdftotext when installed, else the inflated content streams."""
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,
                              capture_output=True, check=True).stdout.decode()
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)
    out = []
    for raw in streams:
        try:
            out.append(zlib.decompress(raw).decode("cp1252", "replace"))
        except zlib.error:
            out.append(raw.decode("cp1252", "replace"))
    return "\n".join(out)


def pdf_pages(content: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", content))


# --- the awkward figures -----------------------------------------------------------------


async def test_3767_students_at_22_eur_make_8287400_cents_in_json_csv_and_pdf(
    client, office, finance, region
):
    counted = [s.code for s in SCHOOLS if s.code != "prefms-ifcs"]
    per_school = {code: 3767 // len(counted) + (1 if i < 3767 % len(counted) else 0)
                  for i, code in enumerate(counted)}
    assert sum(per_school.values()) == 3767
    await enrol(client, office, per_school)

    draft = await create(client, finance)
    assert StatementOut.model_validate(draft).model_dump(mode="json") == draft
    assert (draft["number"], draft["academic_year"], draft["version"], draft["status"]) == (
        "2024-2025-v1", "2024-2025", 1, "draft")
    assert (draft["census_on"], draft["due_on"]) == ("2024-10-31", "2025-07-15")
    assert (draft["rate_per_student_cents"], draft["rate_per_student"], draft["currency"]) == (
        2200, "22.00", "EUR")
    assert draft["total_students"] == 3767
    assert draft["total_amount_cents"] == 8_287_400
    assert draft["total_amount"] == "82874.00"
    assert sum(line["amount_cents"] for line in draft["lines"]) == draft["total_amount_cents"]
    assert sum(line["students"] for line in draft["lines"]) == draft["total_students"]
    assert [line["school_code"] for line in draft["lines"]] == sorted(s.code for s in SCHOOLS)
    empty = next(line for line in draft["lines"] if line["school_code"] == "prefms-ifcs")
    assert empty == {"school_code": "prefms-ifcs", "school_name": "PREFMS – IFCS",
                     "students": 0, "amount_cents": 0, "amount": "0.00"}
    assert draft["payee"] == {"name": "Université de Toulouse - Agent comptable",
                              "iban": "FR7610071310000000100132788", "bic": "TRPUFRP1"}
    assert (draft["supersedes"], draft["superseded_by"], draft["content_sha256"],
            draft["issued_at"], draft["late"]) == (None, None, None, None, None)

    issued = await issue(client, finance, draft["id"])
    as_json = await client.get(f"{URL}/{draft['id']}", headers=region)
    assert as_json.json() == issued
    assert as_json.headers["content-type"] == "application/json"

    as_csv = await client.get(f"{URL}/{draft['id']}", headers=region | {"Accept": "text/csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=";"))
    header = {row[0]: row[1] for row in rows if len(row) == 2}
    assert header["Numéro"] == "2024-2025-v1" and header["Version"] == "1"
    assert header["Date du recensement"] == "31/10/2024"
    assert header["Empreinte SHA-256"] == issued["content_sha256"]
    start = next(i for i, row in enumerate(rows) if row[:1] == ["Code école"]) + 1
    school_rows, total_row = rows[start:-1], rows[-1]
    assert len(school_rows) == len(issued["lines"]) == len(SCHOOLS)
    assert total_row == ["Total", "", "3767", "82874,00"]
    assert sum(french_decimal(r[3]) for r in school_rows) == Decimal(issued["total_amount"])
    assert sum(int(r[2]) for r in school_rows) == issued["total_students"]

    as_pdf = await client.get(f"{URL}/{draft['id']}",
                              headers=region | {"Accept": "application/pdf"})
    assert as_pdf.status_code == 200 and as_pdf.headers["content-type"] == "application/pdf"
    assert as_pdf.content.startswith(b"%PDF")
    assert 1 <= pdf_pages(as_pdf.content) <= 2
    text = pdf_text(as_pdf.content)
    assert "2024-2025-v1" in text and issued["content_sha256"] in text
    assert "TRPUFRP1" in text

    for body in (as_json.text, as_csv.content.decode("utf-8-sig"), text):
        assert not any(value in body for value in PERSONAL)


# --- generation -------------------------------------------------------------------------


async def test_the_statement_waits_for_the_day_after_the_census_in_paris(
    client, clock, office, finance
):
    clock.set("2024-10-20T10:00:00+02:00")
    await enrol(client, office, {"ifms-rodez": 2})
    clock.set("2024-10-31T23:59:59+01:00")
    refused = await client.post(URL, json={"academic_year": "2024-2025"}, headers=finance)
    assert refused.status_code == 409 and refused.json()["code"] == "census-not-reached"
    clock.set("2024-11-01T00:00:00+01:00")
    draft = await create(client, finance)
    assert draft["total_students"] == 2 and draft["generated_at"] == "2024-10-31T23:00:00Z"


@pytest.mark.parametrize(
    ("year", "status", "code"),
    [("2024", 422, "invalid-academic-year"), ("2024-2026", 422, "invalid-academic-year"),
     ("2023-2024", 409, "convention-not-active"), ("2029-2030", 409, "convention-not-active"),
     ("2025-2026", 409, "census-not-reached")],
)
async def test_a_malformed_outside_or_unfinished_year_is_refused(
    client, finance, year, status, code
):
    response = await client.post(URL, json={"academic_year": year}, headers=finance)
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_a_year_has_one_current_statement_and_a_discarded_draft_is_gone(
    client, office, finance, app
):
    await enrol(client, office, {"ifms-auch": 1})
    draft = await create(client, finance)
    again = await client.post(URL, json={"academic_year": "2024-2025"}, headers=finance)
    assert again.status_code == 409 and again.json()["code"] == "statement-exists"

    discarded = await client.post(f"{URL}/{draft['id']}/discard", headers=finance)
    assert discarded.status_code == 204
    assert (await client.get(f"{URL}/{draft['id']}", headers=finance)).status_code == 404
    assert (await client.post(f"{URL}/{draft['id']}/discard",
                              headers=finance)).status_code == 404

    fresh = await create(client, finance)
    assert fresh["number"] == "2024-2025-v1" and fresh["id"] != draft["id"]
    await issue(client, finance, fresh["id"])
    after_issue = await client.post(URL, json={"academic_year": "2024-2025"}, headers=finance)
    assert after_issue.json()["code"] == "statement-exists"
    not_draft = await client.post(f"{URL}/{fresh['id']}/discard", headers=finance)
    assert not_draft.status_code == 409 and not_draft.json()["code"] == "statement-not-draft"

    uow = app.state.container.uow_factory()
    async with uow:
        events = await uow.audit.list(resource_type="statement", resource_id=None, actor=None,
                                      since=None, before_id=None, limit=50)
    assert sorted(e.action for e in events) == [
        "statement.discarded", "statement.generated", "statement.generated",
        "statement.issued"]
    assert all(e.actor == "ut-finance" for e in events)


# --- issuing ----------------------------------------------------------------------------


async def test_issuing_freezes_the_document_under_a_recomputable_fingerprint(
    client, office, finance, region
):
    await enrol(client, office, {"ifms-albi": 3, "ifms-tarbes": 1})
    draft = await create(client, finance)
    issued = await issue(client, finance, draft["id"])
    assert issued["status"] == "issued"
    assert issued["issued_at"] == "2025-03-03T09:00:00Z" and issued["late"] is False
    assert issued["content_sha256"] == recomputed_hash(issued)
    assert {k: v for k, v in issued.items()
            if k not in FLOATING | {"issued_at", "late"}} == {
        k: v for k, v in draft.items() if k not in FLOATING | {"issued_at", "late"}}

    repeated = await client.post(f"{URL}/{draft['id']}/issuing", headers=finance)
    assert repeated.status_code == 200 and repeated.json() == issued
    read = await client.get(f"{URL}/{draft['id']}", headers=region)
    assert read.json() == issued and recomputed_hash(read.json()) == issued["content_sha256"]


@pytest.mark.parametrize(
    ("at", "late"),
    [("2025-07-15T23:59:59+02:00", False), ("2025-07-16T00:00:00+02:00", True)],
)
async def test_a_statement_issued_after_15_july_paris_is_late(
    client, clock, office, finance, at, late
):
    await enrol(client, office, {"ifms-lot": 1})
    draft = await create(client, finance)
    clock.set(at)
    assert (await issue(client, finance, draft["id"]))["late"] is late


async def test_the_region_sees_neither_drafts_nor_may_change_anything(
    client, office, finance, region
):
    await enrol(client, office, {"ifms-pamiers": 2})
    draft = await create(client, finance)
    assert (await client.get(f"{URL}/{draft['id']}", headers=region)).status_code == 404
    assert (await client.get(URL, headers=region)).json()["items"] == []
    assert (await client.get(URL, params={"status": "draft"},
                             headers=region)).json()["items"] == []
    for path in ("issuing", "discard"):
        response = await client.post(f"{URL}/{draft['id']}/{path}", headers=region)
        assert response.status_code == 403
    create_attempt = await client.post(URL, json={"academic_year": "2024-2025"},
                                       headers=region)
    assert create_attempt.status_code == 403

    await issue(client, finance, draft["id"])
    assert (await client.get(f"{URL}/{draft['id']}", headers=region)).status_code == 200
    assert [s["id"] for s in (await client.get(URL, headers=region)).json()["items"]] == [
        draft["id"]]
    payment = await client.post(
        f"{URL}/{draft['id']}/payments", headers=region,
        json={"received_on": "2025-03-01", "amount_cents": 100, "reference": "VIR-1"},
    )
    assert payment.status_code == 403


# --- revisions --------------------------------------------------------------------------


async def test_a_revision_after_a_late_cancellation_keeps_v1_unchanged_and_supersedes_it(
    client, clock, office, finance, region
):
    ids = await enrol(client, office, {"ifms-albi": 4, "ifms-rodez": 1})
    v1 = await issue(client, finance, (await create(client, finance))["id"])
    assert v1["total_students"] == 5

    clock.set("2025-03-10T10:00:00+01:00")
    cancelled = await client.post(f"/api/v1/enrolments/{ids[0]}/cancellation",
                                  json={"cancelled_on": "2024-10-15"}, headers=office)
    assert cancelled.status_code == 200
    assert (await client.get(f"{URL}/{v1['id']}", headers=region)).json() == v1

    v2 = (await client.post(f"{URL}/{v1['id']}/revision",
                            json={"reason": "annulation du 15/10/2024 saisie tardivement"},
                            headers=finance))
    assert v2.status_code == 201, v2.text
    v2 = v2.json()
    assert (v2["number"], v2["version"], v2["status"], v2["supersedes"]) == (
        "2024-2025-v2", 2, "draft", v1["id"])
    assert v2["total_students"] == 4 and v2["total_amount"] == "88.00"
    assert v2["revision_reason"] == "annulation du 15/10/2024 saisie tardivement"
    assert (await client.get(f"{URL}/{v2['id']}", headers=region)).status_code == 404
    assert (await client.get(f"{URL}/{v1['id']}", headers=region)).json() == v1

    same = await client.post(f"{URL}/{v1['id']}/revision",
                             json={"reason": "annulation du 15/10/2024 saisie tardivement"},
                             headers=finance)
    assert same.status_code == 200 and same.json()["id"] == v2["id"]
    other = await client.post(f"{URL}/{v1['id']}/revision", json={"reason": "autre"},
                              headers=finance)
    assert other.status_code == 409 and other.json()["code"] == "statement-exists"
    on_draft = await client.post(f"{URL}/{v2['id']}/revision", json={"reason": "x"},
                                 headers=finance)
    assert on_draft.status_code == 409 and on_draft.json()["code"] == "statement-not-issued"

    issued_v2 = await issue(client, finance, v2["id"])
    old = (await client.get(f"{URL}/{v1['id']}", headers=region)).json()
    assert (old["status"], old["superseded_by"]) == ("superseded", v2["id"])
    assert old["content_sha256"] == v1["content_sha256"] == recomputed_hash(old)
    assert {k: v for k, v in old.items() if k not in FLOATING} == {
        k: v for k, v in v1.items() if k not in FLOATING}
    assert issued_v2["content_sha256"] == recomputed_hash(issued_v2)
    assert issued_v2["content_sha256"] != v1["content_sha256"]

    listed = (await client.get(URL, params={"academic_year": "2024-2025"},
                               headers=region)).json()["items"]
    assert sorted((s["number"], s["status"]) for s in listed) == [
        ("2024-2025-v1", "superseded"), ("2024-2025-v2", "issued")]
    superseded = await client.post(f"{URL}/{v1['id']}/revision", json={"reason": "x"},
                                   headers=finance)
    assert superseded.status_code == 409
    assert superseded.json()["code"] == "statement-superseded"

    pdf = await client.get(f"{URL}/{v2['id']}", headers=region | {"Accept": "application/pdf"})
    assert "2024-2025-v1" in pdf_text(pdf.content)
    old_pdf = await client.get(f"{URL}/{v1['id']}",
                               headers=region | {"Accept": "application/pdf"})
    assert "REMPLAC" in pdf_text(old_pdf.content)
    old_csv = await client.get(f"{URL}/{v1['id']}", headers=region | {"Accept": "text/csv"})
    rows = list(csv.reader(io.StringIO(old_csv.content.decode("utf-8-sig")), delimiter=";"))
    assert ["Statut", "remplacé"] in rows and ["Remplacé par", "2024-2025-v2"] in rows
    assert ["Empreinte SHA-256", v1["content_sha256"]] in rows


async def test_an_amended_rate_applies_to_the_years_whose_census_follows_it(
    client, clock, office, finance, admin_headers
):
    clock.set("2026-07-01T10:00:00+02:00")
    amendment = await client.post(
        "/api/v1/convention/amendments", headers=admin_headers,
        json={"reference": "AVENANT-2026-1", "signed_on": "2026-06-15",
              "effective_on": "2026-09-01", "changes": {"rate_per_student_cents": 2300}},
    )
    assert amendment.status_code == 201, amendment.text
    clock.set("2026-11-02T10:00:00+01:00")
    await enrol(client, office, {"ifms-rodez": 2}, year="2025-2026", on="2025-09-02")
    await enrol(client, office, {"ifms-rodez": 3}, year="2026-2027", on="2026-09-02")

    before = await create(client, finance, "2025-2026")
    after = await create(client, finance, "2026-2027")
    assert (before["rate_per_student_cents"], before["rate_per_student"],
            before["total_amount"]) == (2200, "22.00", "44.00")
    assert (after["rate_per_student_cents"], after["rate_per_student"],
            after["total_amount_cents"], after["total_amount"]) == (2300, "23.00", 6900, "69.00")
    assert after["lines"][[line["school_code"] for line in after["lines"]].index(
        "ifms-rodez")]["amount"] == "69.00"


# --- payments ---------------------------------------------------------------------------


async def test_payments_move_the_status_and_a_resend_adds_nothing(client, office, finance):
    """R-BIL-3 payments; a payment received before 2024-01-01 is refused (R-DATE-1)."""
    await enrol(client, office, {"ifms-montauban": 3})
    draft = await create(client, finance)
    on_draft = await client.post(
        f"{URL}/{draft['id']}/payments", headers=finance,
        json={"received_on": "2025-03-01", "amount_cents": 100, "reference": "VIR-0"},
    )
    assert on_draft.status_code == 409 and on_draft.json()["code"] == "statement-not-issued"
    statement = await issue(client, finance, draft["id"])
    assert (statement["total_amount_cents"], statement["payment_status"]) == (6600, "unpaid")

    old = await pay(client, finance, draft["id"], cents=5000, reference="VIR-0",
                    on="2023-12-31", status=422)
    assert (old["code"], old["errors"][0]["field"]) == ("date-out-of-range", "received_on")
    first = await pay(client, finance, draft["id"], cents=5000, reference="VIR-1")
    assert first["payment_status"] == "partially_paid"
    assert first["payments"] == [{"received_on": "2025-03-01", "amount_cents": 5000,
                                  "amount": "50.00", "currency": "EUR", "reference": "VIR-1",
                                  "statement_number": "2024-2025-v1"}]
    assert first["content_sha256"] == statement["content_sha256"] == recomputed_hash(first)
    resent = await pay(client, finance, draft["id"], cents=5000, reference="VIR-1", status=200)
    assert resent == first
    conflict = await client.post(
        f"{URL}/{draft['id']}/payments", headers=finance,
        json={"received_on": "2025-03-01", "amount_cents": 4000, "reference": "VIR-1"},
    )
    assert conflict.status_code == 409 and conflict.json()["code"] == "payment-conflict"

    paid = await pay(client, finance, draft["id"], cents=1600, reference="VIR-2")
    assert paid["payment_status"] == "paid" and len(paid["payments"]) == 2
    over = await pay(client, finance, draft["id"], cents=1, reference="VIR-3")
    assert over["payment_status"] == "overpaid"


@pytest.mark.parametrize(
    ("body", "code"),
    [({"amount_cents": 0}, "validation-error"), ({"amount_cents": -5}, "validation-error"),
     ({"amount_cents": 10.5}, "validation-error"), ({"received_on": "2025-03-04"},
                                                    "invalid-payment"),
     ({"received_on": "2025-03-01T00:00:00Z"}, "validation-error"),
     ({"reference": ""}, "validation-error")],
)
async def test_a_payment_needs_positive_integer_cents_a_past_date_and_a_reference(
    client, office, finance, body, code
):
    await enrol(client, office, {"ifms-auch": 1})
    statement = await issue(client, finance, (await create(client, finance))["id"])
    response = await client.post(
        f"{URL}/{statement['id']}/payments", headers=finance,
        json={"received_on": "2025-03-01", "amount_cents": 100, "reference": "VIR-9", **body},
    )
    assert response.status_code == 422 and response.json()["code"] == code


async def test_a_revision_counts_the_payments_received_against_the_version_it_replaces(
    client, office, finance
):
    ids = await enrol(client, office, {"ifms-tarbes": 2})
    v1 = await issue(client, finance, (await create(client, finance))["id"])
    await pay(client, finance, v1["id"], cents=4400, reference="VIR-A")
    cancel = await client.post(f"/api/v1/enrolments/{ids[0]}/cancellation",
                               json={"cancelled_on": "2024-10-01"}, headers=office)
    assert cancel.status_code == 200
    revision = await client.post(f"{URL}/{v1['id']}/revision", json={"reason": "annulation"},
                                 headers=finance)
    v2 = await issue(client, finance, revision.json()["id"])
    assert v2["total_amount_cents"] == 2200 and v2["payment_status"] == "overpaid"
    assert [p["statement_number"] for p in v2["payments"]] == ["2024-2025-v1"]
    on_superseded = await client.post(
        f"{URL}/{v1['id']}/payments", headers=finance,
        json={"received_on": "2025-03-01", "amount_cents": 1, "reference": "VIR-B"},
    )
    assert on_superseded.json()["code"] == "statement-not-issued"
    resend_on_v2 = await pay(client, finance, v2["id"], cents=4400, reference="VIR-A",
                             status=200)
    assert len(resend_on_v2["payments"]) == 1


# --- reading, polling, representations ----------------------------------------------------


async def test_an_etag_per_representation_answers_304_until_the_statement_changes(
    client, office, finance, region
):
    await enrol(client, office, {"ifms-rodez": 1})
    statement = await issue(client, finance, (await create(client, finance))["id"])
    url = f"{URL}/{statement['id']}"
    first = await client.get(url, headers=region)
    etag = first.headers["etag"]
    assert first.headers["vary"] == "Accept"
    unchanged = await client.get(url, headers=region | {"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    weak = await client.get(url, headers=region | {"If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304

    as_csv = await client.get(url, headers=region | {"Accept": "text/csv"})
    assert as_csv.headers["etag"] != etag
    csv_again = await client.get(url, headers=region | {"Accept": "text/csv",
                                                        "If-None-Match": as_csv.headers["etag"]})
    assert csv_again.status_code == 304
    json_with_csv_tag = await client.get(url, headers=region | {
        "If-None-Match": as_csv.headers["etag"]})
    assert json_with_csv_tag.status_code == 200

    await pay(client, finance, statement["id"], cents=2200, reference="VIR-1")
    changed = await client.get(url, headers=region | {"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["payment_status"] == "paid"
    assert changed.headers["etag"] != etag


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("*/*", "application/json"), ("text/*", "text/csv"),
     ("application/pdf;q=0.5, text/csv", "text/csv"),
     ("application/json;q=0.1, application/pdf", "application/pdf"),
     ("text/html, */*;q=0.2", "application/json")],
)
async def test_the_representation_follows_accept(client, office, finance, accept, expected):
    await enrol(client, office, {"ifms-rodez": 1})
    statement = await create(client, finance)
    response = await client.get(f"{URL}/{statement['id']}",
                                headers=finance | {"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


async def test_an_accept_the_statement_is_not_offered_in_answers_406(client, office, finance):
    await enrol(client, office, {"ifms-rodez": 1})
    statement = await create(client, finance)
    response = await client.get(f"{URL}/{statement['id']}",
                                headers=finance | {"Accept": "text/html"})
    assert response.status_code == 406 and response.json()["code"] == "not-acceptable"


async def test_a_draft_renders_without_a_fingerprint_and_says_it_is_a_draft(
    client, office, finance
):
    await enrol(client, office, {"ifms-rodez": 1})
    draft = await create(client, finance)
    pdf = await client.get(f"{URL}/{draft['id']}", headers=finance | {"Accept": "application/pdf"})
    text = pdf_text(pdf.content)
    assert "BROUILLON" in text and "2024-2025-v1" in text
    rows = list(csv.reader(io.StringIO(
        (await client.get(f"{URL}/{draft['id']}", headers=finance | {"Accept": "text/csv"}))
        .content.decode("utf-8-sig")), delimiter=";"))
    assert ["Statut", "brouillon"] in rows and ["Empreinte SHA-256", ""] in rows


async def test_the_list_polls_by_update_with_filters_and_a_cursor(
    client, clock, office, finance, region
):
    await enrol(client, office, {"ifms-rodez": 1})
    clock.set("2025-11-03T10:00:00+01:00")
    await enrol(client, office, {"ifms-rodez": 2}, year="2025-2026", on="2025-09-02")
    first = await issue(client, finance, (await create(client, finance, "2024-2025"))["id"])
    clock.advance(minutes=5)
    second = await create(client, finance, "2025-2026")
    clock.advance(minutes=5)
    await issue(client, finance, second["id"])
    clock.advance(minutes=5)
    await pay(client, finance, first["id"], cents=1000, reference="VIR-1")

    page = (await client.get(URL, params={"limit": 1}, headers=region)).json()
    assert [s["id"] for s in page["items"]] == [second["id"]]
    rest = (await client.get(URL, params={"limit": 1, "cursor": page["next_cursor"]},
                             headers=region)).json()
    assert [s["id"] for s in rest["items"]] == [first["id"]] and rest["next_cursor"] is None

    since = (await client.get(URL, params={"updated_since": "2025-11-03T09:15:00Z"},
                              headers=region)).json()
    assert [s["id"] for s in since["items"]] == [first["id"]]
    by_year = (await client.get(URL, params={"academic_year": "2025-2026"},
                                headers=region)).json()
    assert [s["number"] for s in by_year["items"]] == ["2025-2026-v1"]
    by_status = (await client.get(URL, params={"status": "superseded"}, headers=region)).json()
    assert by_status["items"] == []

    listing = await client.get(URL, headers=region)
    assert (await client.get(URL, headers=region | {
        "If-None-Match": listing.headers["etag"]})).status_code == 304

    for params, code in (({"cursor": "nonsense"}, "invalid-cursor"),
                         ({"cursor": encode_cursor("yesterday", "x")}, "invalid-cursor"),
                         ({"cursor": encode_cursor("2025-11-03T09:15:00", "x")},
                          "invalid-cursor"),
                         ({"updated_since": "2025-11-03T09:15:00"}, "validation-error"),
                         ({"academic_year": "2025"}, "invalid-academic-year"),
                         ({"academic_year": "2030-2031"}, "convention-not-active")):
        response = await client.get(URL, params=params, headers=region)
        assert response.json()["code"] == code, params


# --- jobs -------------------------------------------------------------------------------


async def run(app, clock, name: str, at: str) -> dict:
    services = app.state.container
    outcome = await run_job(
        services.jobs, name, uow_factory=services.uow_factory, locks=services.job_locks,
        clock=clock, at=datetime.fromisoformat(at),
    )
    assert outcome.outcome == "succeeded", outcome.error
    return dict(outcome.counts)


async def billing_mails(app) -> list:
    uow = app.state.container.uow_factory()
    async with uow:
        return [m for m in await uow.outbox.list(status=None, after_id=None, limit=500)
                if m.template.startswith("billing-")]


async def test_finance_is_reminded_on_1_july_and_told_on_16_july_while_unissued(
    app, client, clock, office, finance, settings
):
    await enrol(client, office, {"ifms-rodez": 2})
    draft = await create(client, finance)
    reminder, overdue = "billing-statement-reminder", "billing-statement-overdue"
    assert await run(app, clock, reminder, "2025-06-30T08:00:00+02:00") == {"reminded": 0}
    assert await run(app, clock, reminder, "2025-07-01T08:00:00+02:00") == {"reminded": 1}
    assert await run(app, clock, reminder, "2025-07-02T08:00:00+02:00") == {"reminded": 0}
    assert await run(app, clock, overdue, "2025-07-15T08:00:00+02:00") == {"notified": 0}
    assert await run(app, clock, overdue, "2025-07-16T08:00:00+02:00") == {"notified": 1}
    assert await run(app, clock, overdue, "2025-07-17T08:00:00+02:00") == {"notified": 0}

    [remind_mail, overdue_mail] = await billing_mails(app)
    assert remind_mail.recipients == (settings.ut_finance_email,)
    assert "2024-2025" in remind_mail.subject and "15 juillet 2025" in remind_mail.subject
    assert "2024-2025-v1" in remind_mail.body_text and "Bonjour" in remind_mail.body_text
    assert "dépassée" in overdue_mail.subject
    assert not any(v in remind_mail.body_text + overdue_mail.body_text for v in PERSONAL)

    await issue(client, finance, draft["id"])
    assert await run(app, clock, overdue, "2025-07-20T08:00:00+02:00") == {"notified": 0}


async def test_no_reminder_when_the_statement_is_issued_before_july(
    app, client, clock, office, finance
):
    await enrol(client, office, {"ifms-rodez": 1})
    await issue(client, finance, (await create(client, finance))["id"])
    assert await run(app, clock, "billing-statement-reminder",
                     "2025-07-01T08:00:00+02:00") == {"reminded": 0}
    assert await billing_mails(app) == []


async def test_the_csv_shows_formula_like_text_as_text_and_keeps_numbers_numbers(
    client, office, finance, region, admin_headers
):
    """OWASP CSV injection: what a person sees in the spreadsheet, read back with the
    csv module as a spreadsheet splits it."""
    school = "/api/v1/schools/ifms-rodez"
    etag = (await client.get(school, headers=admin_headers)).headers["etag"]
    hostile_name = '=HYPERLINK("http://evil.example","Rodez")'
    renamed = await client.patch(school, json={"name": hostile_name},
                                 headers=admin_headers | {"If-Match": etag})
    assert renamed.status_code == 200, renamed.text
    await enrol(client, office, {"ifms-rodez": 3})
    v1 = await issue(client, finance, (await create(client, finance))["id"])
    v2 = await client.post(f"{URL}/{v1['id']}/revision", json={"reason": "-2+3 @recompte"},
                           headers=finance)
    assert v2.status_code == 201, v2.text
    exported = await client.get(f"{URL}/{v2.json()['id']}",
                                headers=finance | {"Accept": "text/csv"})
    assert exported.status_code == 200, exported.text
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    cells = {row[0]: row[1:] for row in rows if row}
    assert cells["ifms-rodez"] == ["'" + hostile_name, "3", "66,00"]
    assert cells["Motif de la révision"] == ["'-2+3 @recompte"]
    assert cells["Total"] == ["", "3", "66,00"]
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not cell.startswith("-") or re.fullmatch(r"-\d+(,\d+)?", cell), cell
