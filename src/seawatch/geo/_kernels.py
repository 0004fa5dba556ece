"""Numba kernels of the geography: a regular lon/lat grid over polygon edges.

Two structures are built from the edges of polygon rings (``x`` = lon, ``y`` = lat, degrees):

* a **bucket grid** (cell -> edges whose bounding box touches the cell) with the Chebyshev
  distance (in cells) from every cell to the nearest non-empty cell; distance queries search
  rings of cells outwards and stop when a proven lower bound exceeds the best distance;
* a **membership grid** for several polygons ("zones") at once: per cell, one entry per zone
  that is either wholly inside the cell (no edge of the zone in the cell, centre inside) or a
  boundary entry (the zone's edges in that cell and whether the cell centre is inside). A point
  in a boundary cell is inside when the centre state, flipped once per edge that crosses the
  segment centre -> point, says so (even-odd rule; exact for the stored polygon).

Everything is degrees in an equirectangular grid; distances are great-circle metres.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

from seawatch._units import EARTH_RADIUS_M as EARTH_RADIUS_M

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
Bool = npt.NDArray[np.bool_]


@njit(cache=True, nogil=True)
def hav_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points in degrees."""
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp * 0.5) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl * 0.5) ** 2
    a = min(a, 1.0)
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@njit(cache=True, nogil=True)
def _cell_range(v0: float, v1: float, origin: float, k: float, n: int) -> tuple[int, int]:
    lo = math.floor((min(v0, v1) - origin) * k)
    hi = math.floor((max(v0, v1) - origin) * k)
    return max(lo, 0), min(hi, n - 1)


@njit(cache=True)
def edge_cell_pairs(
    x1: F64,
    y1: F64,
    x2: F64,
    y2: F64,
    lon0: float,
    lat0: float,
    k: float,
    ncol: int,
    nrow: int,
) -> tuple[I64, I32]:
    """(cell, edge) pairs: every cell that the bounding box of each edge touches."""
    n = len(x1)
    total = 0
    for e in range(n):
        c0, c1 = _cell_range(x1[e], x2[e], lon0, k, ncol)
        r0, r1 = _cell_range(y1[e], y2[e], lat0, k, nrow)
        if c1 >= c0 and r1 >= r0:
            total += (c1 - c0 + 1) * (r1 - r0 + 1)
    cells = np.empty(total, np.int64)
    edges = np.empty(total, np.int32)
    j = 0
    for e in range(n):
        c0, c1 = _cell_range(x1[e], x2[e], lon0, k, ncol)
        r0, r1 = _cell_range(y1[e], y2[e], lat0, k, nrow)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                cells[j] = r * ncol + c
                edges[j] = e
                j += 1
    return cells, edges


@njit(cache=True)
def chebyshev_fill(nonempty: Bool, nrow: int, ncol: int, wrap: bool) -> I32:
    """Chebyshev distance in cells from each cell to the nearest non-empty cell (BFS)."""
    ncell = nrow * ncol
    dist = np.full(ncell, -1, np.int32)
    queue = np.empty(ncell, np.int64)
    head = 0
    tail = 0
    for i in range(ncell):
        if nonempty[i]:
            dist[i] = 0
            queue[tail] = i
            tail += 1
    if tail == 0:
        dist[:] = max(nrow, ncol)
        return dist
    while head < tail:
        i = queue[head]
        head += 1
        r = i // ncol
        c = i - r * ncol
        d = dist[i] + 1
        for dr in range(-1, 2):
            rr = r + dr
            if rr < 0 or rr >= nrow:
                continue
            for dc in range(-1, 2):
                cc = c + dc
                if cc < 0 or cc >= ncol:
                    if not wrap:
                        continue
                    cc = cc % ncol
                j = rr * ncol + cc
                if dist[j] < 0:
                    dist[j] = d
                    queue[tail] = j
                    tail += 1
    return dist


def unit_vectors(lat: F64, lon: F64) -> tuple[F64, F64, F64]:
    """Unit vectors (x, y, z) of lat/lon points in degrees."""
    la = np.radians(lat)
    lo = np.radians(lon)
    cl = np.cos(la)
    return (
        np.ascontiguousarray(cl * np.cos(lo)),
        np.ascontiguousarray(cl * np.sin(lo)),
        np.ascontiguousarray(np.sin(la)),
    )


@njit(cache=True, nogil=True)
def _chord2(
    px: float,
    py: float,
    pz: float,
    ax: float,
    ay: float,
    az: float,
    bx: float,
    by: float,
    bz: float,
) -> float:
    """Squared 3-D distance from unit vector P to the chord AB (edges are short, so the chord
    is within centimetres of the surface)."""
    vx = bx - ax
    vy = by - ay
    vz = bz - az
    wx = px - ax
    wy = py - ay
    wz = pz - az
    vv = vx * vx + vy * vy + vz * vz
    t = 0.0
    if vv > 0.0:
        t = (wx * vx + wy * vy + wz * vz) / vv
        t = min(max(t, 0.0), 1.0)
    dx = wx - t * vx
    dy = wy - t * vy
    dz = wz - t * vz
    return dx * dx + dy * dy + dz * dz


@njit(cache=True, nogil=True)
def _surface_m(
    px: float,
    py: float,
    pz: float,
    ax: float,
    ay: float,
    az: float,
    bx: float,
    by: float,
    bz: float,
) -> float:
    """Great-circle metres from P to the surface point above the nearest point of chord AB."""
    vx = bx - ax
    vy = by - ay
    vz = bz - az
    vv = vx * vx + vy * vy + vz * vz
    t = 0.0
    if vv > 0.0:
        t = ((px - ax) * vx + (py - ay) * vy + (pz - az) * vz) / vv
        t = min(max(t, 0.0), 1.0)
    qx = ax + t * vx
    qy = ay + t * vy
    qz = az + t * vz
    qn = math.sqrt(qx * qx + qy * qy + qz * qz)
    dx = px - qx / qn
    dy = py - qy / qn
    dz = pz - qz / qn
    c = math.sqrt(dx * dx + dy * dy + dz * dz)
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, 0.5 * c))


@njit(cache=True, nogil=True)
def _meridian_lb(plat: float, dl: float, bottom: float, top: float) -> float:
    """Metres from a point to the nearest point at least ``dl`` degrees of longitude away
    (east or west) with a latitude in [bottom, top]."""
    if dl >= 180.0:
        return np.inf
    if dl >= 90.0:
        # farther than the meridian at 90 degrees: bound by that one
        dl = 90.0
    rad = math.pi / 180.0
    # the distance to points of the meridian at offset dl is unimodal in latitude, smallest at
    # atan(tan(plat) / cos(dl)); clamp that latitude to the searched band
    foot = math.atan2(math.tan(plat * rad), math.cos(dl * rad)) / rad
    lat = min(max(foot, bottom), top)
    return hav_m(plat, 0.0, lat, dl)


@njit(cache=True, nogil=True)
def _block_lb(
    plat: float,
    r0: int,
    c0: int,
    ring: int,
    frac: float,
    lat0: float,
    cell_deg: float,
    ncol: int,
    nrow: int,
    wrap: bool,
) -> float:
    """Lower bound (metres) on the distance from the point to anything outside the block of
    cells within ``ring`` of its cell ``(r0, c0)``; ``frac`` is its position in its cell
    (0-1, west to east)."""
    rad = math.pi / 180.0
    lb = np.inf
    if r0 + ring + 1 < nrow:
        lb = min(lb, (lat0 + (r0 + ring + 1) * cell_deg - plat) * rad * EARTH_RADIUS_M)
    if r0 - ring > 0:
        lb = min(lb, (plat - lat0 - (r0 - ring) * cell_deg) * rad * EARTH_RADIUS_M)
    west_open = (2 * ring + 1 < ncol) if wrap else (c0 - ring > 0)
    east_open = (2 * ring + 1 < ncol) if wrap else (c0 + ring < ncol - 1)
    top = min(lat0 + (r0 + ring + 1) * cell_deg, 90.0)
    bottom = max(lat0 + (r0 - ring) * cell_deg, -90.0)
    if west_open:
        dl = min((ring + frac) * cell_deg, 180.0)
        lb = min(lb, _meridian_lb(plat, dl, bottom, top))
    if east_open:
        dl = min((ring + 1.0 - frac) * cell_deg, 180.0)
        lb = min(lb, _meridian_lb(plat, dl, bottom, top))
    return lb


@njit(cache=True, nogil=True)
def _start(
    plat: float, plon: float, lon0: float, lat0: float, k: float, ncol: int, nrow: int, wrap: bool
) -> tuple[int, int, float]:
    """The point's cell ``(row, col)`` and its position in the cell (0-1, west to east)."""
    r0 = min(max(math.floor((plat - lat0) * k), 0), nrow - 1)
    c0 = math.floor((plon - lon0) * k)
    c0 = c0 % ncol if wrap else min(max(c0, 0), ncol - 1)
    frac = (plon - lon0) * k - math.floor((plon - lon0) * k)
    return r0, c0, frac


@njit(cache=True, nogil=True)
def _nearest_one(
    plat: float,
    plon: float,
    px: float,
    py: float,
    pz: float,
    ax: F64,
    ay: F64,
    az: F64,
    bx: F64,
    by: F64,
    bz: F64,
    lon0: float,
    lat0: float,
    k: float,
    ncol: int,
    nrow: int,
    wrap: bool,
    cell_start: I64,
    cell_edges: I32,
    cheb: I32,
) -> tuple[float, int]:
    """Squared chord distance to the nearest edge and that edge (-1 if none), searching
    rings of cells outwards (see :func:`nearest_edge`)."""
    cell_deg = 1.0 / k
    r0, c0, frac = _start(plat, plon, lon0, lat0, k, ncol, nrow, wrap)
    ring = int(cheb[r0 * ncol + c0])
    best = np.inf
    besti = -1
    maxring = max(nrow, ncol)
    while ring <= maxring:
        for r in range(r0 - ring, r0 + ring + 1):
            if r < 0 or r >= nrow:
                continue
            edge_row = r == r0 - ring or r == r0 + ring
            step = 1 if edge_row or ring == 0 else 2 * ring
            c = c0 - ring
            while c <= c0 + ring:
                cc = c
                ok = True
                if cc < 0 or cc >= ncol:
                    if wrap:
                        cc = cc % ncol
                    else:
                        ok = False
                if ok:
                    cell = r * ncol + cc
                    for j in range(cell_start[cell], cell_start[cell + 1]):
                        e = cell_edges[j]
                        d2 = _chord2(px, py, pz, ax[e], ay[e], az[e], bx[e], by[e], bz[e])
                        if d2 < best:
                            best = d2
                            besti = e
                c += step
        # lower bound (metres) for anything outside the searched block of cells
        lb = _block_lb(plat, r0, c0, ring, frac, lat0, cell_deg, ncol, nrow, wrap)
        if besti >= 0:
            if lb == np.inf:
                break
            # chord of the lower bound, shrunk by 1e-9 for rounding
            lbc = 2.0 * math.sin(0.5 * lb / EARTH_RADIUS_M) * (1.0 - 1e-9)
            if best <= lbc * lbc:
                break
        ring += 1
    return best, besti


@njit(cache=True, nogil=True)
def nearest_edge(
    lat: F64,
    lon: F64,
    ax: F64,
    ay: F64,
    az: F64,
    bx: F64,
    by: F64,
    bz: F64,
    lon0: float,
    lat0: float,
    k: float,
    ncol: int,
    nrow: int,
    wrap: bool,
    cell_start: I64,
    cell_edges: I32,
    cheb: I32,
) -> tuple[F64, I64]:
    """Distance (m) from each point to the nearest edge, and that edge (-1 if none).

    Edges are given by the unit vectors of their ends. Rings of grid cells are searched
    outwards from the first ring holding an edge until a lower bound on the distance to
    anything outside the searched block exceeds the best distance found.
    """
    n = len(lat)
    out = np.full(n, np.inf)
    idx = np.full(n, -1, np.int64)
    rad = math.pi / 180.0
    for i in range(n):
        plat = lat[i]
        plon = lon[i]
        if not (math.isfinite(plat) and math.isfinite(plon)):
            out[i] = np.nan
            continue
        cp = math.cos(plat * rad)
        px = cp * math.cos(plon * rad)
        py = cp * math.sin(plon * rad)
        pz = math.sin(plat * rad)
        _, besti = _nearest_one(
            plat, plon, px, py, pz, ax, ay, az, bx, by, bz,
            lon0, lat0, k, ncol, nrow, wrap, cell_start, cell_edges, cheb,
        )  # fmt: skip
        if besti >= 0:
            e = besti
            out[i] = _surface_m(px, py, pz, ax[e], ay[e], az[e], bx[e], by[e], bz[e])
            idx[i] = besti
    return out, idx


SEQ_MARGIN = 1e-7
"""Slack (unit-sphere chord, about 0.6 m) on every comparison of :func:`nearest_edge_seq`
that discards an edge: far above the rounding of the chord distances."""


@njit(cache=True, nogil=True)
def _gather(
    plat: float,
    plon: float,
    px: float,
    py: float,
    pz: float,
    limit: float,
    ax: F64,
    ay: F64,
    az: F64,
    bx: F64,
    by: F64,
    bz: F64,
    lon0: float,
    lat0: float,
    k: float,
    ncol: int,
    nrow: int,
    wrap: bool,
    cell_start: I64,
    cell_edges: I32,
    cheb: I32,
    seen: I64,
    stamp: int,
    cand: I64,
    cand_d: F64,
) -> int:
    """Every edge within chord distance ``limit`` of the point, into ``cand`` (with its
    distance in ``cand_d``), sorted by distance; returns how many. Rings of cells are
    searched until the lower bound for the cells outside exceeds ``limit`` (the stopping
    rule of :func:`_nearest_one`); ``seen[e] == stamp`` marks edges already taken."""
    cell_deg = 1.0 / k
    r0, c0, frac = _start(plat, plon, lon0, lat0, k, ncol, nrow, wrap)
    ring = int(cheb[r0 * ncol + c0])
    maxring = max(nrow, ncol)
    m = 0
    lim2 = limit * limit
    while ring <= maxring:
        for r in range(r0 - ring, r0 + ring + 1):
            if r < 0 or r >= nrow:
                continue
            edge_row = r == r0 - ring or r == r0 + ring
            step = 1 if edge_row or ring == 0 else 2 * ring
            c = c0 - ring
            while c <= c0 + ring:
                cc = c
                ok = True
                if cc < 0 or cc >= ncol:
                    if wrap:
                        cc = cc % ncol
                    else:
                        ok = False
                if ok:
                    cell = r * ncol + cc
                    for j in range(cell_start[cell], cell_start[cell + 1]):
                        e = cell_edges[j]
                        if seen[e] == stamp:
                            continue
                        seen[e] = stamp
                        d2 = _chord2(px, py, pz, ax[e], ay[e], az[e], bx[e], by[e], bz[e])
                        if d2 <= lim2:
                            if m == len(cand):
                                return -1
                            cand[m] = e
                            cand_d[m] = math.sqrt(d2)
                            m += 1
                c += step
        lb = _block_lb(plat, r0, c0, ring, frac, lat0, cell_deg, ncol, nrow, wrap)
        if lb == np.inf:
            break
        lbc = 2.0 * math.sin(0.5 * min(lb, math.pi * EARTH_RADIUS_M) / EARTH_RADIUS_M)
        if lbc * (1.0 - 1e-9) > limit:
            break
        ring += 1
    _heapsort_pairs(cand_d, cand, m)
    return m


@njit(cache=True, nogil=True)
def _sift(key: F64, val: I64, root: int, end: int) -> None:
    while True:
        child = 2 * root + 1
        if child >= end:
            return
        if child + 1 < end and key[child + 1] > key[child]:
            child += 1
        if key[root] >= key[child]:
            return
        key[root], key[child] = key[child], key[root]
        val[root], val[child] = val[child], val[root]
        root = child


@njit(cache=True, nogil=True)
def _heapsort_pairs(key: F64, val: I64, m: int) -> None:
    """Sort ``key[:m]`` ascending in place, ``val[:m]`` along (ties in any order).

    Written out instead of ``np.argsort`` and fancy indexing, which made
    :func:`nearest_edge_seq` take 4 more seconds to compile on a fresh machine."""
    for root in range(m // 2 - 1, -1, -1):
        _sift(key, val, root, m)
    for end in range(m - 1, 0, -1):
        key[0], key[end] = key[end], key[0]
        val[0], val[end] = val[end], val[0]
        _sift(key, val, 0, end)


@njit(cache=True, nogil=True)
def nearest_edge_seq(
    lat: F64,
    lon: F64,
    ax: F64,
    ay: F64,
    az: F64,
    bx: F64,
    by: F64,
    bz: F64,
    lon0: float,
    lat0: float,
    k: float,
    ncol: int,
    nrow: int,
    wrap: bool,
    cell_start: I64,
    cell_edges: I32,
    cheb: I32,
    reach: float,
    min_reach: float,
    max_cand: int,
    tie_ok: bool,
) -> tuple[F64, I64]:
    """:func:`nearest_edge`, the same results, faster for points in track order (each near
    the one before it).

    A *reference* point ``S`` (nearest-edge chord distance ``ds``) keeps every edge within
    ``ds + 2 * delta`` of it, sorted by distance, where ``delta = max(reach * ds,
    min_reach)``. For a later point ``P`` within ``delta`` of ``S`` (3-D chord distances,
    1-Lipschitz), the nearest edge lies within ``ds + delta`` of ``P``, hence within
    ``ds + 2 * delta`` of ``S``: it is among the kept edges, and the scan stops at the first
    whose distance from ``S`` less ``|PS|`` exceeds the best found. An exact tie between
    two edges (where the ring search's order would decide) and a point beyond ``delta``
    take the ring search of :func:`nearest_edge`; a point beyond ``delta`` becomes the next
    reference.

    ``tie_ok`` (for callers that keep only the distance): a tie between edges whose
    surface distances are bit-identical (the usual tie: a point whose nearest coast point is
    the vertex two edges share) is kept, since whichever edge the ring search would pick
    gives that same distance; the index returned is then one of the tied edges, not
    necessarily the ring search's. Far from a dense coastline most points tie at a vertex,
    so without ``tie_ok`` nearly every point falls back to the ring search.
    """
    n = len(lat)
    out = np.full(n, np.inf)
    idx = np.full(n, -1, np.int64)
    rad = math.pi / 180.0
    seen = np.zeros(len(ax), np.int64)
    cand = np.empty(max_cand, np.int64)
    cand_d = np.empty(max_cand, np.float64)
    m = 0  # kept edges of the reference (0: no reference)
    sx = sy = sz = 0.0
    qx = qy = qz = np.nan  # the point before
    delta = 0.0
    stamp = 0
    for i in range(n):
        plat = lat[i]
        plon = lon[i]
        if not (math.isfinite(plat) and math.isfinite(plon)):
            out[i] = np.nan
            continue
        cp = math.cos(plat * rad)
        px = cp * math.cos(plon * rad)
        py = cp * math.sin(plon * rad)
        pz = math.sin(plat * rad)
        besti = -1
        near_ref = False
        if m > 0:
            e_ps = math.sqrt((px - sx) ** 2 + (py - sy) ** 2 + (pz - sz) ** 2)
            near_ref = e_ps <= delta
            if near_ref:
                best = np.inf
                stop = np.inf
                tie = False
                for j in range(m):
                    if cand_d[j] - e_ps > stop:
                        break
                    e = cand[j]
                    d2 = _chord2(px, py, pz, ax[e], ay[e], az[e], bx[e], by[e], bz[e])
                    if d2 < best:
                        best = d2
                        besti = e
                        tie = False
                        stop = math.sqrt(best) + SEQ_MARGIN
                    elif d2 == best and not tie:
                        tie = not tie_ok or _surface_m(
                            px, py, pz, ax[e], ay[e], az[e], bx[e], by[e], bz[e]
                        ) != _surface_m(
                            px, py, pz, ax[besti], ay[besti], az[besti],
                            bx[besti], by[besti], bz[besti],
                        )  # fmt: skip
                if tie:
                    besti = -1
        if besti < 0:
            best, besti = _nearest_one(
                plat, plon, px, py, pz, ax, ay, az, bx, by, bz,
                lon0, lat0, k, ncol, nrow, wrap, cell_start, cell_edges, cheb,
            )  # fmt: skip
            if besti >= 0 and not near_ref:
                # a new reference, when the input looks like a track (the point before is
                # within the reach it would have)
                ds = math.sqrt(best)
                dlt = max(reach * ds, min_reach)
                step = math.sqrt((px - qx) ** 2 + (py - qy) ** 2 + (pz - qz) ** 2)
                m = 0
                if step <= dlt:
                    while m == 0 and dlt > 1e-9:
                        stamp += 1
                        m = _gather(
                            plat, plon, px, py, pz, ds + 2.0 * dlt + SEQ_MARGIN, ax, ay, az,
                            bx, by, bz, lon0, lat0, k, ncol, nrow, wrap, cell_start,
                            cell_edges, cheb, seen, stamp, cand, cand_d,
                        )  # fmt: skip
                        if m < 0:  # too many edges: a shorter reach
                            m = 0
                            dlt *= 0.25
                    delta = dlt
                    sx, sy, sz = px, py, pz
        qx, qy, qz = px, py, pz
        if besti >= 0:
            e = besti
            out[i] = _surface_m(px, py, pz, ax[e], ay[e], az[e], bx[e], by[e], bz[e])
            idx[i] = besti
    return out, idx


def build_membership(
    x1: F64,
    y1: F64,
    x2: F64,
    y2: F64,
    zone: I32,
    nzone: int,
    lon0: float,
    lat0: float,
    k: float,
    ncol: int,
    nrow: int,
) -> tuple[I64, I32, Bool, I64, I32]:
    """Membership grid: ``cell_start`` (ncell+1) into entries (``ent_zone``, ``ent_center_in``,
    ``ent_estart`` into ``ent_edges``).

    Three kernels with numpy's (stable) sorts between them: a sort inside a kernel costs
    about a second of compilation each on a fresh machine, for no speed.
    """
    # 1. (cell, zone) keys of the edges
    cells, eids = edge_cell_pairs(x1, y1, x2, y2, lon0, lat0, k, ncol, nrow)
    ekey = cells * nzone + zone[eids].astype(np.int64)
    order = np.argsort(ekey, kind="stable")
    ekey = ekey[order]
    eids = eids[order]
    # 2. scanline: crossings of each row's centre line, per zone, by (row and zone, x)
    ckey, cx = _row_crossings(x1, y1, x2, y2, zone, nzone, lat0, k, nrow)
    order = np.lexsort((cx, ckey))
    ikey = np.sort(_inside_keys(ckey[order], cx[order], nzone, lon0, k, ncol))
    # 3. merge the two sorted key lists into entries
    cell_start, ent_zone, ent_in, ent_estart = _merge_entries(ekey, ikey, nzone, nrow * ncol)
    return cell_start, ent_zone, ent_in, ent_estart, eids


@njit(cache=True)
def _row_crossings(
    x1: F64, y1: F64, x2: F64, y2: F64, zone: I32, nzone: int, lat0: float, k: float, nrow: int
) -> tuple[I64, F64]:
    """``(row * nzone + zone, x)`` where each edge crosses a row's centre line."""
    ncross = 0
    for e in range(len(x1)):
        lo, hi = min(y1[e], y2[e]), max(y1[e], y2[e])
        r_lo = max(math.ceil((lo - lat0) * k - 0.5), 0)
        r_hi = min(math.floor((hi - lat0) * k - 0.5), nrow - 1)
        if r_hi >= r_lo:
            ncross += r_hi - r_lo + 1
    ckey = np.empty(ncross, np.int64)
    cx = np.empty(ncross, np.float64)
    j = 0
    for e in range(len(x1)):
        lo, hi = min(y1[e], y2[e]), max(y1[e], y2[e])
        r_lo = max(math.ceil((lo - lat0) * k - 0.5), 0)
        r_hi = min(math.floor((hi - lat0) * k - 0.5), nrow - 1)
        for r in range(r_lo, r_hi + 1):
            yc = lat0 + (r + 0.5) / k
            if (y1[e] > yc) != (y2[e] > yc):
                ckey[j] = r * nzone + zone[e]
                cx[j] = x1[e] + (yc - y1[e]) * (x2[e] - x1[e]) / (y2[e] - y1[e])
                j += 1
    return ckey[:j], cx[:j]


@njit(cache=True)
def _inside_keys(ckey: I64, cx: F64, nzone: int, lon0: float, k: float, ncol: int) -> I64:
    """``cell * nzone + zone`` of the cells whose centre is inside a zone, from the row
    crossings sorted by (key, x) (unsorted)."""
    nin = 0
    a = 0
    while a < len(ckey):
        b = a
        while b < len(ckey) and ckey[b] == ckey[a]:
            b += 1
        for p in range(a, b - 1, 2):
            c_lo = max(math.ceil((cx[p] - lon0) * k - 0.5), 0)
            c_hi = min(math.floor((cx[p + 1] - lon0) * k - 0.5), ncol - 1)
            if c_hi >= c_lo:
                nin += c_hi - c_lo + 1
        a = b
    ikey = np.empty(nin, np.int64)
    j = 0
    a = 0
    while a < len(ckey):
        b = a
        while b < len(ckey) and ckey[b] == ckey[a]:
            b += 1
        r = ckey[a] // nzone
        z = ckey[a] - r * nzone
        for p in range(a, b - 1, 2):
            c_lo = max(math.ceil((cx[p] - lon0) * k - 0.5), 0)
            c_hi = min(math.floor((cx[p + 1] - lon0) * k - 0.5), ncol - 1)
            for c in range(c_lo, c_hi + 1):
                ikey[j] = (r * ncol + c) * nzone + z
                j += 1
        a = b
    return ikey


@njit(cache=True)
def _merge_entries(ekey: I64, ikey: I64, nzone: int, ncell: int) -> tuple[I64, I32, Bool, I64]:
    """The membership entries from the sorted edge keys and centre-inside keys."""
    nent = 0
    i = 0
    m = 0
    while i < len(ekey) or m < len(ikey):
        key = ekey[i] if m >= len(ikey) or (i < len(ekey) and ekey[i] < ikey[m]) else ikey[m]
        while i < len(ekey) and ekey[i] == key:
            i += 1
        while m < len(ikey) and ikey[m] == key:
            m += 1
        nent += 1
    cell_start = np.zeros(ncell + 1, np.int64)
    ent_zone = np.empty(nent, np.int32)
    ent_in = np.zeros(nent, np.bool_)
    ent_estart = np.zeros(nent + 1, np.int64)
    i = 0
    m = 0
    q = 0
    while i < len(ekey) or m < len(ikey):
        key = ekey[i] if m >= len(ikey) or (i < len(ekey) and ekey[i] < ikey[m]) else ikey[m]
        while i < len(ekey) and ekey[i] == key:
            i += 1
        while m < len(ikey) and ikey[m] == key:
            ent_in[q] = True
            m += 1
        cell = key // nzone
        ent_zone[q] = key - cell * nzone
        ent_estart[q + 1] = i
        cell_start[cell + 1] += 1
        q += 1
    for c in range(ncell):
        cell_start[c + 1] += cell_start[c]
    return cell_start, ent_zone, ent_in, ent_estart


@njit(cache=True, nogil=True)
def _inside(
    ent: int,
    plat: float,
    plon: float,
    clat: float,
    clon: float,
    x1: F64,
    y1: F64,
    x2: F64,
    y2: F64,
    ent_in: Bool,
    ent_estart: I64,
    ent_edges: I32,
) -> bool:
    state = bool(ent_in[ent])
    for j in range(ent_estart[ent], ent_estart[ent + 1]):
        e = ent_edges[j]
        ax = x1[e]
        ay = y1[e]
        bx = x2[e]
        by = y2[e]
        d1 = (plon - clon) * (ay - clat) - (plat - clat) * (ax - clon)
        d2 = (plon - clon) * (by - clat) - (plat - clat) * (bx - clon)
        if (d1 > 0.0) == (d2 > 0.0):
            continue
        d3 = (bx - ax) * (clat - ay) - (by - ay) * (clon - ax)
        d4 = (bx - ax) * (plat - ay) - (by - ay) * (plon - ax)
        if (d3 > 0.0) != (d4 > 0.0):
            state = not state
    return state


@njit(cache=True, nogil=True)
def _cell_of(
    plat: float, plon: float, lon0: float, lat0: float, k: float, ncol: int, nrow: int
) -> int:
    if not (math.isfinite(plat) and math.isfinite(plon)):
        return -1
    fc = (plon - lon0) * k
    fr = (plat - lat0) * k
    if fc < 0.0 or fr < 0.0:
        return -1
    c = int(fc)
    r = int(fr)
    if c == ncol and plon - lon0 <= ncol / k:
        c = ncol - 1  # the closing edge (e.g. lon 180) belongs to the last column
    if r == nrow and plat - lat0 <= nrow / k:
        r = nrow - 1
    if c >= ncol or r >= nrow:
        return -1
    return r * ncol + c


@njit(cache=True, nogil=True)
def first_zone(
    lat: F64,
    lon: F64,
    x1: F64,
    y1: F64,
    x2: F64,
    y2: F64,
    lon0: float,
    lat0: float,
    k: float,
    ncol: int,
    nrow: int,
    cell_start: I64,
    ent_zone: I32,
    ent_in: Bool,
    ent_estart: I64,
    ent_edges: I32,
) -> I32:
    """Lowest zone index containing each point, -1 for none."""
    n = len(lat)
    out = np.full(n, -1, np.int32)
    for i in range(n):
        plat = lat[i]
        plon = lon[i]
        cell = _cell_of(plat, plon, lon0, lat0, k, ncol, nrow)
        if cell < 0:
            continue
        r = cell // ncol
        c = cell - r * ncol
        clat = lat0 + (r + 0.5) / k
        clon = lon0 + (c + 0.5) / k
        for ent in range(cell_start[cell], cell_start[cell + 1]):
            if _inside(ent, plat, plon, clat, clon, x1, y1, x2, y2, ent_in, ent_estart, ent_edges):
                out[i] = ent_zone[ent]
                break
    return out


@njit(cache=True, nogil=True)
def all_zones(
    lat: F64,
    lon: F64,
    x1: F64,
    y1: F64,
    x2: F64,
    y2: F64,
    lon0: float,
    lat0: float,
    k: float,
    ncol: int,
    nrow: int,
    cell_start: I64,
    ent_zone: I32,
    ent_in: Bool,
    ent_estart: I64,
    ent_edges: I32,
) -> tuple[I64, I64]:
    """Every (point, zone) pair with the point inside the zone, ordered by point then zone."""
    n = len(lat)
    cells = np.empty(n, np.int64)
    cap = 0
    for i in range(n):
        cell = _cell_of(lat[i], lon[i], lon0, lat0, k, ncol, nrow)
        cells[i] = cell
        if cell >= 0:
            cap += cell_start[cell + 1] - cell_start[cell]
    # the entries of a point's cell bound its pairs: one allocation, no regrowth
    pi = np.empty(cap, np.int64)
    zi = np.empty(cap, np.int64)
    m = 0
    for i in range(n):
        cell = cells[i]
        if cell < 0:
            continue
        plat = lat[i]
        plon = lon[i]
        r = cell // ncol
        c = cell - r * ncol
        clat = lat0 + (r + 0.5) / k
        clon = lon0 + (c + 0.5) / k
        for ent in range(cell_start[cell], cell_start[cell + 1]):
            if _inside(ent, plat, plon, clat, clon, x1, y1, x2, y2, ent_in, ent_estart, ent_edges):
                pi[m] = i
                zi[m] = ent_zone[ent]
                m += 1
    return pi[:m], zi[:m]


@njit(cache=True, nogil=True)
def grid_cells(
    lat: F64, lon: F64, lon0: float, lat0: float, k: float, ncol: int, nrow: int, wrap: bool
) -> I64:
    """The grid cell of each point (row-major), -1 for a non-finite one or a latitude beyond
    +-90; rows clipped to the grid, columns wrapped (``wrap``) or clipped."""
    n = len(lat)
    out = np.empty(n, np.int64)
    for i in range(n):
        la = lat[i]
        lo = lon[i]
        if not (math.isfinite(la) and math.isfinite(lo) and abs(la) <= 90.0):
            out[i] = -1
            continue
        r = min(max(math.floor((la - lat0) * k), 0), nrow - 1)
        c = math.floor((lo - lon0) * k)
        c = c % ncol if wrap else min(max(c, 0), ncol - 1)
        out[i] = r * ncol + c
    return out


@njit(cache=True, nogil=True)
def far_cells(
    lat: F64,
    lon: F64,
    lon0: float,
    lat0: float,
    k: float,
    ncol: int,
    nrow: int,
    cheb: I32,
    min_cells: int,
) -> Bool:
    """Whether each point's cell is at least ``min_cells`` (Chebyshev) from any cell with
    an edge (``cheb``); False for a non-finite point. The cell is the searches' own
    (:func:`_start`: rows clipped to the grid, columns wrapped)."""
    n = len(lat)
    out = np.zeros(n, np.bool_)
    for i in range(n):
        la = lat[i]
        lo = lon[i]
        if not (math.isfinite(la) and math.isfinite(lo)):
            continue
        r, c, _ = _start(la, lo, lon0, lat0, k, ncol, nrow, True)
        out[i] = cheb[r * ncol + c] >= min_cells
    return out


@njit(cache=True, nogil=True)
def unknown_cells(cells: I64, known: Bool) -> I64:
    """The cells (>= 0) not yet ``known``, with repeats."""
    m = 0
    for c in cells:
        if c >= 0 and not known[c]:
            m += 1
    out = np.empty(m, np.int64)
    m = 0
    for c in cells:
        if c >= 0 and not known[c]:
            out[m] = c
            m += 1
    return out


@njit(cache=True, nogil=True)
def cell_values(
    cells: I64, lo: npt.NDArray[np.float32], hi: npt.NDArray[np.float32]
) -> tuple[F64, F64]:
    """``(lo, hi)`` of each point's cell; ``(0, inf)`` for cell -1."""
    n = len(cells)
    out_lo = np.zeros(n)
    out_hi = np.full(n, np.inf)
    for i in range(n):
        c = cells[i]
        if c >= 0:
            out_lo[i] = lo[c]
            out_hi[i] = hi[c]
    return out_lo, out_hi
