"""Storage snapshots, usage and history through the HTTP API (R-STO-3,
R-UNIT-1, R-TIME-1, R-TIME-5)."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.domain.reference import SCHOOLS
from tests.api.storage_helpers import GB, measure, post, snap, stored_count
from tests.conftest import bearer

CODES = sorted(s.code for s in SCHOOLS)
MAX_SAFE = 2**53 - 1


@pytest.fixture
def plugin(make_token) -> str:
    return make_token(profile="moodle-plugin", sub="moodle-plugin")


@pytest.fixture
def reader(make_token) -> str:
    return make_token("storage:read")


async def usage(client, token: str) -> dict:
    response = await client.get("/api/v1/storage/usage", headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def school_of(body: dict, code: str) -> dict:
    return next(s for s in body["schools"] if s["school_code"] == code)


# ------------------------------------------------------------------------ ingestion


async def test_a_valid_batch_is_accepted_and_becomes_the_current_usage(
    client, plugin, reader
):
    response = await post(client, plugin, [
        snap("ifms-rodez", "2025-03-03T08:00:00+01:00", 12 * GB, files_count=300,
             bytes_backup=2 * GB),
        snap("ifms-albi", "2025-03-03T08:30:00Z", 5 * GB),
    ])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 0, 0)
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]
    assert all(r["errors"] == [] for r in body["results"])

    now = await usage(client, reader)
    rodez = school_of(now, "ifms-rodez")
    assert rodez == {
        "school_code": "ifms-rodez", "bytes_used": 12 * GB,
        "measured_at": "2025-03-03T07:00:00Z", "threshold_bytes": 41 * GB,
        "ratio": 12 / 41, "level": "ok",
    }
    assert now["capacity_bytes"] == 500 * GB
    assert now["total_bytes"] == 17 * GB
    assert now["total_ratio"] == 17 / 500
    assert now["pool_level"] == "ok"
    never = school_of(now, "ifms-auch")
    assert (never["bytes_used"], never["measured_at"], never["level"]) == (0, None, "ok")
    assert [s["school_code"] for s in now["schools"]] == CODES


async def test_a_batch_for_twenty_schools_with_three_bad_items_stores_the_twenty(
    app, client, plugin, reader
):
    items = [snap(code, "2025-03-03T08:00:00Z", (i + 1) * GB) for i, code in enumerate(CODES)]
    items.insert(3, snap("ifms-nowhere", "2025-03-03T08:00:00Z", GB))
    items.insert(10, snap("ifms-albi", "2025-03-03T08:00:00Z", -5))
    items.insert(17, snap("ifms-lot", "2025-03-03T08:00:00Z", 2.5))
    response = await post(client, plugin, items)
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (20, 0, 3)
    rejected = {i: r for i, r in enumerate(body["results"]) if r["status"] == "rejected"}
    assert sorted(rejected) == [3, 10, 17]
    assert rejected[3]["errors"] == [
        {"field": "school_code", "code": "unknown-school", "message": "no such school"}
    ]
    assert [(e["field"], e["code"]) for e in rejected[10]["errors"]] == [
        ("bytes_used", "greater_than_equal")
    ]
    assert [(e["field"], e["code"]) for e in rejected[17]["errors"]] == [
        ("bytes_used", "int_type")
    ]
    assert [r["snapshot_id"] for r in body["results"]] == [i["snapshot_id"] for i in items]
    assert await stored_count(app) == 20
    now = await usage(client, reader)
    assert sum(s["measured_at"] is not None for s in now["schools"]) == 20
    assert now["total_bytes"] == sum(range(1, 21)) * GB


@pytest.mark.parametrize(
    "bad", [-1, 1.5, 1.0, True, False, "5", None, MAX_SAFE + 1, 10**30, [1], {"n": 1}],
    ids=["negative", "fractional", "float-one", "true", "false", "string", "null",
         "2^53", "huge", "list", "object"],
)
async def test_a_bad_number_rejects_its_item_alone(app, client, plugin, bad):
    good = snap("ifms-rodez", bytes_used=MAX_SAFE)
    wrong = snap("ifms-albi", bytes_used=bad)
    response = await post(client, plugin, [wrong, good])
    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert first["status"] == "rejected"
    assert first["snapshot_id"] == wrong["snapshot_id"]
    assert [e["field"] for e in first["errors"]] == ["bytes_used"]
    assert second["status"] == "accepted"
    assert await stored_count(app) == 1


@pytest.mark.parametrize("name", ["files_count", "bytes_backup"])
async def test_optional_counts_are_strict_integers_too(client, plugin, name):
    response = await post(client, plugin, [snap(**{name: -1}), snap(**{name: "12"})])
    assert [r["status"] for r in response.json()["results"]] == ["rejected", "rejected"]
    assert {e["field"] for r in response.json()["results"] for e in r["errors"]} == {name}


async def test_items_that_are_not_snapshots_are_rejected_one_by_one(client, plugin):
    response = await post(client, plugin, [
        "not an object",
        {"snapshot_id": "x" * 65, "school_code": "ifms-rodez",
         "measured_at": "2025-03-03T08:00:00Z", "bytes_used": 1},
        snap(surprise=True),
        snap(at="2025-03-03T08:00:00"),  # naive: no offset (R-TIME-1)
        {"school_code": "ifms-rodez"},
        snap(),
    ])
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["rejected"] * 5 + ["accepted"]
    assert body["results"][0]["snapshot_id"] is None
    assert body["results"][1]["snapshot_id"] is None
    assert [e["code"] for e in body["results"][2]["errors"]] == ["extra_forbidden"]
    assert [e["field"] for e in body["results"][3]["errors"]] == ["measured_at"]
    assert {e["field"] for e in body["results"][4]["errors"]} == {
        "snapshot_id", "measured_at", "bytes_used"
    }


async def test_a_resent_snapshot_is_a_duplicate_and_other_content_a_conflict(
    app, client, plugin, reader
):
    original = snap("ifms-rodez", "2025-03-03T08:00:00Z", 3 * GB, sid="plugin-42")
    assert (await post(client, plugin, [original])).json()["accepted"] == 1

    again = await post(client, plugin, [original])
    assert again.json()["results"] == [
        {"snapshot_id": "plugin-42", "status": "duplicate", "errors": []}
    ]
    same_instant_other_offset = dict(original, measured_at="2025-03-03T09:00:00+01:00")
    assert (await post(client, plugin, [same_instant_other_offset])).json()["duplicates"] == 1

    for changed in (dict(original, bytes_used=4 * GB), dict(original, school_code="ifms-albi"),
                    dict(original, measured_at="2025-03-03T08:00:01Z"),
                    dict(original, files_count=7)):
        [result] = (await post(client, plugin, [changed])).json()["results"]
        assert result["status"] == "rejected"
        assert [e["code"] for e in result["errors"]] == ["snapshot-conflict"]
    assert await stored_count(app) == 1
    assert school_of(await usage(client, reader), "ifms-rodez")["bytes_used"] == 3 * GB


async def test_the_same_id_twice_in_one_batch_is_stored_once(app, client, plugin):
    first = snap("ifms-rodez", bytes_used=GB, sid="twice")
    response = await post(client, plugin, [first, dict(first), dict(first, bytes_used=2 * GB)])
    assert [(r["status"], [e["code"] for e in r["errors"]])
            for r in response.json()["results"]] == [
        ("accepted", []), ("duplicate", []), ("rejected", ["snapshot-conflict"])
    ]
    assert await stored_count(app) == 1


async def test_measured_at_may_be_five_minutes_ahead_and_35_days_old_no_more(
    app, client, plugin, clock
):
    clock.set("2025-03-03T09:00:00Z")
    response = await post(client, plugin, [
        snap(at="2025-03-03T09:05:00Z"),
        snap(at="2025-03-03T09:05:00.000001Z"),
        snap(at="2025-01-27T09:00:00Z"),
        snap(at="2025-01-27T08:59:59Z"),
    ])
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted", "rejected"]
    assert results[1]["errors"][0]["code"] == "instant-in-future"
    assert results[3]["errors"][0]["code"] == "snapshot-too-old"
    assert await stored_count(app) == 2


@pytest.mark.parametrize(
    "body",
    [b"[]", b'{"items": {}}', b'{"items": "x"}', b'{"items": [], "more": 1}', b"{}",
     b'{"items": [{"snapshot_id": "a", "bytes_used": NaN}]}', b"", b"null"],
    ids=["list", "object-items", "string-items", "extra-member", "no-items", "nan",
         "empty", "null"],
)
async def test_a_body_that_is_not_an_object_with_a_list_is_a_422_and_stores_nothing(
    app, client, plugin, body
):
    response = await client.post(
        "/api/v1/storage/snapshots", content=body,
        headers=bearer(plugin) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await stored_count(app) == 0


async def test_over_a_thousand_items_is_a_413_and_stores_nothing(app, client, plugin):
    items = [snap() for _ in range(1001)]
    response = await post(client, plugin, items)
    assert response.status_code == 413
    assert response.json()["code"] == "payload-too-large"
    items[500]["bytes_used"] = -1  # the slow path counts too
    assert (await post(client, plugin, items)).status_code == 413
    assert await stored_count(app) == 0
    assert (await post(client, plugin, items[:1000])).json()["accepted"] == 999


async def test_posting_needs_the_storage_write_scope(client, make_token):
    body = {"items": [snap()]}
    assert (await client.post("/api/v1/storage/snapshots", json=body)).status_code == 401
    read_only = await client.post("/api/v1/storage/snapshots", json=body,
                                  headers=bearer(make_token("storage:read")))
    assert read_only.status_code == 403


async def test_the_same_batch_posted_twice_concurrently_is_stored_once(app, client, plugin):
    items = [snap(code, "2025-03-03T08:00:00Z", 40 * GB) for code in CODES] + [
        snap("ifms-rodez", f"2025-03-03T07:{m:02d}:00Z", GB) for m in range(50)
    ]
    first, second = await asyncio.gather(
        post(client, plugin, items), post(client, plugin, list(reversed(items)))
    )
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    a, b = first.json(), second.json()
    assert a["accepted"] + b["accepted"] == len(items)
    assert a["duplicates"] + b["duplicates"] == len(items)
    assert a["rejected"] == b["rejected"] == 0
    assert await stored_count(app) == len(items)


async def test_a_late_older_snapshot_is_stored_but_changes_neither_usage_nor_alerts(
    app, client, clock, plugin, reader
):
    await measure(client, clock, plugin, "ifms-rodez", "2025-03-03T10:00:00Z", 10 * GB)
    late = await post(client, plugin, [snap("ifms-rodez", "2025-03-03T09:00:00Z", 41 * GB)],
                      clock, "2025-03-03T10:05:00Z")
    assert late.json()["accepted"] == 1
    assert await stored_count(app) == 2
    rodez = school_of(await usage(client, reader), "ifms-rodez")
    assert (rodez["bytes_used"], rodez["level"]) == (10 * GB, "ok")
    assert rodez["measured_at"] == "2025-03-03T10:00:00Z"
    listed = await client.get("/api/v1/storage/alerts", headers=bearer(reader))
    assert listed.json()["items"] == []
    # In a batch, only the latest measurement of each school moves the level.
    mixed = await post(client, plugin, [
        snap("ifms-rodez", "2025-03-03T10:20:00Z", 20 * GB),
        snap("ifms-rodez", "2025-03-03T10:10:00Z", 41 * GB),
    ], clock, "2025-03-03T10:30:00Z")
    assert mixed.json()["accepted"] == 2
    rodez = school_of(await usage(client, reader), "ifms-rodez")
    assert (rodez["bytes_used"], rodez["level"]) == (20 * GB, "ok")


# ------------------------------------------------------------------------ usage


async def test_a_referent_sees_only_its_schools_usage(client, clock, plugin, make_token):
    await measure(client, clock, plugin, "ifms-rodez", "2025-03-03T08:00:00Z", 7 * GB)
    await measure(client, clock, plugin, "ifms-albi", "2025-03-03T08:00:00Z", 9 * GB)
    token = make_token(profile="school-referent", schools=["ifms-rodez"])
    body = await usage(client, token)
    assert [s["school_code"] for s in body["schools"]] == ["ifms-rodez"]
    assert body["schools"][0]["bytes_used"] == 7 * GB
    assert body["total_bytes"] == 16 * GB  # the pool is shared by every school
    assert (await client.get("/api/v1/storage/usage",
                             headers=bearer(make_token("schools:read")))).status_code == 403


# ------------------------------------------------------------------------ history


async def history(client, token: str, code: str, **params):
    return await client.get(f"/api/v1/schools/{code}/storage", params=params,
                            headers=bearer(token))


async def test_a_snapshot_at_half_past_midnight_paris_lands_in_that_days_point(
    client, clock, plugin, reader
):
    await measure(client, clock, plugin, "ifms-rodez", "2025-10-30T22:30:00Z", 5 * GB)
    await measure(client, clock, plugin, "ifms-rodez", "2025-10-30T23:30:00Z", 6 * GB)
    response = await history(client, reader, "ifms-rodez", **{
        "from": "2025-10-30T00:00:00Z", "to": "2025-10-31T12:00:00Z"})
    assert response.status_code == 200, response.text
    assert response.json()["points"] == [
        {"period_start": "2025-10-29T23:00:00Z", "period_end": "2025-10-30T23:00:00Z",
         "bytes_max": 5 * GB, "bytes_last": 5 * GB},
        {"period_start": "2025-10-30T23:00:00Z", "period_end": "2025-10-31T23:00:00Z",
         "bytes_max": 6 * GB, "bytes_last": 6 * GB},
    ]


async def test_daily_points_follow_paris_days_across_both_dst_changes(
    client, clock, plugin, reader
):
    for at, size in (("2025-03-29T23:00:00Z", 3), ("2025-03-30T12:00:00Z", 5),
                     ("2025-03-30T21:59:59Z", 4), ("2025-03-30T22:00:00Z", 9)):
        await measure(client, clock, plugin, "ifms-rodez", at, size * GB)
    spring = (await history(client, reader, "ifms-rodez", **{
        "from": "2025-03-30T00:00:00Z", "to": "2025-03-30T20:00:00Z"})).json()
    assert spring["points"] == [{
        "period_start": "2025-03-29T23:00:00Z", "period_end": "2025-03-30T22:00:00Z",
        "bytes_max": 5 * GB, "bytes_last": 4 * GB,
    }]
    for at, size in (("2025-10-25T22:00:00Z", 1), ("2025-10-26T22:59:59Z", 2),
                     ("2025-10-26T23:00:00Z", 8)):
        await measure(client, clock, plugin, "ifms-albi", at, size * GB)
    autumn = (await history(client, reader, "ifms-albi", **{
        "from": "2025-10-26T12:00:00Z", "to": "2025-10-26T13:00:00Z"})).json()
    assert autumn["period_start"] == "2025-10-25T22:00:00Z"
    assert autumn["period_end"] == "2025-10-26T23:00:00Z"
    assert autumn["points"] == [{
        "period_start": "2025-10-25T22:00:00Z", "period_end": "2025-10-26T23:00:00Z",
        "bytes_max": 2 * GB, "bytes_last": 2 * GB,
    }]


async def test_weekly_points_start_on_monday_midnight_paris(client, clock, plugin, reader):
    for day, size in ((2, 1), (8, 4), (9, 3), (10, 2)):  # Sunday 2, Sat 8, Sun 9, Mon 10 Mar
        await measure(client, clock, plugin, "ifms-rodez", f"2025-03-{day:02d}T12:00:00Z",
                      size * GB)
    body = (await history(client, reader, "ifms-rodez", window="week", **{
        "from": "2025-03-01T00:00:00Z", "to": "2025-03-11T00:00:00Z"})).json()
    assert body["window"] == "week"
    assert body["points"] == [
        {"period_start": "2025-02-23T23:00:00Z", "period_end": "2025-03-02T23:00:00Z",
         "bytes_max": GB, "bytes_last": GB},
        {"period_start": "2025-03-02T23:00:00Z", "period_end": "2025-03-09T23:00:00Z",
         "bytes_max": 4 * GB, "bytes_last": 3 * GB},
        {"period_start": "2025-03-09T23:00:00Z", "period_end": "2025-03-16T23:00:00Z",
         "bytes_max": 2 * GB, "bytes_last": 2 * GB},
    ]


async def test_the_forecast_gives_the_day_the_threshold_would_be_reached(
    client, clock, plugin, reader
):
    # 30 GB on 1 March, +0.5 GB a day: 41 GB is reached on day 22, i.e. 23 March.
    for day in range(1, 11):
        await measure(client, clock, plugin, "ifms-rodez", f"2025-03-{day:02d}T10:00:00Z",
                      30 * GB + (day - 1) * GB // 2)
    body = (await history(client, reader, "ifms-rodez")).json()
    assert body["forecast"] == {
        "slope_bytes_per_day": GB / 2, "critical_on": "2025-03-23", "points_used": 10,
        "threshold_bytes": 41 * GB, "latest_measured_at": "2025-03-10T10:00:00Z",
    }
    assert len(body["points"]) == 10


async def test_no_forecast_with_fewer_than_seven_days_or_a_falling_trend(
    client, clock, plugin, reader
):
    for day in range(1, 7):
        await measure(client, clock, plugin, "ifms-rodez", f"2025-03-{day:02d}T10:00:00Z",
                      (10 + day) * GB)
        await measure(client, clock, plugin, "ifms-albi", f"2025-03-{day:02d}T10:00:00Z",
                      (20 - day) * GB)
    await measure(client, clock, plugin, "ifms-albi", "2025-03-07T10:00:00Z", 13 * GB)
    rodez = (await history(client, reader, "ifms-rodez")).json()["forecast"]
    assert (rodez["slope_bytes_per_day"], rodez["critical_on"], rodez["points_used"]) == (
        None, None, 6)
    albi = (await history(client, reader, "ifms-albi")).json()["forecast"]
    assert albi["slope_bytes_per_day"] == -GB and albi["critical_on"] is None
    never = (await history(client, reader, "ifms-auch")).json()
    assert never["points"] == [] and never["forecast"]["latest_measured_at"] is None


async def test_another_school_of_a_referent_answers_404_like_an_unknown_one(
    client, make_token
):
    token = make_token(profile="school-referent", schools=["ifms-rodez"])
    assert (await history(client, token, "ifms-rodez")).status_code == 200
    other = await history(client, token, "ifms-albi")
    missing = await history(client, token, "nowhere")
    assert other.status_code == missing.status_code == 404
    assert {k: v for k, v in other.json().items() if k != "instance"} == {
        k: v for k, v in missing.json().items() if k != "instance"}


@pytest.mark.parametrize("params", [
    {"from": "2025-03-03T00:00:00Z", "to": "2025-03-02T00:00:00Z"},
    {"from": "2019-01-01T00:00:00Z", "to": "2025-03-02T00:00:00Z"},
    {"from": "2025-03-03"},
    {"window": "month"},
    {"since": "2025-03-03T00:00:00Z"},
    # Ranges at the ends of the representable dates (found by Schemathesis: a 500).
    {"window": "week", "to": "0001-01-11T17:20:39Z"},
    {"window": "day", "to": "0001-01-02T00:00:00Z"},
    {"window": "week", "from": "0001-01-01T00:00:00Z", "to": "0001-03-01T00:00:00Z"},
    {"window": "week", "from": "9999-12-01T00:00:00Z", "to": "9999-12-31T00:00:00Z"},
])
async def test_history_refuses_a_bad_range_or_window(client, reader, params):
    response = await history(client, reader, "ifms-rodez", **params)
    assert response.status_code == 422, response.text


async def test_the_request_body_is_documented_in_the_contract(app):
    operation = app.openapi()["paths"]["/api/v1/storage/snapshots"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["items"]["maxItems"] == 1000
    # Items are validated one by one (rejected in results): the contract accepts any item
    # and documents the valid shape in x-item-schema.
    assert "properties" not in schema["properties"]["items"]["items"]
    item = schema["properties"]["items"]["x-item-schema"]
    assert item["properties"]["bytes_used"] == {
        "type": "integer", "minimum": 0, "maximum": MAX_SAFE,
        "description": "Integer bytes (R-UNIT-1)", "title": "Bytes Used"}
    assert json.dumps(schema).count("$ref") == 0
