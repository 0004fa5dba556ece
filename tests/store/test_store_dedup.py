"""The Arrow/numba positions merge gives exactly the rows and order of the SQL merge."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seawatch import schema
from seawatch.store._dedup import merge_positions
from seawatch.store._merge import merge_connection, merge_sql

T0_US = 1_709_251_200_000_000  # 2024-03-01


def _table(rows: list[tuple[object, ...]]) -> pa.Table:
    names = schema.POSITIONS.names
    cols = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    cols["ts"] = [T0_US + int(v) for v in cols["ts"]]  # type: ignore[call-overload]
    arrays = [
        pa.array(cols[n], pa.int64()).cast(schema.POSITIONS.field(n).type)
        if n == "ts"
        else pa.array(cols[n], pa.string()).dictionary_encode()
        if n in ("source", "station")
        else pa.array(cols[n], schema.POSITIONS.field(n).type)
        for n in names
    ]
    return pa.Table.from_arrays(arrays, schema=schema.POSITIONS)


def _sql_merge(table: pa.Table, tmp: Path, window_s: float) -> pa.Table:
    f = tmp / "in.parquet"
    pq.write_table(table, f)
    con = merge_connection(tmp / "spill")
    try:
        out = con.sql(merge_sql("positions", [f], window_s=window_s)).to_arrow_table()
    finally:
        con.close()
    return out.cast(schema.POSITIONS)


def _fast_merge(table: pa.Table, window_s: float) -> pa.Table | None:
    out = merge_positions(table, window_us=round(window_s * 1_000_000))
    return None if out is None else out.cast(schema.POSITIONS)


_maybe = st.one_of  # readability below
row = st.tuples(
    st.sampled_from([211_000_001, 211_000_002, 538_000_003]),  # mmsi
    st.integers(0, 40).map(lambda s: s * 1_000_000),  # ts, whole seconds
    _maybe(st.none(), st.sampled_from([10.0, 10.0001, -5.5])),  # lat
    _maybe(st.none(), st.sampled_from([20.0, -70.25])),  # lon
    _maybe(st.none(), st.sampled_from([0.0, 1.5, 12.25])),  # sog
    _maybe(st.none(), st.sampled_from([0.0, 90.0])),  # cog
    _maybe(st.none(), st.sampled_from([0, 511])),  # heading
    _maybe(st.none(), st.sampled_from([0, 5])),  # nav_status
    _maybe(st.none(), st.sampled_from([1, 3, 18])),  # msg_type
    _maybe(st.none(), st.sampled_from(["a.nmea", "b.nmea"])),  # source
    _maybe(st.none(), st.sampled_from(["s1", "s2", "s10"])),  # station
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(row, min_size=1, max_size=60), window_s=st.sampled_from([0.0, 3.0, 10.0]))
def test_fast_merge_equals_sql_merge(
    tmp_path: Path, rows: list[tuple[object, ...]], window_s: float
) -> None:
    table = _table(rows)
    fast = _fast_merge(table, window_s)
    assert fast is not None
    assert fast.to_pylist() == _sql_merge(table, tmp_path, window_s).to_pylist()


def test_realistic_repeats(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows: list[tuple[object, ...]] = []
    for v in range(20):
        for k in range(200):
            t = k * 7_000_000 + int(rng.integers(0, 3)) * 1_000_000
            base = (300_000_000 + v, t, 10 + k * 1e-4, -60 - v * 1e-3, 8.5, 45.0, 44, 0, 1)
            for src in ["a", "b"][: 1 + int(rng.integers(0, 2))]:
                rows.append((*base, src, None))
    table = _table(rows)
    fast = _fast_merge(table, 10.0)
    assert fast is not None
    assert fast.num_rows < table.num_rows
    assert fast.to_pylist() == _sql_merge(table, tmp_path, 10.0).to_pylist()


@pytest.mark.parametrize("odd", [float("nan"), -0.0])
def test_declines_float_oddities(odd: float) -> None:
    rows: list[tuple[object, ...]] = [
        (211_000_001, 0, 10.0, 20.0, odd, 0.0, 0, 0, 1, "a", None),
        (211_000_001, 0, 10.0, 20.0, 0.0, 0.0, 0, 0, 1, "a", None),
    ]
    assert merge_positions(_table(rows), window_us=10_000_000) is None


def test_declines_long_runs_within_the_window() -> None:
    # one --time for a whole untimed file: every row of a vessel at the same instant
    rows: list[tuple[object, ...]] = [
        (211_000_001, 0, 10.0 + i * 1e-4, 20.0, 1.0, 0.0, 0, 0, 1, "a", None) for i in range(400)
    ]
    assert merge_positions(_table(rows), window_us=10_000_000) is None
