"""Interceptions: vessel A closes on vessel B, stays with it while B slows, and afterwards
B diverts (DESIGN.md §7).

Input: 10-minute slots (schema :data:`seawatch.tracks.SLOTS`, what
:func:`seawatch.tracks.resample` gives; raw positions are prepared and resampled here) of
all vessels in a time window, any row order; optionally ``statics`` (``mmsi, ts,
ship_type, destination``, and ``name``, ``imo``, ``callsign`` for the roles),
``roles`` (``mmsi, name, role, role_source`` per vessel, what
:func:`seawatch.ais.roles.vessel_roles` gives; default: computed from ``statics`` with the
bundled role list) and ``pairs``, the close slot pairs the engine found with its
SQL pair search (``mmsi_a, mmsi_b, slot``: the two vessels within ``close_dist_m`` in that
slot); without ``pairs`` the kernel finds them itself (a grid join in numpy).

An event needs, for an ordered pair (A = interceptor, B = target):

1. **contact**: slots where the two are within ``close_dist_m``, merged across up to
   ``max_missing_slots`` missing slots; B below ``target_max_speed_kn`` in at least
   ``min_contact_min`` minutes in a row (slots x slot length). The contact ends with that
   first stop: when A stays close while B sails on (an escort), the rest is
   ``details.escort_h`` and the diversion is measured from when B got under way;
2. **approach**: over the ``approach_window_h`` before the contact, the range shrank by
   ``min_closing_m`` or more, A's mean speed exceeded B's by ``min_speed_margin_kn``, and B
   was under way (mean >= ``target_min_speed_before_kn``: B *slowed*);
3. **diversion** within ``after_window_h`` of the contact's end, any of:
   ``course`` (B's track bearing over the ``course_window_h`` after the contact differs by
   ``min_course_change_deg`` or more from its bearing during the approach, B moving at
   least ``min_course_dist_m``), ``destination`` (B declares a destination different from
   its last one before the contact), ``dark`` (a silence of B of ``dark_min_h`` or more
   that starts within the window, the data going on at least that long);
4. **A can board or stop B**: A's role (:mod:`seawatch.ais.roles`, from the latest
   statics and the role lists) is one of ``interceptor_roles`` (military, law
   enforcement, government by default), or A is unidentified (no name in any static
   report) and ``unidentified_interceptors`` is on, or A is in ``naval_mmsis``. Two
   merchant ships meeting (a ship-to-ship transfer between tankers, cargo ships ...) are
   an encounter, never an interception, whatever either does afterwards;
5. **not a service call**: A's ship type is not in ``excluded_interceptor_types`` (pilot
   50, tug 52, port tender 53, towing 31/32 by default) and the contact is at least
   ``min_port_dist_m`` from any port or anchorage (pilot boarding grounds, harbour tugs).

Confidence starts at ``base_confidence`` and rises by ``naval_bonus`` when A's role is
military or law enforcement (or A is in ``naval_mmsis``), by ``tanker_bonus`` when B is a
tanker (80-89), and by ``high_seas_bonus`` outside every ``*-eez`` zone; at most 1.

``vessels`` lists both MMSIs (sorted, as every event); the roles are in the details:
``interceptor``, ``target``, ``approach_speed_kn``, ``closing_m``, ``closest_m``,
``contact_h``, ``escort_h``, ``target_speed_before_kn`` / ``_during_kn`` / ``_after_kn``,
``diversion`` (``kinds``, ``course_change_deg``, ``destination_before``/``_after``,
``dark_start``, ``dark_h``), ship types and groups, ``interceptor_role`` /
``_role_source`` (role ``unidentified`` when A has no name; source ``naval_mmsis`` when
only that parameter names A), ``target_role``, ``high_seas``, ``eez``. The event spans
the contact (first close slot to the end of the stop); its location is the midpoint at the
closest approach; ``zone`` is the EEZ it lies in, if any.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch._units import KN_TO_MPS, US_PER_H
from seawatch.detect._base import (
    M_PER_NM,
    GeoContext,
    build_events,
    details_json,
    resolve_geo,
)
from seawatch.detect._standoff import iso_us
from seawatch.geo import haversine_m, midpoint_lon
from seawatch.schema import EVENTS
from seawatch.tracks import ResampleParams, prepare, resample
from seawatch.watchlist import normalize_name

TYPE = "interception"
INCIDENT_KIND = "engagement"
"""Events of one incident kind with the same vessels overlapping in time are one incident
(:mod:`seawatch.detect.incidents`)."""
TYPES = (TYPE,)
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

__all__ = ["DEFAULT", "GFW", "TYPE", "InterceptionParams", "close_pairs", "interceptions"]


@dataclass(frozen=True, slots=True)
class InterceptionParams:
    """Parameters of :func:`interceptions` (units in the names)."""

    close_dist_m: float = 1_000.0
    """The two vessels count as together within this range."""
    min_contact_min: float = 30.0
    """Minutes together while B is slow."""
    target_max_speed_kn: float = 3.0
    """B is slow below this."""
    max_missing_slots: int = 1
    """Missing close slots bridged inside one contact."""
    slot_min: float = 10.0
    """Slot length of the input (and of the internal resampling)."""
    max_still_gap_h: float = 3.0
    """A vessel still across a silence up to this long is interpolated across it (as for
    encounters, whose slots these are when both run; 0: gaps of 1 h or more never)."""
    approach_window_h: float = 1.0
    """Window before the contact where the approach is measured."""
    min_closing_m: float = 1_852.0
    """The range must shrink this much over the approach window."""
    min_speed_margin_kn: float = 1.0
    """A's mean approach speed must exceed B's by this."""
    target_min_speed_before_kn: float = 5.0
    """B's mean speed before the contact (it was under way, then slowed)."""
    after_window_h: float = 12.0
    """Window after the contact where a diversion is looked for (after B gets under way again)."""
    course_window_h: float = 1.0
    """Length of track after the contact whose bearing is compared."""
    min_course_change_deg: float = 45.0
    """A sustained course change at least this large is a diversion."""
    min_course_dist_m: float = 1_852.0
    """B must move at least this far for a bearing to count."""
    dark_min_h: float = 6.0
    """B silent this long after the contact is a diversion (``dark``)."""
    excluded_interceptor_types: tuple[int, ...] = (31, 32, 50, 52, 53)
    """Ship types of A that make a contact a service call (towing, pilot, tug, tender)."""
    min_port_dist_m: float = 10_000.0
    """Contacts closer than this to a port or anchorage are service calls (0 disables)."""
    naval_mmsis: tuple[int, ...] = ()
    """MMSIs known to be naval or coast-guard vessels (besides the roles' evidence)."""
    interceptor_roles: tuple[str, ...] = ("military", "law_enforcement", "government")
    """Roles of vessels that can board or stop another (:data:`seawatch.ais.roles.ROLES`)."""
    unidentified_interceptors: bool = True
    """A vessel with no name in any static report may be an interceptor."""
    base_confidence: float = 0.4
    naval_bonus: float = 0.3
    tanker_bonus: float = 0.15
    high_seas_bonus: float = 0.15

    def __post_init__(self) -> None:
        if self.close_dist_m <= 0 or self.slot_min <= 0 or self.min_contact_min <= 0:
            raise ParameterError("InterceptionParams: distances and durations must be > 0")
        if self.max_missing_slots < 0 or self.max_still_gap_h < 0:
            raise ParameterError("InterceptionParams: max_missing_slots, max_still_gap_h >= 0")
        from seawatch.ais.roles import ROLES

        bad = [r for r in self.interceptor_roles if r not in ROLES]
        if bad:
            raise ParameterError(
                f"InterceptionParams: interceptor_roles {bad} not in {', '.join(ROLES)}"
            )


DEFAULT = InterceptionParams()
GFW = InterceptionParams(max_still_gap_h=0.0)
"""GFW publishes no interception events: the ``gfw`` preset uses ours, on GFW's encounter
slots (no interpolation across 1 h or more)."""


def slot_params(params: InterceptionParams) -> ResampleParams:
    """The slots interceptions are found in (``slot_min`` long)."""
    return ResampleParams(slot_min=params.slot_min, still_gap_h=params.max_still_gap_h)


def halo_us(params: InterceptionParams) -> int:
    """Slots on each side of a day that its interceptions may need: the approach before a
    contact, the diversion after it and a dark spell (plus an hour). Run one UTC day at a
    time over that window, an interception belongs to the day of its start, so it comes out
    once; contacts longer than the halo that start before midnight are seen cut in the next
    day's window, dropped there and found whole in the day they start."""
    halo_h = params.approach_window_h + params.after_window_h + params.dark_min_h + 1.0
    return round(halo_h * US_PER_H)


# --------------------------------------------------------------------------------------
# pair search


def close_pairs(
    mmsi: I64, slot_us: I64, lat: F64, lon: F64, *, max_dist_m: float
) -> tuple[I64, I64, F64]:
    """Index pairs ``(i, j)`` with ``mmsi[i] < mmsi[j]``, the same slot and at most
    ``max_dist_m`` apart, and their distances: a grid self-join (cells at least
    ``max_dist_m`` wide, each cell joined with its 8 neighbours)."""
    n = len(mmsi)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))
    if n < 2:
        return empty
    dlat = max_dist_m / 111_000.0 * 1.01
    coslat = max(np.cos(np.radians(min(float(np.max(np.abs(lat))), 89.0))), 1e-3)
    # whole columns around the globe, each at least ``dlat / coslat`` wide, so that the last
    # column before the antimeridian neighbours the first after it
    nj = max(1, int(360.0 // (dlat / coslat)))
    ci = np.floor(lat / dlat).astype(np.int64)
    cj = np.floor((lon + 180.0) * (nj / 360.0)).astype(np.int64) % nj
    ci -= ci.min() - 1
    ni = int(ci.max()) + 2
    _, si = np.unique(slot_us, return_inverse=True)
    row = si.astype(np.int64) * ni + ci
    key = row * nj + cj
    order = np.argsort(key, kind="stable")
    skey = key[order]
    ii: list[I64] = []
    jj: list[I64] = []
    for di in (-1, 0, 1):
        for dj in sorted({-1 % nj, 0, 1 % nj}):  # fewer than 3 columns: each once
            target = (row + di) * nj + (cj + dj) % nj
            lo = np.searchsorted(skey, target, side="left")
            hi = np.searchsorted(skey, target, side="right")
            cnt = hi - lo
            if not cnt.any():
                continue
            src = np.repeat(np.arange(n), cnt)
            starts = np.repeat(lo, cnt)
            offs = np.arange(len(src)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            dst = order[starts + offs]
            keep = mmsi[src] < mmsi[dst]
            ii.append(src[keep])
            jj.append(dst[keep])
    if not ii:
        return empty
    i = np.concatenate(ii)
    j = np.concatenate(jj)
    d = haversine_m(lat[i], lon[i], lat[j], lon[j])
    ok = d <= max_dist_m
    return i[ok], j[ok], d[ok]


# --------------------------------------------------------------------------------------
# per-vessel series


@dataclass(frozen=True, slots=True)
class _Series:
    slot: I64
    lat: F64
    lon: F64
    sog: F64


def _series(
    slots: pa.Table, slot_us: int, only: Collection[int] | None = None
) -> dict[int, _Series]:
    """Each vessel's slots in time order (one per slot), with speeds from the track where
    the reports give none; ``only``: of these vessels alone (the others are not built)."""
    if only is not None:
        # the rows of those vessels first (a hash lookup), then the sort: a window day's
        # slots are three days of every vessel, of which the few in contact are wanted
        # (sorting them all was 1 s of each window day of the five-day pipeline benchmark)
        wanted = pa.array(sorted(only), pa.int64())
        slots = slots.filter(pc.is_in(pc.cast(slots.column("mmsi"), pa.int64()), wanted))
    if slots.num_rows == 0:
        return {}
    m = np.asarray(pc.cast(slots.column("mmsi"), pa.int64()).to_numpy(zero_copy_only=False))
    t = np.asarray(pc.cast(slots.column("slot"), pa.int64()).to_numpy(zero_copy_only=False))
    la = np.asarray(pc.cast(slots.column("lat"), pa.float64()).to_numpy(zero_copy_only=False))
    lo = np.asarray(pc.cast(slots.column("lon"), pa.float64()).to_numpy(zero_copy_only=False))
    if "sog_kn" in slots.column_names:
        sog = np.asarray(
            pc.cast(slots.column("sog_kn"), pa.float64()).to_numpy(zero_copy_only=False)
        )
    else:
        sog = np.full(len(m), np.nan)
    seg = (
        np.asarray(pc.cast(slots.column("seg_id"), pa.int64()).to_numpy(zero_copy_only=False))
        if "seg_id" in slots.column_names
        else np.zeros(len(m), np.int64)
    )
    order = np.lexsort((seg, t, m))
    m, t, la, lo, sog = m[order], t[order], la[order], lo[order], sog[order]
    first = np.r_[True, (m[1:] != m[:-1]) | (t[1:] != t[:-1])]  # one row per (mmsi, slot)
    m, t, la, lo, sog = m[first], t[first], la[first], lo[first], sog[first]
    out: dict[int, _Series] = {}
    bounds = np.flatnonzero(np.r_[True, m[1:] != m[:-1], True])
    starts = bounds[:-1]
    ends = bounds[1:]
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        ts_, la_, lo_, s_ = t[a:b], la[a:b], lo[a:b], sog[a:b].copy()
        # speed over ground from the track where the report gives none
        if np.isnan(s_).any() and b - a > 1:
            d = haversine_m(la_[:-1], lo_[:-1], la_[1:], lo_[1:])
            v = d / ((ts_[1:] - ts_[:-1]) / 1e6) / KN_TO_MPS
            vt = np.r_[v[:1], v] if len(v) else v
            s_ = np.where(np.isnan(s_), vt, s_)
        out[int(m[a])] = _Series(ts_, la_, lo_, s_)
    return out


def _bearing(lat0: float, lon0: float, lat1: float, lon1: float) -> float:
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dl = np.radians(lon1 - lon0)
    y = np.sin(dl) * np.cos(p1)
    x = np.cos(p0) * np.sin(p1) - np.sin(p0) * np.cos(p1) * np.cos(dl)
    return float(np.degrees(np.arctan2(y, x)) % 360.0)


def _angle_diff(a: float, b: float) -> float:
    d = abs(a - b) % 360.0
    return min(d, 360.0 - d)


def _window(s: _Series, t0: int, t1: int) -> npt.NDArray[np.intp]:
    """Indices of ``s`` with ``t0 <= slot < t1``."""
    lo = int(np.searchsorted(s.slot, t0, side="left"))
    hi = int(np.searchsorted(s.slot, t1, side="left"))
    return np.arange(lo, hi)


def _mean(x: F64) -> float:
    x = x[np.isfinite(x)]
    return float(np.mean(x)) if len(x) else float("nan")


# --------------------------------------------------------------------------------------
# statics


def _statics_lookup(
    statics: pa.Table | None, vessels: Collection[int]
) -> tuple[dict[int, int], dict[int, list[tuple[int, str]]]]:
    """Ship type (latest non-zero) and destinations in time order of ``vessels`` (the
    vessels in contact: a window day of a big store has few of them among its statics)."""
    types: dict[int, int] = {}
    dests: dict[int, list[tuple[int, str]]] = {}
    if statics is None or statics.num_rows == 0 or not vessels:
        return types, dests
    wanted = pa.array(sorted(vessels), pa.int64())
    s = statics.filter(
        pc.and_(
            pc.is_valid(statics.column("ts")),
            pc.is_in(pc.cast(statics.column("mmsi"), pa.int64()), value_set=wanted),
        )
    )
    m = pc.cast(s.column("mmsi"), pa.int64()).to_pylist()
    t = pc.cast(s.column("ts"), pa.int64()).to_pylist()
    st = s.column("ship_type").to_pylist() if "ship_type" in s.column_names else [None] * len(m)
    de = s.column("destination").to_pylist() if "destination" in s.column_names else [None] * len(m)
    for mm, tt, ty, d in sorted(zip(m, t, st, de, strict=True), key=lambda r: (r[0], r[1])):
        if ty:
            types[mm] = int(ty)  # latest non-zero type wins
        nd = normalize_name(d)
        if nd:
            dests.setdefault(mm, []).append((tt, nd))
    return types, dests


def _roles_lookup(
    statics: pa.Table | None, roles: pa.Table | None
) -> dict[int, tuple[str, str | None, bool]]:
    """MMSI -> (role, role_source, has a name), from ``roles`` or the latest statics."""
    from seawatch.ais.roles import vessel_roles

    vr = roles if roles is not None else vessel_roles(statics)
    return {
        int(m): (r, s, bool(n))
        for m, r, s, n in zip(
            vr.column("mmsi").to_pylist(),
            vr.column("role").to_pylist(),
            vr.column("role_source").to_pylist(),
            vr.column("name").to_pylist(),
            strict=True,
        )
    }


def _interceptor_role(
    a: int, roles: dict[int, tuple[str, str | None, bool]], p: InterceptionParams
) -> tuple[str, str | None] | None:
    """A's (role, role_source) when A may intercept (rule 4), else ``None``."""
    role, source, named = roles.get(a, ("other", None, False))
    if a in p.naval_mmsis:
        return ("military", "naval_mmsis") if role not in p.interceptor_roles else (role, source)
    if role in p.interceptor_roles:
        return role, source
    if not named and p.unidentified_interceptors:
        return "unidentified", source
    return None


# --------------------------------------------------------------------------------------
# kernel


def interceptions(
    slots: pa.Table,
    *,
    statics: pa.Table | None = None,
    pairs: pa.Table | None = None,
    params: InterceptionParams = DEFAULT,
    geo: GeoContext | None = None,
    roles: pa.Table | None = None,
) -> pa.Table:
    """Interception events (schema EVENTS); see the module docstring for the definition."""
    g = resolve_geo(geo)
    if slots.num_rows == 0:
        return EVENTS.empty_table()
    if "slot" not in slots.column_names:
        slots = resample(prepare(slots, geo=g), params=slot_params(params))
    slot_us = round(params.slot_min * 6e7)
    if pairs is not None:  # the series of the vessels in contact are all it needs
        contacts = _contacts(_given_pairs(pairs), params, slot_us)
        series = _series(slots, slot_us, only={m for pair, _ in contacts for m in pair})
    else:
        series = _series(slots, slot_us)
        contacts = _contacts(_series_pairs(series, params), params, slot_us)
    data_end = int(pc.max(pc.cast(slots.column("slot"), pa.int64())).as_py())
    types, dests = _statics_lookup(statics, {m for pair, _ in contacts for m in pair})
    role_of = _roles_lookup(statics, roles)
    found: list[dict[str, Any]] = []
    for (ma, mb), times in contacts:
        for a, b in ((ma, mb), (mb, ma)):
            ev = _evaluate(a, b, times, series, types, dests, role_of, data_end, params, slot_us)
            if ev is not None:
                found.append(ev)
    if not found:
        return EVENTS.empty_table()
    lat = np.array([e["lat"] for e in found])
    lon = np.array([e["lon"] for e in found])
    # service calls near ports
    if params.min_port_dist_m > 0:
        pd, _pidx = g.nearest_port(lat, lon)
        keep = ~(pd < params.min_port_dist_m)
        found = [e for e, k in zip(found, keep, strict=True) if k]
        lat, lon = lat[keep], lon[keep]
        if not found:
            return EVENTS.empty_table()
    shore = g.distance_to_shore_m(lat, lon)
    names = list(g.zone_names())
    pi, zi = g.zone_membership(lat, lon)
    eez: list[str | None] = [None] * len(found)
    for p_, z_ in zip(pi, zi, strict=True):
        if names[z_].endswith("-eez") and eez[p_] is None:
            eez[p_] = names[z_]
    conf = []
    details = []
    for k, e in enumerate(found):
        high_seas = eez[k] is None
        c = params.base_confidence
        c += params.naval_bonus if e["naval"] else 0.0
        c += params.tanker_bonus if e["target_group"] == "tanker" else 0.0
        c += params.high_seas_bonus if high_seas else 0.0
        conf.append(min(c, 1.0))
        details.append(
            details_json(
                params,
                **e["details"],
                high_seas=high_seas,
                eez=eez[k],
                shore_dist_nm=float(shore[k]) / M_PER_NM,
                naval_interceptor=e["naval"],
            )
        )
    return build_events(
        types=TYPE,
        start_us=[e["start"] for e in found],
        end_us=[e["end"] for e in found],
        vessels=[[e["a"], e["b"]] for e in found],
        lat=lat,
        lon=lon,
        region=list(g.region_of(lat, lon)),
        zone=eez,
        confidence=conf,
        details=details,
    )


def _given_pairs(pairs: pa.Table) -> tuple[I64, I64, I64]:
    """``(mmsi_lo, mmsi_hi, slot)`` of the engine's close pairs."""
    pa_ = np.asarray(pc.cast(pairs.column("mmsi_a"), pa.int64()).to_numpy(zero_copy_only=False))
    pb_ = np.asarray(pc.cast(pairs.column("mmsi_b"), pa.int64()).to_numpy(zero_copy_only=False))
    pt = np.asarray(pc.cast(pairs.column("slot"), pa.int64()).to_numpy(zero_copy_only=False))
    return np.minimum(pa_, pb_), np.maximum(pa_, pb_), pt


def _series_pairs(series: dict[int, _Series], params: InterceptionParams) -> tuple[I64, I64, I64]:
    """``(mmsi_lo, mmsi_hi, slot)`` of the slots of two vessels within ``close_dist_m``."""
    keys = sorted(series)
    m = np.concatenate([np.full(len(series[k].slot), k, np.int64) for k in keys])
    t = np.concatenate([series[k].slot for k in keys])
    la = np.concatenate([series[k].lat for k in keys])
    lo = np.concatenate([series[k].lon for k in keys])
    i, j, _ = close_pairs(m, t, la, lo, max_dist_m=params.close_dist_m)
    return m[i], m[j], t[i]


def _contacts(
    close: tuple[I64, I64, I64], params: InterceptionParams, slot_us: int
) -> list[tuple[tuple[int, int], I64]]:
    """Runs of close slots per vessel pair: ``((mmsi_lo, mmsi_hi), slot times)``, from
    ``close`` (:func:`_given_pairs` or :func:`_series_pairs`)."""
    lo_m, hi_m, pt = close
    if len(pt) == 0:
        return []
    order = np.lexsort((pt, hi_m, lo_m))
    lo_m, hi_m, pt = lo_m[order], hi_m[order], pt[order]
    keep = np.r_[True, (lo_m[1:] != lo_m[:-1]) | (hi_m[1:] != hi_m[:-1]) | (pt[1:] != pt[:-1])]
    lo_m, hi_m, pt = lo_m[keep], hi_m[keep], pt[keep]
    max_step = (params.max_missing_slots + 1) * slot_us
    brk = np.r_[
        True,
        (lo_m[1:] != lo_m[:-1]) | (hi_m[1:] != hi_m[:-1]) | (pt[1:] - pt[:-1] > max_step),
        True,
    ]
    b = np.flatnonzero(brk)
    min_slots = int(np.ceil(params.min_contact_min / params.slot_min - 1e-9))
    out = []
    for s, e in itertools.pairwise(b):
        if e - s >= min_slots:
            out.append(((int(lo_m[s]), int(hi_m[s])), pt[s:e]))
    return out


def _evaluate(
    a: int,
    b: int,
    times: I64,
    series: dict[int, _Series],
    types: dict[int, int],
    dests: dict[int, list[tuple[int, str]]],
    roles: dict[int, tuple[str, str | None, bool]],
    data_end: int,
    p: InterceptionParams,
    slot_us: int,
) -> dict[str, Any] | None:
    from seawatch.ais.codes import ship_group

    sa, sb = series[a], series[b]
    a_type = types.get(a)
    if a_type is not None and a_type in p.excluded_interceptor_types:
        return None
    a_role = _interceptor_role(a, roles, p)
    if a_role is None:
        return None
    t0, t_together = int(times[0]), int(times[-1])
    # B slow while together
    ib = np.searchsorted(sb.slot, times)
    ib = np.minimum(ib, len(sb.slot) - 1)
    b_sog_c = sb.sog[ib]
    slow = np.isfinite(b_sog_c) & (b_sog_c < p.target_max_speed_kn)
    # the stop: the first run of slow slots alongside A lasting min_contact_min; it ends
    # when B gets under way again (A may stay on as an escort: the diversion is measured
    # from there, and a later stop in the same company is not a second interception)
    need = int(np.ceil(p.min_contact_min / p.slot_min - 1e-9))
    edges = np.flatnonzero(np.diff(np.r_[0, slow.astype(np.int8), 0]))
    runs = [(int(s0), int(s1)) for s0, s1 in zip(edges[::2], edges[1::2], strict=True)]
    stop = next(((s0, s1) for s0, s1 in runs if s1 - s0 >= need), None)
    if stop is None:
        return None
    k_end = stop[1] - 1
    t1 = int(times[k_end])
    times, ib, b_sog_c, slow = (
        times[: k_end + 1],
        ib[: k_end + 1],
        b_sog_c[: k_end + 1],
        slow[: k_end + 1],
    )
    # approach
    w0 = t0 - round(p.approach_window_h * US_PER_H)
    wa, wb = _window(sa, w0, t0), _window(sb, w0, t0)
    common = np.intersect1d(sa.slot[wa], sb.slot[wb])
    if len(common) < 2:
        return None
    ka = np.searchsorted(sa.slot, common)
    kb = np.searchsorted(sb.slot, common)
    rng = haversine_m(sa.lat[ka], sa.lon[ka], sb.lat[kb], sb.lon[kb])
    ia0 = int(np.searchsorted(sa.slot, t0))
    range_at_contact = float(
        haversine_m(sa.lat[ia0 : ia0 + 1], sa.lon[ia0 : ia0 + 1], sb.lat[ib[:1]], sb.lon[ib[:1]])[0]
    )
    closing = float(rng[0]) - range_at_contact
    a_speed = _mean(sa.sog[ka])
    b_speed_before = _mean(sb.sog[kb])
    if not (
        closing >= p.min_closing_m
        and a_speed >= b_speed_before + p.min_speed_margin_kn
        and b_speed_before >= p.target_min_speed_before_kn
    ):
        return None
    # diversion
    after_end = t1 + slot_us + round(p.after_window_h * US_PER_H)
    wafter = _window(sb, t1 + slot_us, after_end)
    kinds: list[str] = []
    div: dict[str, Any] = {}
    # course: approach bearing vs bearing over the course window after the contact
    bb = wb
    if len(bb) >= 2:
        before_brg = _bearing(sb.lat[bb[0]], sb.lon[bb[0]], sb.lat[bb[-1]], sb.lon[bb[-1]])
        moved_before = float(
            haversine_m(sb.lat[bb[:1]], sb.lon[bb[:1]], sb.lat[bb[-1:]], sb.lon[bb[-1:]])[0]
        )
        cw = _window(sb, t1 + slot_us, t1 + slot_us + round(p.course_window_h * US_PER_H))
        if moved_before >= p.min_course_dist_m and len(cw) >= 2:
            moved_after = float(
                haversine_m(sb.lat[cw[:1]], sb.lon[cw[:1]], sb.lat[cw[-1:]], sb.lon[cw[-1:]])[0]
            )
            span_after_h = (sb.slot[cw[-1]] - sb.slot[cw[0]]) / US_PER_H
            if moved_after >= p.min_course_dist_m and span_after_h >= 0.5 * p.course_window_h:
                after_brg = _bearing(sb.lat[cw[0]], sb.lon[cw[0]], sb.lat[cw[-1]], sb.lon[cw[-1]])
                change = _angle_diff(before_brg, after_brg)
                div["course_before_deg"] = before_brg
                div["course_after_deg"] = after_brg
                div["course_change_deg"] = change
                if change >= p.min_course_change_deg:
                    kinds.append("course")
    # destination
    dl = dests.get(b, [])
    before_d = [d for t, d in dl if t < t0]
    after_d = [d for t, d in dl if t0 <= t < after_end]
    if before_d and after_d:
        changed = [d for d in after_d if d != before_d[-1]]
        if changed:
            kinds.append("destination")
            div["destination_before"] = before_d[-1]
            div["destination_after"] = changed[0]
    # dark: a silence of dark_min_h or more that starts within the after window (the
    # silence after B's last slot runs to the end of the data)
    dark_us = round(p.dark_min_h * US_PER_H)
    k0 = int(np.searchsorted(sb.slot, t1, side="left"))
    k1 = int(np.searchsorted(sb.slot, after_end, side="left"))
    for k in range(k0, max(k1, k0 + 1)):
        if k >= len(sb.slot):
            break
        last = k + 1 >= len(sb.slot)
        silent = (data_end if last else int(sb.slot[k + 1])) - int(sb.slot[k])
        if silent >= dark_us:
            kinds.append("dark")
            div["dark_start"] = iso_us(int(sb.slot[k]) + slot_us)
            div["dark_h"] = None if last else silent / US_PER_H
            div["dark_until_end_of_data"] = last
            break
    if not kinds:
        return None
    div["kinds"] = kinds
    # closest approach
    ia = np.minimum(np.searchsorted(sa.slot, times), len(sa.slot) - 1)
    d = haversine_m(sa.lat[ia], sa.lon[ia], sb.lat[ib], sb.lon[ib])
    kc = int(np.argmin(d))
    b_after = _mean(sb.sog[wafter]) if len(wafter) else float("nan")
    b_type = types.get(b)
    naval = a in p.naval_mmsis or a_role[0] in ("military", "law_enforcement")
    return {
        "a": a,
        "b": b,
        "start": t0,
        "end": t1 + slot_us,
        "lat": (float(sa.lat[ia[kc]]) + float(sb.lat[ib[kc]])) / 2,
        "lon": float(midpoint_lon(sa.lon[ia[kc]], sb.lon[ib[kc]])),
        "naval": naval,
        "target_group": ship_group(b_type),
        "details": {
            "interceptor": a,
            "target": b,
            "interceptor_ship_type": a_type,
            "target_ship_type": b_type,
            "interceptor_group": ship_group(a_type),
            "target_group": ship_group(b_type),
            "interceptor_role": a_role[0],
            "interceptor_role_source": a_role[1],
            "target_role": roles.get(b, ("other", None, False))[0],
            "approach_speed_kn": a_speed,
            "approach_start_range_m": float(rng[0]),
            "closing_m": closing,
            "closest_m": float(d[kc]),
            "closest_at": iso_us(int(times[kc])),
            "contact_h": (t1 + slot_us - t0) / US_PER_H,
            "escort_h": (t_together - t1) / US_PER_H,
            "target_slow_h": float(slow.sum()) * p.slot_min / 60.0,
            "target_speed_before_kn": b_speed_before,
            "target_speed_during_kn": _mean(b_sog_c),
            "target_speed_after_kn": b_after,
            "diversion": div,
        },
    }
