"""REST API tests through FastAPI's TestClient on the fixture store (tests/api/conftest.py)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from seawatch.api import create_app
from tests.api._apistore import T0, event_rows

LOCAL = "http://127.0.0.1"  # the API answers only requests that name it (Host check)

pytestmark = pytest.mark.filterwarnings("error")

EVENTS = event_rows()
BY_TYPE: dict[str, list[dict[str, Any]]] = {}
for _e in EVENTS:
    BY_TYPE.setdefault(str(_e["type"]), []).append(_e)


def ids(fc: dict[str, Any]) -> set[str]:
    return {f["id"] for f in fc["features"]}


def ids_where(pred: Any) -> set[str]:
    return {str(e["event_id"]) for e in EVENTS if pred(e)}


# ---- events --------------------------------------------------------------------------


def test_events_is_a_feature_collection_in_time_order(client: TestClient) -> None:
    r = client.get("/api/events")
    assert r.status_code == 200
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    assert fc["numberMatched"] == len(EVENTS) == fc["numberReturned"]
    starts = [f["properties"]["start"] for f in fc["features"]]
    assert starts == sorted(starts)
    f = next(f for f in fc["features"] if f["properties"]["type"] == "encounter")
    assert f["geometry"] == {"type": "Point", "coordinates": [-67.3, 12.0]}
    p = f["properties"]
    assert p["vessels"] == [311000001, 775000002]
    assert p["start"] == "2022-01-03T05:00:00Z" and p["end"] == "2022-01-03T08:00:00Z"
    assert p["duration_h"] == 3.0 and p["region"] == "caribbean" and p["zone"] == "VE-eez"
    assert p["details"] == {"params": {"max_dist_m": 500.0}, "note": "encounter"}


@pytest.mark.parametrize(
    ("query", "pred"),
    [
        ("type=loitering", lambda e: e["type"] == "loitering"),
        ("type=gap,port_visit", lambda e: e["type"] in ("gap", "port_visit")),
        ("region=gulf-of-mexico", lambda e: e["region"] == "gulf-of-mexico"),
        ("vessel=311000001", lambda e: 311000001 in e["vessels"]),
        ("flag=VE", lambda e: 775000002 in e["vessels"]),
        ("flag=US,LR", lambda e: bool({367000004, 636000003} & set(e["vessels"]))),
        ("group=tanker", lambda e: 311000001 in e["vessels"]),
        (
            "group=fishing&type=loitering",
            lambda e: e["vessels"] == [367000004] and e["type"] == "loitering",
        ),
        # overlap semantics, as Store.events and seawatch.report: end > since, start < until
        ("since=2022-01-04T00:00:00Z", lambda e: e["end"] > T0.replace(day=4)),
        ("since=2022-01-03T08:00:00Z", lambda e: e["end"] > T0.replace(hour=8)),
        ("until=2022-01-03T06:00:00Z", lambda e: e["start"] < T0.replace(hour=6)),
        (
            "since=2022-01-03T07:00:00&until=2022-01-03T07:30:00",  # naive means UTC
            lambda e: e["end"] > T0.replace(hour=7) and e["start"] < T0.replace(hour=7, minute=30),
        ),
        ("bbox=-70,11,-66,13", lambda e: -70 <= e["lon"] <= -66 and 11 <= e["lat"] <= 13),
        ("bbox=170,-90,-68,90", lambda e: e["lon"] <= -68 or e["lon"] >= 170),
        # a valid type with no events here (an unknown type is a 422 since issue #8:
        # see tests/api/test_filters.py)
        ("type=spoofing", lambda e: False),
        # flag and group apply to the same vessel: no Venezuelan tanker here
        ("flag=VE&group=tanker", lambda e: False),
        ("flag=BS,VE&group=tanker,cargo", lambda e: 311000001 in e["vessels"]),
    ],
)
def test_event_filters(client: TestClient, query: str, pred: Any) -> None:
    r = client.get("/api/events?" + query)
    assert r.status_code == 200, r.text
    fc = r.json()
    assert ids(fc) == ids_where(pred)
    assert fc["numberMatched"] == len(ids_where(pred))


def test_event_paging_covers_every_event_once(client: TestClient) -> None:
    seen: list[str] = []
    for offset in range(0, 8, 2):
        fc = client.get(f"/api/events?limit=2&offset={offset}").json()
        assert fc["numberMatched"] == len(EVENTS)
        assert fc["limit"] == 2 and fc["offset"] == offset
        seen += [f["id"] for f in fc["features"]]
    assert len(seen) == len(EVENTS) == len(set(seen))
    all_ids = [f["id"] for f in client.get("/api/events").json()["features"]]
    assert seen == all_ids


def test_an_empty_page_says_what_the_store_cannot_match(client: TestClient) -> None:
    """The notes of ``seawatch events`` (one rule, :func:`seawatch.report.empty_notes`):
    only on an empty answer, naming the MMSI the store never heard and the period outside
    its positions."""
    fc = client.get("/api/events?vessel=123456789&since=2030-01-01").json()
    assert fc["numberMatched"] == 0 and fc["features"] == []
    assert fc["notes"] == [
        "the period asked for (2030-01-01T00:00:00Z to the end) lies outside the store's "
        "positions, 2022-01-03 to 2022-01-04 (UTC days)",
        "no vessel with MMSI 123456789 in this store (no position or static report)",
    ]
    assert "notes" not in client.get("/api/events").json()


def test_one_event_with_vessel_identities(client: TestClient) -> None:
    eid = str(BY_TYPE["encounter"][0]["event_id"])
    r = client.get(f"/api/events/{eid}")
    assert r.status_code == 200
    f = r.json()
    assert f["id"] == eid and f["properties"]["type"] == "encounter"
    info = {v["mmsi"]: v for v in f["properties"]["vessel_info"]}
    assert info[311000001]["name"] == "NORDIC STAR"
    assert info[311000001]["flag"] == "BS" and info[311000001]["ship_group"] == "tanker"
    assert info[775000002]["ship_group"] == "law_enforcement" and info[775000002]["flag"] == "VE"


def test_facets(client: TestClient) -> None:
    f = client.get("/api/facets").json()
    assert f["types"] == sorted(BY_TYPE)
    assert f["regions"] == ["caribbean", "gulf-of-mexico"]
    assert f["flags"] == ["BS", "LR", "US", "VE"]
    assert set(f["groups"]) == {"tanker", "law_enforcement", "cargo", "fishing"}
    assert f["n_events"] == len(EVENTS)
    assert f["start"] == "2022-01-03T02:00:00Z"


# ---- vessels -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("trader", {636000003}),
        ("LIBERIA", {636000003}),  # a past name finds the vessel too
        ("3110", {311000001}),  # MMSI prefix
        ("9300001", {311000001}),  # IMO
        ("zzz", set()),
    ],
)
def test_vessel_search(client: TestClient, q: str, expected: set[int]) -> None:
    r = client.get("/api/vessels", params={"q": q})
    assert r.status_code == 200
    assert {v["mmsi"] for v in r.json()} == expected


def test_vessel_identity_history_and_events(client: TestClient) -> None:
    v = client.get("/api/vessels/636000003").json()
    assert v["name"] == "LIB TRADER" and v["imo"] == 9400002
    assert v["flag"] == "LR" and v["ship_group"] == "cargo"
    assert [h["value"] for h in v["identity"]["name"]] == ["LIBERIA TRADER", "LIB TRADER"]
    assert all(h["n_reports"] > 0 for h in v["identity"]["name"])
    assert v["watchlist"]["status"] == "no_hit" and v["watchlist"]["hits"] == []
    assert {"name": "ofac_sdn", "date": "2024-05-03"} in v["watchlist"]["lists"]
    types = [e["type"] for e in v["events"]]
    assert types == ["zone_entry", "gap"]  # in time order
    assert v["n_events"] == 2
    assert v["n_positions"] > 0


def test_vessel_track_lines_cut_at_gaps(client: TestClient) -> None:
    r = client.get("/api/vessels/636000003/track")
    f = r.json()
    assert f["geometry"]["type"] == "MultiLineString"  # the 15 h silence cuts the track
    assert f["properties"]["n_lines"] == 2
    n = f["properties"]["n_positions"]
    assert n == sum(len(line) for line in f["geometry"]["coordinates"])
    assert f["geometry"]["coordinates"][0][0] == [-70.0, 14.0]


def test_vessel_track_simplified_by_zoom_and_tolerance(client: TestClient) -> None:
    full = client.get("/api/vessels/311000001/track").json()
    low = client.get("/api/vessels/311000001/track?zoom=3").json()
    high = client.get("/api/vessels/311000001/track?zoom=14").json()
    tol = client.get("/api/vessels/311000001/track?tolerance=0.01").json()
    assert full["geometry"]["type"] == "LineString"
    n_full = len(full["geometry"]["coordinates"])
    assert n_full == full["properties"]["n_positions"] == 288
    assert len(low["geometry"]["coordinates"]) < len(high["geometry"]["coordinates"]) <= n_full
    assert len(tol["geometry"]["coordinates"]) < n_full
    # the simplified line keeps both ends
    assert low["geometry"]["coordinates"][0] == full["geometry"]["coordinates"][0]
    assert low["geometry"]["coordinates"][-1] == full["geometry"]["coordinates"][-1]


def test_vessel_track_time_window(client: TestClient) -> None:
    f = client.get(
        "/api/vessels/311000001/track",
        params={"since": "2022-01-03T01:00:00Z", "until": "2022-01-03T02:00:00Z"},
    ).json()
    assert f["properties"]["n_positions"] == 6
    assert f["properties"]["start"] == "2022-01-03T01:00:00Z"
    assert f["properties"]["end"] == "2022-01-03T01:50:00Z"
    empty = client.get(
        "/api/vessels/311000001/track", params={"since": "2030-01-01T00:00:00Z"}
    ).json()
    assert empty["geometry"] is None and empty["properties"]["n_positions"] == 0


# ---- report --------------------------------------------------------------------------


def test_report_by_type(client: TestClient) -> None:
    r = client.get("/api/report?by=type").json()
    assert r["by"] == ["type"]
    rows = {row["type"]: row for row in r["rows"]}
    assert rows["loitering"]["n_events"] == 2
    assert rows["loitering"]["n_vessels"] == 2
    assert rows["loitering"]["duration_h"] == 9.0
    assert rows["encounter"]["n_vessels"] == 2


def test_report_by_day_and_region_with_filter(client: TestClient) -> None:
    rows = client.get("/api/report?by=day,region&region=caribbean").json()["rows"]
    assert {(r["day"], r["region"]): r["n_events"] for r in rows} == {
        ("2022-01-03", "caribbean"): 3,
        ("2022-01-04", "caribbean"): 1,
    }


def test_report_by_flag_counts_each_event_once_per_flag(client: TestClient) -> None:
    rows = {r["flag"]: r for r in client.get("/api/report?by=flag").json()["rows"]}
    assert rows["VE"]["n_events"] == 1 and rows["VE"]["duration_h"] == 3.0
    assert rows["BS"]["n_events"] == 2 and rows["BS"]["duration_h"] == 8.0


def test_report_csv(client: TestClient) -> None:
    r = client.get("/api/report?by=region,type&format=csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    # n_incidents (issue #8): distinct incidents, an interception and its encounter once
    assert rows[0].keys() == {
        "region",
        "type",
        "n_events",
        "n_vessels",
        "duration_h",
        "n_incidents",
    }
    assert sum(int(x["n_events"]) for x in rows) == len(EVENTS)


# ---- pages, static files, security ---------------------------------------------------


def test_pages_and_vendored_maplibre(client: TestClient) -> None:
    for path in ("/", "/report"):
        r = client.get(path)
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        assert "https://" not in r.text  # nothing from a CDN
    page = client.get("/").text
    assert "/static/vendor/maplibre-gl/maplibre-gl.js" in page
    js = client.get("/static/vendor/maplibre-gl/maplibre-gl.js")
    assert js.status_code == 200 and "MapLibre" in js.text[:300]
    assert client.get("/static/vendor/maplibre-gl/LICENSE.txt").status_code == 200
    csp = client.get("/").headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp


@pytest.mark.parametrize(
    "path",
    [
        "/static/../api/_data.py",
        "/static/%2e%2e/api/_data.py",
        "/static/..%2f..%2fapi%2f_data.py",
        "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static/vendor/../../__init__.py",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/....//....//etc/passwd",
    ],
)
def test_no_path_traversal_through_static_files(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code in (400, 404), (path, r.status_code)
    assert "import" not in r.text and "root:" not in r.text
    assert r.json()["error"]["status"] == r.status_code


def test_no_page_loads_from_a_cdn(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404  # FastAPI's Swagger UI uses a CDN
    for path in ("/static/app.js", "/static/report.js", "/static/common.js", "/static/style.css"):
        text = client.get(path).text
        assert "http://" not in text and "https://" not in text, path


def test_no_cors_by_default(client: TestClient) -> None:
    r = client.get("/api/events", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    pre = client.options(
        "/api/events",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in pre.headers


def test_read_only_no_state_changing_methods(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    methods = {m for ops in schema["paths"].values() for m in ops}
    assert methods == {"get"}
    for method in ("post", "put", "delete", "patch"):
        r = client.request(method, "/api/events")
        assert r.status_code == 405
        assert r.json()["error"]["status"] == 405


def test_reads_a_new_store_version_after_detect(tmp_path: Path) -> None:
    from seawatch.store import open_store
    from tests.api._apistore import build_store, events_table

    root = build_store(tmp_path / "s")
    with TestClient(create_app(root), base_url=LOCAL) as c:
        assert c.get("/api/events").json()["numberMatched"] == len(EVENTS)
        ev = events_table()
        loiter = ev.filter(pa.array([t == "loitering" for t in ev["type"].to_pylist()]))
        open_store(root).replace_events(loiter.slice(0, 1), types=["loitering"], run={})
        assert c.get("/api/events?type=loitering").json()["numberMatched"] == 1


# ---- geography and presence ----------------------------------------------------------


def test_land_basemap(client: TestClient) -> None:
    r = client.get("/api/land?detail=low", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers.get("content-encoding") == "gzip"
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) > 100
    assert {f["geometry"]["type"] for f in fc["features"]} <= {"Polygon", "MultiPolygon"}
    # Venezuela's coast is there: a point inland near Caracas lies in some polygon
    import shapely

    parts = shapely.from_geojson([json.dumps(f["geometry"]) for f in fc["features"]])
    assert shapely.contains_xy(parts, -66.9, 10.4).any()
    assert not shapely.contains_xy(parts, -67.0, 13.0).any()  # the Caribbean Sea


def test_zones_filtered(client: TestClient) -> None:
    regions = client.get("/api/zones?kind=region&detail=low").json()
    assert {f["id"] for f in regions["features"]} == {
        "caribbean",
        "eastern-pacific",
        "gulf-of-mexico",
    }
    ve = client.get("/api/zones?country=ve&detail=low").json()
    assert {f["id"] for f in ve["features"]} == {"VE-territorial", "VE-contiguous", "VE-eez"}
    for f in ve["features"]:
        assert f["properties"] == {"name": f["id"], "kind": f["id"][3:], "country": "VE"}
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    one = client.get("/api/zones?name=VE-eez&detail=low").json()
    assert [f["id"] for f in one["features"]] == ["VE-eez"]


def test_presence_matches_the_report_kernel(client: TestClient, store_dir: Path) -> None:
    from seawatch.report.presence import PresenceParams, presence
    from seawatch.store import open_store

    r = client.get("/api/presence?country=VE")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ranges_nm"] == [12.0, 24.0, 200.0] and body["by"] == "vessel"
    expected = presence(
        open_store(store_dir).positions(),
        params=PresenceParams(country="VE"),
        vessels=open_store(store_dir).vessels(),
    ).to_pylist()
    assert body["n_rows"] == len(expected) > 0
    got = {row["mmsi"]: row for row in body["rows"]}
    for e in expected:
        row = got[e["mmsi"]]
        assert row["hours_200nm"] == pytest.approx(e["hours_200nm"], abs=1e-3)
        assert row["hours_12nm"] == pytest.approx(e["hours_12nm"], abs=1e-3)
        assert row["unheard_hours_12nm"] == pytest.approx(e["unheard_hours_12nm"], abs=1e-3)
        assert row["name"] == e["name"] and row["ship_group"] == e["ship_group"]
        assert row["n_positions"] == e["positions"]
    # the Gulf of Mexico fisher is nowhere near Venezuela
    assert 367000004 not in got


def test_presence_filters_and_by_day(client: TestClient) -> None:
    tankers = client.get("/api/presence?country=VE&group=tanker").json()
    assert {row["mmsi"] for row in tankers["rows"]} <= {311000001}
    daily = client.get("/api/presence?country=VE&by=day&ranges_nm=50").json()
    assert daily["ranges_nm"] == [50.0]
    assert all(
        {k for k in row if k.startswith("hours_")} == {"hours_50nm"} and row["day"]
        for row in daily["rows"]
    )
    days = {row["day"] for row in daily["rows"]}
    assert days <= {"2022-01-03", "2022-01-04"}
    none = client.get("/api/presence?country=VE&max_unheard_h=0").json()
    assert none["max_unheard_h"] == 0
    assert all(row[k] == 0 for row in none["rows"] for k in row if k.startswith("unheard_"))
    assert client.get("/api/presence?country=VE&max_unheard_h=-1").status_code == 422


def test_presence_unknown_country_is_422_listing_the_valid_ones(client: TestClient) -> None:
    # was a 404 before issue #8: an unknown filter value is a usage error that lists the
    # valid values
    r = client.get("/api/presence?country=ZZ")
    detail = r.json()["error"]["detail"]
    assert r.status_code == 422 and "'ZZ'" in detail and "VE" in detail


# ---- consistency with seawatch.report ------------------------------------------------


@pytest.mark.parametrize("by", ["type", "flag", "day", "region"])
@pytest.mark.parametrize(
    "query", ["", "&region=caribbean", "&since=2022-01-03T06:00:00Z&until=2022-01-04T12:00:00Z"]
)
def test_report_agrees_with_seawatch_report(
    client: TestClient, store_dir: Path, by: str, query: str
) -> None:
    from seawatch.report import report
    from seawatch.store import open_store

    keys = ["type"] if by == "type" else [by, "type"]
    got = client.get(f"/api/report?by={','.join(keys)}{query}").json()["rows"]
    kw: dict[str, Any] = {}
    if "region=" in query:
        kw["regions"] = ["caribbean"]
    if "since=" in query:
        kw["since"], kw["until"] = "2022-01-03T06:00:00Z", "2022-01-04T12:00:00Z"
    expected = report(open_store(store_dir), by=by, **kw).to_pylist()  # type: ignore[arg-type]

    def key(row: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(row[k]) for k in keys)

    assert {key(r): (r["n_events"], r["n_vessels"], r["duration_h"]) for r in got} == {
        key(e): (e["events"], e["vessels"], pytest.approx(e["hours"])) for e in expected
    }


def test_same_answers_without_the_in_memory_events_copy(
    client: TestClient, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seawatch.api import _data

    monkeypatch.setattr(_data, "MAX_CACHED_EVENTS", 0)  # query the Parquet files directly
    with TestClient(create_app(store_dir), base_url=LOCAL) as direct:
        for url in (
            "/api/events",
            "/api/events?type=loitering&limit=1&offset=1",
            "/api/events?flag=US&since=2022-01-04T00:00:00Z",
            "/api/report?by=region,type",
            "/api/vessels/311000001",
        ):
            assert direct.get(url).json() == client.get(url).json(), url


def test_vessel_watchlist_hit_on_a_past_identity(tmp_path: Path) -> None:
    """A user list in the store naming the vessel's *former* name: a name + flag hit (the
    fixture IMO has no valid check digit, so it never matches)."""
    from seawatch.watchlist import add_list
    from tests.api._apistore import build_store

    root = build_store(tmp_path / "s")
    src = tmp_path / "list.csv"
    src.write_text("imo,name,flag,program\n9400002,LIBERIA TRADER,LR,TEST\n", encoding="utf-8")
    add_list(root, src, name="mylist", date_="2026-01-01")
    with TestClient(create_app(root), base_url=LOCAL) as c:
        w = c.get("/api/vessels/636000003").json()["watchlist"]
        assert w["status"] == "hit"
        assert {"name": "mylist", "date": "2026-01-01"} in w["lists"]
        hit = next(h for h in w["hits"] if h["list"] == "mylist")
        assert hit["match"] == "name_flag" and hit["matched"] == "LIBERIA TRADER / LR"
        assert hit["entry_name"] == "LIBERIA TRADER"
        assert hit["program"] == "TEST" and hit["list_date"] == "2026-01-01"
        assert c.get("/api/vessels/311000001").json()["watchlist"]["status"] == "no_hit"


def test_vessel_and_event_records_carry_role_and_role_source(client: TestClient) -> None:
    v = client.get("/api/vessels/775000002").json()
    assert (v["ship_group"], v["role"], v["role_source"]) == (
        "law_enforcement",
        "law_enforcement",
        "name",
    )
    t = client.get("/api/vessels/311000001").json()
    assert (t["ship_group"], t["role"], t["role_source"]) == ("tanker", "tanker", "ship_type")
    events = client.get("/api/events?group=law_enforcement").json()["features"]
    assert events and all(775000002 in e["properties"]["vessels"] for e in events)
    one = client.get(f"/api/events/{events[0]['id']}").json()
    info = {i["mmsi"]: i for i in one["properties"]["vessel_info"]}
    assert info[775000002]["role"] == "law_enforcement"
    assert info[775000002]["role_source"] == "name"


def test_a_role_list_added_while_serving_is_used(tmp_path: Path) -> None:
    """``seawatch roles add`` writes no manifest: the API still sees the new list."""
    from seawatch.store import add_role_list
    from tests.api._apistore import build_store

    root = build_store(tmp_path / "s")
    with TestClient(create_app(root), base_url=LOCAL) as c:
        before = c.get("/api/vessels/311000001").json()
        assert (before["role"], before["role_source"]) == ("tanker", "ship_type")
        src = tmp_path / "navy.csv"
        src.write_text("mmsi,role,note\n311000001,government,naval tanker\n", encoding="utf-8")
        add_role_list(root, src)
        after = c.get("/api/vessels/311000001").json()
        assert (after["role"], after["role_source"]) == ("government", "list")
        tankers = c.get("/api/events?group=government").json()["features"]
        assert tankers and all(311000001 in f["properties"]["vessels"] for f in tankers)
