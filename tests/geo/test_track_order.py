"""The track-order nearest-edge search gives the ring search's results, bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seawatch.geo import _api
from seawatch.geo._index import Edges, NearestEdgeIndex

RNG = np.random.default_rng(20261206)


def _walks(
    lat0: np.ndarray, lon0: np.ndarray, steps: int, step_m: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random walks (one row per start), flattened in track order."""
    ang = rng.uniform(0, 2 * np.pi, (len(lat0), steps))
    s = step_m / 111_195.0
    lat = lat0[:, None] + np.cumsum(s * np.cos(ang), axis=1)
    lon = lon0[:, None] + np.cumsum(
        s * np.sin(ang) / np.cos(np.radians(np.clip(lat, -85, 85))), axis=1
    )
    lat = np.clip(lat, -89.9, 89.9).ravel()
    lon = ((lon + 180.0) % 360.0 - 180.0).ravel()
    return lat, lon


def _same(index: NearestEdgeIndex, lat: np.ndarray, lon: np.ndarray) -> None:
    d1, i1 = index.nearest(lat, lon)
    far = index._fine.far(lat, lon, min_cells=index.far_min_cells)
    d2 = np.empty(len(lat))
    i2 = np.empty(len(lat), np.int64)
    d2[~far], i2[~far] = index._fine.nearest_ring(lat[~far], lon[~far])
    d2[far], i2[far] = index._coarse.nearest_ring(lat[far], lon[far])
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(d1, d2)


def test_ports_along_tracks_near_ports() -> None:
    ports = _api._ports()
    assert ports.index._fine.track_order
    plat = ports.table.column("lat").to_numpy()
    plon = ports.table.column("lon").to_numpy()
    pick = RNG.choice(len(plat), 400)
    for step_m in (10.0, 300.0, 3_000.0):
        lat, lon = _walks(plat[pick], plon[pick], 50, step_m, RNG)
        _same(ports.index, lat, lon)


def test_ports_along_tracks_anywhere() -> None:
    lat, lon = _walks(RNG.uniform(-80, 80, 300), RNG.uniform(-180, 180, 300), 40, 2_000.0, RNG)
    _same(_api._ports().index, lat, lon)


def test_coast_edges_in_track_order() -> None:
    # the coast index with the track-order search forced on: dense edges, ties at vertices
    coast = _api._land().coast
    e = _api._land().inside.edges
    pick = RNG.choice(len(e.x1), 300)
    idx = NearestEdgeIndex.__new__(NearestEdgeIndex)
    idx._fine, idx._coarse, idx.far_min_cells = coast._fine, coast._coarse, coast.far_min_cells
    for step_m in (20.0, 500.0):
        lat, lon = _walks(e.y1[pick], e.x1[pick], 40, step_m, RNG)
        try:
            coast._fine.track_order = coast._coarse.track_order = True
            _same(idx, lat, lon)
        finally:
            coast._fine.track_order = coast._coarse.track_order = False


@settings(max_examples=60, deadline=None)
@given(
    pts=st.lists(
        st.tuples(
            st.floats(-5.0, 5.0), st.floats(-5.0, 5.0), st.floats(-5.0, 5.0), st.floats(-5.0, 5.0)
        ),
        min_size=1,
        max_size=12,
    ),
    start=st.tuples(st.floats(-4.0, 4.0), st.floats(-4.0, 4.0)),
    step_m=st.sampled_from([1.0, 50.0, 2_000.0, 20_000.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_track_order_and_distance_match_ring_search_on_any_edges(
    pts: list[tuple[float, float, float, float]],
    start: tuple[float, float],
    step_m: float,
    seed: int,
) -> None:
    a = np.array(pts, dtype=np.float64)
    # duplicated and reversed edges make exact ties of every kind: the ring search's order
    # must decide them for nearest(); distance() may keep those of equal surface distance
    a = np.concatenate([a, a[:2], np.column_stack([a[:, 2], a[:, 3], a[:, 0], a[:, 1]])])
    edges = Edges(a[:, 0].copy(), a[:, 1].copy(), a[:, 2].copy(), a[:, 3].copy(),
                  np.zeros(len(a), np.int32))  # fmt: skip
    index = NearestEdgeIndex(edges, fine_cells_per_deg=4, coarse_cells_per_deg=1, track_order=True)
    rng = np.random.default_rng(seed)
    lat, lon = _walks(np.array([start[0]]), np.array([start[1]]), 60, step_m, rng)
    _same(index, lat, lon)
    _same_distance(index, lat, lon)


def _same_distance(index: NearestEdgeIndex, lat: np.ndarray, lon: np.ndarray) -> None:
    """``index.distance`` gives the ring search's metres, bit for bit."""
    far = index._fine.far(lat, lon, min_cells=index.far_min_cells)
    ring = np.empty(len(lat))
    ring[~far], _ = index._fine.nearest_ring(lat[~far], lon[~far])
    ring[far], _ = index._coarse.nearest_ring(lat[far], lon[far])
    np.testing.assert_array_equal(index.distance(lat, lon), ring)


def test_coast_distance_along_tracks() -> None:
    """Distances to the coast by the track-order search with vertex ties accepted: walks
    starting on coast vertices (dense edges, ties everywhere), walks far offshore (the
    simplified coast), and the same points shuffled (no track order at all)."""
    coast = _api._land().coast
    e = _api._land().inside.edges
    pick = RNG.choice(len(e.x1), 300)
    for step_m in (20.0, 500.0, 5_000.0):
        lat, lon = _walks(e.y1[pick], e.x1[pick], 40, step_m, RNG)
        _same_distance(coast, lat, lon)
    lat, lon = _walks(RNG.uniform(-60, 60, 200), RNG.uniform(-180, 180, 200), 60, 30.0, RNG)
    _same_distance(coast, lat, lon)
    order = RNG.permutation(len(lat))
    _same_distance(coast, lat[order], lon[order])
    assert np.array_equal(_api.distance_to_shore_m([np.nan], [0.0]), [np.nan], equal_nan=True)


def test_coast_distance_rarely_takes_the_ring_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of accepting ties: along a track in the mid-Atlantic, nearly every point
    ties at a vertex of the simplified coast. Counted by running the kernel's Python source
    with the ring search wrapped: without the ties accepted, over 90% of the points take it."""
    from seawatch.geo import _index
    from seawatch.geo import _kernels as K

    calls = {"ring": 0}
    ring = K._nearest_one

    def counted(*args: Any) -> Any:
        calls["ring"] += 1
        return ring(*args)

    monkeypatch.setattr(K, "_nearest_one", counted)
    lat, lon = _walks(np.array([30.0]), np.array([-40.0]), 1_500, 70.0, RNG)
    b = _api._land().coast._coarse
    g = b.grid
    args = (
        lat, lon, *b._a, *b._b, g.lon0, g.lat0, g.cells_per_deg, g.ncol, g.nrow, g.wrap,
        b._cell_start, b._cell_edges, b._cheb,
        _index.DIST_REACH, _index.SEQ_MIN_REACH, _index.SEQ_MAX_EDGES,
    )  # fmt: skip
    d, _ = K.nearest_edge_seq.py_func(*args, True)
    assert calls["ring"] < 0.1 * len(lat)
    np.testing.assert_array_equal(d, b.nearest_ring(lat, lon)[0])
    calls["ring"] = 0
    K.nearest_edge_seq.py_func(*args, False)
    assert calls["ring"] > 0.9 * len(lat)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=0, max_size=300),  # few values: many ties
    st.integers(0, 300),
)
def test_candidate_heap_sort_against_numpy(values: list[int], m_max: int) -> None:
    """The track-order search's hand-written sort (``_heapsort_pairs``, written out to cut
    compile time) against numpy as the oracle: ``key[:m]`` sorted, each value kept with its
    key, the rest of both arrays untouched."""
    from seawatch.geo._kernels import _heapsort_pairs

    key = np.array(values, np.float64) / 4.0
    val = np.arange(len(key), dtype=np.int64) * 7
    m = min(m_max, len(key))
    k0, v0 = key.copy(), val.copy()
    _heapsort_pairs(key, val, m)
    assert np.array_equal(key[:m], np.sort(k0[:m]))
    assert sorted(zip(key[:m].tolist(), val[:m].tolist(), strict=True)) == sorted(
        zip(k0[:m].tolist(), v0[:m].tolist(), strict=True)
    )
    assert np.array_equal(key[m:], k0[m:]) and np.array_equal(val[m:], v0[m:])


def _far_numpy(buckets: object, lat: np.ndarray, lon: np.ndarray, min_cells: int) -> np.ndarray:
    """The reference: the grid lookup in numpy (how ``_Buckets.far`` was written first)."""
    g = buckets.grid  # type: ignore[attr-defined]
    cheb = buckets._cheb  # type: ignore[attr-defined]
    ok = np.isfinite(lat) & np.isfinite(lon)
    la = np.where(ok, lat, 0.0)
    lo = np.where(ok, lon, 0.0)
    r = np.clip(np.floor((la - g.lat0) * g.cells_per_deg), 0, g.nrow - 1).astype(np.int64)
    c = np.floor((lo - g.lon0) * g.cells_per_deg).astype(np.int64) % g.ncol
    out: np.ndarray = ok & (cheb[r * g.ncol + c] >= min_cells)
    return out


def test_far_kernel_matches_numpy() -> None:
    """The far-cell test (which coast a point measures against) in its numba kernel equals
    the numpy reference, on the bundled coast: random points anywhere, cell corners, the
    antimeridian and the poles, longitudes beyond +-180, NaN and infinities."""
    coast = _api._land().coast
    fine = coast._fine
    g = fine.grid
    n = 200_000
    lat = RNG.uniform(-95, 95, n)
    lon = RNG.uniform(-400, 400, n)
    corners_lat = np.repeat(np.arange(-90, 90.01, 1 / g.cells_per_deg)[::7], 9)
    corners_lon = np.tile(np.linspace(-180, 180, 9), len(corners_lat) // 9)
    odd_lat = np.array([90, -90, 0, 0, np.nan, 10, np.inf, -np.inf, 45, 45, 89.999, -89.999])
    odd_lon = np.array([180, -180, 180, -180, 0, np.nan, 0, 0, np.inf, 540, 179.999, -179.999])
    lat = np.concatenate([lat, corners_lat, odd_lat])
    lon = np.concatenate([lon, corners_lon, odd_lon])
    for min_cells in (1, coast.far_min_cells, 40):
        got = fine.far(lat, lon, min_cells=min_cells)
        np.testing.assert_array_equal(got, _far_numpy(fine, lat, lon, min_cells))
    assert got.any() and not got.all()
