"""The live routes: /api/feeds, /api/events/{id}/history, /api/changes/stream (SSE)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from seawatch.api import create_app
from seawatch.store import open_store
from tests.live._livekit import live_run, scenario_nmea


@pytest.fixture(scope="module")
def live_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("live-api")
    nmea = scenario_nmea("interception-diverted", folder)
    listener = live_run(nmea, folder / "store", batches=3)
    listener.write_health()
    return folder / "store"


@pytest.fixture(scope="module")
def client(live_store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(live_store), base_url="http://127.0.0.1") as c:
        yield c


def test_feeds(client: TestClient) -> None:
    doc = client.get("/api/feeds").json()
    assert doc["schema"] == "seawatch.feeds/1"
    assert [f["name"] for f in doc["feeds"]] == ["feed-a", "feed-b"]
    assert doc["listener"]["commits"] >= 3 and doc["listener"]["events_closed"] > 0


def test_history(client: TestClient, live_store: Path) -> None:
    eid = open_store(live_store).events().column("event_id")[0].as_py()
    doc = client.get(f"/api/events/{eid}/history").json()
    revs = doc["revisions"]
    assert revs[0]["change"] == "created" and revs[-1]["status"] == "closed"
    assert [r["revision"] for r in revs] == list(range(1, len(revs) + 1))
    missing = client.get("/api/events/nope/history")
    assert missing.status_code == 404 and missing.json()["error"]["status"] == 404


@pytest.mark.timeout(30)
def test_change_stream_replays_from_a_sequence(client: TestClient) -> None:
    got: list[dict[str, object]] = []
    with client.stream("GET", "/api/changes/stream?after=-1") as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            if line.startswith("data: "):
                got.append(json.loads(line[len("data: ") :]))
            if len(got) >= 3:
                break
    assert got[0]["change"] == "created" and got[0]["seq"] == 0
