"""The coverage grid (one definition, two forms) and reception during silences."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from seawatch._exceptions import ParameterError
from seawatch.detect import COVERAGE, GapParams, coverage_grid, coverage_sql
from seawatch.detect.coverage import HOUR_US, as_grid, reception_during
from seawatch.detect.sql import DuckDBRunner, check_portable
from tests.detect.conftest import positions


def _rows() -> pa.Table:
    rng = np.random.default_rng(3)
    rows: list[tuple[int, float, float | None, float, float]] = []
    for i in range(400):
        rows.append(
            (
                int(rng.integers(1, 6)),
                float(rng.uniform(0, 60 * 30)),
                float(rng.uniform(-3, 3)),
                float(rng.uniform(-181, 181) if i % 50 == 0 else rng.uniform(-2, 2)),
                1.0,
            )
        )
    rows.append((7, 10.0, None, 1.0, 1.0))  # no latitude: not counted
    return positions(rows)  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", [1.0, 0.5, 0.01])
def test_sql_and_numpy_give_the_same_grid(cell: float) -> None:
    table = _rows()
    sql = coverage_sql(cell_deg=cell)
    check_portable(sql)  # runs unchanged on DuckDB and Spark
    runner = DuckDBRunner()
    try:
        got = as_grid(runner.query(sql, {"positions": table}))
    finally:
        runner.close()
    expect = coverage_grid(table, cell_deg=cell)
    assert expect.schema.equals(COVERAGE)
    assert got.equals(expect)
    assert sum(expect.column("positions").to_pylist()) == 400


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batches_give_the_grid_of_the_whole(seed: int) -> None:
    """``coverage_of_batches`` (what the engine runs over a store's files, a batch at a
    time) against the SQL: rows sorted by vessel and time (long runs) or shuffled (none),
    cut at random places, vessels coming back to a cell within the hour in another batch
    or after another cell, rows without a time or a latitude."""
    from seawatch.detect.coverage import coverage_of_batches

    table = _rows()
    ts = table.column("ts").to_pylist()
    ts[5] = None
    table = table.set_column(
        table.schema.get_field_index("ts"), "ts", pa.array(ts, table.schema.field("ts").type)
    )
    runner = DuckDBRunner()
    try:
        sql = as_grid(runner.query(coverage_sql(cell_deg=0.5), {"positions": table}))
    finally:
        runner.close()
    rng = np.random.default_rng(seed)
    ordered = table.sort_by([("mmsi", "ascending"), ("ts", "ascending")])
    shuffled = table.take(pa.array(rng.permutation(table.num_rows)))
    for rows in (ordered, shuffled):
        cuts = np.sort(rng.choice(np.arange(1, rows.num_rows), 7, replace=False))
        edges = [0, *cuts.tolist(), rows.num_rows]
        parts = [rows.slice(a, b - a) for a, b in itertools.pairwise(edges)]
        batches = [p.to_batches()[0] if i % 2 else p for i, p in enumerate(parts) if p.num_rows]
        got = coverage_of_batches(batches, cell_deg=0.5)
        assert got.equals(sql)
        assert coverage_of_batches([rows], cell_deg=0.5).equals(sql)
    assert coverage_of_batches([], cell_deg=0.5).equals(COVERAGE.empty_table())
    assert coverage_of_batches([table.slice(0, 0)], cell_deg=0.5).equals(COVERAGE.empty_table())


def test_reception_counts_the_cells_around_both_fixes_hour_by_hour() -> None:
    h = 500_000  # an hour number
    grid = pa.table(
        {
            "cell_lat": pa.array([10, 10, 12, 30], pa.int32()),
            "cell_lon": pa.array([1, 1, 3, 3], pa.int32()),
            "hour": pa.array(
                [(h + 1) * HOUR_US, (h + 2) * HOUR_US, (h + 5) * HOUR_US, (h + 3) * HOUR_US],
                pa.int64(),
            ).cast(COVERAGE.field("hour").type),
            "positions": pa.array([4, 1, 2, 9], pa.int64()),
            "vessels": pa.array([1, 1, 1, 1], pa.int64()),
        },
        schema=COVERAGE,
    )
    rec = reception_during(
        grid,
        start_us=np.array([h * HOUR_US + 10], np.int64),
        end_us=np.array([(h + 7) * HOUR_US + 10], np.int64),
        lat0=np.array([10.5]),
        lon0=np.array([0.5]),  # cell (10, 0): (10, 1) is next to it
        lat1=np.array([13.2]),
        lon1=np.array([3.9]),  # cell (13, 3): (12, 3) is next to it; (30, 3) is far
        min_positions_per_hour=2,
    )
    # inner hours h+1 .. h+6; covered: h+1 (4 positions) and h+5 (2); h+2 has only 1
    assert rec.hours.tolist() == [6]
    assert rec.covered_hours.tolist() == [2]
    assert rec.positions.tolist() == [7]
    assert rec.fraction.tolist() == [pytest.approx(2 / 6)]


def test_empty_grid_means_no_reception() -> None:
    rec = reception_during(
        COVERAGE.empty_table(),
        start_us=np.array([0], np.int64),
        end_us=np.array([20 * HOUR_US], np.int64),
        lat0=np.array([0.0]),
        lon0=np.array([0.0]),
        lat1=np.array([0.0]),
        lon1=np.array([0.0]),
    )
    assert rec.hours.tolist() == [19] and rec.covered_hours.tolist() == [0]
    assert rec.fraction.tolist() == [0.0]


def test_bad_coverage_parameters() -> None:
    with pytest.raises(ParameterError):
        coverage_sql(cell_deg=0.001)
    with pytest.raises(ParameterError):
        GapParams(min_coverage_fraction=1.5)
    with pytest.raises(ParameterError):
        GapParams(coverage_min_positions_per_hour=0)


def test_grid_hours_are_utc_hours() -> None:
    t = positions([(1, 59.0, 0.5, 0.5, 1.0), (1, 61.0, 0.5, 0.5, 1.0)])  # 20:59 and 21:01
    hours = coverage_grid(t).column("hour").to_pylist()
    assert hours == [datetime(2024, 3, 1, 20, tzinfo=UTC), datetime(2024, 3, 1, 21, tzinfo=UTC)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grids_of_disjoint_vessels_merge_into_the_grid_of_the_whole(seed: int) -> None:
    """``merge_grids`` (the Spark engine sums its buckets' grids, one MMSI range each)
    against the grid of all the rows: positions and distinct vessels per cell and hour,
    vessels split into random disjoint groups (some empty), grids in any order."""
    from seawatch.detect.coverage import merge_grids

    table = _rows()
    rng = np.random.default_rng(seed)
    mmsi = np.asarray(table.column("mmsi").to_numpy(), np.int64)
    group = {int(m): int(rng.integers(0, 4)) for m in np.unique(mmsi)}
    of = np.array([group[int(m)] for m in mmsi])
    for cell in (1.0, 0.5):
        grids = [coverage_grid(table.filter(pa.array(of == k)), cell_deg=cell) for k in range(5)]
        grids = [grids[i] for i in rng.permutation(len(grids))]
        assert merge_grids(grids).equals(coverage_grid(table, cell_deg=cell))
    assert merge_grids([]).equals(COVERAGE.empty_table())
    assert merge_grids([COVERAGE.empty_table()]).equals(COVERAGE.empty_table())


def _grid(rows: list[tuple[int, int, int, int]]) -> pa.Table:
    """A coverage grid from (cell_lat, cell_lon, hour, positions) rows."""
    rows = sorted(rows)
    return pa.table(
        {
            "cell_lat": pa.array([r[0] for r in rows], pa.int32()),
            "cell_lon": pa.array([r[1] for r in rows], pa.int32()),
            "hour": pa.array([r[2] * HOUR_US for r in rows], pa.int64()).cast(
                COVERAGE.field("hour").type
            ),
            "positions": pa.array([r[3] for r in rows], pa.int64()),
            "vessels": pa.array([1] * len(rows), pa.int64()),
        },
        schema=COVERAGE,
    )


def _one(grid: pa.Table, h: int, hours: int, a: tuple[float, float], b: tuple[float, float]) -> Any:
    return reception_during(
        grid,
        start_us=np.array([h * HOUR_US + 10], np.int64),
        end_us=np.array([(h + hours) * HOUR_US + 10], np.int64),
        lat0=np.array([a[0]]),
        lon0=np.array([a[1]]),
        lat1=np.array([b[0]]),
        lon1=np.array([b[1]]),
    )


def test_reception_along_the_way_counts_at_high_latitude() -> None:
    """A ship silent for 18 h while it sails 180 nm west at 69°N crosses eight 1° cells of
    longitude; a witness heard all along beside it was, most hours, far from both fixes'
    blocks. Each hour now also counts the block around where the silent ship would have
    been, so the silence is covered (it was 6 of 17 hours before)."""
    h = 480_000
    lon0, lon1 = 2.0, 2.0 - 8.3
    rows = []
    for k in range(19):  # the witness's cell each hour, 25 nm north of the ship
        lon = lon0 + (lon1 - lon0) * (k + 0.5) / 18
        rows.append((69, int(np.floor(lon)), h + k, 6))
    rec = _one(_grid(rows), h, 18, (68.9, lon0), (68.9, lon1))
    assert rec.hours.tolist() == [17]
    assert rec.covered_hours.tolist() == [17]
    # the same reception away from the way (5 degrees of latitude south) is not counted
    far = [(r[0] - 5, r[1], r[2], r[3]) for r in rows]
    assert _one(_grid(far), h, 18, (68.9, lon0), (68.9, lon1)).covered_hours.tolist() == [0]


def test_lon_ring_spans_about_the_same_kilometres() -> None:
    from seawatch.detect.coverage import lon_ring

    got = lon_ring(np.array([0.0, 15.0, 45.0, 60.0, 69.0, -75.0, 90.0]), 1).tolist()
    assert got == [1, 1, 1, 2, 3, 4, 57]
    assert lon_ring(np.array([0.0, 69.0]), 2).tolist() == [2, 6]


def test_reception_wraps_round_the_antimeridian() -> None:
    """Cells on the other side of ±180° are neighbours, around a fix and along a way that
    crosses it (the short way, not round the globe)."""
    h = 470_000
    # a fix in the last cell before the antimeridian; reception in the first one after it
    rows = [(35, -180, h + k, 3) for k in range(1, 6)]
    rec = _one(_grid(rows), h, 6, (35.5, 179.5), (35.5, 179.6))
    assert rec.covered_hours.tolist() == [5]
    # a way east from 177°E to 173°W: reception along it each hour (not near the fixes)
    rows = []
    for k in range(1, 10):
        lon = 177.0 + 10.0 * (k + 0.5) / 10
        rows.append((35, int(np.floor((lon + 180.0) % 360.0 - 180.0)), h + k, 2))
    rows.append((35, 0, h + 5, 50))  # the long way round: never counted
    rec = _one(_grid(rows), h, 10, (35.2, 177.0), (35.2, -173.0))
    assert rec.hours.tolist() == [9]
    assert rec.covered_hours.tolist() == [9]
    assert rec.positions.tolist() == [18]


def test_very_long_silences_are_judged_around_their_fixes_only() -> None:
    from seawatch.detect.coverage import MAX_PATH_HOURS

    h = 460_000
    hours = MAX_PATH_HOURS + 10
    mid = h + hours // 2
    rows = [(0, 20, mid, 5)]  # half way along, where the ship would have been
    rec = _one(_grid(rows), h, hours, (0.5, 0.5), (0.5, 40.5))
    assert rec.covered_hours.tolist() == [0]
    rec = _one(_grid(rows), h, 40, (0.5, 0.5), (0.5, 40.5))  # a short one is walked
    rows = [(0, 20, h + 20, 5)]
    assert _one(_grid(rows), h, 40, (0.5, 0.5), (0.5, 40.5)).covered_hours.tolist() == [1]
