"""AIS vessels at a scene's time, for the dark-vessel matcher (:mod:`seawatch.detect.dark`).

The positions are prepared once per call (:func:`prepare`): sorted by (mmsi, ts), a
per-vessel time index (the rows before each time bucket), and for each bucket holding a
scene time, each vessel's box: the grid cells where it can be at any time of the bucket
(:func:`seawatch.detect._dark_kernels.bucket_boxes`). Per scene (:func:`scene_vessels`),
the prefilter marks the cells within ``nearest_radius_m`` of the scene's detections (and
the footprint's bounds) and keeps the vessels whose box meets one, and those it cannot
bound (no fix in the bucket: maybe silent; near a pole); only those are located (the fixes
around the time, the interpolated or extrapolated position). A vessel left out is a
candidate farther than ``nearest_radius_m`` from every detection and outside the
footprint: it would pair with no detection and be no gap candidate, so the events are
the same. :func:`pairs` then finds the (detection, vessel) pairs within the radius.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._jit import read_only
from seawatch._units import EARTH_RADIUS_M, M_PER_NM, US_PER_H
from seawatch.detect import _dark_kernels as _k
from seawatch.geo import haversine_m

if TYPE_CHECKING:
    from seawatch.detect.dark import DarkParams


def move(
    lat: np.ndarray[Any, Any], lon: np.ndarray[Any, Any], bearing_deg: Any, dist_m: Any
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Points ``dist_m`` from (lat, lon) along ``bearing_deg`` (flat-earth; short moves)."""
    b = np.radians(bearing_deg)
    dlat = dist_m * np.cos(b) / 111_320.0
    dlon = dist_m * np.sin(b) / (111_320.0 * np.maximum(np.cos(np.radians(lat)), 1e-6))
    return lat + dlat, (lon + dlon + 180.0) % 360.0 - 180.0


def f64(table: pa.Table, name: str) -> np.ndarray[Any, Any]:
    col = table.column(name)
    if col.type != pa.float64():
        col = col.cast(pa.float64())
    if col.null_count:
        col = pc.fill_null(col, np.nan)
    return np.asarray(col.to_numpy(), dtype=np.float64)


def f32(table: pa.Table, name: str) -> np.ndarray[Any, Any]:
    """Like :func:`f64` but a float32 column stays float32 (the kernel widens each value,
    exactly): half the memory of a day of speeds and courses."""
    col = table.column(name)
    if col.type != pa.float32():
        return f64(table, name)
    if col.null_count:
        col = pc.fill_null(col, pa.scalar(np.nan, pa.float32()))
    return np.asarray(col.to_numpy(), dtype=np.float32)


def us(table: pa.Table, name: str) -> np.ndarray[Any, Any]:
    return np.asarray(table.column(name).cast(pa.int64()).to_numpy(), dtype=np.int64)


_BUCKETS = 48
"""Time buckets of the per-vessel time index (4 bytes per vessel and bucket), at least:
more when a bucket would be wider than the window (up to :data:`_MAX_BUCKET_CELLS`)."""
_MAX_BUCKET_CELLS = 8_000_000
"""At most this many (vessel, bucket) cells (12 bytes each: the index and the boxes)."""
_CELL_DEG = 0.25
"""Cells of the prefilter's grid of the globe (one byte each: 1 MB)."""
_MAX_BOX_LAT = 85.0
"""Vessels whose box reaches past this latitude are always located (flat-earth moves)."""


@dataclass(frozen=True, slots=True)
class Positions:
    """AIS positions sorted by (mmsi, ts), each vessel a slice ``starts[i]:ends[i]``, the
    time index, the prefilter's boxes, and the work buffers of the second thread."""

    ts: np.ndarray[Any, Any]
    lat: np.ndarray[Any, Any]
    lon: np.ndarray[Any, Any]
    sog: np.ndarray[Any, Any]
    cog: np.ndarray[Any, Any]
    starts: np.ndarray[Any, Any]
    ends: np.ndarray[Any, Any]
    mmsi: np.ndarray[Any, Any]
    """Each vessel's mmsi (int64)."""
    vlen: np.ndarray[Any, Any]
    """Each vessel's AIS length (NaN: unknown)."""
    tindex: np.ndarray[Any, Any]
    """Per vessel, its rows before each bucket edge (:func:`_dark_kernels.time_index`)."""
    t0: int
    width: int
    boxes: np.ndarray[Any, Any]
    """Per bucket of a scene time and vessel, the cells where the vessel can be then
    (:func:`_dark_kernels.bucket_boxes`)."""
    box_of: dict[int, int]
    """Bucket -> its boxes (none when the buckets are wider than the window: every
    vessel located at every scene then)."""
    grid: np.ndarray[Any, Any]
    """The prefilter's cells near the scene's detections (second thread only)."""
    sel: np.ndarray[Any, Any]
    """The prefilter's output buffer (second thread only)."""


class Vessels:
    """The AIS vessels of one scene that the prefilter kept (``sel``: vessel indices,
    ascending; every other vessel is a candidate farther than ``nearest_radius_m`` from
    every detection and outside the footprint), each at an index into ``sel``: the
    position at the scene time, and the rest of the state (:meth:`complete`) for the
    vessels the scene asks about."""

    def __init__(
        self,
        p: Positions,
        t_us: int,
        sel: np.ndarray[Any, Any],
        located: tuple[np.ndarray[Any, Any], ...],
    ) -> None:
        self.p, self.t_us, self.sel = p, t_us, sel
        self.mmsi, self.vlen = p.mmsi[sel], p.vlen[sel]
        self.lat, self.lon, self.prev, self.flags = located
        self.cand = np.flatnonzero(self.flags & (_k.HAS_PREV | _k.HAS_NEXT))
        """Candidates (a fix within the window), ascending."""
        self.cand_lat, self.cand_lon = self.lat[self.cand], self.lon[self.cand]
        self.silent = np.flatnonzero(self.flags & _k.SILENT)
        self.inside: np.ndarray[Any, Any] | None = None
        """Per candidate, whether it is inside the scene footprint (None: no footprint)."""
        n = len(sel)
        self._rest = np.empty((6, n))  # filled by complete() for the vessels asked about
        self.sigma_m, self.dt_h, self.course, self.speed = self._rest[:4]
        self.last_lat, self.last_lon = self._rest[4], self._rest[5]
        self.silent_since_us = np.empty(n, np.int64)
        """Time of the last fix of silent vessels (-1 where not silent or never seen)."""

    def complete(self, vessels: np.ndarray[Any, Any], params: DarkParams) -> None:
        """Fill sigma, dt_h, course, speed, the last fix and silence for ``vessels``."""
        p = self.p
        _k.complete(
            np.asarray(vessels, np.int64),
            self.prev,
            self.flags,
            p.ts,
            p.lat,
            p.lon,
            p.sog,
            p.cog,
            self.t_us,
            params.base_sigma_m,
            params.drift_frac,
            params.default_speed_kn,
            M_PER_NM,
            US_PER_H,
            self._rest,
            self.silent_since_us,
        )


def prepare(
    positions: pa.Table, lengths: pa.Table | None, times_us: list[int], params: DarkParams
) -> Positions:
    """The positions (valid ones, sorted by (mmsi, ts)), the time index, and the boxes of
    the buckets of ``times_us`` (the scene times)."""
    pos = positions.select(["mmsi", "ts", "lat", "lon", "sog_kn", "cog_deg"])
    if any(pos.column(c).null_count for c in ("lat", "lon", "ts")):
        valid = pc.and_(
            pc.and_(pc.is_valid(pos.column("lat")), pc.is_valid(pos.column("lon"))),
            pc.is_valid(pos.column("ts")),
        )
        pos = pos.filter(valid)
    mmsi = read_only(pos.column("mmsi").to_numpy())  # one kernel specialisation
    ts = read_only(us(pos, "ts"))
    ok, starts = _k.vessel_starts(mmsi, ts)
    if not ok:  # store day files are sorted already: no sort then
        pos = pos.sort_by([("mmsi", "ascending"), ("ts", "ascending")])
        mmsi = read_only(pos.column("mmsi").to_numpy())
        ts = read_only(us(pos, "ts"))
        ok, starts = _k.vessel_starts(mmsi, ts)
    ends = np.r_[starts[1:], len(ts)].astype(np.int64)
    vessel_ids = np.asarray(mmsi[starts], dtype=np.int64)
    nv = len(starts)
    t0 = int(ts.min()) if len(ts) else 0
    span = int(ts.max()) - t0 + 1 if len(ts) else 1
    win_us = int(params.window_h * US_PER_H)
    # a bucket at most the window wide: a vessel with a fix in the scene's bucket is then
    # a candidate, which the prefilter needs
    nb = max(_BUCKETS, -(-span // max(win_us, 1)) + 1)
    if nb * nv > _MAX_BUCKET_CELLS:
        nb = _BUCKETS
    width = span // nb + 1
    lat, lon = f64(pos, "lat"), f64(pos, "lon")
    sog, cog = f32(pos, "sog_kn"), f32(pos, "cog_deg")
    tindex = _k.time_index(starts, ends, ts, t0, width, nb)
    box_of: dict[int, int] = {}
    if width <= win_us:
        box_of = {
            j: k
            for k, j in enumerate(sorted({(t - t0) // width for t in times_us} & set(range(nb))))
        }
    boxes = _k.bucket_boxes(
        starts,
        ends,
        ts,
        lat,
        lon,
        sog,
        cog,
        tindex,
        np.array(list(box_of), np.int64),
        width / US_PER_H,
        M_PER_NM,
        _CELL_DEG,
        _MAX_BOX_LAT,
    )
    return Positions(
        ts=ts,
        lat=lat,
        lon=lon,
        sog=sog,
        cog=cog,
        starts=starts,
        ends=ends,
        mmsi=vessel_ids,
        vlen=vessel_lengths(lengths, vessel_ids),
        tindex=tindex,
        t0=t0,
        width=width,
        boxes=boxes,
        box_of=box_of,
        grid=np.zeros((round(180 / _CELL_DEG), round(360 / _CELL_DEG)), np.uint8),
        sel=np.empty(nv, np.int64),
    )


def vessel_lengths(
    lengths: pa.Table | None, vessel_ids: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Each vessel's length: the last positive ``length_m`` of its mmsi in ``lengths``."""
    out = np.full(len(vessel_ids), np.nan)
    if lengths is None or lengths.num_rows == 0 or len(vessel_ids) == 0:
        return out
    m = lengths.column("mmsi")
    v = lengths.column("length_m").cast(pa.float64())
    keep = pc.and_(pc.and_(pc.is_valid(m), pc.is_valid(v)), pc.greater(v, 0.0))
    keep = pc.fill_null(keep, False)
    mm = np.asarray(m.filter(keep).cast(pa.int64()).to_numpy(), dtype=np.int64)
    vv = np.asarray(v.filter(keep).to_numpy(), dtype=np.float64)
    if len(mm) == 0:
        return out
    # the last row of each mmsi wins (as a dict filled in row order)
    keys, first_rev = np.unique(mm[::-1], return_index=True)
    vals = vv[::-1][first_rev]
    at = np.searchsorted(keys, vessel_ids)
    at_c = np.minimum(at, len(keys) - 1)
    found = (at < len(keys)) & (keys[at_c] == vessel_ids)
    out[found] = vals[at_c[found]]
    return out


def scene_vessels(
    p: Positions,
    t_us: int,
    dlat: np.ndarray[Any, Any],
    dlon: np.ndarray[Any, Any],
    footprint: bytes | None,
    params: DarkParams,
) -> Vessels:
    """The vessels of a scene at ``t_us`` that may be within ``nearest_radius_m`` of a
    detection, inside the footprint (WKB) or silent: the
    prefilter (cells near the detections, each vessel's box of the scene's bucket), then
    the kept vessels located, those with one fix in the window extrapolated with its
    speed and course."""
    shape = None
    if footprint is not None:
        import shapely

        shape = shapely.from_wkb(footprint)
    j = p.box_of.get((t_us - p.t0) // p.width, -1)
    if j >= 0:
        p.grid[:] = 0
        _k.mark_reach(p.grid, dlat, dlon, params.nearest_radius_m / EARTH_RADIUS_M, _CELL_DEG)
        if shape is not None:
            x0, y0, x1, y1 = shape.bounds
            if all(map(math.isfinite, (x0, y0, x1, y1))):
                _k.mark_box(p.grid, y0, y1, x0, x1, _CELL_DEG)
    n = _k.select(p.boxes, j, p.grid, p.sel)
    sel = p.sel[:n].copy()
    located = _k.locate(
        sel,
        p.starts,
        p.ends,
        p.ts,
        p.lat,
        p.lon,
        p.tindex,
        p.t0,
        p.width,
        t_us,
        int(params.window_h * US_PER_H),
        int(params.gap_lookback_h * US_PER_H),
    )
    lat, lon, prev, flags = located
    side = flags & (_k.HAS_PREV | _k.HAS_NEXT)
    ext = np.flatnonzero((side == _k.HAS_PREV) | (side == _k.HAS_NEXT))
    if len(ext):
        after = side[ext] == _k.HAS_NEXT
        k = prev[ext] + after
        sign = np.where(after, -1.0, 1.0)
        dt = sign * (t_us - p.ts[k]) / US_PER_H
        sog = np.asarray(p.sog[k], dtype=np.float64)
        cog = np.asarray(p.cog[k], dtype=np.float64)
        known = ~np.isnan(sog) & ~np.isnan(cog)
        dist = np.where(known, np.nan_to_num(sog) * M_PER_NM * dt, 0.0)
        lat[ext], lon[ext] = move(p.lat[k], p.lon[k], np.nan_to_num(cog), dist)
    v = Vessels(p, t_us, sel, located)
    if shape is not None:
        v.inside = shapely.contains_xy(shape, v.cand_lon, v.cand_lat)
    return v


def pairs(
    dlat: np.ndarray[Any, Any],
    dlon: np.ndarray[Any, Any],
    vlat: np.ndarray[Any, Any],
    vlon: np.ndarray[Any, Any],
    radius_m: float,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(detection, vessel, distance) within ``radius_m`` (great circle), among the pairs
    in neighbouring cubes of a grid of the unit sphere (:func:`_dark_kernels.cell_join`):
    no pair is missed near the poles or across the antimeridian."""
    if len(dlat) == 0 or len(vlat) == 0:
        e = np.array([], np.int64)
        return e, e, np.array([], np.float64)
    cell = radius_m / EARTH_RADIUS_M * (1.0 + 1e-9)
    di, vi = _k.cell_join(dlat, dlon, vlat, vlon, cell)
    d = haversine_m(dlat[di], dlon[di], vlat[vi], vlon[vi])
    keep = d <= radius_m
    return di[keep], vi[keep], d[keep]
