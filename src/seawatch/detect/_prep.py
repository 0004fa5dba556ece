"""Shared preparation of detector input: cleaned, segmented positions as numpy arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

from seawatch._jit import read_only
from seawatch.detect._base import GeoContext
from seawatch.geo import hav_m
from seawatch.tracks import prepare
from seawatch.tracks.columns import f64, f64_or_nan, group_bounds, i64, ts_us

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Points:
    """Positions sorted by ``mmsi, seg_id, ts`` (``by_segment``) or ``mmsi, ts``.

    ``bounds`` are the offsets of the groups (segments, or vessels) plus the length.
    """

    mmsi: I64
    seg: I64
    ts: I64
    lat: F64
    lon: F64
    sog: F64
    bounds: I64

    def __len__(self) -> int:
        return len(self.ts)


def points(table: pa.Table, geo: GeoContext, *, by_segment: bool) -> Points:
    """Clean and segment raw positions (unless ``seg_id`` is already there), then sort."""
    prepared = prepare(table, geo=geo)  # sorted by mmsi, ts (total order)
    mmsi = i64(prepared, "mmsi")
    seg = i64(prepared, "seg_id")
    ts = ts_us(prepared)
    lat = f64(prepared, "lat")
    lon = f64(prepared, "lon")
    sog = f64_or_nan(prepared, "sog_kn")
    if by_segment:
        # stable: keeps the (ts, lat, lon, sog) order inside each segment
        order = np.lexsort((seg, mmsi))
        if not (order[1:] > order[:-1]).all():
            mmsi, seg, ts = mmsi[order], seg[order], ts[order]
            lat, lon, sog = lat[order], lon[order], sog[order]
        bounds = group_bounds(mmsi, seg)
    else:
        bounds = group_bounds(mmsi)
    ro = read_only  # one numba specialisation per kernel (see its docstring)
    return Points(
        mmsi=ro(mmsi), seg=ro(seg), ts=ro(ts), lat=ro(lat), lon=ro(lon), sog=ro(sog),
        bounds=ro(bounds),
    )  # fmt: skip


@njit(cache=True, nogil=True)
def implied_speed_mps(
    bounds: I64,
    ts: I64,
    lat: F64,
    lon: F64,
    window_us: int,
    need: npt.NDArray[np.bool_],
    enough_mps: float,
) -> F64:
    """Each point's *implied* speed: its net displacement over the ``window_us`` before it
    or after it, whichever is slower (GPS jitter around a still vessel cannot inflate it).

    Computed where ``need`` is set, else NaN; NaN too for a lone report (no other report
    of its group within the window at another time: no evidence either way). When the
    window before gives less than ``enough_mps``, the window after is not measured (a
    caller comparing with one threshold needs no more).
    """
    n = len(ts)
    out = np.full(n, np.nan)
    for s in range(len(bounds) - 1):
        a = bounds[s]
        b = bounds[s + 1]
        lo = a
        hi = a
        for k in range(a, b):
            while ts[k] - ts[lo] > window_us:
                lo += 1
            if hi < k:
                hi = k
            while hi + 1 < b and ts[hi + 1] - ts[k] <= window_us:
                hi += 1
            if not need[k] or ts[hi] == ts[lo]:
                continue
            back = math.inf
            fwd = math.inf
            if ts[k] > ts[lo]:
                back = hav_m(lat[lo], lon[lo], lat[k], lon[k]) / ((ts[k] - ts[lo]) / 1e6)
            if back < enough_mps:
                out[k] = back
                continue
            if ts[hi] > ts[k]:
                fwd = hav_m(lat[k], lon[k], lat[hi], lon[hi]) / ((ts[hi] - ts[k]) / 1e6)
            out[k] = min(back, fwd)
    return out


def shore_bounds(geo: GeoContext, lat: F64, lon: F64) -> tuple[F64, F64] | None:
    """``(lo, hi)`` around ``geo.distance_to_shore_m`` from the geography's cheap bounds
    (``distance_to_shore_bounds``), None when it has none."""
    fn = getattr(geo, "distance_to_shore_bounds", None)
    if fn is None:
        return None
    lo, hi = fn(lat, lon)
    return np.asarray(lo, np.float64), np.asarray(hi, np.float64)


def port_bounds(geo: GeoContext, lat: F64, lon: F64) -> tuple[F64, F64] | None:
    """``(lo, hi)`` around the distance of ``geo.nearest_port`` from the geography's cheap
    bounds (``nearest_port_bounds``), None when it has none."""
    fn = getattr(geo, "nearest_port_bounds", None)
    if fn is None:
        return None
    lo, hi = fn(lat, lon)
    return np.asarray(lo, np.float64), np.asarray(hi, np.float64)


def group_min_candidates(lo: F64, hi: F64, group: I64, n_groups: int) -> npt.NDArray[np.bool_]:
    """The items that may hold their group's minimum of a quantity bounded by
    ``lo <= x <= hi``: all but those whose ``lo`` exceeds the group's least ``hi`` (they are
    strictly above the minimum, so neither it nor tied with it)."""
    ub = np.full(n_groups, np.inf)
    np.minimum.at(ub, group, hi)
    out: npt.NDArray[np.bool_] = ~(lo > ub[group])
    return out


def nearest_port_within(geo: GeoContext, lat: F64, lon: F64, max_m: float) -> tuple[F64, I64]:
    """``geo.nearest_port`` for the points that may lie within ``max_m`` metres of a port
    (the geography's ``nearest_port_bounds`` rules the others out without an exact lookup):
    exact distance and port row there, ``(inf, -1)`` for points certainly beyond ``max_m``.
    Without bounds every point is looked up (and keeps its exact distance)."""
    b = port_bounds(geo, lat, lon)
    if b is None:
        d, i = geo.nearest_port(lat, lon)
        return np.asarray(d, np.float64), np.asarray(i, np.int64)
    lo = b[0]
    near = np.flatnonzero(~(lo > max_m))
    dist = np.full(len(lat), np.inf)
    idx = np.full(len(lat), -1, np.int64)
    if len(near):
        d, i = geo.nearest_port(lat[near], lon[near])
        dist[near] = np.asarray(d, np.float64)
        idx[near] = np.asarray(i, np.int64)
    return dist, idx


def input_range_us(table: pa.Table) -> tuple[int, int] | None:
    """The input's first and last timestamps (microseconds), None when empty."""
    import pyarrow.compute as pc

    if table.num_rows == 0:
        return None
    mm = pc.min_max(pc.cast(table.column("ts"), pa.int64()))
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if lo is None or hi is None:
        return None
    return int(lo), int(hi)
