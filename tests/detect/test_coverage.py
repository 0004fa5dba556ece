"""The coverage grid (one definition, two forms) and reception during silences."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

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
