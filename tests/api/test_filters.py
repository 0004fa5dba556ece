"""Issue #8 in the API: engagements counted as incidents; unknown filter values are 422s
that list the valid values (never an empty 200)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from seawatch.api import create_app
from seawatch.detect import event_id, link_incidents
from seawatch.schema import EVENTS
from tests.api._apistore import T0, build_store, event_rows


@pytest.fixture(scope="module")
def incident_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The fixture store plus an interception of the encounter's pair over the same time."""
    rows = event_rows()
    enc = next(r for r in rows if r["type"] == "encounter")
    start = enc["start"]
    assert isinstance(start, type(T0))
    icp = {
        **enc,
        "event_id": event_id("interception", enc["vessels"], start),  # type: ignore[arg-type]
        "type": "interception",
        "end": start + timedelta(hours=3.5),
        "duration_h": 3.5,
        "details": json.dumps({"interceptor": 775000002, "target": 311000001}),
    }
    table = link_incidents(pa.Table.from_pylist([*rows, icp], schema=EVENTS))
    root = build_store(tmp_path_factory.mktemp("incident-store") / "store", events=table)
    app = create_app(Path(root))
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        yield c


def test_report_counts_an_interception_and_its_encounter_as_one_engagement(
    incident_client: TestClient,
) -> None:
    body = incident_client.get("/api/report?by=type").json()
    assert body["engagements"] == {"engagements": 1, "encounters": 1, "interceptions": 1}
    rows = {r["type"]: r for r in body["rows"]}
    assert rows["encounter"]["n_events"] == rows["interception"]["n_events"] == 1
    by_region = incident_client.get("/api/report?by=region").json()["rows"]
    carib = next(r for r in by_region if r["region"] == "caribbean")
    assert carib["n_events"] == carib["n_incidents"] + 1  # two events, one incident
    only_enc = incident_client.get("/api/report?by=type&type=encounter").json()
    assert only_enc["engagements"] == {"engagements": 1, "encounters": 1, "interceptions": 0}
    none = incident_client.get("/api/report?by=type&type=gap").json()
    assert none["engagements"]["engagements"] == 0


def test_old_store_rows_without_incident_id_count_as_their_own(client: TestClient) -> None:
    # the shared fixture writes events without incident_id (as stores before issue #8 did)
    body = client.get("/api/report?by=type").json()
    assert body["engagements"] == {"engagements": 1, "encounters": 1, "interceptions": 0}
    assert all(r["n_incidents"] == r["n_events"] for r in body["rows"])


@pytest.mark.parametrize(
    ("path", "needle", "listed"),
    [
        ("/api/events?region=carribean", "unknown region 'carribean'", "caribbean"),
        ("/api/events?type=encounters", "unknown type 'encounters'", "interception"),
        ("/api/events?flag=XX", "unknown flag 'XX'", "VE"),
        ("/api/events?group=warship", "unknown group 'warship'", "law_enforcement"),
        ("/api/events?zone=VE-eezz", "unknown zone 'VE-eezz'", "VE-eez"),
        ("/api/report?by=type&region=nowhere", "unknown region 'nowhere'", "gulf-of-mexico"),
        ("/api/presence?country=ZZ", "unknown country 'ZZ'", "VE"),
        ("/api/presence?country=VEN", "unknown country 'VEN'", "VE"),
        ("/api/presence?country=VE&flag=XX", "unknown flag 'XX'", "US"),
        ("/api/presence?country=VE&group=navy", "unknown group 'navy'", "military"),
        ("/api/zones?name=atlantis", "unknown zone 'atlantis'", "VE-eez"),
        ("/api/zones?country=ZZ", "unknown country 'ZZ'", "VE"),
    ],
)
def test_unknown_values_are_422_listing_the_valid_ones(
    client: TestClient, path: str, needle: str, listed: str
) -> None:
    r = client.get(path)
    assert r.status_code == 422, r.text
    detail = r.json()["error"]["detail"]
    assert needle in detail and listed in detail


def test_values_are_case_insensitive_and_multi_valued_everywhere(client: TestClient) -> None:
    a = client.get("/api/events?region=CARIBBEAN&type=Loitering").json()
    b = client.get("/api/events?region=caribbean&type=loitering").json()
    assert a["numberMatched"] == b["numberMatched"] == 1
    zone = client.get("/api/events?zone=ve-EEZ").json()
    assert zone["numberMatched"] == 2
    assert {f["properties"]["zone"] for f in zone["features"]} == {"VE-eez"}
    # presence: several flags and groups, as in events
    one = client.get("/api/presence?country=VE&flag=BS").json()["rows"]
    two = client.get("/api/presence?country=VE&flag=bs,VE").json()["rows"]
    assert {r["mmsi"] for r in one} <= {r["mmsi"] for r in two}
    assert {r["mmsi"] for r in two} >= {311000001}
    assert client.get("/api/presence?country=ve&group=Cargo,tanker").status_code == 200


def test_events_carry_their_incident_id(incident_client: TestClient) -> None:
    fc = incident_client.get("/api/events?type=encounter,interception").json()
    ids = {f["properties"]["type"]: f["properties"]["incident_id"] for f in fc["features"]}
    assert ids["encounter"] == ids["interception"]
    others = incident_client.get("/api/events?type=gap,loitering").json()["features"]
    assert all(f["properties"]["incident_id"] == f["id"] for f in others)
