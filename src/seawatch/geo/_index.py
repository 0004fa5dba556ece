"""Grid indexes over polygon edges: membership (several polygons at once) and nearest edge."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from seawatch._exceptions import ParameterError
from seawatch._jit import read_only
from seawatch.geo import _kernels as K

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Grid:
    """A lon/lat grid: south-west corner, ``cells_per_deg`` cells a degree, size, wrap in lon."""

    lon0: float
    lat0: float
    cells_per_deg: float
    ncol: int
    nrow: int
    wrap: bool

    @classmethod
    def world(cls, cells_per_deg: int) -> Grid:
        return cls(
            -180.0, -90.0, float(cells_per_deg), 360 * cells_per_deg, 180 * cells_per_deg, True
        )

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], cells_per_deg: int) -> Grid:
        """The smallest grid aligned on whole degrees that covers ``bounds``."""
        minx, miny, maxx, maxy = bounds
        lon0 = float(np.floor(minx)) - 1.0
        lat0 = float(np.floor(miny)) - 1.0
        ncol = int((np.ceil(maxx) + 1.0 - lon0) * cells_per_deg)
        nrow = int((np.ceil(maxy) + 1.0 - lat0) * cells_per_deg)
        return cls(lon0, lat0, float(cells_per_deg), max(ncol, 1), max(nrow, 1), False)


@dataclass(frozen=True, slots=True)
class Edges:
    """Polygon ring edges (degrees) and the polygon (zone) index of each."""

    x1: F64
    y1: F64
    x2: F64
    y2: F64
    zone: I32

    @classmethod
    def from_geometries(cls, geoms: Sequence[BaseGeometry], *, max_len_deg: float) -> Edges:
        """Edges of the rings of each (multi)polygon, split so none is longer than
        ``max_len_deg`` (splitting adds collinear vertices: the shape is unchanged)."""
        arr = np.asarray(list(geoms), dtype=object)
        if len(arr) == 0:
            e = np.zeros(0)
            return cls(e, e, e, e, np.zeros(0, np.int32))
        arr = shapely.segmentize(arr, max_len_deg)
        parts, part_owner = shapely.get_parts(arr, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        xy, ring_of = shapely.get_coordinates(rings, return_index=True)
        same = ring_of[1:] == ring_of[:-1]
        take = np.flatnonzero(same)
        owner = part_owner[ring_part[ring_of[take]]]
        return cls(
            np.ascontiguousarray(xy[take, 0]),
            np.ascontiguousarray(xy[take, 1]),
            np.ascontiguousarray(xy[take + 1, 0]),
            np.ascontiguousarray(xy[take + 1, 1]),
            owner.astype(np.int32),
        )


def as_f64(a: npt.ArrayLike) -> F64:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64).ravel())


def latlon(lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[F64, F64]:
    """Flat contiguous float64 read-only copies (or views) of ``lat`` and ``lon``, of equal
    length (read-only: one numba specialisation of each kernel, see ``_jit.read_only``)."""
    la = as_f64(lat)
    lo = as_f64(lon)
    if la.shape != lo.shape:
        raise ParameterError(f"lat and lon differ in length ({len(la)} vs {len(lo)})")
    return read_only(la), read_only(lo)


class MembershipIndex:
    """Which of ``nzone`` polygons contain each point (exact for the stored polygons)."""

    __slots__ = (
        "_cell_start",
        "_ent_edges",
        "_ent_estart",
        "_ent_in",
        "_ent_zone",
        "edges",
        "grid",
        "nzone",
    )

    def __init__(self, edges: Edges, nzone: int, grid: Grid) -> None:
        self.edges = edges
        self.nzone = max(nzone, 1)
        self.grid = grid
        g = grid
        (
            self._cell_start,
            self._ent_zone,
            self._ent_in,
            self._ent_estart,
            self._ent_edges,
        ) = K.build_membership(
            edges.x1, edges.y1, edges.x2, edges.y2, edges.zone, self.nzone,
            g.lon0, g.lat0, g.cells_per_deg, g.ncol, g.nrow,
        )  # fmt: skip

    _STATE = ("_cell_start", "_ent_zone", "_ent_in", "_ent_estart", "_ent_edges")

    def state(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        """The built arrays (with the edges), for :meth:`from_state`."""
        e = self.edges
        out = {f"{prefix}{k}": getattr(self, k) for k in self._STATE}
        out.update({f"{prefix}e_{k}": getattr(e, k) for k in ("x1", "y1", "x2", "y2", "zone")})
        out[f"{prefix}nzone"] = np.array([self.nzone])
        return out

    @classmethod
    def from_state(
        cls, arrays: Mapping[str, npt.NDArray[Any]], prefix: str, grid: Grid
    ) -> MembershipIndex:
        """The index whose :meth:`state` is ``arrays`` (no rebuilding)."""
        self = cls.__new__(cls)
        self.edges = Edges(*(arrays[f"{prefix}e_{k}"] for k in ("x1", "y1", "x2", "y2", "zone")))
        self.nzone = int(arrays[f"{prefix}nzone"][0])
        self.grid = grid
        for k in cls._STATE:
            setattr(self, k, arrays[f"{prefix}{k}"])
        return self

    def _args(self) -> tuple[Any, ...]:
        e = self.edges
        g = self.grid
        return (
            e.x1, e.y1, e.x2, e.y2, g.lon0, g.lat0, g.cells_per_deg, g.ncol, g.nrow,
            self._cell_start, self._ent_zone, self._ent_in, self._ent_estart, self._ent_edges,
        )  # fmt: skip

    def first(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> I32:
        """Lowest zone index containing each point, -1 for none."""
        out: I32 = K.first_zone(*latlon(lat, lon), *self._args())
        return out

    def pairs(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[I64, I64]:
        """(point_idx, zone_idx) for every point inside every zone."""
        pi, zi = K.all_zones(*latlon(lat, lon), *self._args())
        return pi, zi


class NearestEdgeIndex:
    """Great-circle distance to the nearest of a set of edges (or points: zero-length edges).

    Points whose grid cell is at least ``far_min_cells`` cells (Chebyshev) from any cell with an
    edge are answered from ``far_edges`` (e.g. a simplified coast) on a coarse grid; all others
    exactly from ``edges`` on the fine grid.

    ``track_order``: queries take the track-order search
    (:func:`~seawatch.geo._kernels.nearest_edge_seq`, the same results as the ring search,
    faster where consecutive points are close and the edges sparse, e.g. ports; along a
    dense coastline it gains nothing for :meth:`nearest`: most points tie between the two
    edges of a shared vertex, and a tie takes the ring search to agree on the index).
    :meth:`distance` always takes it, with those ties accepted.
    """

    __slots__ = ("_coarse", "_fine", "far_min_cells")

    def __init__(
        self,
        edges: Edges,
        *,
        fine_cells_per_deg: int,
        coarse_cells_per_deg: int,
        far_edges: Edges | None = None,
        far_min_cells: int = 8,
        track_order: bool = False,
    ) -> None:
        self._fine = _Buckets(edges, Grid.world(fine_cells_per_deg))
        self._coarse = _Buckets(far_edges or edges, Grid.world(coarse_cells_per_deg))
        self._fine.track_order = self._coarse.track_order = track_order
        self.far_min_cells = far_min_cells

    def state(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        """The built arrays, for :meth:`from_state`."""
        return {
            **self._fine.state(f"{prefix}fine_"),
            **self._coarse.state(f"{prefix}coarse_"),
            f"{prefix}far_min_cells": np.array([self.far_min_cells]),
        }

    @classmethod
    def from_state(
        cls,
        arrays: Mapping[str, npt.NDArray[Any]],
        prefix: str,
        *,
        fine_cells_per_deg: int,
        coarse_cells_per_deg: int,
        track_order: bool = False,
    ) -> NearestEdgeIndex:
        """The index whose :meth:`state` is ``arrays`` (no rebuilding)."""
        self = cls.__new__(cls)
        self._fine = _Buckets.from_state(arrays, f"{prefix}fine_", Grid.world(fine_cells_per_deg))
        self._coarse = _Buckets.from_state(
            arrays, f"{prefix}coarse_", Grid.world(coarse_cells_per_deg)
        )
        self._fine.track_order = self._coarse.track_order = track_order
        self.far_min_cells = int(arrays[f"{prefix}far_min_cells"][0])
        return self

    @property
    def fine_grid(self) -> Grid:
        """The fine grid: the points of one of its cells all measure against the same edges
        (``edges``, or ``far_edges`` when the cell is far)."""
        return self._fine.grid

    def nearest(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[F64, I64]:
        """Metres to the nearest edge and its index (in ``far_edges`` for far points)."""
        return self._each_grid(lat, lon, _Buckets.nearest)

    def distance(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> F64:
        """The metres of :meth:`nearest` alone, bit for bit (not the edge index), by the
        track-order search whatever ``track_order`` says: without the index to agree on,
        ties at shared vertices need no ring search, so points in track order (a vessel's
        reports) cost a fraction of the ring search; points in any order cost about what
        it does."""
        return self._each_grid(lat, lon, _Buckets.nearest_any_tie)[0]

    def _each_grid(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        query: Callable[[_Buckets, F64, F64], tuple[F64, I64]],
    ) -> tuple[F64, I64]:
        """``query`` on the fine grid for the near points, on the coarse one for the far."""
        la, lo = latlon(lat, lon)
        far = self._fine.far(la, lo, min_cells=self.far_min_cells)
        if not far.any():
            return query(self._fine, la, lo)
        dist = np.empty(len(la))
        idx = np.empty(len(la), np.int64)
        near = ~far
        dist[near], idx[near] = query(self._fine, la[near], lo[near])
        dist[far], idx[far] = query(self._coarse, la[far], lo[far])
        return dist, idx


SEQ_REACH = 0.25
"""A reference point of the track-order search (:func:`~seawatch.geo._kernels.nearest_edge_seq`)
serves the points within this fraction of its distance to the nearest edge..."""
SEQ_MIN_REACH = 2_000.0 / K.EARTH_RADIUS_M
"""...or within 2 km (as a unit-sphere chord), whichever is farther."""
SEQ_MAX_EDGES = 1 << 16
"""At most this many edges kept around a reference (its reach shrinks to fit)."""
DIST_REACH = 0.05
"""The reach (as :data:`SEQ_REACH`) of :meth:`NearestEdgeIndex.distance`: along a dense
coastline a short reach keeps few edges around each reference (measured on the bundled coast
and the pipeline benchmark's drifting tracks: 0.05 took 0.16 s where 0.25 took 0.21 s and the
ring search 0.62 s)."""


class _Buckets:
    __slots__ = ("_a", "_b", "_cell_edges", "_cell_start", "_cheb", "grid", "track_order")

    def __init__(self, edges: Edges, grid: Grid) -> None:
        self.grid = grid
        self.track_order = False
        g = grid
        cells, eids = K.edge_cell_pairs(
            edges.x1, edges.y1, edges.x2, edges.y2, g.lon0, g.lat0, g.cells_per_deg, g.ncol, g.nrow
        )
        order = np.argsort(cells, kind="stable")
        ncell = g.ncol * g.nrow
        counts = np.bincount(cells, minlength=ncell)
        self._cell_start = np.zeros(ncell + 1, np.int64)
        np.cumsum(counts, out=self._cell_start[1:])
        self._cell_edges = np.ascontiguousarray(eids[order])
        self._cheb = K.chebyshev_fill(counts > 0, g.nrow, g.ncol, g.wrap)
        self._a = K.unit_vectors(edges.y1, edges.x1)
        self._b = K.unit_vectors(edges.y2, edges.x2)

    def state(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        out: dict[str, npt.NDArray[Any]] = {
            f"{prefix}cell_start": self._cell_start,
            f"{prefix}cell_edges": self._cell_edges,
            f"{prefix}cheb": self._cheb,
        }
        for name, vec in (("a", self._a), ("b", self._b)):
            for i, v in enumerate(vec):
                out[f"{prefix}{name}{i}"] = v
        return out

    @classmethod
    def from_state(
        cls, arrays: Mapping[str, npt.NDArray[Any]], prefix: str, grid: Grid
    ) -> _Buckets:
        self = cls.__new__(cls)
        self.grid = grid
        self.track_order = False
        self._cell_start = arrays[f"{prefix}cell_start"]
        self._cell_edges = arrays[f"{prefix}cell_edges"]
        self._cheb = arrays[f"{prefix}cheb"]
        a = [arrays[f"{prefix}a{i}"] for i in range(3)]
        b = [arrays[f"{prefix}b{i}"] for i in range(3)]
        self._a = (a[0], a[1], a[2])
        self._b = (b[0], b[1], b[2])
        return self

    def far(self, lat: F64, lon: F64, *, min_cells: int) -> npt.NDArray[np.bool_]:
        g = self.grid
        out: npt.NDArray[np.bool_] = K.far_cells(
            *latlon(lat, lon), g.lon0, g.lat0, g.cells_per_deg, g.ncol, g.nrow,
            self._cheb, min_cells,
        )  # fmt: skip
        return out

    def nearest(self, lat: F64, lon: F64) -> tuple[F64, I64]:
        if not self.track_order:
            return self.nearest_ring(lat, lon)
        return self._seq(lat, lon, SEQ_REACH, tie_ok=False)

    def nearest_any_tie(self, lat: F64, lon: F64) -> tuple[F64, I64]:
        """The distances of :meth:`nearest_ring`, bit for bit, by the track-order search
        with ties between equally distant edges accepted: the index is one of the tied
        edges, not necessarily the ring search's (for callers that want the distance)."""
        return self._seq(lat, lon, DIST_REACH, tie_ok=True)

    def _seq(self, lat: F64, lon: F64, reach: float, *, tie_ok: bool) -> tuple[F64, I64]:
        g = self.grid
        d, i = K.nearest_edge_seq(
            *latlon(lat, lon), *self._a, *self._b,
            g.lon0, g.lat0, g.cells_per_deg, g.ncol, g.nrow, g.wrap,
            self._cell_start, self._cell_edges, self._cheb,
            reach, SEQ_MIN_REACH, SEQ_MAX_EDGES, tie_ok,
        )  # fmt: skip
        return d, i

    def nearest_ring(self, lat: F64, lon: F64) -> tuple[F64, I64]:
        """:meth:`nearest` by the ring search alone, point by point (the reference)."""
        g = self.grid
        d, i = K.nearest_edge(
            *latlon(lat, lon), *self._a, *self._b,
            g.lon0, g.lat0, g.cells_per_deg, g.ncol, g.nrow, g.wrap,
            self._cell_start, self._cell_edges, self._cheb,
        )  # fmt: skip
        return d, i


CellFill = Callable[[Grid, I64, F64, F64, F64], tuple[F64, F64]]
"""``fill(grid, cells, centre_lat, centre_lon, half) -> (lo, hi)``: bounds of a function over
each cell, ``half`` being the farthest (metres) any point of the cell is from its centre."""


def half_diagonals(grid: Grid) -> F64:
    """For each grid row, an upper bound (metres) on the great-circle distance from a cell's
    centre to any point of the cell: the farther of its corners (the distance from a point has
    no maximum inside a lon/lat rectangle, and along each side it peaks at a corner), plus
    1 m and a relative 1e-6 for rounding."""
    s = 1.0 / grid.cells_per_deg
    south = as_f64(grid.lat0 + np.arange(grid.nrow) * s)
    mid = south + s / 2
    north = np.minimum(south + s, 90.0)
    h = np.maximum(_hav(mid, s / 2, np.maximum(south, -90.0), 0.0), _hav(mid, s / 2, north, 0.0))
    out: F64 = h * (1.0 + 1e-6) + 1.0
    return out


def _hav(lat1: F64, lon1: float, lat2: F64, lon2: float) -> F64:
    p1 = np.radians(lat1)
    p2 = np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    a = np.sin((p2 - p1) * 0.5) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl * 0.5) ** 2
    out: F64 = 2.0 * K.EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return out


class CellBounds:
    """Bounds ``lo <= f(p) <= hi`` of a function ``f`` for every point ``p`` of a grid cell,
    computed by ``fill`` (one exact evaluation per cell centre) the first time a query touches
    the cell, and kept (float32, rounded outwards) for the life of the object. The arrays are
    allocated zeroed, so only the pages of touched cells take memory."""

    __slots__ = ("_fill", "_hi", "_known", "_lo", "_lock", "grid", "half")

    def __init__(self, grid: Grid, fill: CellFill) -> None:
        n = grid.ncol * grid.nrow
        self.grid = grid
        self.half = half_diagonals(grid)
        self._fill = fill
        self._known = np.zeros(n, np.bool_)
        self._lo = np.zeros(n, np.float32)
        self._hi = np.zeros(n, np.float32)
        self._lock = threading.Lock()

    def cells(self, lat: F64, lon: F64) -> I64:
        """The cell of each point, -1 for a non-finite one or a latitude beyond +-90."""
        g = self.grid
        out: I64 = K.grid_cells(
            as_f64(lat), as_f64(lon), g.lon0, g.lat0, g.cells_per_deg, g.ncol, g.nrow, g.wrap
        )
        return out

    def _compute(self, cells: I64) -> None:
        g = self.grid
        s = 1.0 / g.cells_per_deg
        row = cells // g.ncol
        col = cells % g.ncol
        lat = as_f64(g.lat0 + (row + 0.5) * s)
        lon = as_f64(g.lon0 + (col + 0.5) * s)
        lo, hi = self._fill(g, cells, lat, lon, self.half[row])
        lo32 = lo.astype(np.float32)
        hi32 = hi.astype(np.float32)
        lo32 = np.where(lo32 > lo, np.nextafter(lo32, np.float32(-np.inf)), lo32)
        hi32 = np.where(hi32 < hi, np.nextafter(hi32, np.float32(np.inf)), hi32)
        self._lo[cells] = lo32
        self._hi[cells] = hi32
        self._known[cells] = True

    def bounds(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[F64, F64]:
        """``(lo, hi)`` for each point; ``(0, inf)`` for non-finite ones."""
        la, lo = latlon(lat, lon)
        cell = self.cells(la, lo)
        todo = K.unknown_cells(cell, self._known)
        if len(todo):
            with self._lock:
                new = np.unique(todo)
                new = new[~self._known[new]]
                if len(new):
                    self._compute(new)
        out_lo, out_hi = K.cell_values(cell, self._lo, self._hi)
        return out_lo, out_hi
