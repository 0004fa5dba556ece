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

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from seawatch._exceptions import ParameterError
from seawatch._units import US_PER_H
from seawatch.detect._base import M_PER_NM, GeoContext, build_events, details_json, resolve_geo
from seawatch.detect._prep import group_min_candidates, points, shore_bounds
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
    order = np.lexsort((pi, zi))
    pi, zi = pi[order], zi[order]
    seg_of = np.searchsorted(p.bounds, pi, side="right") - 1
    # runs: consecutive points of one segment inside one zone
    brk = np.ones(len(pi), dtype=np.bool_)
    brk[1:] = (zi[1:] != zi[:-1]) | (pi[1:] != pi[:-1] + 1) | (seg_of[1:] != seg_of[:-1])
    r_first = np.flatnonzero(brk)
    r_last = np.append(r_first[1:] - 1, len(pi) - 1)
    # merge runs of the same zone and segment separated by a short excursion
    rz, rs = zi[r_first], seg_of[r_first]
    p_first, p_last = pi[r_first], pi[r_last]
    merge_us = round(params.merge_gap_h * US_PER_H)
    join = np.zeros(len(r_first), dtype=np.bool_)
    join[1:] = (
        (rz[1:] == rz[:-1])
        & (rs[1:] == rs[:-1])
        & (p.ts[p_first[1:]] - p.ts[p_last[:-1]] < merge_us)
    )
    visit_of_run = np.cumsum(~join) - 1
    nv = int(visit_of_run[-1]) + 1
    v_first_run = np.flatnonzero(~join)
    v_last_run = np.append(v_first_run[1:] - 1, len(r_first) - 1)
    vf = p_first[v_first_run]
    vl = p_last[v_last_run]
    vz = rz[v_first_run]
    vs = rs[v_first_run]
    seg_a = p.bounds[vs]
    seg_b = p.bounds[vs + 1]
    entered = vf > seg_a
    exited = vl + 1 < seg_b
    exit_idx = np.where(exited, vl + 1, vl)
    end_us = p.ts[exit_idx]
    keep = (end_us - p.ts[vf]) >= round(params.min_dwell_h * US_PER_H)
    # closest approach to the coast inside each visit: exact distances only for the points
    # whose lower bound does not exceed the visit's least upper bound (the others are
    # farther than the closest one, so they are neither the minimum nor tied with it)
    visit_of_pair = np.repeat(visit_of_run, r_last - r_first + 1)
    shore = _visit_shore(g, p.lat, p.lon, pi, visit_of_pair, nv)
    best = np.full(nv, np.inf)
    np.minimum.at(best, visit_of_pair, shore)
    is_best = shore == best[visit_of_pair]
    best_pair = np.full(nv, -1, dtype=np.int64)
    cand = np.flatnonzero(is_best)
    best_pair[visit_of_pair[cand[::-1]]] = cand[::-1]  # first pair reaching the minimum
    best_pt = pi[best_pair]
    n_inside = np.bincount(visit_of_pair, minlength=nv)

    types: list[str] = []
    start: list[int] = []
    end: list[int] = []
    vessels: list[int] = []
    lat: list[float] = []
    lon: list[float] = []
    zone: list[str] = []
    details: list[str] = []
    emit = set(params.emit)
    for v in np.flatnonzero(keep):
        name = names[int(vz[v])]
        a, x = int(vf[v]), int(exit_idx[v])
        dwell_h = (int(p.ts[x]) - int(p.ts[a])) / US_PER_H
        b = int(best_pt[v])
        common = {"dwell_h": dwell_h, "seg_id": int(p.seg[a])}
        rows: list[tuple[str, int, int, int, dict[str, object]]] = []
        if entered[v] and "zone_entry" in emit:
            rows.append(("zone_entry", a, a, a, {"outside_ts": _iso(int(p.ts[a - 1]))}))
        if exited[v] and "zone_exit" in emit:
            rows.append(("zone_exit", x, x, x, {"outside_ts": _iso(int(p.ts[x]))}))
        if "zone_visit" in emit:
            rows.append(
                (
                    "zone_visit",
                    a,
                    x,
                    b,
                    {
                        "closest_shore_nm": shore[best_pair[v]] / M_PER_NM,
                        "closest": {"lat": p.lat[b], "lon": p.lon[b], "ts": _iso(int(p.ts[b]))},
                        "entered": bool(entered[v]),
                        "exited": bool(exited[v]),
                        "open_end": not bool(exited[v]),
                        "n_positions": int(n_inside[v]),
                    },
                )
            )
        for typ, s_, e_, loc, extra in rows:
            types.append(typ)
            start.append(int(p.ts[s_]))
            end.append(int(p.ts[e_]))
            vessels.append(int(p.mmsi[a]))
            lat.append(float(p.lat[loc]))
            lon.append(float(p.lon[loc]))
            zone.append(name)
            details.append(details_json(params, zone=name, **common, **extra))
    if not types:
        return EVENTS.empty_table()
    lat_a = np.asarray(lat, np.float64)
    lon_a = np.asarray(lon, np.float64)
    return build_events(
        types=types,
        start_us=np.asarray(start, np.int64),
        end_us=np.asarray(end, np.int64),
        vessels=np.asarray(vessels, np.int64),
        lat=lat_a,
        lon=lon_a,
        region=list(g.region_of(lat_a, lon_a)),
        zone=zone,
        details=details,
    )


def _visit_shore(g: GeoContext, lat: F64, lon: F64, pi: I64, visit_of_pair: I64, nv: int) -> F64:
    """Distance to shore of each (point, visit) pair, exact where the point may be the
    visit's closest approach and ``inf`` where its lower bound rules that out."""
    b = shore_bounds(g, lat[pi], lon[pi])
    if b is None:
        return np.asarray(g.distance_to_shore_m(lat[pi], lon[pi]), np.float64)
    cand = group_min_candidates(b[0], b[1], visit_of_pair, nv)
    need = np.zeros(len(lat), np.bool_)
    need[pi[cand]] = True
    sel = np.flatnonzero(need)
    d = np.full(len(lat), np.inf)
    d[sel] = np.asarray(g.distance_to_shore_m(lat[sel], lon[sel]), np.float64)
    out: F64 = d[pi]
    return out


def _iso(us: int) -> str:
    return str(np.datetime64(us, "us")) + "Z"
