"""Loitering: one vessel moving slowly far from shore for hours (DESIGN.md §7).

A point is *slow* when its implied speed (net displacement over the ``speed_window_h``
before or after it, whichever is slower; GPS jitter cannot inflate it) is below
``max_speed_kn`` and, with ``use_reported_sog``, its reported speed (when it has one) is too.
A loitering candidate is a run of consecutive slow points of one segment with no interval
longer than ``max_gap_h`` (or, up to ``max_slow_gap_h``, none the vessel crossed faster than
``max_speed_kn`` net: it stayed slow while unheard), lasting ``min_duration_h`` or more. It is reported when its
distance from shore (mean or minimum over its points, ``shore_stat``) is at least
``min_shore_dist_nm`` and no point comes within ``min_port_dist_m`` of a port or anchorage
(a vessel at anchor in a port is making a port visit, not loitering).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

from seawatch._exceptions import ParameterError
from seawatch._units import KN_TO_MPS, US_PER_H
from seawatch.detect._base import M_PER_NM, GeoContext, build_events, details_json, resolve_geo
from seawatch.detect._prep import (
    group_min_candidates,
    implied_speed_mps,
    points,
    port_bounds,
    shore_bounds,
)
from seawatch.geo import hav_m, haversine_m, mean_lon
from seawatch.schema import EVENTS

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

TYPE = "loitering"


@dataclass(frozen=True, slots=True)
class LoiteringParams:
    """Parameters of :func:`loitering` (units in the names)."""

    max_speed_kn: float = 2.0
    """A point is slow below this speed."""
    min_duration_h: float = 4.0
    """Shortest loitering reported."""
    min_shore_dist_nm: float = 20.0
    """Loitering closer to the coast than this is not reported."""
    shore_stat: Literal["mean", "min"] = "min"
    """Distance from shore taken as the minimum (every point far out) or the mean (GFW)."""
    min_port_dist_m: float = 10_000.0
    """No point of the run may come this close to a port or anchorage (0 disables)."""
    use_reported_sog: bool = True
    """Also require the reported speed over ground, where present, to be slow."""
    speed_window_h: float = 1.0
    """Window of the implied speed (net displacement / time), before or after each point."""
    max_gap_h: float = 2.0
    """A silence longer than this between two reports ends the run..."""
    max_slow_gap_h: float = 6.0
    """...unless it lasts at most this long and the vessel's net displacement across it is
    slower than ``max_speed_kn``: a drift through a reception hole is one loitering, not two
    (0: never, as GFW). ``details.longest_silence_h`` says how long the longest was."""

    def __post_init__(self) -> None:
        if min(self.max_speed_kn, self.min_duration_h, self.speed_window_h, self.max_gap_h) <= 0:
            raise ParameterError("LoiteringParams: speeds, durations and windows must be > 0")
        if not self.max_slow_gap_h >= 0:  # NaN too
            raise ParameterError("LoiteringParams: max_slow_gap_h must be >= 0")
        if self.shore_stat not in ("mean", "min"):
            raise ParameterError("LoiteringParams.shore_stat must be 'mean' or 'min'")


DEFAULT = LoiteringParams()
GFW = LoiteringParams(
    shore_stat="mean",
    min_port_dist_m=0.0,
    use_reported_sog=False,
    speed_window_h=1.0,
    max_slow_gap_h=0.0,
)
"""GFW: hourly average implied speed < 2 kn, >= 4 h (Pew/GFW carrier reports), mean
distance from shore >= 20 nm (pipe-loitering ``files/loitering.md``)."""


@njit(cache=True, nogil=True)
def _slow_runs(
    bounds: I64,
    ts: I64,
    lat: F64,
    lon: F64,
    sog: F64,
    max_speed_kn: float,
    use_sog: bool,
    window_us: int,
    max_gap_us: int,
    slow_gap_us: int,
    min_duration_us: int,
) -> tuple[I64, I64, I64]:
    """``(first, last, longest silence)`` of slow runs lasting at least ``min_duration_us``:
    point indices, microseconds."""
    n = len(ts)
    thr_mps = max_speed_kn * KN_TO_MPS
    # fast by its reported speed: not slow, no distances measured
    need = np.ones(n, np.bool_)
    if use_sog:
        for k in range(n):
            need[k] = math.isnan(sog[k]) or sog[k] < max_speed_kn
    implied = implied_speed_mps(bounds, ts, lat, lon, window_us, need, thr_mps)
    slow = np.zeros(n, np.bool_)
    for k in range(n):
        # a lone report (NaN: no window) gives no evidence of movement
        slow[k] = need[k] and (math.isnan(implied[k]) or implied[k] < thr_mps)
    first = np.empty(n, np.int64)
    last = np.empty(n, np.int64)
    silence = np.empty(n, np.int64)
    m = 0
    for s in range(len(bounds) - 1):
        a = bounds[s]
        b = bounds[s + 1]
        k = a
        while k < b:
            if not slow[k]:
                k += 1
                continue
            j = k
            longest = 0
            while j + 1 < b and slow[j + 1]:
                dt = ts[j + 1] - ts[j]
                if dt > max_gap_us:
                    # unheard: still the same loitering if it cannot have gone faster
                    if dt > slow_gap_us:
                        break
                    if hav_m(lat[j], lon[j], lat[j + 1], lon[j + 1]) >= thr_mps * (dt / 1e6):
                        break
                    longest = max(longest, dt)
                j += 1
            if ts[j] - ts[k] >= min_duration_us:
                first[m] = k
                last[m] = j
                silence[m] = longest
                m += 1
            k = j + 1
    return first[:m], last[:m], silence[:m]


def loitering(
    table: pa.Table,
    *,
    params: LoiteringParams = DEFAULT,
    geo: GeoContext | None = None,
    encounters: pa.Table | None = None,
) -> pa.Table:
    """Loitering events (schema EVENTS) in positions of whole vessels, any row order.

    ``encounters`` (an EVENTS table) fills ``details.with_encounter`` with the ids of the
    encounters of the same vessel that overlap the loitering in time; without it the key
    is null (unknown). Other details: ``mean_sog_kn`` (reported, null when none),
    ``net_speed_kn`` (start-to-end displacement over the duration), ``max_radius_m``
    (largest distance from the event's position), ``shore_dist_nm`` (mean and min),
    ``port_dist_m`` (closest approach to a port), ``n_positions``, ``longest_silence_h``
    (the longest silence over ``max_gap_h`` it was carried across; 0 when none).
    """
    g = resolve_geo(geo)
    if table.num_rows == 0:
        return EVENTS.empty_table()
    p = points(table, g, by_segment=True)
    first, last, silence = _slow_runs(
        p.bounds,
        p.ts,
        p.lat,
        p.lon,
        p.sog,
        params.max_speed_kn,
        params.use_reported_sog,
        round(params.speed_window_h * US_PER_H),
        round(params.max_gap_h * US_PER_H),
        round(params.max_slow_gap_h * US_PER_H),
        round(params.min_duration_h * US_PER_H),
    )
    if len(first) == 0:
        return EVENTS.empty_table()
    lengths = last - first + 1
    run_of = np.repeat(np.arange(len(first)), lengths)
    idx = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths - first, lengths)
    lat, lon = p.lat[idx], p.lon[idx]
    shore, pd = _shore_port(g, lat, lon, run_of, len(first), params)
    shore_mean = np.bincount(run_of, shore) / lengths
    shore_min = np.full(len(first), np.inf)
    np.minimum.at(shore_min, run_of, shore)
    shore_used = shore_mean if params.shore_stat == "mean" else shore_min
    keep = shore_used >= params.min_shore_dist_nm * M_PER_NM
    port_min = np.full(len(first), np.inf)
    np.minimum.at(port_min, run_of, pd)
    if params.min_port_dist_m > 0:
        keep &= port_min >= params.min_port_dist_m
    if not keep.any():
        return EVENTS.empty_table()
    ev_lat = np.bincount(run_of, lat) / lengths
    ev_lon = mean_lon(lon, run_of, len(first))
    radius = np.zeros(len(first))
    np.maximum.at(
        radius,
        run_of,
        haversine_m(lat, lon, ev_lat[run_of], ev_lon[run_of]),
    )
    sog = p.sog[idx]
    finite = ~np.isnan(sog)
    n_sog = np.bincount(run_of, finite.astype(np.float64), minlength=len(first))
    sum_sog = np.bincount(run_of, np.where(finite, sog, 0.0), minlength=len(first))
    start = p.ts[first]
    end = p.ts[last]
    dur_s = (end - start) / 1e6
    net = haversine_m(p.lat[first], p.lon[first], p.lat[last], p.lon[last]) / dur_s / KN_TO_MPS
    enc = _encounter_index(encounters)
    details: list[str] = []
    sel = np.flatnonzero(keep)
    for r in sel:
        mmsi = int(p.mmsi[first[r]])
        with_enc = None if enc is None else _overlapping(enc, mmsi, int(start[r]), int(end[r]))
        details.append(
            details_json(
                params,
                mean_sog_kn=(sum_sog[r] / n_sog[r]) if n_sog[r] else None,
                net_speed_kn=net[r],
                max_radius_m=radius[r],
                shore_dist_nm={
                    "mean": shore_mean[r] / M_PER_NM,
                    "min": shore_min[r] / M_PER_NM,
                },
                port_dist_m=port_min[r] if np.isfinite(port_min[r]) else None,
                n_positions=int(lengths[r]),
                longest_silence_h=round(int(silence[r]) / US_PER_H, 3),
                seg_id=int(p.seg[first[r]]),
                with_encounter=with_enc,
            )
        )
    return build_events(
        types=TYPE,
        start_us=start[sel],
        end_us=end[sel],
        vessels=p.mmsi[first[sel]],
        lat=ev_lat[sel],
        lon=ev_lon[sel],
        region=list(g.region_of(ev_lat[sel], ev_lon[sel])),
        details=details,
    )


def _shore_port(
    g: GeoContext, lat: F64, lon: F64, run_of: I64, n_runs: int, params: LoiteringParams
) -> tuple[F64, F64]:
    """Distance to shore and to the nearest port of each point of the slow runs: exact for
    every point of a run the geography's cheap bounds cannot rule out; a run they rule out
    (its shore statistic certainly below ``min_shore_dist_nm``, or a point certainly within
    ``min_port_dist_m`` of a port) gets ``-inf`` shore distances, which fail the shore test:
    it is rejected either way. Port distances are exact only where a point may be its run's closest to a port
    (the others are ``inf``, above that minimum). Without bounds every point is exact."""
    sb = shore_bounds(g, lat, lon)
    pb = port_bounds(g, lat, lon)
    if sb is None or pb is None:
        pd, _ = g.nearest_port(lat, lon)
        return (
            np.asarray(g.distance_to_shore_m(lat, lon), np.float64),
            np.asarray(pd, np.float64),
        )
    n_pts = np.bincount(run_of, minlength=n_runs)
    if params.shore_stat == "mean":
        shore_ub = np.bincount(run_of, sb[1], minlength=n_runs) / n_pts
    else:
        shore_ub = np.full(n_runs, np.inf)
        np.minimum.at(shore_ub, run_of, sb[1])
    # 1 m of slack for the rounding of the sums
    alive = ~(shore_ub + 1.0 < params.min_shore_dist_nm * M_PER_NM)
    port_ub = np.full(n_runs, np.inf)
    np.minimum.at(port_ub, run_of, pb[1])
    if params.min_port_dist_m > 0:
        alive &= ~(port_ub < params.min_port_dist_m)
    live = alive[run_of]
    shore = np.full(len(lat), -np.inf)
    sel = np.flatnonzero(live)
    shore[sel] = np.asarray(g.distance_to_shore_m(lat[sel], lon[sel]), np.float64)
    cand = live & group_min_candidates(pb[0], pb[1], run_of, n_runs)
    pd = np.full(len(lat), np.inf)
    sel = np.flatnonzero(cand)
    d, _ = g.nearest_port(lat[sel], lon[sel])
    pd[sel] = np.asarray(d, np.float64)
    return shore, pd


def _encounter_index(encounters: pa.Table | None) -> dict[int, list[tuple[int, int, str]]] | None:
    """mmsi -> [(start_us, end_us, event_id)] of the encounters given."""
    if encounters is None:
        return None
    out: dict[int, list[tuple[int, int, str]]] = {}
    if encounters.num_rows == 0:
        return out
    starts = pc.cast(encounters.column("start"), pa.int64()).to_pylist()
    ends = pc.cast(encounters.column("end"), pa.int64()).to_pylist()
    ids = encounters.column("event_id").to_pylist()
    for s, e, i, vs in zip(
        starts, ends, ids, encounters.column("vessels").to_pylist(), strict=True
    ):
        for v in vs or ():
            out.setdefault(int(v), []).append((int(s), int(e), str(i)))
    return out


def _overlapping(
    index: dict[int, list[tuple[int, int, str]]], mmsi: int, start: int, end: int
) -> list[str]:
    return sorted(i for s, e, i in index.get(mmsi, ()) if s <= end and e >= start)


def with_encounter(table: pa.Table, encounters: pa.Table) -> pa.Table:
    """The loitering events of ``table`` (any EVENTS table) with ``details.with_encounter``:
    the ids of the same vessel's ``encounters`` that overlap them in time (a list, empty
    when none). The engine's finishing step: encounters are found after the per-vessel
    kernels have run."""
    is_loit = np.asarray(pc.equal(table.column("type"), TYPE).to_numpy(False), np.bool_)
    if not is_loit.any():
        return table
    index = _encounter_index(encounters) or {}
    starts = pc.cast(table.column("start"), pa.int64()).to_pylist()
    ends = pc.cast(table.column("end"), pa.int64()).to_pylist()
    vessels = table.column("vessels").to_pylist()
    details = table.column("details").to_pylist()
    for row in np.flatnonzero(is_loit).tolist():
        d = json.loads(details[row]) if details[row] else {}
        d["with_encounter"] = sorted(
            {i for v in vessels[row] for i in _overlapping(index, int(v), starts[row], ends[row])}
        )
        details[row] = json.dumps(d, sort_keys=True, separators=(",", ":"), allow_nan=False)
    idx = table.schema.get_field_index("details")
    return table.set_column(idx, "details", pa.array(details, pa.string()))
