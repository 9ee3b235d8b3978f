"""Every input that is not valid is a clear 4xx, through the whole app: generated bodies,
cursors and `If-Match` values (Hypothesis), on every operation of the committed contract
that takes them. Never a 500, never a change."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api.middleware import MAX_JSON_DEPTH

CONTRACT = json.loads(
    (Path(__file__).parents[2] / "openapi" / "openapi.json").read_text(encoding="utf-8")
)
PATH_VALUES = {"name": "outbox-dispatch"}


def _operations(predicate: Callable[[str, str, dict], bool]) -> list[tuple[str, str]]:
    found = []
    for path, operations in CONTRACT["paths"].items():
        for method, operation in operations.items():
            if predicate(path, method, operation):
                url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "x"), path)
                found.append((method.upper(), url))
    return found


BODY_OPERATIONS = _operations(
    lambda path, method, op: method in ("post", "put", "patch")
    and path.startswith("/api/") and path != "/api/v1/oauth/token"
)
CURSOR_LISTS = _operations(
    lambda path, method, op: method == "get"
    and any(p["name"] == "cursor" for p in op.get("parameters", []))
)


def run_property(test: Callable[..., None]) -> Coroutine[Any, Any, None]:
    """Run a Hypothesis test (sync, shrinking included) whose examples call the app on
    the running event loop: the test runs in a thread and hands each request to the loop
    through its `call` argument."""
    loop = asyncio.get_running_loop()

    def call(awaitable):
        return asyncio.run_coroutine_threadsafe(awaitable, loop).result(60)

    return loop.run_in_executor(None, test, call)


HTTP_PROPERTY = settings(max_examples=150, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))


# ------------------------------------------------------------------ nesting depth


def test_the_contract_has_body_operations_and_cursor_lists():
    assert len(BODY_OPERATIONS) > 30 and len(CURSOR_LISTS) >= 15


async def test_two_kilobytes_of_nested_brackets_are_a_422_before_any_token(client):
    for method, url in BODY_OPERATIONS:
        response = await client.request(
            method, url, content=b"[" * 2048, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, (method, url, response.status_code)
        assert response.json()["code"] == "json-too-deep", (method, url)
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("depth, status", [(MAX_JSON_DEPTH, 422), (MAX_JSON_DEPTH + 1, 422)])
async def test_the_depth_limit_is_checked_before_the_schema(client, admin_headers, depth,
                                                            status):
    body = b'{"code":' * depth + b"1" + b"}" * depth
    response = await client.post("/api/v1/schools", content=body,
                                 headers=admin_headers | {"Content-Type": "application/json"})
    assert response.status_code == status
    expected = "json-too-deep" if depth > MAX_JSON_DEPTH else "validation-error"
    assert response.json()["code"] == expected


# ------------------------------------------------------------------ cursors

hostile_cursors = st.one_of(
    st.text(max_size=400),
    st.lists(
        st.one_of(st.integers(min_value=-(10**200), max_value=10**200), st.text(max_size=30),
                  st.floats(allow_nan=False), st.booleans(), st.none(),
                  st.lists(st.integers(), max_size=2)),
        max_size=3,
    ).map(lambda key: base64.urlsafe_b64encode(
        json.dumps(key, ensure_ascii=True).encode()).decode().rstrip("=")),
)


async def test_any_cursor_on_any_list_is_a_page_or_invalid_cursor(client, admin_headers):
    @HTTP_PROPERTY
    @given(cursor=hostile_cursors, list_=st.sampled_from(CURSOR_LISTS))
    def check(call, cursor, list_):
        _, url = list_
        response = call(client.get(url, params={"cursor": cursor}, headers=admin_headers))
        assert response.status_code in (200, 422), (url, response.status_code)
        if response.status_code == 422:
            assert response.json()["code"] in ("invalid-cursor", "validation-error"), url
        if len(cursor) > 500:
            assert response.status_code == 422

    await run_property(check)


@pytest.mark.parametrize("key", [
    [10**40], ["a\u0000b"], ["\ud800"], [True], [[1]], [1.5], [1, 2],
])
async def test_cursors_with_huge_ints_nul_or_lone_surrogates_are_invalid(
    client, admin_headers, key
):
    cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    for _, url in CURSOR_LISTS:
        response = await client.get(url, params={"cursor": cursor}, headers=admin_headers)
        if url in ("/api/v1/convention/amendments", "/api/v1/convention/termination-notices") \
                and response.status_code == 200:
            continue  # an in-memory list: an unknown position is past its end
        assert response.status_code == 422, (url, key, response.status_code)
        assert response.json()["code"] == "invalid-cursor", url


# ------------------------------------------------------------------ If-Match

if_match_values = st.one_of(
    st.text(max_size=80),
    st.integers(min_value=0, max_value=10**60).map(lambda n: f'"{n}"'),
    st.integers(min_value=0, max_value=10**60).map(lambda n: f'W/"{n}"'),
    st.lists(st.integers(min_value=0, max_value=3).map(lambda n: f'"{n}"'), max_size=4)
    .map(", ".join),
    st.just("*"),
)


async def test_any_if_match_on_a_school_is_200_412_or_428_and_only_a_match_changes_it(
    client, admin_headers
):
    url = "/api/v1/schools/ifms-auch"

    @HTTP_PROPERTY
    @given(value=if_match_values)
    def check(call, value):
        before = call(client.get(url, headers=admin_headers))
        version = before.headers["etag"].strip('"')
        try:
            response = call(client.patch(url, json={"name": "IFMS d'Auch"},
                                         headers=admin_headers | {"If-Match": value}))
        except UnicodeEncodeError:
            return  # httpx cannot send it: no client can
        assert response.status_code in (200, 412, 428), (value, response.status_code)
        if response.status_code == 428:
            assert not value.strip()
        tags = re.findall(r'(?:^|,)\s*"(\d+)"\s*(?=,|$)', value.strip())
        matches = value.strip() == "*" or version in tags
        assert (response.status_code == 200) == matches, (value, version)

    await run_property(check)


WINDOWS = {"main_opens_on": "2024-07-01", "main_closes_on": "2024-11-30",
           "s2_opens_on": "2025-01-01", "s2_closes_on": "2025-02-28"}


@pytest.mark.parametrize("value, status", [
    ("", 428), ("   ", 428), ("garbage", 412), ('"99999999999999999999999999"', 412),
    ("99999999999999999999999999", 412), ('W/"0"', 412), ('"5", "0"', 200), ("*", 200),
    ('"0', 412), ('"٠"', 412),
])
async def test_if_match_on_the_enrolment_windows_follows_rfc_9110(
    client, admin_headers, value, status
):
    url = "/api/v1/enrolment-campaigns/2024-2025"
    response = await client.put(url, json=WINDOWS,
                                headers=admin_headers | {"If-Match": value.encode()})
    assert response.status_code == status, response.text
    read = await client.get(url, headers=admin_headers)
    assert read.headers["etag"] == ('"1"' if status == 200 else '"0"')
