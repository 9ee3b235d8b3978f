"""Property-based tests of every parser fed by a request or an import file: whatever the
input, the answer is the parsed value or the parser's one documented refusal, never an
unexpected exception (which the HTTP edge would turn into a 500)."""

from __future__ import annotations

import base64
import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jose import jwt

from app.adapters.csv_import import read_enrolments
from app.adapters.mailbox import parse_message
from app.adapters.tokens import TokenError, TokenService
from app.api.deps import decode_cursor, decode_id_cursor, encode_cursor, parse_if_match
from app.api.middleware import MAX_JSON_DEPTH, JsonTooDeep, parse_strict_json
from app.api.problems import ProblemException
from app.domain.enrolments import EnrolmentRequest
from tests.unit.test_tokens import AUDIENCE, ISSUER, NOW, TS, _new_key

PROPERTY = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------ JSON nesting depth


def _nested(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


def test_a_body_at_the_depth_limit_is_parsed():
    assert parse_strict_json(_nested(MAX_JSON_DEPTH)) is not None


def test_a_body_one_level_over_the_limit_is_too_deep():
    with pytest.raises(JsonTooDeep):
        parse_strict_json(_nested(MAX_JSON_DEPTH + 1))


def test_two_kilobytes_of_opening_brackets_are_too_deep_not_a_recursion_error():
    with pytest.raises(JsonTooDeep):
        parse_strict_json(b"[" * 2048)


@PROPERTY
@given(depth=st.integers(min_value=0, max_value=5000),
       brackets=st.sampled_from([("[", "]"), ('{"a":', "}")]),
       closed=st.booleans())
def test_any_nesting_depth_is_parsed_or_refused_as_too_deep_or_invalid(depth, brackets,
                                                                       closed):
    opener, closer = brackets
    body = (opener * depth + ("1" if opener != "[" else "") + (closer * depth if closed
                                                                 else "")).encode()
    try:
        parse_strict_json(body)
    except JsonTooDeep:
        assert depth > MAX_JSON_DEPTH
    except ValueError:
        assert not closed or depth == 0
    else:
        assert depth <= MAX_JSON_DEPTH


@PROPERTY
@given(st.binary(max_size=3000))
def test_any_bytes_are_json_or_a_value_error(body):
    try:
        parsed = parse_strict_json(body)
    except (ValueError, UnicodeDecodeError):
        return
    assert json.loads(body) == parsed or parsed != parsed


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=3),
    max_leaves=60,
)


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@PROPERTY
@given(json_values)
def test_the_depth_check_agrees_with_the_depth_of_the_value(value):
    body = json.dumps(value).encode()
    try:
        parse_strict_json(body)
    except JsonTooDeep:
        assert _depth(value) > MAX_JSON_DEPTH
    else:
        assert _depth(value) <= MAX_JSON_DEPTH


# ------------------------------------------------------------------ cursors


def _is_invalid_cursor(exc: ProblemException) -> bool:
    return exc.status == 422 and exc.code == "invalid-cursor"


def _cursor_of(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@PROPERTY
@given(cursor=st.text(max_size=600), arity=st.integers(min_value=1, max_value=2))
def test_any_cursor_string_decodes_to_storable_values_or_is_invalid_cursor(cursor, arity):
    try:
        key = decode_cursor(cursor, arity)
    except ProblemException as exc:
        assert _is_invalid_cursor(exc)
        return
    assert isinstance(key, list) and len(key) == arity
    for value in key:
        if isinstance(value, str):
            assert "\x00" not in value
            value.encode()  # no lone surrogate
        else:
            assert type(value) is int and abs(value) < 2**63


hostile_scalars = (
    st.integers(min_value=-(10**300), max_value=10**300)
    | st.text(max_size=40)  # lone surrogates and NUL included
    | st.floats(allow_nan=False) | st.booleans() | st.none()
    | st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=2),
                                                            st.integers(), max_size=1)
)


@PROPERTY
@given(st.lists(hostile_scalars, min_size=1, max_size=2))
def test_a_well_formed_cursor_with_hostile_values_is_refused_unless_storable(values):
    raw = json.dumps(values, ensure_ascii=True).encode()
    try:
        key = decode_cursor(_cursor_of(raw), len(values))
    except ProblemException as exc:
        assert _is_invalid_cursor(exc)
        return
    for value in key:
        assert (type(value) is int and abs(value) < 2**63) or (
            isinstance(value, str) and "\x00" not in value and value.encode() is not None
        )


@pytest.mark.parametrize("values", [
    [10**30], [-1], [True], ["12"], [1.5], [None], [[1]],
])
def test_an_id_cursor_holds_a_non_negative_bigint(values):
    with pytest.raises(ProblemException) as caught:
        decode_id_cursor(_cursor_of(json.dumps(values).encode()))
    assert _is_invalid_cursor(caught.value)


@pytest.mark.parametrize("raw", [
    b'["a\\u0000b"]', b'["\\ud800"]', b'["\\udfff x"]', b"[" * 300 + b"]" * 300,
    b'["' + b"x" * 301 + b'"]', b"[1e999]",
])
def test_nul_lone_surrogates_deep_or_long_values_are_invalid_cursors(raw):
    with pytest.raises(ProblemException) as caught:
        decode_cursor(_cursor_of(raw), 1)
    assert _is_invalid_cursor(caught.value)


@PROPERTY
@given(st.one_of(st.integers(min_value=0, max_value=2**63 - 1),
                 st.text(max_size=50).filter(lambda t: "\x00" not in t
                                             and not any(0xD800 <= ord(c) <= 0xDFFF
                                                         for c in t))))
def test_every_cursor_the_service_writes_decodes_to_its_key(value):
    assert decode_cursor(encode_cursor(value), 1) == [value]


# ------------------------------------------------------------------ If-Match


def test_a_star_accepts_any_version():
    assert parse_if_match("*").accepts("17")


@pytest.mark.parametrize("header, current, accepted", [
    ('"3"', "3", True),
    ('"2", "3"', "3", True),
    ('"2","3" ,"4"', "4", True),
    ('W/"3"', "3", False),  # If-Match uses the strong comparison
    ('W/"3", "3"', "3", True),
    ("3", "3", False),  # not an entity tag
    ('"3', "3", False),
    ('"99999999999999999999999999999999"', "3", False),
    ('"3" garbage', "3", False),
    ('*, "3"', "3", False),  # "*" is only valid alone
])
def test_if_match_lists_follow_rfc_9110(header, current, accepted):
    assert parse_if_match(header).accepts(current) is accepted


@PROPERTY
@given(st.text(max_size=300), st.integers(min_value=0, max_value=10**40))
def test_any_if_match_value_is_a_precondition(header, version):
    precondition = parse_if_match(header)
    accepted = precondition.accepts(str(version))
    if accepted and not precondition.any_version:
        assert f'"{version}"' in header


# ------------------------------------------------------------------ token time claims


SIGNER = _new_key()


@pytest.fixture(scope="module")
def token_service() -> TokenService:
    return TokenService(issuer=ISSUER, audience=AUDIENCE, signing_key=SIGNER)


time_values = (
    st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20) | st.booleans() | st.none()
    | st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=3),
                                                            st.integers(), max_size=2)
)
CLAIM_SETS = st.fixed_dictionaries({}, optional={"exp": time_values, "iat": time_values,
                                                 "nbf": time_values})


def _signed(service: TokenService, claims: dict) -> str:
    key = SIGNER
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "client-1",
               "iat": TS, "exp": TS + 900, **claims}
    body = json.dumps(payload, allow_nan=True)
    return jwt.encode(json.loads(body), key.private_pem, algorithm="RS256",
                      headers={"kid": key.kid})


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(claims=CLAIM_SETS)
def test_time_claims_of_any_size_or_type_are_accepted_only_when_valid(token_service,
                                                                      claims):
    try:
        token = _signed(token_service, claims)
    except (OverflowError, ValueError):
        return  # the library cannot even sign it: nobody can present it
    try:
        token_service.verify(token, now=NOW)
    except TokenError:
        return
    merged = {"iat": TS, "exp": TS + 900, **claims}
    for name, value in merged.items():
        assert type(value) in (int, float) and 0 <= value <= 253402300799, name
    assert merged["exp"] + 30 > TS and merged["iat"] - 30 <= TS


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("value", [10**400, float("nan"), float("inf"), -float("inf"),
                                   -1, 2**64, "1700000000", [1], {"a": 1}])
def test_an_out_of_range_or_non_numeric_time_claim_is_refused(token_service, claim, value):
    token = _signed(token_service, {claim: value})
    with pytest.raises(TokenError):
        token_service.verify(token, now=NOW)


def test_a_token_whose_claims_nest_thousands_deep_is_refused(token_service):
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "RS256", "kid": SIGNER.kid}).encode()
    ).decode().rstrip("=")
    payload = base64.urlsafe_b64encode(b"[" * 5000).decode().rstrip("=")
    with pytest.raises(TokenError):
        token_service.verify(f"{header}.{payload}.c2ln", now=NOW)


# ------------------------------------------------------------------ e-mail headers


def _mail(**headers: str) -> bytes:
    """Raw bytes, as a mailbox export holds them (EmailMessage would rewrite a date)."""
    lines = [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\n".join(lines) + "\n\nBonjour\n").encode()


header_text = st.text(max_size=200)


@PROPERTY
@given(date=header_text, received=header_text, subject=header_text, sender=header_text,
       message_id=header_text)
def test_any_header_values_parse_to_a_mail_or_its_problem(date, received, subject, sender,
                                                          message_id):
    raw = (
        f"Received: by mx; {received}\nDate: {date}\nFrom: {sender}\n"
        f"Subject: {subject}\nMessage-ID: {message_id}\n\nBonjour\n"
    ).encode("utf-8", "surrogatepass")
    mail = parse_message(raw, "hostile.eml")
    for instant in (mail.received_at, mail.sent_at):
        assert instant is None or instant.tzinfo is UTC
    if mail.problem is None:
        texts = [mail.message_id or "", mail.from_email, mail.subject, *mail.in_reply_to]
        assert not any("\x00" in text for text in texts)


@pytest.mark.parametrize("date", [
    "Mon, 31 Feb 2025 10:00:00 +0100",  # impossible day
    "Mon, 3 Mar 2025 25:61:00 +0100",  # impossible time
    "Mon, 3 Mar 2025 10:00:00",  # naive: no zone
    "Mon, 3 Mar 2025 10:00",
    "1 Jan 0001 00:00:00 +0100",  # out of range once in UTC
    "Mon, 3 Mar 99999 10:00:00 +0100",
])
def test_an_impossible_or_naive_date_is_no_date(date):
    mail = parse_message(_mail(Date=date, From="a@b.example", Message_ID="<x@y>"), "m")
    assert mail.sent_at is None


def test_minus_zero_zone_is_utc_not_naive():
    mail = parse_message(_mail(Date="Mon, 3 Mar 2025 10:00:00 -0000", From="a@b.example",
                               Message_ID="<x@y>"), "m")
    assert mail.sent_at == datetime(2025, 3, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize("raw", [
    b"Date: Mon, 3 Mar 2025 10:00:00 +0100\nFrom: a@b.example\nSubject: a\x00b\n"
    b"Message-ID: <x@y>\n\nBonjour\n",
    b"Date: Mon, 3 Mar 2025 10:00:00 +0100\nFrom: a@b.example\nSubject: ok\n"
    b"Message-ID: <x\x00@y>\n\nBonjour\n",
    b"Date: Mon, 3 Mar 2025 10:00:00 +0100\nFrom: a@b.example\nSubject: ok\n"
    b"Message-ID: <" + b"x" * 1000 + b"@y>\n\nBonjour\n",
])
def test_a_mail_the_database_cannot_hold_carries_its_problem(raw):
    assert parse_message(raw, "m").problem is not None


# ------------------------------------------------------------------ CSV import fields

HEADER = "numero_etudiant;code_etablissement;annee;date_inscription;prenom;nom;courriel"
GOOD = "E{n};ifsi-toulouse;2025-2026;01/09/2025;Ana;Martin;ana{n}@example.org"


def _write(tmp: Path, lines: list[str]) -> Path:
    path = tmp / "enrolments.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8", newline="")
    return path


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(field=st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=4).map(
        lambda t: t * 40_000),  # beyond the csv module's field limit
), column=st.integers(min_value=0, max_value=6))
def test_one_line_with_any_field_is_rejected_alone(tmp_path, field, column):
    bad = GOOD.format(n=2).split(";")
    bad[column] = field.replace("\r", "").replace("\n", "").replace('"', "")
    path = _write(tmp_path, [GOOD.format(n=1), ";".join(bad), GOOD.format(n=3)])
    parsed = read_enrolments(path)
    good = [i for i in parsed.items if isinstance(i, EnrolmentRequest)]
    assert parsed.lines[0] == 2 and parsed.lines[-1] == 4
    assert isinstance(parsed.items[0], EnrolmentRequest)
    assert isinstance(parsed.items[-1], EnrolmentRequest)
    assert len(parsed.items) == 3 and len(good) >= 2


def test_a_field_over_the_csv_limit_rejects_its_line_only(tmp_path):
    bad = GOOD.format(n=2).replace("Ana", "A" * (csv.field_size_limit() + 1))
    path = _write(tmp_path, [GOOD.format(n=1), bad, GOOD.format(n=3)])
    parsed = read_enrolments(path)
    assert [type(i) for i in parsed.items] == [EnrolmentRequest, list, EnrolmentRequest]
    assert parsed.items[1][0].code == "csv-row-invalid"
    assert parsed.lines == [2, 3, 4]
