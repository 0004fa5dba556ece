"""Land, coast, ports and named regions: lazy loaders and the public vectorised functions."""

from __future__ import annotations

import functools
import threading
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq
from shapely.geometry.base import BaseGeometry

from seawatch._exceptions import GeoError
from seawatch.geo import _cache
from seawatch.geo._index import (
    CellBounds,
    Edges,
    Grid,
    MembershipIndex,
    NearestEdgeIndex,
    latlon,
)
from seawatch.geo._kernels import EARTH_RADIUS_M
from seawatch.geo._store import REGION_NAMES as REGION_NAMES
from seawatch.geo._store import RingSet, load_npz
from seawatch.geo._store import data_dir as data_dir

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
Obj = npt.NDArray[np.object_]

LAND_CELLS_PER_DEG = 8
FAR_MIN_CELLS = 16
"""Points at least this many land-grid cells (of 1/8 degree) from any coast cell measure their
distance to the far coast (Natural Earth land simplified by 0.02 degree, error <= 2.3 km)."""
_LOCK = threading.RLock()


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> F64:
    """Great-circle distance in metres (spherical Earth, mean radius 6,371,008.8 m).

    Broadcasts like numpy; inputs in degrees.
    """
    p1 = np.radians(np.asarray(lat1, np.float64))
    p2 = np.radians(np.asarray(lat2, np.float64))
    dl = np.radians(np.asarray(lon2, np.float64) - np.asarray(lon1, np.float64))
    a = np.sin((p2 - p1) * 0.5) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl * 0.5) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0))), np.float64)


def midpoint_lon(lon1: npt.ArrayLike, lon2: npt.ArrayLike) -> F64:
    """The longitude halfway between two, on the short side: across the antimeridian when
    they are more than 180 degrees apart (179.99 and -179.99 give -180, not 0); in
    [-180, 180). Broadcasts like numpy."""
    a = np.asarray(lon1, np.float64)
    b = np.asarray(lon2, np.float64)
    d = (b - a + 180.0) % 360.0 - 180.0
    return np.asarray((a + d / 2 + 180.0) % 360.0 - 180.0, np.float64)


def mean_lon(lon: npt.ArrayLike, groups: npt.ArrayLike, n: int) -> F64:
    """The mean longitude of each of ``n`` groups (``groups[i]`` is the group of
    ``lon[i]``), across the antimeridian for a group whose values straddle it (spread over
    more than 180 degrees: 179.99 and -179.99 average to -180, not 0); in [-180, 180)."""
    x = np.asarray(lon, np.float64)
    g = np.asarray(groups, np.int64)
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    np.minimum.at(lo, g, x)
    np.maximum.at(hi, g, x)
    across = (hi - lo) > 180.0
    shifted = np.where(across[g] & (x < 0), x + 360.0, x)
    m = np.bincount(g, shifted, minlength=n) / np.maximum(np.bincount(g, minlength=n), 1)
    return np.asarray(np.where(m >= 180.0, m - 360.0, m), np.float64)


# ------------------------------------------------------------------------------------------
# land and coast


class _Land:
    """The land membership index and the coast distance index, loaded prepared from the
    on-disk cache (:mod:`seawatch.geo._cache`) or built and cached on first use."""

    __slots__ = ("_rings", "coast", "inside")

    def __init__(self) -> None:
        self._rings: RingSet | None = None
        path = data_dir() / "land.npz"
        key = _cache.index_key("land", [path]) if path.is_file() else ""
        cached = _cache.load("land", key) if key else None
        if cached is not None:
            try:
                self._from(cached)
                return
            except (KeyError, ValueError, TypeError):
                pass
        _cache.announce("land and coast index")
        arrays = load_npz(path)
        self._rings = RingSet(arrays)
        x1, y1, x2, y2, owner = self._rings.edges()
        edges = Edges(x1, y1, x2, y2, owner)
        self.inside = MembershipIndex(edges, 1, Grid.world(LAND_CELLS_PER_DEG))
        self.coast = NearestEdgeIndex(
            _coast(edges),
            fine_cells_per_deg=LAND_CELLS_PER_DEG,
            coarse_cells_per_deg=2,
            far_edges=_coast(Edges(*RingSet(arrays, "far_").edges())),
            far_min_cells=FAR_MIN_CELLS,
        )
        if key:
            _cache.save("land", key, {**self.inside.state("in_"), **self.coast.state("co_")})

    def _from(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        self.inside = MembershipIndex.from_state(arrays, "in_", Grid.world(LAND_CELLS_PER_DEG))
        self.coast = NearestEdgeIndex.from_state(
            arrays, "co_", fine_cells_per_deg=LAND_CELLS_PER_DEG, coarse_cells_per_deg=2
        )

    @property
    def rings(self) -> RingSet:
        """The land polygons' rings (decoded on first use: only :func:`land_geometry`
        needs them)."""
        if self._rings is None:
            self._rings = RingSet(load_npz(data_dir() / "land.npz"))
        return self._rings


def _coast(e: Edges) -> Edges:
    """Ring edges without the cuts of Natural Earth polygons along the antimeridian and the
    south pole (polygon edges, not coastline)."""
    cut = ((np.abs(e.x1) >= 180.0) & (e.x1 == e.x2)) | ((e.y1 <= -89.99) & (e.y2 <= -89.99))
    keep = np.flatnonzero(~cut)
    return Edges(e.x1[keep], e.y1[keep], e.x2[keep], e.y2[keep], e.zone[keep])


@functools.cache
def _land() -> _Land:
    with _LOCK:
        return _Land()


def land_geometry() -> BaseGeometry:
    """The bundled land (Natural Earth 10 m land and minor islands) as one shapely geometry."""
    return _land_geometry()


@functools.cache
def _land_geometry() -> BaseGeometry:
    (geom,) = _land().rings.geometries()
    return geom


def on_land(lat: npt.ArrayLike, lon: npt.ArrayLike) -> Bool:
    """True where the point is on land (Natural Earth 10 m land + minor islands).

    Exact point-in-polygon against the bundled polygons; NaN positions are False.
    """
    return _land().inside.first(lat, lon) >= 0


def distance_to_shore_m(lat: npt.ArrayLike, lon: npt.ArrayLike) -> F64:
    """Great-circle distance in metres to the nearest coastline point; 0 on land, NaN for NaN.

    Measured to the bundled Natural Earth 10 m coast (itself generalised by a few hundred
    metres): within 5 m of the exact distance to that coast within 50 km of it; points 2
    degrees or more from any coast use the coast simplified by 0.02 degree (within 2.3 km).
    """
    la, lo = latlon(lat, lon)
    land = _land()
    dist = np.zeros(len(la))
    sea = np.flatnonzero(land.inside.first(la, lo) < 0)
    dist[sea] = land.coast.distance(la[sea], lo[sea])
    return dist


def _shore_cells(grid: Grid, cells: I64, lat: F64, lon: F64, half: F64) -> tuple[F64, F64]:
    """Bounds of :func:`distance_to_shore_m` over each cell (centre ``lat, lon``, every point
    of it within ``half`` metres of the centre).

    The centre's distance ``d`` to the coast edges its cell measures against (the land grid is
    ``grid``: every point of a cell uses the same edges, fine or far) bounds each sea point of
    the cell to ``[d - half, d + half]`` (triangle inequality); land points are 0. A cell with
    ``d > half`` holds no coast edge, so it is all land or all sea, as its centre is, unless a
    polygon cut that is not coast crosses it (the antimeridian columns and the south-pole
    row: bounded as mixed cells, ``[0, d + half]``).
    """
    land = _land()
    d, _ = land.coast.nearest(lat, lon)
    on = land.inside.first(lat, lon) >= 0
    row = cells // grid.ncol
    col = cells % grid.ncol
    cut = (col == 0) | (col == grid.ncol - 1) | (row == 0)
    uniform = (d > half) & ~cut
    lo = np.where(uniform & ~on, d - half, 0.0)
    hi = np.where(uniform & on, 0.0, d + half)
    return lo, hi


@functools.cache
def _shore_bounds() -> CellBounds:
    with _LOCK:
        return CellBounds(_land().coast.fine_grid, _shore_cells)


def distance_to_shore_bounds(lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[F64, F64]:
    """``(lo, hi)`` with ``lo <= distance_to_shore_m(lat, lon) <= hi`` for every point, from
    a 1/8-degree grid (one exact distance per cell centre, computed on first use of the cell
    and kept for the process): a cell away from the coast bounds its points to within the
    cell's half-diagonal (at most 9.8 km) either way, a land cell to exactly 0. Non-finite
    positions give ``(0, inf)``. For pruning before exact calls (a point whose ``lo`` exceeds
    another's ``hi`` is not the nearest to shore), never as a distance itself.
    """
    return _shore_bounds().bounds(lat, lon)


# ------------------------------------------------------------------------------------------
# ports


PORTS_SCHEMA = pa.schema(
    [
        ("port_id", pa.string()),
        ("name", pa.string()),
        ("country", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("kind", pa.string()),
        ("source", pa.string()),
    ]
)


class _Ports:
    __slots__ = ("index", "table")

    def __init__(self) -> None:
        path = data_dir() / "ports.parquet"
        try:
            # ParquetFile, not read_table: that imports pyarrow.dataset (and pandas)
            table = pq.ParquetFile(path).read()
        except FileNotFoundError as exc:
            raise GeoError(f"bundled geography file is missing: {path.name}") from exc
        self.table = table.select(PORTS_SCHEMA.names).cast(PORTS_SCHEMA)
        key = _cache.index_key("ports", [path])
        cached = _cache.load("ports", key)
        if cached is not None:
            try:
                self.index = NearestEdgeIndex.from_state(
                    cached, "", fine_cells_per_deg=4, coarse_cells_per_deg=1, track_order=True
                )
                return
            except (KeyError, ValueError, TypeError):
                pass
        _cache.announce("port index")
        lat = self.table.column("lat").to_numpy()
        lon = self.table.column("lon").to_numpy()
        pts = Edges(
            np.ascontiguousarray(lon, np.float64),
            np.ascontiguousarray(lat, np.float64),
            np.ascontiguousarray(lon, np.float64),
            np.ascontiguousarray(lat, np.float64),
            np.zeros(len(lat), np.int32),
        )
        self.index = NearestEdgeIndex(
            pts, fine_cells_per_deg=4, coarse_cells_per_deg=1, track_order=True
        )
        _cache.save("ports", key, self.index.state(""))


def _port_cells(grid: Grid, cells: I64, lat: F64, lon: F64, half: F64) -> tuple[F64, F64]:
    d, _ = _ports().index.nearest(lat, lon)
    return np.maximum(d - half, 0.0), d + half


@functools.cache
def _port_bounds() -> CellBounds:
    with _LOCK:
        return CellBounds(Grid.world(LAND_CELLS_PER_DEG), _port_cells)


def nearest_port_bounds(lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[F64, F64]:
    """``(lo, hi)`` with ``lo <= nearest_port(lat, lon)[0] <= hi`` for every point, from a
    1/8-degree grid (the exact distance from each cell centre to its nearest port, computed on
    first use of the cell; the cell's half-diagonal either way). Non-finite positions give
    ``(0, inf)``. For skipping exact lookups of points certainly beyond a distance.
    """
    return _port_bounds().bounds(lat, lon)


@functools.cache
def _ports() -> _Ports:
    with _LOCK:
        return _Ports()


def ports() -> pa.Table:
    """Bundled ports and anchorages: ``port_id, name, country (ISO-2), lat, lon, kind, source``.

    ``kind`` is ``'port'`` (NGA World Port Index, ``port_id`` ``wpi:<number>``) or
    ``'anchorage'`` (Global Fishing Watch named anchorages, ``port_id`` ``gfw:<s2 cell>``).
    """
    return _ports().table


def nearest_port(lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[F64, I64]:
    """Great-circle metres to the nearest port or anchorage and its row in :func:`ports`.

    NaN positions give ``(nan, -1)``.
    """
    d, i = _ports().index.nearest(lat, lon)
    return d, i


# ------------------------------------------------------------------------------------------
# named regions


class _Regions:
    __slots__ = ("geoms", "index", "names")

    def __init__(self) -> None:
        path = data_dir() / "regions.npz"
        arrays = load_npz(path)
        self.names = [str(n) for n in arrays["names"]]
        if tuple(self.names) != REGION_NAMES:
            raise GeoError(f"bundled regions are {self.names}, expected {list(REGION_NAMES)}")
        rings = RingSet(arrays)
        self.geoms = rings.geometries()
        grid = Grid.covering(_union_bounds(self.geoms), 8)
        key = _cache.index_key("regions", [path])
        cached = _cache.load("regions", key)
        if cached is not None:
            try:
                self.index = MembershipIndex.from_state(cached, "", grid)
                return
            except (KeyError, ValueError, TypeError):
                pass
        edges = Edges.from_geometries(self.geoms, max_len_deg=0.25)
        self.index = MembershipIndex(edges, len(self.names), grid)
        _cache.save("regions", key, self.index.state(""))


def _union_bounds(geoms: list[BaseGeometry]) -> tuple[float, float, float, float]:
    b = np.array([g.bounds for g in geoms if not g.is_empty])
    if len(b) == 0:
        return (0.0, 0.0, 1.0, 1.0)
    return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))


@functools.cache
def _regions() -> _Regions:
    with _LOCK:
        return _Regions()


def region_geometries() -> dict[str, BaseGeometry]:
    """The named regions as shapely geometries (lon/lat)."""
    r = _regions()
    return dict(zip(r.names, r.geoms, strict=True))


def region_of(lat: npt.ArrayLike, lon: npt.ArrayLike) -> Obj:
    """Named region of each point: ``'caribbean'``, ``'eastern-pacific'``,
    ``'gulf-of-mexico'`` or None (the regions do not overlap)."""
    r = _regions()
    idx = r.index.first(lat, lon)
    names = np.array([*r.names, None], dtype=object)
    out: Obj = names[np.where(idx >= 0, idx, len(r.names))]
    return out
