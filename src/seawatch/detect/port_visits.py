"""Port visits: a vessel within reach of a port or anchorage point (DESIGN.md §7, as GFW).

A visit begins at the first position within ``entry_dist_m`` of a port/anchorage point and
ends at the last position before the vessel is seen beyond ``exit_dist_m`` (hysteresis, so
a vessel hovering at the edge makes one visit). The port is the nearest point at entry.
Inside a visit, a *stop* begins when the vessel's speed drops below ``stop_begin_kn``
and ends when it rises above ``stop_end_kn``; in-port silences of ``port_gap_h`` or more
are counted. The speed is the reported one, except where that is missing or no more than
``stop_sog_noise_kn``: then it is the lower of it and the implied speed (net displacement
over the ``stop_window_h`` before or after the report, whichever is slower). A vessel at
anchor or moored often reports 0.5-1 kn while its position stays within metres (the
NOAA 2014 Boston sample: a tanker at anchor for ten hours reporting 0.5-0.8 kn, never
below 0.2), and a source without speeds has only its positions. Visits run per segment (a silence longer than the segmenter's ``max_gap_h``
ends the visit). A visit still inside port when the vessel's data ends has
``details.open_end``; one whose segment begins inside port has ``details.open_start``.

Confidence: 1.0 when the visit contains a stop or an in-port gap, else 0.5 (the vessel
passed within the entry radius without stopping).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

from seawatch._exceptions import ParameterError
from seawatch._units import KN_TO_MPS, US_PER_H
from seawatch.detect._base import GeoContext, build_events, details_json, resolve_geo
from seawatch.detect._prep import Points, implied_speed_mps, nearest_port_within, points
from seawatch.schema import EVENTS

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

TYPE = "port_visit"


@dataclass(frozen=True, slots=True)
class PortVisitParams:
    """Parameters of :func:`port_visits` (units in the names)."""

    entry_dist_m: float = 3_000.0
    """A visit begins within this distance of a port/anchorage point."""
    exit_dist_m: float = 4_000.0
    """...and ends when the vessel is seen beyond this distance."""
    stop_begin_kn: float = 0.2
    """A stop begins below this reported speed."""
    stop_end_kn: float = 0.5
    """...and ends above this one."""
    port_gap_h: float = 4.0
    """An in-port silence this long or longer counts as a port gap."""
    stop_window_h: float = 0.5
    """Window of the implied speed that can show a stop (0: the reported speed only)."""
    stop_sog_noise_kn: float = 2.0
    """A reported speed up to this can be noise: the implied speed may overrule it."""
    min_duration_h: float = 0.0
    """Shorter visits are not reported."""

    def __post_init__(self) -> None:
        if not 0 < self.entry_dist_m <= self.exit_dist_m:
            raise ParameterError("PortVisitParams: need 0 < entry_dist_m <= exit_dist_m")
        if not 0 <= self.stop_begin_kn <= self.stop_end_kn:
            raise ParameterError("PortVisitParams: need 0 <= stop_begin_kn <= stop_end_kn")
        if self.stop_window_h < 0 or self.stop_sog_noise_kn < 0:
            raise ParameterError("PortVisitParams: stop_window_h, stop_sog_noise_kn must be >= 0")


DEFAULT = PortVisitParams()
GFW = PortVisitParams(stop_window_h=0.0)
"""GFW pipe-anchorages: entry 3 km, exit 4 km, stop < 0.2 kn ending > 0.5 kn (reported
speed only), port gap 4 h."""


@njit(cache=True, nogil=True)
def _visits(
    bounds: I64,
    ts: I64,
    sog: F64,
    dist: F64,
    port: I64,
    entry_m: float,
    exit_m: float,
    stop_begin: float,
    stop_end: float,
    port_gap_us: int,
) -> tuple[I64, I64, I64, I64, I64, I64, I64, I64]:
    """Visits ``(first, last, port, n_gaps, open_end)`` and stops ``(visit, first, last)``."""
    n = len(ts)
    v_first = np.empty(n, np.int64)
    v_last = np.empty(n, np.int64)
    v_port = np.empty(n, np.int64)
    v_gaps = np.empty(n, np.int64)
    v_open = np.empty(n, np.int64)
    s_visit = np.empty(n, np.int64)
    s_first = np.empty(n, np.int64)
    s_last = np.empty(n, np.int64)
    nv = 0
    ns = 0
    for s in range(len(bounds) - 1):
        a = bounds[s]
        b = bounds[s + 1]
        inside = False
        stopped = False
        for k in range(a, b):
            if not inside:
                if dist[k] <= entry_m:
                    inside = True
                    v_first[nv] = k
                    v_last[nv] = k
                    v_port[nv] = port[k]
                    v_gaps[nv] = 0
                    v_open[nv] = 0
                    stopped = False
                else:
                    continue
            elif dist[k] > exit_m:
                inside = False
                if stopped:
                    s_last[ns] = v_last[nv]
                    ns += 1
                    stopped = False
                nv += 1
                continue
            else:
                if ts[k] - ts[v_last[nv]] >= port_gap_us:
                    v_gaps[nv] += 1
                v_last[nv] = k
            sp = sog[k]
            if not math.isnan(sp):
                if not stopped and sp < stop_begin:
                    stopped = True
                    s_visit[ns] = nv
                    s_first[ns] = k
                elif stopped and sp > stop_end:
                    s_last[ns] = k
                    ns += 1
                    stopped = False
        if inside:
            if stopped:
                s_last[ns] = v_last[nv]
                ns += 1
            v_open[nv] = 1
            nv += 1
    return (
        v_first[:nv],
        v_last[:nv],
        v_port[:nv],
        v_gaps[:nv],
        v_open[:nv],
        s_visit[:ns],
        s_first[:ns],
        s_last[:ns],
    )


def port_visits(
    table: pa.Table, *, params: PortVisitParams = DEFAULT, geo: GeoContext | None = None
) -> pa.Table:
    """Port-visit events (schema EVENTS) in positions of whole vessels, any row order.

    The event's location is the port point. Details: ``port`` (``port_id``, ``name``,
    ``country``, ``kind``), ``stops`` (list of ``start``, ``end``, ``duration_h``),
    ``stop_h`` (total), ``port_gaps``, ``open_start``, ``open_end``, ``n_positions``.
    """
    g = resolve_geo(geo)
    if table.num_rows == 0:
        return EVENTS.empty_table()
    p = points(table, g, by_segment=True)
    # only the comparisons with the entry and exit distances matter: points certainly
    # beyond both are (inf, -1) without an exact lookup
    reach_m = max(params.entry_dist_m, params.exit_dist_m)
    found_m, port = nearest_port_within(g, p.lat, p.lon, reach_m)
    dist = np.asarray(found_m, np.float64)
    vf, vl, vp, vg, vo, sv, sf, sl = _visits(
        p.bounds,
        p.ts,
        _stop_speed(p, dist <= reach_m, params),
        dist,
        np.asarray(port, np.int64),
        params.entry_dist_m,
        params.exit_dist_m,
        params.stop_begin_kn,
        params.stop_end_kn,
        round(params.port_gap_h * US_PER_H),
    )
    keep = (p.ts[vl] - p.ts[vf]) >= round(params.min_duration_h * US_PER_H)
    if not keep.any():
        return EVENTS.empty_table()
    ports = g.ports()
    pid = ports.column("port_id").to_pylist()
    pname = ports.column("name").to_pylist()
    pcountry = ports.column("country").to_pylist()
    pkind = ports.column("kind").to_pylist()
    plat = np.asarray(ports.column("lat").to_numpy(), np.float64)
    plon = np.asarray(ports.column("lon").to_numpy(), np.float64)
    seg_start = p.bounds[np.searchsorted(p.bounds, vf, side="right") - 1]
    stops: dict[int, list[dict[str, object]]] = {}
    stop_hours: dict[int, float] = {}
    for v, a, b in zip(sv, sf, sl, strict=True):
        stop_hours[int(v)] = stop_hours.get(int(v), 0.0) + (int(p.ts[b]) - int(p.ts[a])) / US_PER_H
        stops.setdefault(int(v), []).append(
            {
                "start": _iso(int(p.ts[a])),
                "end": _iso(int(p.ts[b])),
                "duration_h": (int(p.ts[b]) - int(p.ts[a])) / US_PER_H,
            }
        )
    sel = np.flatnonzero(keep)
    details: list[str] = []
    confidence: list[float] = []
    for v in sel:
        k = int(vp[v])
        st = stops.get(int(v), [])
        stop_h = stop_hours.get(int(v), 0.0)
        details.append(
            details_json(
                params,
                port={
                    "port_id": pid[k],
                    "name": pname[k],
                    "country": pcountry[k],
                    "kind": pkind[k],
                },
                stops=st,
                stop_h=stop_h,
                port_gaps=int(vg[v]),
                open_start=bool(vf[v] == seg_start[v]),
                open_end=bool(vo[v]),
                n_positions=int(vl[v] - vf[v] + 1),
                seg_id=int(p.seg[vf[v]]),
            )
        )
        confidence.append(1.0 if st or vg[v] > 0 else 0.5)
    lat = plat[vp[sel]]
    lon = plon[vp[sel]]
    return build_events(
        types=TYPE,
        start_us=p.ts[vf[sel]],
        end_us=p.ts[vl[sel]],
        vessels=p.mmsi[vf[sel]],
        lat=lat,
        lon=lon,
        region=list(g.region_of(lat, lon)),
        confidence=np.asarray(confidence),
        details=details,
    )


def _stop_speed(p: Points, near: npt.NDArray[np.bool_], params: PortVisitParams) -> F64:
    """The speed a stop is judged on (kn): reported, or lower where the position shows
    that a low reported speed is noise (see the module's docstring)."""
    if params.stop_window_h <= 0:
        return p.sog
    noisy = np.isnan(p.sog) | (p.sog <= params.stop_sog_noise_kn)
    implied = (
        implied_speed_mps(
            p.bounds, p.ts, p.lat, p.lon, round(params.stop_window_h * US_PER_H), near & noisy, 0.0
        )
        / KN_TO_MPS
    )
    return np.where(noisy, np.fmin(p.sog, implied), p.sog)  # fmin: a missing one gives way


def _iso(us: int) -> str:
    return str(np.datetime64(us, "us")) + "Z"
