"""Every detector on real AIS, checked against what any event table must satisfy.

Real data has what scenarios lack: an MMSI on two tracks at once, stale reports, a vessel
heard once, thousands of vessels in ports. Whatever the detectors find there, the events
must hold together, because every view (the CLI, the brief, the API, the map) counts them:

- each event id is unique (a shared id made the views count 24,735 zone visits where the
  store held 24,799 on the NOAA sample);
- an event ends no earlier than it starts, and its duration is its end minus its start;
- a position is a position: latitude in [-90, 90], longitude in [-180, 180);
- every vessel an event names was heard in the store, and lies inside the data's period;
- the brief and the counts report count every event once, and agree with the store.

Samples: the NOAA MarineCadastre day (2022-01-03, 99,999 rows, public domain) and the
Caribbean extract bundled for the demo.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from seawatch.engine import run_detectors
from seawatch.store import Store, open_store


def _sample(shared_data: Path, name: str) -> Path:
    if name == "bundled":
        ref = resources.files("seawatch") / "data" / "samples" / "noaa_caribbean_20220103.csv.gz"
        return Path(str(ref))
    return shared_data / "noaa-ais-20220103-vesselsummaryais" / "data" / "AISdata.csv"


@pytest.fixture(scope="module", params=["bundled", "noaa"])
def detected(
    request: pytest.FixtureRequest, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Store, pa.Table]:
    store = open_store(tmp_path_factory.mktemp(f"real-{request.param}") / "store", create=True)
    store.ingest([_sample(shared_data, request.param)])
    events = run_detectors(store, workers=1)
    return store, events


def test_every_event_id_is_unique(detected: tuple[Store, pa.Table]) -> None:
    store, events = detected
    assert events.num_rows > 0
    ids = events.column("event_id").to_pylist()
    assert len(set(ids)) == len(ids)
    stored = store.events().column("event_id").to_pylist()
    assert sorted(stored) == sorted(ids)
    assert events.column("incident_id").null_count == 0


def test_times_and_places_hold_together(detected: tuple[Store, pa.Table]) -> None:
    store, events = detected
    start = pc.cast(events.column("start"), pa.int64()).to_numpy()
    end = pc.cast(events.column("end"), pa.int64()).to_numpy()
    assert (end >= start).all()
    dur = events.column("duration_h").to_numpy(zero_copy_only=False)
    assert abs(dur - (end - start) / 3.6e9).max() < 1e-6
    lat = events.column("lat").drop_null().to_numpy()
    lon = events.column("lon").drop_null().to_numpy()
    assert ((lat >= -90) & (lat <= 90)).all() and ((lon >= -180) & (lon < 180)).all()
    span = store.query("SELECT min(ts) AS a, max(ts) AS b FROM positions").to_pylist()[0]
    first, last = span["a"].timestamp() * 1e6, span["b"].timestamp() * 1e6
    assert start.min() >= first and end.max() <= last


def test_every_vessel_named_was_heard(detected: tuple[Store, pa.Table]) -> None:
    store, events = detected
    named = {int(m) for vs in events.column("vessels").to_pylist() for m in vs}
    heard = {
        int(r["mmsi"])
        for r in store.query(
            "SELECT mmsi FROM positions UNION SELECT mmsi FROM statics"
        ).to_pylist()
    }
    assert named and named <= heard


def test_the_reports_count_every_event_once(detected: tuple[Store, pa.Table]) -> None:
    from seawatch.report import brief, report

    store, events = detected
    by_type: dict[str, int] = {}
    hours: dict[str, float] = {}
    for t, h in zip(
        events.column("type").to_pylist(), events.column("duration_h").to_pylist(), strict=True
    ):
        by_type[t] = by_type.get(t, 0) + 1
        hours[t] = hours.get(t, 0.0) + h
    counted = report(store, by="type").to_pylist()
    assert {r["type"]: r["events"] for r in counted} == by_type
    assert {r["type"]: round(r["hours"], 6) for r in counted} == {
        t: round(h, 6) for t, h in hours.items()
    }
    b = brief(store)
    assert {r["type"]: r["n_events"] for r in b.by_type} == by_type
