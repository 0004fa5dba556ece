"""run_detectors over a small two-day store: events whole across midnight, exactly once,
identical across re-runs, worker counts and bucket counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seawatch._exceptions import ParameterError
from seawatch.detect import coverage_grid, coverage_sql
from seawatch.detect.coverage import as_grid
from seawatch.engine import (
    DETECTORS,
    EngineStats,
    detector_types,
    plan_buckets,
    resolve_only,
    run_detectors,
)
from seawatch.engine._partition import coverage, mmsi_ranges, read_range
from seawatch.schema import EVENTS
from seawatch.store import Store
from tests.engine.conftest import WORLD

PER_VESSEL = "loitering,gap,port_visit,zone,encounter"


def _by_type(table: pa.Table, type_: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [r for r in table.to_pylist() if r["type"] == type_]
    return rows


def test_events_of_a_small_store(small_store: Store) -> None:
    stats = EngineStats()
    ev = run_detectors(small_store, geo=WORLD, workers=1, bucket_rows=300, stats=stats)
    assert ev.schema.equals(EVENTS)
    assert stats.n_buckets == 4 and stats.n_positions == 1139
    enc = _by_type(ev, "encounter")
    assert len(enc) == 1
    assert enc[0]["vessels"] == [201, 202]
    assert enc[0]["start"] == datetime(2024, 3, 1, 22, tzinfo=UTC)
    assert enc[0]["end"] == datetime(2024, 3, 2, 2, tzinfo=UTC)
    assert stats.max_carried_pairs > 0  # it was carried across midnight
    loit = {tuple(r["vessels"]): r for r in _by_type(ev, "loitering")}
    assert set(loit) == {(201,), (202,), (203,)}
    assert json.loads(str(loit[(201,)]["details"]))["with_encounter"] == [enc[0]["event_id"]]
    assert json.loads(str(loit[(203,)]["details"]))["with_encounter"] == []
    gaps = _by_type(ev, "gap")
    assert [g["vessels"] for g in gaps] == [[206]]
    assert all(r["region"] == "test-sea" for r in ev.to_pylist())
    # written to the store, with the run recorded
    stored = small_store.events()
    assert sorted(stored.column("event_id").to_pylist()) == sorted(
        ev.column("event_id").to_pylist()
    )
    run = small_store.manifest()["events"]["runs"]["encounter"]
    assert run["preset"] == "default" and run["params"]["encounter"]["max_dist_m"] == 500.0


def test_same_events_across_reruns_workers_and_buckets(small_store: Store) -> None:
    a = run_detectors(small_store, geo=WORLD, only=PER_VESSEL, workers=1, bucket_rows=300)
    b = run_detectors(small_store, geo=WORLD, only=PER_VESSEL, workers=1, bucket_rows=300)
    c = run_detectors(small_store, geo=WORLD, only=PER_VESSEL, workers=2, bucket_rows=300)
    d = run_detectors(small_store, geo=WORLD, only=PER_VESSEL, workers=1, bucket_rows=10**9)
    assert a.num_rows >= 5
    assert a.equals(b) and a.equals(c) and a.equals(d)
    # re-running replaced the events: no duplicates in the store
    assert small_store.events().num_rows == a.num_rows


def test_pair_step_days_alone_or_together(small_store: Store) -> None:
    """The pair step reads runs of days within ``bucket_rows`` slot rows: one day at a time
    (the encounter carried across midnight) or both days in one query, the same events of
    every detector, the window steps' (interception) per-day pairs included."""
    alone, together = EngineStats(), EngineStats()
    a = run_detectors(small_store, geo=WORLD, workers=1, bucket_rows=300, stats=alone)
    b = run_detectors(small_store, geo=WORLD, workers=1, bucket_rows=10**9, stats=together)
    assert a.equals(b)
    assert alone.max_carried_pairs > 0 and together.max_carried_pairs == 0
    assert alone.n_close_pairs == together.n_close_pairs > 0


def test_day_batches(tmp_path: Path) -> None:
    from seawatch.engine._partition import write_scratch
    from seawatch.engine._run import _day_batches

    days = []
    for i, rows in enumerate([5, 3, 9, 0, 2, 2]):
        d = tmp_path / f"day=2024-03-0{i + 1}"
        d.mkdir()
        for k in range(2):  # two files a day: the rows of both count
            write_scratch(
                pa.table({"x": np.arange(rows // 2 + k * (rows % 2))}), d / f"b={k}.arrow"
            )
        days.append(d)
    names = [[d.name[-2:] for d in b] for b in _day_batches(days, 8)]
    assert names == [["01", "02"], ["03"], ["04", "05", "06"]]
    assert [len(b) for b in _day_batches(days, 1)] == [1, 1, 1, 1, 1, 1]
    assert [len(b) for b in _day_batches(days, 10**6)] == [6]
    assert list(_day_batches([], 10)) == []


def test_only_and_gfw_preset(small_store: Store) -> None:
    enc = run_detectors(small_store, geo=WORLD, only="encounter", workers=1, preset="gfw")
    assert enc.column("type").to_pylist() == ["encounter"]
    assert json.loads(enc.column("details")[0].as_py())["params"]["merge_gap_h"] == 4.0
    # loitering alone reads the stored encounters for with_encounter
    loit = run_detectors(small_store, geo=WORLD, only=["loitering"], workers=1)
    ids = [json.loads(d)["with_encounter"] for d in loit.column("details").to_pylist()]
    assert sorted(map(len, ids)) == [0, 1, 1]
    types = set(small_store.events().column("type").to_pylist())
    assert types == {"encounter", "loitering"}


def test_resolve_only() -> None:
    assert resolve_only(None) == DETECTORS
    assert resolve_only("zone_entry, encounter") == ("zone", "encounter")
    assert resolve_only(["encounter", "zone"]) == ("zone", "encounter")
    assert detector_types(["zone"]) == ("zone_entry", "zone_exit", "zone_visit")
    with pytest.raises(ParameterError):
        resolve_only("nonsense")
    with pytest.raises(ParameterError):
        run_detectors(None, preset="nope")  # type: ignore[arg-type]


def test_plan_buckets() -> None:
    assert plan_buckets(0, bucket_rows=10) == 1
    assert plan_buckets(25, bucket_rows=10) == 3
    assert plan_buckets(25, bucket_rows=10, workers=2) == 4
    assert plan_buckets(0, bucket_rows=10, workers=2) == 1


def test_coverage_matches_the_python_definition(small_store: Store) -> None:
    files = small_store.files("positions")
    for cell in (1.0, 0.25):
        got = coverage(files, cell_deg=cell)  # the portable SQL in DuckDB
        expect = coverage_grid(small_store.positions(), cell_deg=cell)  # numpy
        assert got.num_rows > 0
        assert got.equals(expect)
    with small_store.connect() as con:  # the store's views run the same SQL
        assert as_grid(con.sql(coverage_sql(cell_deg=1.0)).to_arrow_table()).equals(
            coverage(files, cell_deg=1.0)
        )


def test_mmsi_ranges_read_every_position_once(small_store: Store) -> None:
    files = small_store.files("positions")
    everything = small_store.positions()
    for n in (1, 2, 3, 5, 50):
        ranges = mmsi_ranges(files, n_buckets=n)
        assert 1 <= len(ranges) <= n
        assert ranges[0][0] is None and ranges[-1][1] is None
        parts = [read_range(files, r) for r in ranges]
        assert sum(p.num_rows for p in parts) == everything.num_rows
        seen: set[int] = set()
        for p in parts:
            mmsi = set(p.column("mmsi").to_pylist())
            assert not mmsi & seen  # whole vessels, each in one range
            seen |= mmsi
            m = np.asarray(p.column("mmsi").to_numpy(), np.int64)
            t = np.asarray(p.column("ts").cast(pa.int64()).to_numpy(), np.int64)
            assert ((np.diff(m) > 0) | ((np.diff(m) == 0) & (np.diff(t) >= 0))).all()


def test_mmsi_ranges_from_row_group_statistics(tmp_path: Path) -> None:
    mmsi = np.repeat(np.arange(1_000, 1_400, dtype=np.uint32), 50)  # 400 vessels, sorted
    ts = pa.array(np.tile(np.arange(50, dtype=np.int64), 400) * 1_000_000).cast(
        pa.timestamp("us", tz="UTC")
    )
    table = pa.table({"mmsi": mmsi, "ts": ts, "lat": np.zeros(len(mmsi))})
    f = tmp_path / "day.parquet"
    pq.write_table(table, f, row_group_size=500)  # 40 row groups of 10 vessels
    ranges = mmsi_ranges([f], n_buckets=4)
    assert len(ranges) == 4
    sizes = [read_range([f], r, columns=("mmsi", "ts", "lat")).num_rows for r in ranges]
    assert sum(sizes) == len(mmsi) and max(sizes) - min(sizes) <= 500


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 50), max_size=200), st.booleans())
def test_mmsi_runs_are_np_unique(values: list[int], sort: bool) -> None:
    """The MMSI counts of the fallback (no usable statistics): one pass over a sorted day
    file, ``np.unique`` (the oracle) otherwise; the same values and counts either way."""
    from seawatch.engine._partition import _runs

    m = np.array(sorted(values) if sort else values, np.int64)
    u, c = _runs(m)
    want_u, want_c = np.unique(m, return_counts=True)
    assert u.dtype == np.int64 and c.dtype == np.int64
    np.testing.assert_array_equal(u, want_u)
    np.testing.assert_array_equal(c, want_c)
