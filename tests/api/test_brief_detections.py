"""``GET /api/brief`` (the CLI's situation brief, as JSON) and ``GET /api/detections``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from seawatch.api import create_app
from seawatch.cli import app as cli_app
from tests.api._detstore import ATLANTIC_SCENE, CLAIMS, DETECTIONS, build_detection_store
from tests.api._schemas import validator


@pytest.fixture(scope="module")
def det_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_detection_store(tmp_path_factory.mktemp("det-store") / "store")


@pytest.fixture(scope="module")
def det_client(det_store: Path) -> Iterator[TestClient]:
    with TestClient(
        create_app(det_store), base_url="http://127.0.0.1", raise_server_exceptions=False
    ) as c:
        yield c


def _cli_brief(store: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli_app, ["report", "--store", str(store), "--format", "json", *args]
    )
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


@pytest.mark.parametrize(
    ("query", "cli_args"),
    [
        ({}, []),
        (
            {"region": "caribbean", "since": "2022-01-03T00:00:00Z", "until": "2022-01-04"},
            ["--region", "caribbean", "--since", "2022-01-03T00:00:00Z", "--until", "2022-01-04"],
        ),
        (
            {"group": "law_enforcement", "country": "CW"},
            ["--group", "law_enforcement", "--country", "CW"],
        ),
    ],
)
def test_brief_is_the_cli_brief(
    det_client: TestClient, det_store: Path, query: dict[str, str], cli_args: list[str]
) -> None:
    """The same content and numbers as ``seawatch report --format json``, claims included."""
    r = det_client.get("/api/brief", params=query)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["schema"] == "seawatch.brief/1"  # the CLI's document carries it too
    assert body == _cli_brief(det_store, *cli_args)


def test_brief_sections(det_client: TestClient) -> None:
    b = det_client.get("/api/brief").json()
    c = b["counts"]
    assert (c["engagements"], c["encounters"], c["interceptions"]) == (1, 1, 0)
    assert (c["detections_matched"], c["dark_detections"]) == (1, 1)
    assert c["detections_without_ais_coverage"] == 1
    # naval presence: the Venezuelan coast guard (a name prefix), with why it counts
    naval = {r["name"]: r for r in b["naval_presence"]}
    assert list(naval) == ["GUARDACOSTAS 1"]
    assert naval["GUARDACOSTAS 1"]["role"] == "law_enforcement"
    assert "GUARDACOSTAS" in naval["GUARDACOSTAS 1"]["role_evidence"]
    assert c["naval_vessels_near"] == 1
    # the claims about the period, each with its verdict and evidence
    verdicts = {r["claim"]["sentence"]: r["check"]["verdict"] for r in b["claims"]}
    assert verdicts == {
        CLAIMS[0]["sentence"]: "supported",
        CLAIMS[1]["sentence"]: "partly_supported",
    }
    assert all(r["check"]["evidence"]["event_ids"] for r in b["claims"])
    assert b["data"]["positions"] > 0 and b["legend"]["engagements"]


def test_brief_narrows_claims_to_period_and_region(det_client: TestClient) -> None:
    assert det_client.get("/api/brief", params={"region": "gulf-of-mexico"}).json()["claims"] == []
    later = det_client.get("/api/brief", params={"since": "2022-02-01T00:00:00Z"}).json()
    assert later["claims"] == [] and later["counts"]["engagements"] == 0
    assert later["since"] == "2022-02-01T00:00:00Z"


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"region": "atlantis"}, "valid: caribbean"),
        ({"country": "ZZ"}, "unknown country 'ZZ'"),
        ({"flag": "XX"}, "flag"),
        ({"group": "pirates"}, "group"),
        ({"since": "2022-01-05", "until": "2022-01-04"}, "until must not be before since"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_brief_bad_params(det_client: TestClient, params: dict[str, str], needle: str) -> None:
    r = det_client.get("/api/brief", params=params)
    assert r.status_code == 422, r.text
    assert needle in r.json()["error"]["detail"]


def _by_status(fc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["properties"]["status"]: f["properties"] for f in fc["features"]}


def test_detections_with_status(det_client: TestClient) -> None:
    r = det_client.get("/api/detections")
    assert r.status_code == 200
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and fc["schema"] == "seawatch.detections/1"
    assert fc["numberMatched"] == fc["numberReturned"] == len(DETECTIONS)
    got = _by_status(fc)
    assert set(got) == {"matched", "dark", "no_ais_coverage"}
    matched = got["matched"]
    assert matched["vessel"]["mmsi"] == 311000001 and matched["vessel"]["name"] == "NORDIC STAR"
    assert matched["match_dist_m"] is not None and matched["match_dist_m"] < 500
    assert matched["time"] == "2022-01-03T10:00:00Z"
    assert matched["source"] == "sentinel1" and matched["scene_id"] == "S1A_FIXTURE_CARIB"
    assert matched["length_m"] == 100.0
    assert got["dark"]["vessel"] is None and got["dark"]["event_id"]
    assert got["no_ais_coverage"]["scene_id"] == ATLANTIC_SCENE  # as written
    for f in fc["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert (lat, lon) == (f["properties"]["lat"], f["properties"]["lon"])


def test_detections_filters(det_client: TestClient) -> None:
    def statuses(**params: str) -> set[str]:
        r = det_client.get("/api/detections", params=params)
        assert r.status_code == 200, r.text
        return set(_by_status(r.json()))

    assert statuses(bbox="-68,11,-67,13") == {"matched", "dark"}
    assert statuses(bbox="-61,19,-59,21") == {"no_ais_coverage"}
    assert statuses(bbox="170,-10,-170,10") == set()  # across 180: none there
    assert statuses(since="2022-01-03T10:00:00Z") == {"matched", "dark", "no_ais_coverage"}
    assert statuses(since="2022-01-03T10:00:01Z") == set()
    assert statuses(until="2022-01-03T10:00:00Z") == set()  # until is exclusive
    assert statuses(until="2022-01-03T10:00:01+00:00") == {"matched", "dark", "no_ais_coverage"}
    page = det_client.get("/api/detections", params={"limit": "1"}).json()
    assert page["numberReturned"] == 1 and page["numberMatched"] == 3 and page["limit"] == 1


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "-60,21,-61,19"}, "min_lat <= max_lat"),
        ({"bbox": "200,0,210,1"}, "longitudes"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5001"}, "limit"),
        ({"since": "2022-01-05", "until": "2022-01-04"}, "until must not be before since"),
        ({"until": "not-a-time"}, "until"),
    ],
)
def test_detections_bad_params(det_client: TestClient, params: dict[str, str], needle: str) -> None:
    r = det_client.get("/api/detections", params=params)
    assert r.status_code == 422, r.text
    assert needle in r.json()["error"]["detail"]


def test_detections_of_a_store_without_any(client: TestClient) -> None:
    fc = client.get("/api/detections").json()
    assert fc["features"] == [] and fc["numberMatched"] == 0


def test_detections_not_matched_yet(tmp_path: Path) -> None:
    """Detections ingested after the last ``seawatch detect`` have no matcher event yet."""
    from seawatch.store import open_store
    from tests.api._apistore import build_store
    from tests.api._detstore import detections_csv

    root = build_store(tmp_path / "store")
    open_store(root).ingest_detections([detections_csv(tmp_path / "detections.csv")])
    with TestClient(create_app(root), base_url="http://127.0.0.1") as c:
        fc = c.get("/api/detections").json()
    assert [f["properties"]["status"] for f in fc["features"]] == ["not_matched_yet"] * 3
    assert all(f["properties"]["vessel"] is None for f in fc["features"])


def test_documents_validate_against_the_published_schemas(
    det_store: Path, det_client: TestClient
) -> None:
    runner = CliRunner()
    app = cli_app
    brief = validator("brief")
    r = runner.invoke(app, ["report", "--store", str(det_store), "--format", "json"])
    assert r.exit_code == 0, r.output
    cli_brief = json.loads(r.stdout)
    brief.validate(cli_brief)
    brief.validate(det_client.get("/api/brief").json())
    assert cli_brief["claims"], "the fixture's claims are checked in the brief"
    validator("detections").validate(det_client.get("/api/detections").json())
    # presence: the CLI and the API give one document
    presence = validator("presence")
    args = ["presence", "--country", "VE", "--store", str(det_store), "--format", "json"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    cli_presence = json.loads(r.stdout)
    presence.validate(cli_presence)
    api_presence = det_client.get("/api/presence", params={"country": "VE"}).json()
    assert api_presence == cli_presence and cli_presence["n_rows"] > 0
    since = "2025-12-08T09:00:00Z"
    r = runner.invoke(app, [*args, "--since", since])
    api_since = det_client.get("/api/presence", params={"country": "VE", "since": since}).json()
    assert json.loads(r.stdout) == api_since and api_since["since"] == since
    # track: the CLI's full track and the API's display track share one schema
    track = validator("track")
    mmsi = cli_presence["rows"][0]["mmsi"]
    r = runner.invoke(app, ["track", str(mmsi), "--store", str(det_store)])
    assert r.exit_code == 0, r.output
    cli_track = json.loads(r.stdout)
    track.validate(cli_track)
    api_track = det_client.get(f"/api/vessels/{mmsi}/track").json()
    track.validate(api_track)
    for key in ("mmsi", "start", "end", "n_positions"):
        assert cli_track["properties"][key] == api_track["properties"][key], key
