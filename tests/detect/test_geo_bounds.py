"""The bundled geography's cheap bounds (precomputed 1/8-degree grids) and the detectors that
prune exact lookups with them: the bounds always contain the exact distances, and the events
are identical to those computed with exact lookups for every point (the oracle: the same
geography without its bounds, i.e. the code path every point took before)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seawatch.detect import BundledGeo, GeoContext, loitering, port_visits, zone_events
from seawatch.engine import run_detectors
from seawatch.geo import _api as geo_api
from seawatch.geo._index import CellBounds, Grid, half_diagonals
from seawatch.schema import POSITIONS
from seawatch.sim import load_scenario, scenario_names, simulate
from seawatch.store import open_store

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
M_PER_DEG = 111_195.0


class ExactGeo:
    """The bundled geography with exact lookups only (no ``*_bounds``): the oracle."""

    def __init__(self) -> None:
        self._g = BundledGeo()

    def distance_to_shore_m(self, lat: F64, lon: F64) -> F64:
        return self._g.distance_to_shore_m(lat, lon)

    def on_land(self, lat: F64, lon: F64) -> npt.NDArray[np.bool_]:
        return self._g.on_land(lat, lon)

    def nearest_port(self, lat: F64, lon: F64) -> tuple[F64, I64]:
        return self._g.nearest_port(lat, lon)

    def ports(self) -> pa.Table:
        return self._g.ports()

    def region_of(self, lat: F64, lon: F64) -> npt.NDArray[np.object_]:
        return self._g.region_of(lat, lon)

    def zone_names(self) -> list[str]:
        return list(self._g.zone_names())

    def zone_membership(self, lat: F64, lon: F64) -> tuple[I64, I64]:
        return self._g.zone_membership(lat, lon)


def test_exact_geo_has_no_bounds() -> None:
    assert isinstance(ExactGeo(), GeoContext)
    assert not hasattr(ExactGeo(), "distance_to_shore_bounds")
    assert hasattr(BundledGeo(), "distance_to_shore_bounds")


def _near_coast_points(rng: np.random.Generator, n: int) -> tuple[F64, F64]:
    """Points around ports (within ~30 km: coast, harbours, land), over the Caribbean box and
    anywhere, including the antimeridian, the poles and cell edges."""
    ports = geo_api.ports()
    plat = np.asarray(ports.column("lat").to_numpy(), np.float64)
    plon = np.asarray(ports.column("lon").to_numpy(), np.float64)
    k = rng.integers(0, len(plat), n // 2)
    lat = [plat[k] + rng.normal(0, 0.15, len(k)), rng.uniform(8, 26, n // 4)]
    lon = [plon[k] + rng.normal(0, 0.15, len(k)), rng.uniform(-90, -58, n // 4)]
    m = n - len(k) - n // 4
    lat.append(rng.uniform(-90, 90, m))
    lon.append(rng.uniform(-180, 180, m))
    edges_lat = np.array([90.0, -90.0, -89.9, 89.99, 0.0, 12.125, 12.125, 65.5, -16.5, 71.0])
    edges_lon = np.array(
        [0.0, 0.0, 179.99, -179.999, 180.0, -61.375, -61.3751, -168.9, 180.0, -180]
    )
    lat.append(edges_lat)
    lon.append(edges_lon)
    return (
        np.clip(np.concatenate(lat), -90, 90),
        (np.concatenate(lon) + 180.0) % 360.0 - 180.0,
    )


def test_shore_bounds_contain_exact_distance() -> None:
    rng = np.random.default_rng(13)
    lat, lon = _near_coast_points(rng, 6_000)
    exact = geo_api.distance_to_shore_m(lat, lon)
    lo, hi = geo_api.distance_to_shore_bounds(lat, lon)
    assert (lo <= exact).all() and (exact <= hi).all()
    # the bounds decide: land cells are exactly 0, far-out points have a positive floor
    assert ((lo == 0) & (hi == 0)).sum() > 0
    assert (lo > 50_000).sum() > 0
    assert np.median(hi - lo) < 2 * 9_830 + 10
    # a second query reads the kept cells: same answers
    lo2, hi2 = geo_api.distance_to_shore_bounds(lat, lon)
    assert np.array_equal(lo, lo2) and np.array_equal(hi, hi2)


def test_port_bounds_contain_exact_distance() -> None:
    rng = np.random.default_rng(14)
    lat, lon = _near_coast_points(rng, 6_000)
    exact, _ = geo_api.nearest_port(lat, lon)
    lo, hi = geo_api.nearest_port_bounds(lat, lon)
    assert (lo <= exact).all() and (exact <= hi).all()
    assert (lo > 10_000).mean() > 0.3


def test_non_finite_points_are_unbounded() -> None:
    lat = np.array([np.nan, 10.0, 95.0])
    lon = np.array([0.0, np.inf, 0.0])
    lo, hi = geo_api.distance_to_shore_bounds(lat, lon)
    assert list(lo) == [0.0, 0.0, 0.0] and np.isinf(hi).all()


def test_half_diagonal_bounds_every_point_of_the_cell() -> None:
    grid = Grid.world(8)
    half = half_diagonals(grid)
    rng = np.random.default_rng(3)
    rows = np.concatenate([rng.integers(0, grid.nrow, 2000), [0, grid.nrow - 1, grid.nrow // 2]])
    s = 1.0 / grid.cells_per_deg
    south = grid.lat0 + rows * s
    fy = np.concatenate([rng.uniform(0, 1, len(rows) - 3), [0.0, 1.0, 1.0]])
    fx = np.concatenate([rng.uniform(0, 1, len(rows) - 3), [0.0, 1.0, 0.0]])
    plat = south + fy * s
    plon = fx * s
    d = geo_api.haversine_m(south + s / 2, s / 2, plat, plon)
    assert (d <= half[rows]).all()


def test_cell_bounds_fill_each_cell_once() -> None:
    calls: list[int] = []

    def fill(grid: Grid, cells: I64, lat: F64, lon: F64, half: F64) -> tuple[F64, F64]:
        calls.append(len(cells))
        return np.full(len(cells), 1.0), np.full(len(cells), 2.0)

    cb = CellBounds(Grid.world(8), fill)
    lat = np.array([10.01, 10.02, 10.2, 10.01])
    lon = np.array([20.01, 20.05, 20.01, 20.01])
    lo, hi = cb.bounds(lat, lon)
    assert calls == [2]
    assert list(lo) == [1.0] * 4 and list(hi) == [2.0] * 4
    cb.bounds(lat, lon)
    assert calls == [2]


def _caribbean_positions(vessels: int, per_vessel: int, seed: int) -> pa.Table:
    """Straight tracks and slow drifts over the Caribbean and the Gulf of Mexico, close to
    ports and coasts too (zone crossings, port visits, loitering near and far from shore)."""
    rng = np.random.default_rng(seed)
    ports = geo_api.ports()
    plat = np.asarray(ports.column("lat").to_numpy(), np.float64)
    plon = np.asarray(ports.column("lon").to_numpy(), np.float64)
    box = (plat > 8) & (plat < 30) & (plon > -98) & (plon < -58)
    plat, plon = plat[box], plon[box]
    k = rng.integers(0, len(plat), vessels)
    near = rng.random(vessels) < 0.5
    lat0 = np.where(near, plat[k] + rng.normal(0, 0.05, vessels), rng.uniform(10, 25, vessels))
    lon0 = np.where(near, plon[k] + rng.normal(0, 0.05, vessels), rng.uniform(-85, -60, vessels))
    slow = rng.random(vessels) < 0.4
    speed = np.where(slow, rng.uniform(0.05, 1.0, vessels), rng.uniform(6, 16, vessels))
    course = rng.uniform(0, 2 * math.pi, vessels)
    step_s = 86_400 * 2 / per_vessel
    t = np.arange(per_vessel)[None, :] * step_s + rng.uniform(0, step_s, (vessels, 1))
    d = speed[:, None] * 1852 / 3600 * t
    lat = lat0[:, None] + d * np.cos(course[:, None]) / M_PER_DEG
    lon = lon0[:, None] + d * np.sin(course[:, None]) / (
        M_PER_DEG * np.cos(np.radians(lat0[:, None]))
    )
    lat = lat + rng.normal(0, 10 / M_PER_DEG, lat.shape)
    lon = lon + rng.normal(0, 10 / M_PER_DEG, lon.shape)
    n = lat.size
    ts = (1_709_251_200 + t).astype(np.int64).ravel() * 1_000_000
    mmsi = 300_000_000 + np.arange(vessels, dtype=np.int64)
    sog = np.abs(speed[:, None] + rng.normal(0, 0.1, lat.shape))
    cols: dict[str, Any] = {
        "mmsi": pa.array(np.repeat(mmsi, per_vessel).astype(np.uint32)),
        "ts": pa.array(ts, pa.int64()).cast(POSITIONS.field("ts").type),
        "lat": pa.array(lat.ravel()),
        "lon": pa.array(lon.ravel()),
        "sog_kn": pa.array(sog.ravel().astype(np.float32)),
    }
    return pa.table(
        {f.name: cols.get(f.name, pa.nulls(n, f.type)) for f in POSITIONS}, schema=POSITIONS
    )


@pytest.mark.parametrize("kernel", [zone_events, port_visits, loitering])
def test_pruned_detectors_match_exact_lookups(kernel: Any) -> None:
    table = _caribbean_positions(160, 400, seed=5)
    fast = kernel(table, geo=BundledGeo())
    exact = kernel(table, geo=ExactGeo())
    assert fast.num_rows > 5
    assert fast.equals(exact)


def test_engine_events_identical_with_and_without_bounds(tmp_path: Path) -> None:
    """Every detector through the engine on a bundled-geography store: the same events (ids
    and details included) with and without the bounds."""
    store = open_store(tmp_path / "carib", create=True)
    src = tmp_path / "carib.parquet"
    pq.write_table(_caribbean_positions(120, 300, seed=9), src)
    store.ingest([src])
    fast = run_detectors(store, workers=1, geo=BundledGeo(), write=False)
    exact = run_detectors(store, workers=1, geo=ExactGeo(), write=False)
    assert fast.num_rows > 20
    assert fast.equals(exact)


GEO_SCENARIOS = (
    "anchorage-panama",
    "gap-offshore",
    "loitering-offshore",
    "moored-in-port",
    "port-visit-curacao",
    "slow-near-coast",
    "sts-offshore",
    "zone-entry-ve",
)


@pytest.mark.parametrize("name", GEO_SCENARIOS)
def test_scenarios_identical_with_and_without_bounds(name: str, tmp_path: Path) -> None:
    """The shipped scenarios the bounded detectors score: the same events (the other
    detectors take no bounds). ``test_pipeline``'s suite covers the rest end to end."""
    assert name in scenario_names()
    scenario = load_scenario(name)
    sim = simulate(scenario, tmp_path / "input")
    s = open_store(tmp_path / "store", create=True)
    s.ingest([sim.paths["nmea"]])
    only = ("loitering", "port_visit", "zone")
    fast = run_detectors(s, only=only, workers=1, geo=BundledGeo(), write=False)
    exact = run_detectors(s, only=only, workers=1, geo=ExactGeo(), write=False)
    assert fast.equals(exact)
