"""``sort_positions`` returns an already ordered table as it is, and otherwise sorts: the
same rows in the same order as a stable sort by ``mmsi, ts, lat, lon, sog_kn`` in every case
(ties on ``mmsi, ts``, NaN and null speeds, negative zeros)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from seawatch.tracks.columns import sort_positions

KEYS = [(c, "ascending") for c in ("mmsi", "ts", "lat", "lon", "sog_kn")]


def _table(rng: np.random.Generator, n: int) -> pa.Table:
    sog = rng.choice([0.0, -0.0, 1.5, 2.5, np.nan], n)
    sog_mask = rng.random(n) < 0.1
    return pa.table(
        {
            "mmsi": pa.array(rng.integers(1, 6, n), pa.uint32()),
            "ts": pa.array(rng.integers(0, 30, n) * 1_000_000, pa.int64()).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "lat": pa.array(rng.choice([1.0, 2.0, -0.0, 0.0], n)),
            "lon": pa.array(rng.choice([5.0, 6.0], n)),
            "sog_kn": pa.array(sog, pa.float32(), mask=sog_mask),
            "row": pa.array(np.arange(n)),
        }
    )


@pytest.mark.parametrize("seed", range(40))
def test_sorted_or_not_the_result_is_the_stable_sort(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = _table(rng, int(rng.integers(2, 300)))
    for case in (t, t.sort_by(KEYS), t.sort_by(KEYS).take(np.arange(t.num_rows)[::-1])):
        got = sort_positions(case)
        # the same rows in the same order (row ids: NaN never equals itself in a table)
        assert got.column("row").equals(case.sort_by(KEYS).column("row"))


def test_ties_ordered_by_the_tie_keys_need_no_sort() -> None:
    t = pa.table(
        {
            "mmsi": pa.array([1, 1, 1, 2], pa.uint32()),
            "ts": pa.array([5, 5, 6, 1], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "lat": pa.array([1.0, 1.0, 0.0, 0.0]),
            "lon": pa.array([2.0, 3.0, 0.0, 0.0]),
            "sog_kn": pa.array([9.0, 1.0, 0.0, 0.0], pa.float32()),
        }
    )
    assert sort_positions(t) is t
    swapped = t.take([1, 0, 2, 3])
    assert sort_positions(swapped).equals(t)
    # a NaN speed among rows tied on every other key: the sort decides (NaN after numbers)
    nan = t.set_column(3, "lon", pa.array([2.0, 2.0, 0.0, 0.0])).set_column(
        4, "sog_kn", pa.array([np.nan, 1.0, 0.0, 0.0], pa.float32())
    )
    got = sort_positions(nan)
    assert got is not nan
    assert got.column("sog_kn").to_pylist()[0] == 1.0
    assert np.isnan(got.column("sog_kn").to_pylist()[1])
