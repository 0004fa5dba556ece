"""Zone entries, exits and visits (DESIGN.md §7): country 12/24/200 nm zones, named regions
and user zones, whatever the :class:`GeoContext` knows.

A *visit* is a maximal run of consecutive positions of one segment inside a zone; runs of
the same zone separated by less than ``merge_gap_h`` outside are one visit (GPS jitter on a
boundary does not make a burst of crossings). For each visit:

- ``zone_entry`` at the first position inside, when the vessel was seen outside before it
  in the same segment (otherwise it was already inside when its data began);
- ``zone_exit`` at the first position seen outside again, when there is one;
- ``zone_visit`` from the first position inside to the exit (or to the last position
  inside when the vessel never left: ``details.open_end``), with the dwell time and the
  closest approach to the coast inside the zone.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

from seawatch._exceptions import ParameterError
from seawatch._units import US_PER_H
from seawatch.detect._base import M_PER_NM, GeoContext, build_events, params_json, resolve_geo
from seawatch.detect._prep import points, shore_bounds
from seawatch.schema import EVENTS

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

TYPES = ("zone_entry", "zone_exit", "zone_visit")


@dataclass(frozen=True, slots=True)
class ZoneParams:
    """Parameters of :func:`zone_events` (units in the names)."""

    zones: tuple[str, ...] = ()
    """Zone names to watch; empty watches every zone of the geography."""
    merge_gap_h: float = 1.0
    """Visits of one zone less than this far apart (time outside) are merged."""
    min_dwell_h: float = 0.0
    """Visits shorter than this (and their entry/exit) are not reported."""
    emit: tuple[str, ...] = TYPES
    """Which of ``zone_entry``, ``zone_exit``, ``zone_visit`` to report."""

    def __post_init__(self) -> None:
        if self.merge_gap_h < 0 or self.min_dwell_h < 0:
            raise ParameterError("ZoneParams: merge_gap_h and min_dwell_h must be >= 0")
        bad = set(self.emit) - set(TYPES)
        if bad:
            raise ParameterError(f"ZoneParams.emit: unknown type(s) {sorted(bad)}")


DEFAULT = ZoneParams()
GFW = ZoneParams()
"""GFW publishes no zone events; the preset is the default."""


def zone_events(
    table: pa.Table, *, params: ZoneParams = DEFAULT, geo: GeoContext | None = None
) -> pa.Table:
    """Zone entry, exit and visit events (schema EVENTS, ``zone`` = zone name) in
    positions of whole vessels, any row order.

    Details: ``dwell_h`` (visit duration), ``closest_shore_nm`` and the position of that
    closest approach (``closest``), ``entered``/``exited`` (observed crossings),
    ``open_end``, ``n_positions``; entries and exits carry the visit's ``dwell_h`` too
    and the time of the observation on the other side (``outside_ts``).
    """
    g = resolve_geo(geo)
    if table.num_rows == 0:
        return EVENTS.empty_table()
    p = points(table, g, by_segment=True)
    names = list(g.zone_names())
    pi, zi = g.zone_membership(p.lat, p.lon)
    if params.zones:
        unknown = set(params.zones) - set(names)
        if unknown:
            raise ParameterError(f"unknown zone(s): {', '.join(sorted(unknown))}")
        wanted = np.isin(zi, [names.index(z) for z in params.zones])
        pi, zi = pi[wanted], zi[wanted]
    if len(pi) == 0:
        return EVENTS.empty_table()
    pi, zi = _by_zone(pi, zi)
    seg_pt = np.repeat(np.arange(len(p.bounds) - 1, dtype=np.int64), np.diff(p.bounds))
    # visits: runs of consecutive points of one segment inside one zone, merged across
    # short excursions; each visit is a contiguous range of the (zone, point) pairs
    vf, vl, vz, vs, pair_at = _zone_visits(
        pi, zi, seg_pt, p.ts, round(params.merge_gap_h * US_PER_H)
    )
    seg_a = p.bounds[vs]
    seg_b = p.bounds[vs + 1]
    entered = vf > seg_a
    exited = vl + 1 < seg_b
    exit_idx = np.where(exited, vl + 1, vl)
    keep = (p.ts[exit_idx] - p.ts[vf]) >= round(params.min_dwell_h * US_PER_H)
    # closest approach to the coast inside each visit (the first pair reaching it)
    shore = _point_shore(g, p.lat, p.lon, pi, pair_at)
    best_pair = _closest_pair(pi, pair_at, shore)
    best_pt = pi[best_pair]
    n_inside = np.diff(pair_at)

    sel = np.flatnonzero(keep)
    if len(sel) == 0:
        return EVENTS.empty_table()
    emit = set(params.emit)
    pj = params_json(params)
    zone_js = [json.dumps(n) for n in names]
    ts_a, ts_x, ts_b = p.ts[vf[sel]], p.ts[exit_idx[sel]], p.ts[best_pt[sel]]
    iso_x = _iso_all(ts_x)
    iso_b = _iso_all(ts_b)
    iso_before = _iso_all(p.ts[np.maximum(vf[sel] - 1, 0)])
    dwell = ((ts_x - ts_a) / US_PER_H).tolist()
    closest_nm = (shore[best_pt[sel]] / M_PER_NM).tolist()
    types: list[str] = []
    rows: list[int] = []  # the point of each event's start, end and location, by kind
    kinds: list[int] = []  # 0 entry, 1 exit, 2 visit
    details: list[str] = []
    zone: list[str] = []
    vz_l = vz[sel].tolist()
    seg_l = p.seg[vf[sel]].tolist()
    ent_l, exi_l = entered[sel].tolist(), exited[sel].tolist()
    nin_l = n_inside[sel].tolist()
    lat_l = p.lat[best_pt[sel]].tolist()
    lon_l = p.lon[best_pt[sel]].tolist()
    want_entry = "zone_entry" in emit
    want_exit = "zone_exit" in emit
    want_visit = "zone_visit" in emit
    for j in range(len(sel)):
        name = names[vz_l[j]]
        tail = f',"params":{pj},"seg_id":{seg_l[j]},"zone":{zone_js[vz_l[j]]}}}'
        dw = _num(dwell[j])
        if ent_l[j] and want_entry:
            types.append("zone_entry")
            rows.append(j)
            kinds.append(0)
            zone.append(name)
            details.append(f'{{"dwell_h":{dw},"outside_ts":"{iso_before[j]}"{tail}')
        if exi_l[j] and want_exit:
            types.append("zone_exit")
            rows.append(j)
            kinds.append(1)
            zone.append(name)
            details.append(f'{{"dwell_h":{dw},"outside_ts":"{iso_x[j]}"{tail}')
        if want_visit:
            types.append("zone_visit")
            rows.append(j)
            kinds.append(2)
            zone.append(name)
            e = "true" if ent_l[j] else "false"
            x = "true" if exi_l[j] else "false"
            o = "false" if exi_l[j] else "true"
            details.append(
                f'{{"closest":{{"lat":{_num(lat_l[j])},"lon":{_num(lon_l[j])},'
                f'"ts":"{iso_b[j]}"}},"closest_shore_nm":{_num(closest_nm[j])},'
                f'"dwell_h":{dw},"entered":{e},"exited":{x},"n_positions":{nin_l[j]},'
                f'"open_end":{o}{tail}'
            )
    if not types:
        return EVENTS.empty_table()
    r = np.asarray(rows, np.int64)
    k = np.asarray(kinds, np.int64)
    a = vf[sel][r]
    x_ = exit_idx[sel][r]
    start_pt = np.where(k == 1, x_, a)
    end_pt = np.where(k == 0, a, x_)
    loc_pt = np.where(k == 0, a, np.where(k == 1, x_, best_pt[sel][r]))
    lat_a = p.lat[loc_pt]
    lon_a = p.lon[loc_pt]
    return build_events(
        types=types,
        start_us=p.ts[start_pt],
        end_us=p.ts[end_pt],
        vessels=p.mmsi[a],
        lat=lat_a,
        lon=lon_a,
        region=list(g.region_of(lat_a, lon_a)),
        zone=zone,
        details=details,
    )


def _by_zone(pi: I64, zi: I64) -> tuple[I64, I64]:
    """The (point, zone) pairs sorted by zone, then point."""
    if len(pi) > 1:
        if (pi[1:] >= pi[:-1]).all():  # by point (then zone): a stable sort by zone
            lo, hi = int(zi.min()), int(zi.max())
            if lo >= 0 and hi < 1 << 20:
                order = _counting_order(np.ascontiguousarray(zi, np.int64), hi + 1)
            else:
                order = np.argsort(zi, kind="stable")
        else:
            order = np.lexsort((pi, zi))
        pi, zi = pi[order], zi[order]
    return np.ascontiguousarray(pi, np.int64), np.ascontiguousarray(zi, np.int64)


@njit(cache=True, nogil=True)
def _counting_order(key: I64, nkey: int) -> I64:
    """The stable ascending order of ``key`` (values in ``0..nkey-1``): a counting sort,
    ``np.argsort(key, kind="stable")`` in linear time."""
    start = np.zeros(nkey + 1, np.int64)
    for v in key:
        start[v + 1] += 1
    for j in range(nkey):
        start[j + 1] += start[j]
    order = np.empty(len(key), np.int64)
    for i in range(len(key)):
        v = key[i]
        order[start[v]] = i
        start[v] += 1
    return order


@njit(cache=True, nogil=True)
def _zone_visits(
    pi: I64, zi: I64, seg_pt: I64, ts: I64, merge_us: int
) -> tuple[I64, I64, I64, I64, I64]:
    """Visits of the (zone, point)-sorted pairs: a run is consecutive points of one
    segment in one zone; runs of one zone and segment less than ``merge_us`` apart are
    one visit. Returns the visits' first and last points, zone, segment and the offsets of
    their pairs (``pair_at[v]:pair_at[v + 1]``)."""
    n = len(pi)
    vf = np.empty(n, np.int64)
    vl = np.empty(n, np.int64)
    vz = np.empty(n, np.int64)
    vs = np.empty(n, np.int64)
    at = np.empty(n + 1, np.int64)
    nv = 0
    for k in range(n):
        z = zi[k]
        q = pi[k]
        s = seg_pt[q]
        same = k > 0 and z == zi[k - 1] and s == seg_pt[pi[k - 1]]
        if same and (q == pi[k - 1] + 1 or ts[q] - ts[pi[k - 1]] < merge_us):
            vl[nv - 1] = q  # the same run, or a new run merged into the visit
            continue
        vf[nv] = q
        vl[nv] = q
        vz[nv] = z
        vs[nv] = s
        at[nv] = k
        nv += 1
    at[nv] = n
    return vf[:nv], vl[:nv], vz[:nv], vs[:nv], at[: nv + 1]


@njit(cache=True, nogil=True)
def _candidates(pi: I64, pair_at: I64, lo: F64, hi: F64, n_points: int) -> npt.NDArray[np.bool_]:
    """Points that may be their visit's closest to the coast, given ``lo <= d <= hi``: all
    but those whose ``lo`` exceeds the visit's least ``hi`` (strictly farther than the
    closest point, so neither it nor tied with it)."""
    need = np.zeros(n_points, np.bool_)
    for v in range(len(pair_at) - 1):
        ub = np.inf
        for k in range(pair_at[v], pair_at[v + 1]):
            ub = min(ub, hi[pi[k]])
        for k in range(pair_at[v], pair_at[v + 1]):
            if not lo[pi[k]] > ub:
                need[pi[k]] = True
    return need


@njit(cache=True, nogil=True)
def _closest_pair(pi: I64, pair_at: I64, d: F64) -> I64:
    """For each visit, its first pair whose point has the least ``d``."""
    nv = len(pair_at) - 1
    out = np.empty(nv, np.int64)
    for v in range(nv):
        a = pair_at[v]
        best = d[pi[a]]
        out[v] = a
        for k in range(a + 1, pair_at[v + 1]):
            if d[pi[k]] < best:
                best = d[pi[k]]
                out[v] = k
    return out


def _point_shore(g: GeoContext, lat: F64, lon: F64, pi: I64, pair_at: I64) -> F64:
    """Distance to shore of each point, exact where the point may be the closest approach
    of one of its visits and ``inf`` where the geography's cell bounds rule that out (or
    where it is in no visit). The candidates are measured in track order, where the coast
    index's track-order search makes each cost a fraction of a lookup on its own (sampling
    one in 16 and pruning the rest along the visit with a Lipschitz bound was slower once
    that search accepted ties at shared vertices: 0.36 against 0.30 s per 2 M positions of
    the pipeline benchmark, 0.046 against 0.023 s on the real NOAA sample)."""
    inside = np.zeros(len(lat), np.bool_)
    inside[pi] = True
    pts = np.flatnonzero(inside)
    need = inside
    b = shore_bounds(g, lat[pts], lon[pts])
    if b is not None:
        lo = np.full(len(lat), np.inf)
        hi = np.full(len(lat), np.inf)
        lo[pts], hi[pts] = b
        need = _candidates(pi, pair_at, lo, hi, len(lat))
    d = np.full(len(lat), np.inf)
    sel = np.flatnonzero(need)
    for k in range(0, len(sel), SHORE_CHUNK):  # bounded temporaries (the lookup's own)
        part = sel[k : k + SHORE_CHUNK]
        d[part] = np.asarray(g.distance_to_shore_m(lat[part], lon[part]), np.float64)
    return d


SHORE_CHUNK = 1 << 17
"""Points per distance lookup of :func:`_point_shore`: a bucket's candidates can be most of
its 2 M points, and each lookup allocates several arrays of its points (50 MB more at the
peak of a worker in one piece)."""


def _num(x: float) -> str:
    """A float as :func:`details_json` writes it (``null`` for NaN and infinities)."""
    return repr(x) if math.isfinite(x) else "null"


def _iso_all(us: I64) -> list[str]:
    """Each timestamp (microseconds) in ISO 8601 with microseconds and ``Z``."""
    return [s + "Z" for s in np.datetime_as_string(us.astype("datetime64[us]"), unit="us")]
