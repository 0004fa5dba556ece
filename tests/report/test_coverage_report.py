"""What the data can and cannot see: coverage holes, the gap coverage rule on mixed
periods, and the brief's opening data section (DESIGN.md §11)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from seawatch.cli import app
from seawatch.detect import GapParams, gaps
from seawatch.engine import run_detectors
from seawatch.report import brief
from seawatch.report.coverage import coverage_holes, data_summary, store_coverage
from seawatch.sim import load_scenario, simulate
from seawatch.store import Store, open_store
from tests.store._storekit import track_rows, write_csv

T2015 = datetime(2015, 10, 6, 12, 0, tzinfo=UTC)
T2022 = datetime(2022, 1, 3, 0, 0, tzinfo=UTC)
VESSELS = (366000001, 366000002, 366000003)


def _two_periods(tmp: Path) -> Store:
    """Three vessels heard for 20 min in 2015 and again in 2022, nothing in between (the
    shape of a 2015 file ingested beside a 2022 one)."""
    old = [r for k, m in enumerate(VESSELS) for r in track_rows(m, T2015, 20, lat0=10 + k)]
    new = [r for k, m in enumerate(VESSELS) for r in track_rows(m, T2022, 20, lat0=10 + k)]
    store = open_store(tmp / "store", create=True)
    store.ingest([write_csv(tmp / "a2015.csv", old), write_csv(tmp / "b2022.csv", new)])
    return store


def test_no_gap_across_years_without_reception(tmp_path: Path) -> None:
    """Regression (issue 8): a 2015 file and a 2022 file made one 6-year "AIS gap" per
    vessel. Nobody was heard in between: that is a coverage hole, not a gap."""
    store = _two_periods(tmp_path)
    naive = gaps(store.positions(), params=GapParams(min_coverage_fraction=0.0))
    assert naive.num_rows == 3 and min(naive.column("duration_h").to_pylist()) > 54_000
    assert run_detectors(store, only="gap", workers=1).num_rows == 0
    data = brief(store).to_dict()["data"]
    assert data["coverage_holes_count"] == 1
    (hole,) = data["coverage_holes"]
    assert hole["start"] == "2015-10-06T13:00:00Z" and hole["end"] == "2022-01-03T00:00:00Z"
    assert data["coverage_holes_hours"] == hole["hours"] > 54_000
    assert any(w.startswith("coverage:") for w in data["warnings"])


def test_coverage_holes() -> None:
    h = 3_600_000_000
    ts = np.array([0, 1, 2, 10, 11, 30], np.int64) * h + 5
    assert coverage_holes(ts, min_hours=6) == [
        {"start": "1970-01-01T03:00:00Z", "end": "1970-01-01T10:00:00Z", "hours": 7},
        {
            "start": "1970-01-01T12:00:00Z",
            "end": "1970-01-01T06:00:00Z".replace("01T06", "02T06"),
            "hours": 18,
        },
    ]
    assert coverage_holes(ts, min_hours=8) == [coverage_holes(ts, min_hours=6)[1]]
    assert coverage_holes(np.zeros(0, np.int64)) == []


def test_store_coverage_grid(tmp_path: Path) -> None:
    store = _two_periods(tmp_path)
    grid = store_coverage(store)
    assert sum(grid.column("positions").to_pylist()) == 120
    assert set(grid.column("vessels").to_pylist()) == {1}
    assert grid.num_rows == 6  # 3 cells x 2 hours (one in 2015, one in 2022)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A simulated scenario beside a real (unmarked) track."""
    tmp = tmp_path_factory.mktemp("mixed")
    res = simulate(load_scenario("gap-offshore"), tmp / "sim", write_csv=False)
    real = [
        r for m in (366000001,) for r in track_rows(m, datetime(2025, 1, 15, 2, tzinfo=UTC), 300)
    ]
    store = open_store(tmp / "store", create=True)
    store.ingest([res.paths["nmea"], write_csv(tmp / "real.csv", real)])
    run_detectors(store, workers=1)
    return store


def test_brief_keeps_real_and_simulated_apart(mixed: Store) -> None:
    b = brief(mixed).to_dict()
    assert list(b)[:2] == ["schema", "data"]  # the brief opens with the data it rests on
    d = b["data"]
    assert d["real"]["positions"] == 300 and d["real"]["vessels"] == 1
    assert d["simulated"]["vessels"] == 2 and d["simulated"]["positions"] > 1000
    assert d["simulated"]["sources"] and d["simulated"]["sources"][0].endswith("gap-offshore.nmea")
    events = mixed.events()
    n_sim = sum(events.column("simulated").to_pylist())
    assert d["simulated"]["events"] == n_sim > 0
    assert d["real"]["events"] == events.num_rows - n_sim
    assert d["positions"] == d["real"]["positions"] + d["simulated"]["positions"]
    assert d["first_day"] == "2025-01-15" and d["last_day"] == "2025-01-16"
    assert any(w.startswith("simulated data:") for w in d["warnings"])
    # the gap event gives the coverage during it
    (gap,) = [
        json.loads(x)
        for x in events.filter(pc.equal(events.column("type"), "gap"))["details"].to_pylist()
    ]
    assert gap["coverage"]["fraction"] >= 0.5 and gap["coverage"]["positions"] > 0


def test_brief_table_opens_with_the_data(mixed: Store) -> None:
    out = CliRunner().invoke(app, ["report", "--store", str(mixed.root)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("Data: 2025-01-15 to 2025-01-16 (UTC dates")
    assert "SIMULATED" in out.stdout and "real and simulated data" in out.stdout
    assert out.stdout.index("Data:") < out.stdout.index("Situation brief")


def test_thin_data_warnings() -> None:
    import pyarrow as pa

    from seawatch import schema

    # 50 vessels, 7 reports each within 20 minutes (the NOAA sample's shape)
    rows = [
        {"mmsi": m, "ts": datetime(2022, 1, 3, 0, 3 * k, tzinfo=UTC), "lat": 25.0, "lon": -80.0}
        for m in range(1, 51)
        for k in range(7)
    ]
    d = data_summary(pa.Table.from_pylist(rows, schema=schema.POSITIONS))
    assert d["median_reports_per_vessel_day"] == 7 and d["median_track_h"] == 0.3
    text = " ".join(d["warnings"])
    assert "a median of 7 positions per vessel per day is too thin" in text
    assert "median vessel track lasts 0.3 h" in text
    assert data_summary(schema.POSITIONS.empty_table())["warnings"][0].startswith("no positions")


def test_noaa_sample_gaps_are_sampling_not_behaviour(shared_data: Path, tmp_path: Path) -> None:
    """The NOAA sample is a 20-minute nationwide snapshot plus a few stray rows late in the
    day: its 81 "gaps" of ~24 h (reported before the coverage rule) had no reception in
    between; the brief says the data is too thin for gaps."""
    csv = shared_data / "noaa-ais-20220103-vesselsummaryais" / "data" / "AISdata.csv"
    store = open_store(tmp_path / "noaa", create=True)
    store.ingest([csv])
    naive = gaps(store.positions(), params=GapParams(min_coverage_fraction=0.0))
    assert naive.num_rows == 81
    assert run_detectors(store, only="gap", workers=1).num_rows == 0
    d = brief(store).to_dict()["data"]
    assert d["positions"] == 99_997 and d["vessels"] == 10_631
    assert d["median_reports_per_vessel_day"] == 7
    assert d["simulated"]["positions"] == 0
    assert any("7 positions per vessel per day" in w for w in d["warnings"])


@pytest.mark.slow
def test_issue8_mixed_2015_and_2022_files(shared_data: Path, tmp_path: Path) -> None:
    """The issue's reproduction: the 2015 AISHub sample (untimed, --time) beside the 2022
    NOAA file gave 166 gaps of ~54,732 h; now none, and the hole is reported."""
    (log,) = shared_data.glob("gpsd/contrib/ais-samples/ais-nmea-sample.log")
    csv = shared_data / "noaa-ais-20220103-vesselsummaryais" / "data" / "AISdata.csv"
    store = open_store(tmp_path / "mix", create=True)
    store.ingest([log], default_time=datetime(2015, 10, 6, 12, tzinfo=UTC))
    store.ingest([csv])
    naive = gaps(store.positions(), params=GapParams(min_coverage_fraction=0.0))
    assert naive.num_rows == 166
    assert run_detectors(store, only="gap", workers=1).num_rows == 0
    d = brief(store).to_dict()["data"]
    assert max(h["hours"] for h in d["coverage_holes"]) == 54_731
