"""Numba kernels of the dark-vessel matcher (:mod:`seawatch.detect.dark`).

Only index work and plain arithmetic (``+ - * / %``, comparisons) run here, in the same
order of operations as the numpy expressions they replace, so that the results are the
same doubles; trigonometry stays in numpy (``dark.py``), whose vectorised ``sin``/``cos``
may differ from the C library's in the last bit.

- :func:`vessel_starts`: whether positions are sorted by (mmsi, ts), and each vessel's
  first row (one pass over the day instead of a (vessel, time) key of every row).
- :func:`time_index`: per vessel, its rows before each time bucket's edge.
- :func:`bucket_boxes`, :func:`mark_reach`, :func:`mark_box`, :func:`select`: the
  prefilter: per bucket, the grid cells where each vessel can be; per scene, the cells
  near its detections; the vessels whose cells meet them. Only conservative bounds are
  computed here (with ``math`` trigonometry and margins), never a value of an event.
- :func:`locate`: the vessels kept at a scene time: the bucket, a binary search in the
  vessel's own rows for the fixes around the time, then interpolation (or the inputs of
  extrapolation); :func:`complete`: the rest of the state of the vessels a scene asks
  about.
- :func:`cell_join`: (detection, vessel) pairs whose cubes (a grid of the unit sphere) are
  neighbours, through a hash table of the cubes around the detections.
- :func:`greedy`: the one-to-one assignment, best pair first.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

_DBL_MAX = 1.7976931348623157e308
_HASH_MUL = -7046029254386353131  # 0x9E3779B97F4A7C15 as a signed 64-bit integer


@njit(cache=True, nogil=True)
def vessel_starts(mmsi: Any, ts: I64) -> tuple[bool, I64]:
    """``(sorted, starts)``: whether rows are sorted by (mmsi, ts) and the first row of
    each run of equal mmsi (meaningful only when sorted)."""
    n = len(mmsi)
    ok = True
    count = 1 if n else 0
    for i in range(1, n):
        if mmsi[i] != mmsi[i - 1]:
            count += 1
            if mmsi[i] < mmsi[i - 1]:
                ok = False
        elif ts[i] < ts[i - 1]:
            ok = False
    starts = np.empty(count, np.int64)
    if n:
        starts[0] = 0
        k = 1
        for i in range(1, n):
            if mmsi[i] != mmsi[i - 1]:
                starts[k] = i
                k += 1
    return ok, starts


@njit(cache=True)
def _nan_to_num(x: float) -> float:
    """``np.nan_to_num`` of one value."""
    if math.isnan(x):
        return 0.0
    if x == math.inf:
        return _DBL_MAX
    if x == -math.inf:
        return -_DBL_MAX
    return x


@njit(cache=True, nogil=True)
def time_index(starts: I64, ends: I64, ts: I64, t0: int, width: int, nb: int) -> Any:
    """``out[i, j]``: rows of vessel ``i`` before time ``t0 + j * width`` (``j`` in
    ``0..nb``), as an offset from the vessel's first row: the time of a scene narrows the
    search among the vessel's fixes to one bucket."""
    out = np.empty((len(starts), nb + 1), np.int32)
    for i in range(len(starts)):
        s = starts[i]
        e = ends[i]
        r = s
        for j in range(nb + 1):
            edge = t0 + j * width
            while r < e and ts[r] < edge:
                r += 1
            out[i, j] = r - s
    return out


HAS_PREV = 1
HAS_NEXT = 2
SILENT = 4


@njit(cache=True, nogil=True)
def locate(
    sel: I64,
    starts: I64,
    ends: I64,
    ts: I64,
    lat: F64,
    lon: F64,
    tindex: Any,
    t0: int,
    width: int,
    t_us: int,
    win_us: int,
    look_us: int,
) -> tuple[F64, F64, I64, I64]:
    """The fixes around ``t_us`` of the vessels ``sel`` and their positions: the bucket of
    :func:`time_index` then a binary search in it. Returns, one value per vessel of
    ``sel``: lat, lon (NaN: not a candidate, or one fix only: the caller extrapolates it),
    the last fix at or before the time (the vessel's first row - 1 when none) and flags
    (``HAS_PREV``, ``HAS_NEXT``, ``SILENT``)."""
    nan = math.nan
    nb = tindex.shape[1] - 1
    n = len(sel)
    out_lat = np.empty(n, np.float64)
    out_lon = np.empty(n, np.float64)
    out_prev = np.empty(n, np.int64)
    out_flags = np.empty(n, np.int64)
    j = (t_us - t0) // width
    for q in range(n):
        i = sel[q]
        s = starts[i]
        e = ends[i]
        if j < 0:
            lo = s
            hi = s
        elif j >= nb:
            lo = e
            hi = e
        else:
            lo = s + tindex[i, j]
            hi = s + tindex[i, j + 1]
        while lo < hi:
            mid = (lo + hi) >> 1
            if ts[mid] <= t_us:
                lo = mid + 1
            else:
                hi = mid
        n_le = lo - s
        prev = lo - 1
        nxt = lo
        pi = prev if prev > 0 else 0
        has_prev = n_le > 0 and t_us - ts[pi] <= win_us
        has_next = nxt < e and ts[nxt] - t_us <= win_us
        la = nan
        lo_ = nan
        if has_prev and has_next:
            a = prev
            b = nxt
            span = ts[b] - ts[a]
            if span < 1:
                span = 1
            f = (t_us - ts[a]) / span
            dlon = (lon[b] - lon[a] + 180.0) % 360.0 - 180.0
            la = lat[a] + f * (lat[b] - lat[a])
            lo_ = (lon[a] + f * dlon + 180.0) % 360.0 - 180.0
        candidate = has_prev or has_next
        silent = (not candidate) and n_le > 0 and t_us - ts[pi] <= look_us
        out_lat[q] = la
        out_lon[q] = lo_
        out_prev[q] = prev
        out_flags[q] = (
            (HAS_PREV if has_prev else 0)
            | (HAS_NEXT if has_next else 0)
            | (SILENT if silent else 0)
        )
    return out_lat, out_lon, out_prev, out_flags


@njit(cache=True, nogil=True)
def complete(
    vessels: I64,
    prev: I64,
    flags: I64,
    ts: I64,
    lat: F64,
    lon: F64,
    sog: Any,
    cog: Any,
    t_us: int,
    base_sigma_m: float,
    drift_frac: float,
    default_speed_kn: float,
    m_per_nm: float,
    us_per_h: int,
    out: F64,
    silent_since: I64,
) -> None:
    """The rest of the state of ``vessels`` (those a scene asks about) from :func:`locate`'s
    ``prev`` and ``flags``: ``out`` rows 0 sigma_m, 1 dt_h, 2 course, 3 speed, 4 last_lat,
    5 last_lon, and ``silent_since`` (-1: not silent)."""
    nan = math.nan
    for i in vessels:
        p = prev[i]
        fl = flags[i]
        has_prev = (fl & HAS_PREV) != 0
        has_next = (fl & HAS_NEXT) != 0
        silent = (fl & SILENT) != 0
        pi = p if p > 0 else 0
        dt_h = nan
        speed = nan
        course = nan
        if has_prev and has_next:
            a = p
            b = p + 1
            da = t_us - ts[a]
            db = ts[b] - t_us
            dt_h = (da if da < db else db) / us_per_h
            sa = np.float64(sog[a])
            ca = np.float64(cog[a])
            speed = np.float64(sog[b]) if math.isnan(sa) else sa
            course = np.float64(cog[b]) if math.isnan(ca) else ca
        elif has_prev or has_next:
            k = p if has_prev else p + 1
            sign = 1.0 if has_prev else -1.0
            dt = sign * (t_us - ts[k]) / us_per_h
            dt_h = abs(dt)
            speed = np.float64(sog[k])
            course = np.float64(cog[k])
        spread = default_speed_kn if math.isnan(speed) else speed
        out[0, i] = base_sigma_m + drift_frac * spread * m_per_nm * _nan_to_num(dt_h)
        out[1, i] = dt_h
        out[2, i] = np.float64(cog[pi]) if silent else course
        out[3, i] = np.float64(sog[pi]) if silent else speed
        out[4, i] = lat[pi]
        out[5, i] = lon[pi]
        silent_since[i] = ts[pi] if silent else -1


# ------------------------------------------------------------------------------------------
# the prefilter: vessels that may be near a detection of the scene (or in its footprint)

MARGIN_DEG = 1e-6
"""Added to every box and reach rectangle of the prefilter, far above the rounding of the
interpolation and of the distance (~1e-13 degree), far below a cell."""


@njit(cache=True, nogil=True)
def bucket_boxes(
    starts: I64,
    ends: I64,
    ts: I64,
    lat: F64,
    lon: F64,
    sog: Any,
    cog: Any,
    tindex: Any,
    buckets: I64,
    width_h: float,
    m_per_nm: float,
    cell_deg: float,
    max_lat_deg: float,
) -> Any:
    """``out[k, i]``: the cells (first row, last row, first column, number of columns, on
    a grid of ``cell_deg`` from (-90, -180)) of every position that :func:`locate` and the
    extrapolation can give vessel ``i`` at a time of bucket ``buckets[k]``; first row -1:
    anywhere.

    Only buckets with a fix of the vessel are bounded (when the bucket is at most the
    window wide, such a vessel is a candidate; the caller ensures it): the fixes around the
    time are then among the bucket's fixes and the one on either side of them, so an
    interpolated position lies in their latitude range and in the longitude range that
    the short way between consecutive fixes sweeps; an extrapolated one is a bucket's fix
    moved less than a bucket's time at its speed. Buckets with non-finite values or boxes
    reaching past ``max_lat_deg`` stay unbounded (located whatever the detections)."""
    nv = len(starts)
    nrows = round(180.0 / cell_deg)
    ncols = round(360.0 / cell_deg)
    out = np.empty((len(buckets), nv, 4), np.int16)
    for i in range(nv):
        s = starts[i]
        e = ends[i]
        for q in range(len(buckets)):
            j = buckets[q]
            out[q, i, 0] = -1
            a = s + tindex[i, j]
            b = s + tindex[i, j + 1]
            if a >= b:
                continue
            r0 = a - 1 if a > s else a
            r1 = b if b < e else e - 1
            ok = True
            la_lo = math.inf
            la_hi = -math.inf
            u = lon[r0]
            u_lo = u
            u_hi = u
            v_max = 0.0
            for r in range(r0, r1 + 1):
                la = lat[r]
                if not (math.isfinite(la) and math.isfinite(lon[r])):
                    ok = False
                    break
                la_lo = min(la_lo, la)
                la_hi = max(la_hi, la)
                if r > r0:
                    dl = lon[r] - lon[r - 1]
                    if not -180.0 < dl < 180.0:  # as locate's short way (else equal to it)
                        dl = (lon[r] - lon[r - 1] + 180.0) % 360.0 - 180.0
                    u += dl
                    u_lo = min(u_lo, u)
                    u_hi = max(u_hi, u)
                if a <= r < b:  # a fix that an extrapolation may start from
                    sp = np.float64(sog[r])
                    cg = np.float64(cog[r])
                    if math.isnan(sp) or math.isnan(cg):
                        continue  # no move
                    if not (math.isfinite(sp) and math.isfinite(cg)):
                        ok = False
                        break
                    v_max = max(v_max, abs(sp))
            if not ok:
                continue
            run = v_max * m_per_nm * width_h
            dlat = run / 111_320.0 + MARGIN_DEG
            la_lo -= dlat
            la_hi += dlat
            top = max(abs(la_lo), abs(la_hi))
            if top > max_lat_deg:
                continue
            dlon = run / (111_320.0 * math.cos(math.radians(top))) + MARGIN_DEG
            c0 = math.floor((u_lo - dlon + 180.0) / cell_deg)
            c1 = math.floor((u_hi + dlon + 180.0) / cell_deg)
            out[q, i, 0] = max(0, math.floor((la_lo + 90.0) / cell_deg))
            out[q, i, 1] = min(nrows - 1, math.floor((la_hi + 90.0) / cell_deg))
            out[q, i, 2] = c0 % ncols
            out[q, i, 3] = min(c1 - c0 + 1, ncols)
    return out


@njit(cache=True)
def _mark_rect(grid: Any, lat0: float, lat1: float, lon0: float, lon1: float, cell: float) -> None:
    nrows, ncols = grid.shape
    r0 = max(0, math.floor((lat0 + 90.0) / cell))
    r1 = min(nrows - 1, math.floor((lat1 + 90.0) / cell))
    c0 = math.floor((lon0 + 180.0) / cell)
    n = min(math.floor((lon1 + 180.0) / cell) - c0 + 1, ncols)
    for r in range(r0, r1 + 1):
        for k in range(n):
            grid[r, (c0 + k) % ncols] = 1


@njit(cache=True, nogil=True)
def mark_reach(grid: Any, lat: F64, lon: F64, reach_rad: float, cell_deg: float) -> None:
    """Mark the cells of ``grid`` (rows from -90, columns from -180 degrees) that hold a
    point within the angle ``reach_rad`` of one of the points (lat, lon): on the sphere,
    such a point's latitude differs by at most that angle, and its longitude by at most
    ``asin(sin(angle) / cos(lat))`` unless a pole is within reach."""
    reach = reach_rad * (1.0 + 1e-9)
    dlat = math.degrees(reach) + MARGIN_DEG
    sin_r = math.sin(reach)
    for d in range(len(lat)):
        la = lat[d]
        lo = lon[d]
        if not (math.isfinite(la) and math.isfinite(lo)):
            continue  # no distance to it is <= anything
        if abs(la) > 90.0:  # not a latitude: anything may be near (haversine wraps it)
            _mark_rect(grid, -90.0, 90.0, -180.0, 540.0, cell_deg)
            continue
        c = math.cos(math.radians(abs(la)))
        if abs(la) + dlat >= 90.0 or sin_r >= c * (1.0 - 1e-9):
            _mark_rect(grid, la - dlat, la + dlat, -180.0, 540.0, cell_deg)
            continue
        dlon = math.degrees(math.asin(sin_r / c)) * (1.0 + 1e-9) + MARGIN_DEG
        _mark_rect(grid, la - dlat, la + dlat, lo - dlon, lo + dlon, cell_deg)


@njit(cache=True, nogil=True)
def mark_box(
    grid: Any, lat0: float, lat1: float, lon0: float, lon1: float, cell_deg: float
) -> None:
    """Mark the cells of a latitude and longitude box (a footprint's bounds)."""
    m = MARGIN_DEG
    _mark_rect(grid, lat0 - m, lat1 + m, lon0 - m, lon1 + m, cell_deg)


@njit(cache=True, nogil=True)
def select(boxes: Any, j: int, grid: Any, out: I64) -> int:
    """Write to ``out`` the vessels whose box ``boxes[j]`` (:func:`bucket_boxes`) meets a
    marked cell of ``grid``, or is unbounded (every vessel when ``j`` < 0); returns their
    number. Ascending."""
    nv = len(out)
    ncols = grid.shape[1]
    n = 0
    for i in range(nv):
        take = j < 0
        if not take:
            r0 = boxes[j, i, 0]
            if r0 < 0:
                take = True
            else:
                c0 = boxes[j, i, 2]
                nc = boxes[j, i, 3]
                for r in range(r0, boxes[j, i, 1] + 1):
                    for k in range(nc):
                        c = c0 + k
                        if c >= ncols:
                            c -= ncols
                        if grid[r, c]:
                            take = True
                            break
                    if take:
                        break
        if take:
            out[n] = i
            n += 1
    return n


# ------------------------------------------------------------------------------------------
# pairs


@njit(cache=True)
def _slot(table: I64, used: B, key: Any, mask: int) -> int:
    h = key * _HASH_MUL
    h ^= h >> 29
    j = h & mask
    while used[j] and table[j] != key:
        j = (j + 1) & mask
    return int(j)


@njit(cache=True)
def _cell_key(lat: float, lon: float, cell: float, half: int, base: int) -> int:
    """Key of the cube (side ``cell``) holding the point's unit vector; -1 if not finite."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return -1
    p = math.radians(lat)
    q = math.radians(lon)
    c = math.cos(p)
    x = math.floor(c * math.cos(q) / cell) + half
    y = math.floor(c * math.sin(q) / cell) + half
    z = math.floor(math.sin(p) / cell) + half
    return int((x * base + y) * base + z)


@njit(cache=True, nogil=True)
def cell_join(dlat: F64, dlon: F64, vlat: F64, vlon: F64, cell: float) -> tuple[I64, I64]:
    """``(det, vessel)``: every pair whose unit vectors lie in neighbouring cubes of side
    ``cell`` (an angle in radians, at least the largest distance sought over the Earth's
    radius: a chord is shorter than its arc, so closer pairs are in neighbouring cubes,
    at any latitude and across the antimeridian). A hash table maps each of the 27 cubes
    around a detection to the detections there (a chain); each vessel is one lookup.
    Points with non-finite coordinates pair with none (their distance would be NaN)."""
    cell = max(cell, 1e-5)  # keys in 63 bits (cells of 64 m and more)
    half = math.floor(1.0 / cell) + 3
    base = 2 * half + 1
    m = len(dlat)
    size = 16
    while size < 54 * m:
        size <<= 1
    mask = size - 1
    table = np.zeros(size, np.int64)
    used = np.zeros(size, np.bool_)
    head = np.full(size, -1, np.int64)
    chain = np.empty(27 * m, np.int64)
    det = np.empty(27 * m, np.int64)
    n = 0
    for d in range(m):
        key = _cell_key(dlat[d], dlon[d], cell, half, base)
        if key < 0:
            continue
        for ox in range(-1, 2):
            for oy in range(-1, 2):
                for oz in range(-1, 2):
                    near = key + (ox * base + oy) * base + oz
                    j = _slot(table, used, near, mask)
                    used[j] = True
                    table[j] = near
                    chain[n] = head[j]
                    det[n] = d
                    head[j] = n
                    n += 1
    nv = len(vlat)
    hit = np.full(nv, -1, np.int64)
    total = 0
    for v in range(nv if n else 0):
        key = _cell_key(vlat[v], vlon[v], cell, half, base)
        if key < 0:
            continue
        j = _slot(table, used, key, mask)
        if used[j]:
            hit[v] = head[j]
            e = head[j]
            while e >= 0:
                total += 1
                e = chain[e]
    di = np.empty(total, np.int64)
    vi = np.empty(total, np.int64)
    k = 0
    for v in range(nv):
        e = hit[v]
        while e >= 0:
            di[k] = det[e]
            vi[k] = v
            k += 1
            e = chain[e]
    return di, vi


@njit(cache=True, nogil=True)
def greedy(order: I64, di: I64, vi: I64, n_det: int, n_vessels: int) -> tuple[I64, I64]:
    """One-to-one assignment: pairs taken in ``order``, each detection and vessel once.
    Returns ``(det_match, det_pair)``: the vessel and the pair of each detection (-1)."""
    det_match = np.full(n_det, -1, np.int64)
    det_pair = np.full(n_det, -1, np.int64)
    taken = np.zeros(n_vessels, np.bool_)
    for k in order:
        d = di[k]
        v = vi[k]
        if det_match[d] >= 0 or taken[v]:
            continue
        det_match[d] = v
        det_pair[d] = k
        taken[v] = True
    return det_match, det_pair
