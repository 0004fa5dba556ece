"""The dark-vessel matcher as it was before the numba rewrite (issue #11, the speed goal).

Kept verbatim (numpy per scene, Python assignment and event rows) as the oracle of
``tests/detect/test_dark_oracle.py``: the fast kernel in ``seawatch.detect.dark`` must
return exactly the same events (ids, details, order) on the same inputs. One change
since: the pairs within ``nearest_radius_m`` are found by computing every distance (see
:func:`_pairs`), not by the first matcher's grid, which missed some.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._units import M_PER_NM, US_PER_H
from seawatch.detect._base import GeoContext, event_id, params_dict
from seawatch.detect.dark import (
    DEFAULT,
    TYPE_DARK,
    TYPE_MATCH,
    TYPE_MISMATCH,
    TYPE_UNIDENTIFIED,
    DarkParams,
)
from seawatch.geo import haversine_m
from seawatch.schema import EVENTS

__all__ = ["match_detections_reference"]


def _move(
    lat: np.ndarray[Any, Any], lon: np.ndarray[Any, Any], bearing_deg: Any, dist_m: Any
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Points ``dist_m`` from (lat, lon) along ``bearing_deg`` (flat-earth; short moves)."""
    b = np.radians(bearing_deg)
    dlat = dist_m * np.cos(b) / 111_320.0
    dlon = dist_m * np.sin(b) / (111_320.0 * np.maximum(np.cos(np.radians(lat)), 1e-6))
    return lat + dlat, (lon + dlon + 180.0) % 360.0 - 180.0


def _f(table: pa.Table, name: str) -> np.ndarray[Any, Any]:
    col = table.column(name)
    return np.asarray(pc.fill_null(col.cast(pa.float64()), np.nan).to_numpy(), dtype=np.float64)


def _us(table: pa.Table, name: str) -> np.ndarray[Any, Any]:
    return np.asarray(table.column(name).cast(pa.int64()).to_numpy(), dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Vessels:
    """AIS vessels of one scene: estimated positions at the scene time, or silence."""

    mmsi: np.ndarray[Any, Any]
    lat: np.ndarray[Any, Any]
    lon: np.ndarray[Any, Any]
    sigma_m: np.ndarray[Any, Any]
    dt_h: np.ndarray[Any, Any]
    course: np.ndarray[Any, Any]
    speed: np.ndarray[Any, Any]
    candidate: np.ndarray[Any, Any]
    silent_since_us: np.ndarray[Any, Any]
    """Time of the last fix of silent vessels (-1 where not silent or never seen)."""
    last_lat: np.ndarray[Any, Any]
    last_lon: np.ndarray[Any, Any]


def _estimate(pos: dict[str, np.ndarray[Any, Any]], t_us: int, params: DarkParams) -> _Vessels:
    mmsi, ts = pos["mmsi"], pos["ts"]
    starts, ends = pos["starts"], pos["ends"]
    # fixes of each vessel at or before t_us: one binary search per vessel in the
    # (vessel, time) key, not a pass over all positions
    t0, span = int(pos["t0"][0]), int(pos["span"][0])
    tt = t_us - t0
    if len(pos["key"]) == 0 and len(ts):  # too long a span for the key: one pass instead
        n_le = np.add.reduceat((ts <= t_us).astype(np.int64), starts)
    elif tt < 0:
        n_le = np.zeros(len(starts), np.int64)
    elif tt >= span:
        n_le = ends - starts
    else:
        vids = np.arange(len(starts), dtype=np.int64)
        n_le = np.searchsorted(pos["key"], vids * span + tt, side="right") - starts
    prev = starts + n_le - 1
    nxt = starts + n_le
    win = int(params.window_h * US_PER_H)
    has_prev = (n_le > 0) & (t_us - ts[np.clip(prev, 0, None)] <= win)
    has_next = (nxt < ends) & (ts[np.clip(nxt, None, len(ts) - 1)] - t_us <= win)
    pi = np.clip(prev, 0, None)
    ni = np.clip(nxt, None, len(ts) - 1)
    lat = np.full(len(starts), np.nan)
    lon = np.full(len(starts), np.nan)
    dt_h = np.full(len(starts), np.nan)
    speed = np.full(len(starts), np.nan)
    course = np.full(len(starts), np.nan)
    both = has_prev & has_next
    if both.any():
        a, b = pi[both], ni[both]
        span = np.maximum(ts[b] - ts[a], 1)
        f = (t_us - ts[a]) / span
        dlon = (pos["lon"][b] - pos["lon"][a] + 180.0) % 360.0 - 180.0
        lat[both] = pos["lat"][a] + f * (pos["lat"][b] - pos["lat"][a])
        lon[both] = (pos["lon"][a] + f * dlon + 180.0) % 360.0 - 180.0
        dt_h[both] = np.minimum(t_us - ts[a], ts[b] - t_us) / US_PER_H
        speed[both] = np.where(np.isnan(pos["sog"][a]), pos["sog"][b], pos["sog"][a])
        course[both] = np.where(np.isnan(pos["cog"][a]), pos["cog"][b], pos["cog"][a])
    for side, sel, sign in ((pi, has_prev & ~has_next, 1.0), (ni, has_next & ~has_prev, -1.0)):
        if not sel.any():
            continue
        k = side[sel]
        dt = sign * (t_us - ts[k]) / US_PER_H
        sog, cog = pos["sog"][k], pos["cog"][k]
        known = ~np.isnan(sog) & ~np.isnan(cog)
        dist = np.where(known, np.nan_to_num(sog) * M_PER_NM * dt, 0.0)
        la, lo = _move(pos["lat"][k], pos["lon"][k], np.nan_to_num(cog), dist)
        lat[sel], lon[sel] = la, lo
        dt_h[sel] = np.abs(dt)
        speed[sel], course[sel] = sog, cog
    candidate = has_prev | has_next
    spread_speed = np.where(np.isnan(speed), params.default_speed_kn, speed)
    sigma = params.base_sigma_m + params.drift_frac * spread_speed * M_PER_NM * np.nan_to_num(dt_h)
    look = int(params.gap_lookback_h * US_PER_H)
    silent = ~candidate & (n_le > 0) & (t_us - ts[pi] <= look)
    silent_since = np.where(silent, ts[pi], -1)
    return _Vessels(
        mmsi=mmsi[starts] if len(starts) else np.array([], np.int64),
        lat=lat,
        lon=lon,
        sigma_m=sigma,
        dt_h=dt_h,
        course=np.where(silent, pos["cog"][pi], course) if len(starts) else course,
        speed=np.where(silent, pos["sog"][pi], speed) if len(starts) else speed,
        candidate=candidate,
        silent_since_us=silent_since,
        last_lat=pos["lat"][pi] if len(starts) else lat,
        last_lon=pos["lon"][pi] if len(starts) else lon,
    )


def _sorted(pos: pa.Table) -> bool:
    """Whether ``pos`` is sorted by (mmsi, ts)."""
    if pos.num_rows < 2:
        return True
    mm = np.asarray(pos.column("mmsi").to_numpy(), dtype=np.int64)
    ts = _us(pos, "ts")
    dm = np.diff(mm)
    return bool(np.all((dm > 0) | ((dm == 0) & (np.diff(ts) >= 0))))


def _index(p: dict[str, np.ndarray[Any, Any]]) -> None:
    """Vessel slices of positions sorted by (mmsi, ts), and a (vessel, time) search key."""
    mmsi, ts = p["mmsi"], p["ts"]
    if len(mmsi):
        starts = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1]]).astype(np.int64)
        t0, span = int(ts.min()), int(ts.max() - ts.min()) + 1
    else:
        starts, t0, span = np.zeros(0, np.int64), 0, 1
    ends = np.r_[starts[1:], len(mmsi)].astype(np.int64)
    vid = np.repeat(np.arange(len(starts), dtype=np.int64), ends - starts)
    p["starts"], p["ends"] = starts, ends
    if len(starts) * span < 2**62:
        p["key"] = vid * span + (ts - t0)
    else:
        p["key"] = np.zeros(0, np.int64)
    p["t0"], p["span"] = np.array([t0], np.int64), np.array([span], np.int64)


def _pairs(
    dlat: np.ndarray[Any, Any],
    dlon: np.ndarray[Any, Any],
    vlat: np.ndarray[Any, Any],
    vlon: np.ndarray[Any, Any],
    radius_m: float,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """All (detection, vessel, distance) within ``radius_m``: the distance of every pair.

    (The first matcher searched a grid of longitude times the cosine of each point's
    latitude, which missed pairs at high latitudes and across the antimeridian; the
    oracle computes every distance instead.)"""
    if len(dlat) == 0 or len(vlat) == 0:
        e = np.array([], np.int64)
        return e, e, np.array([], np.float64)
    di = np.repeat(np.arange(len(dlat)), len(vlat))
    vi = np.tile(np.arange(len(vlat)), len(dlat))
    d = haversine_m(dlat[di], dlon[di], vlat[vi], vlon[vi])
    keep = d <= radius_m
    return di[keep], vi[keep], d[keep]


def _angle_diff(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    d: np.ndarray[Any, Any] = np.abs((a - b + 180.0) % 360.0 - 180.0)
    return d


def _in_footprint(
    footprint: bytes | None, lat: np.ndarray[Any, Any], lon: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any] | None:
    if footprint is None:
        return None
    import shapely

    shape = shapely.from_wkb(footprint)
    out: np.ndarray[Any, Any] = shapely.contains_xy(shape, lon, lat)
    return out


def match_detections_reference(
    detections: pa.Table,
    positions: pa.Table,
    *,
    params: DarkParams = DEFAULT,
    scenes: pa.Table | None = None,
    lengths: pa.Table | None = None,
    geo: GeoContext | None = None,
) -> pa.Table:
    """Match ``detections`` to the AIS ``positions`` and return events (schema ``EVENTS``)
    of types ``detected_by``, ``dark_detection`` and ``ais_mismatch``.

    ``positions`` must cover the detection times from ``gap_lookback_h`` before to
    ``window_h`` after (more is harmless). ``lengths``: ``mmsi, length_m`` (the AIS static
    length). ``scenes``: footprints (schema ``SCENES``). ``geo``: nearest-port context
    (None: no port context, to keep the kernel free of the bundled geography).
    """
    pos = positions.select(["mmsi", "ts", "lat", "lon", "sog_kn", "cog_deg"])
    valid = pc.and_(
        pc.and_(pc.is_valid(pos.column("lat")), pc.is_valid(pos.column("lon"))),
        pc.is_valid(pos.column("ts")),
    )
    if not pc.all(valid).as_py():
        pos = pos.filter(valid)
    if not _sorted(pos):  # store day files are sorted already: skip the sort
        pos = pos.sort_by([("mmsi", "ascending"), ("ts", "ascending")])
    p = {
        "mmsi": np.asarray(pos.column("mmsi").to_numpy(), dtype=np.int64),
        "ts": _us(pos, "ts"),
        "lat": _f(pos, "lat"),
        "lon": _f(pos, "lon"),
        "sog": _f(pos, "sog_kn"),
        "cog": _f(pos, "cog_deg"),
    }
    _index(p)
    len_of: dict[int, float] = {}
    if lengths is not None and lengths.num_rows:
        for m, v in zip(
            lengths.column("mmsi").to_pylist(), lengths.column("length_m").to_pylist(), strict=True
        ):
            if m is not None and v is not None and v > 0:
                len_of[int(m)] = float(v)
    vessel_ids = p["mmsi"][p["starts"]]
    p["vlen"] = np.array([len_of.get(int(m), np.nan) for m in vessel_ids], dtype=np.float64)
    footprints: dict[str, bytes | None] = {}
    if scenes is not None:
        for r in scenes.select(["scene_id", "footprint"]).to_pylist():
            footprints[r["scene_id"]] = r["footprint"]
    dets = detections.filter(pc.is_valid(detections.column("ts")))
    scene = pc.fill_null(dets.column("scene_id"), "").to_pylist()
    source = pc.fill_null(dets.column("source"), "").to_pylist()
    t_all = _us(dets, "ts")
    groups: dict[tuple[str, str, int], list[int]] = {}
    for i, (s, src, t) in enumerate(zip(scene, source, t_all, strict=True)):
        key = (s, src, 0) if s else ("", src, int(t))
        groups.setdefault(key, []).append(i)
    rows: list[dict[str, Any]] = []
    for (scene_id, _src, _t), idx in sorted(groups.items()):
        g = dets.take(pa.array(idx, pa.int64()))
        rows.extend(
            _match_scene(g, p, params, len_of, footprints.get(scene_id) if scene_id else None, geo)
        )
    return _events(rows, params)


def _match_scene(
    g: pa.Table,
    p: dict[str, np.ndarray[Any, Any]],
    params: DarkParams,
    len_of: dict[int, float],
    footprint: bytes | None,
    geo: GeoContext | None,
) -> list[dict[str, Any]]:
    t_det = _us(g, "ts")
    t_us = int(np.median(t_det))
    v = _estimate(p, t_us, params)
    dlat, dlon = _f(g, "lat"), _f(g, "lon")
    dlen, dhead = _f(g, "length_m"), _f(g, "heading_deg")
    ids = g.column("detection_id").to_pylist()
    cand = np.flatnonzero(v.candidate)
    di, vj, dist = _pairs(dlat, dlon, v.lat[cand], v.lon[cand], params.nearest_radius_m)
    vi = cand[vj]
    sigma = v.sigma_m[vi]
    score = np.exp(-0.5 * (dist / sigma) ** 2)
    vlen = p["vlen"]
    if params.use_length:
        rel = np.abs(dlen[di] - vlen[vi]) / np.maximum(vlen[vi], 1.0)
        score *= np.where(np.isnan(rel), 1.0, np.exp(-0.5 * (rel / params.length_tol) ** 2))
    if params.use_heading:
        diff = _angle_diff(dhead[di], v.course[vi])
        ok = ~np.isnan(diff) & (np.nan_to_num(v.speed[vi]) >= params.min_heading_speed_kn)
        hf = np.maximum(np.exp(-0.5 * (diff / params.heading_tol_deg) ** 2), params.heading_floor)
        score *= np.where(ok, hf, 1.0)
    gate = np.clip(params.gate_sigmas * sigma, params.gate_floor_m, params.gate_max_m)
    admissible = (dist <= gate) & (score >= params.min_score)
    order = np.lexsort((vi, di, -score))
    det_match = np.full(len(g), -1, np.int64)
    det_pair = np.full(len(g), -1, np.int64)
    taken: set[int] = set()
    for k in order[admissible[order]]:
        d, vv = int(di[k]), int(vi[k])
        if det_match[d] >= 0 or vv in taken:
            continue
        det_match[d], det_pair[d] = vv, k
        taken.add(vv)
    out: list[dict[str, Any]] = []
    base = {
        "source": g.column("source").to_pylist(),
        "scene_id": g.column("scene_id").to_pylist(),
    }
    for d in np.flatnonzero(det_match >= 0).tolist():
        k, vv = int(det_pair[d]), int(det_match[d])
        out.append(
            {
                "type": TYPE_MATCH,
                "vessels": [int(v.mmsi[vv])],
                "ts": int(t_det[d]),
                "lat": float(dlat[d]),
                "lon": float(dlon[d]),
                "confidence": float(score[k]),
                "key": ids[d],
                "details": {
                    "detection_id": ids[d],
                    "scene_id": base["scene_id"][d],
                    "source": base["source"][d],
                    "score": round(float(score[k]), 4),
                    "dist_m": round(float(dist[k]), 1),
                    "hours_to_nearest_fix": round(float(v.dt_h[vv]), 3),
                    "ais_lat": round(float(v.lat[vv]), 6),
                    "ais_lon": round(float(v.lon[vv]), 6),
                    "length_m": _opt(dlen[d]),
                    "ais_length_m": _opt(vlen[vv]),
                },
            }
        )
    unmatched = np.flatnonzero(det_match < 0)
    inside = _in_footprint(footprint, v.lat[cand], v.lon[cand])
    n_scene = int(inside.sum()) if inside is not None else len(np.unique(vi))
    mism = _mismatches(unmatched, cand, inside, taken, v, vlen, dlat, dlon, dlen, params)
    silent = np.flatnonzero(v.silent_since_us >= 0)
    port_d, port_name = _ports(geo, dlat[unmatched], dlon[unmatched], params)
    by_det = np.lexsort((vi, dist, di))  # pairs by detection, nearest first
    di_sorted = di[by_det]
    for n, d in enumerate(unmatched.tolist()):
        lo = int(np.searchsorted(di_sorted, d, "left"))
        hi = int(np.searchsorted(di_sorted, d, "right"))
        near = by_det[lo : min(hi, lo + 3)]
        gaps = _gap_candidates(int(d), int(t_det[d]), silent, v, dlat, dlon, dlen, vlen, params)
        out.append(
            {
                "type": TYPE_UNIDENTIFIED if n_scene == 0 else TYPE_DARK,
                "vessels": [],
                "ts": int(t_det[d]),
                "lat": float(dlat[d]),
                "lon": float(dlon[d]),
                "confidence": 0.3 if n_scene == 0 else 0.7,
                "key": ids[d],
                "details": {
                    "detection_id": ids[d],
                    "scene_id": base["scene_id"][d],
                    "source": base["source"][d],
                    "length_m": _opt(dlen[d]),
                    "heading_deg": _opt(dhead[d]),
                    "nearest_ais": [
                        {"mmsi": int(v.mmsi[vi[k]]), "dist_m": round(float(dist[k]), 1)}
                        for k in near
                    ],
                    "ais_vessels_in_scene": n_scene,
                    "no_ais_coverage": n_scene == 0,
                    "footprint_known": footprint is not None,
                    "gap_candidates": gaps,
                    "ais_mismatch_mmsi": mism.get(int(d), (None,))[0],
                    "nearest_port_m": _opt(port_d[n]),
                    "near_port": port_name[n],
                },
            }
        )
    for d, (mmsi, vv) in mism.items():
        out.append(
            {
                "type": TYPE_MISMATCH,
                "vessels": [mmsi],
                "ts": int(t_det[d]),
                "lat": float(dlat[d]),
                "lon": float(dlon[d]),
                "confidence": 0.6,
                "key": ids[d],
                "details": {
                    "detection_id": ids[d],
                    "scene_id": base["scene_id"][d],
                    "source": base["source"][d],
                    "ais_lat": round(float(v.lat[vv]), 6),
                    "ais_lon": round(float(v.lon[vv]), 6),
                    "dist_m": round(float(haversine_m(dlat[d], dlon[d], v.lat[vv], v.lon[vv])), 1),
                    "length_m": _opt(dlen[d]),
                    "ais_length_m": _opt(vlen[vv]),
                    "hours_to_nearest_fix": round(float(v.dt_h[vv]), 3),
                },
            }
        )
    return out


def _opt(x: Any) -> float | None:
    f = float(x)
    return None if np.isnan(f) else round(f, 2)


def _ports(
    geo: GeoContext | None, lat: np.ndarray[Any, Any], lon: np.ndarray[Any, Any], params: DarkParams
) -> tuple[list[float], list[str | None]]:
    n = len(lat)
    if geo is None or n == 0:
        return [float("nan")] * n, [None] * n
    dist, idx = geo.nearest_port(lat, lon)
    names = geo.ports().column("name").to_pylist()
    return (
        [float(x) for x in dist],
        [
            names[int(i)] if 0 <= int(i) < len(names) and d <= params.near_port_m else None
            for d, i in zip(dist, idx, strict=True)
        ],
    )


def _gap_candidates(
    d: int,
    t_us: int,
    silent: np.ndarray[Any, Any],
    v: _Vessels,
    dlat: np.ndarray[Any, Any],
    dlon: np.ndarray[Any, Any],
    dlen: np.ndarray[Any, Any],
    vlen: np.ndarray[Any, Any],
    params: DarkParams,
) -> list[dict[str, Any]]:
    if len(silent) == 0:
        return []
    rel = np.abs(dlen[d] - vlen[silent]) / np.maximum(vlen[silent], 1.0)
    silent = silent[~(rel > params.gap_length_tol)]  # unknown lengths (NaN) stay
    if len(silent) == 0:
        return []
    hours = (t_us - v.silent_since_us[silent]) / US_PER_H
    speed = np.maximum(np.nan_to_num(v.speed[silent]), params.min_reach_speed_kn)
    reach = speed * params.reach_speed_factor * M_PER_NM * hours + params.base_sigma_m
    dist = haversine_m(dlat[d], dlon[d], v.last_lat[silent], v.last_lon[silent])
    ok = (dist <= reach) & (dist <= params.gap_max_dist_m)
    # rank by the distance from where dead reckoning (last speed and course) puts the vessel
    known = ~np.isnan(v.speed[silent]) & ~np.isnan(v.course[silent])
    run = np.where(known, np.nan_to_num(v.speed[silent]) * M_PER_NM * hours, 0.0)
    dr_lat, dr_lon = _move(
        v.last_lat[silent], v.last_lon[silent], np.nan_to_num(v.course[silent]), run
    )
    dr = haversine_m(dlat[d], dlon[d], dr_lat, dr_lon)
    order = np.argsort(dr[ok], kind="stable")
    sel = silent[ok][order][:5]
    drs = dr[ok][order][:5]
    return [
        {
            "mmsi": int(v.mmsi[s]),
            "last_fix_us": int(v.silent_since_us[s]),
            "last_lat": round(float(v.last_lat[s]), 6),
            "last_lon": round(float(v.last_lon[s]), 6),
            "hours_since_fix": round(float(h), 2),
            "dist_m": round(float(x), 1),
            "reach_m": round(float(r), 1),
            "dead_reckoning_dist_m": round(float(q), 1),
        }
        for s, h, x, r, q in zip(
            sel, hours[ok][order][:5], dist[ok][order][:5], reach[ok][order][:5], drs, strict=True
        )
    ]


def _mismatches(
    unmatched: np.ndarray[Any, Any],
    cand: np.ndarray[Any, Any],
    inside: np.ndarray[Any, Any] | None,
    taken: set[int],
    v: _Vessels,
    vlen: np.ndarray[Any, Any],
    dlat: np.ndarray[Any, Any],
    dlon: np.ndarray[Any, Any],
    dlen: np.ndarray[Any, Any],
    params: DarkParams,
) -> dict[int, tuple[int, int]]:
    """Unexplained detection -> (mmsi, vessel index) of a vessel that AIS places, unseen,
    inside the imaged footprint, with the detection's length (greedy by length agreement)."""
    if inside is None or len(unmatched) == 0:
        return {}
    vessels = [
        int(c)
        for c, ins in zip(cand, inside, strict=True)
        if ins
        and int(c) not in taken
        and vlen[c] >= params.mismatch_min_length_m
        and v.dt_h[c] <= params.mismatch_max_dt_h
    ]
    options: list[tuple[float, float, int, int]] = []
    for c in vessels:
        for d in unmatched:
            if np.isnan(dlen[d]):
                continue
            rel = abs(dlen[d] - vlen[c]) / vlen[c]
            if rel <= params.mismatch_length_tol:
                dist = float(haversine_m(dlat[d], dlon[d], v.lat[c], v.lon[c]))
                options.append((rel, dist, int(d), c))
    out: dict[int, tuple[int, int]] = {}
    used: set[int] = set()
    for _rel, _dist, d, c in sorted(options):
        if d in out or c in used:
            continue
        out[d] = (int(v.mmsi[c]), c)
        used.add(c)
    return out


def _events(rows: list[dict[str, Any]], params: DarkParams) -> pa.Table:
    if not rows:
        return EVENTS.empty_table()
    tail = ', "params": ' + json.dumps(params_dict(params), sort_keys=True) + "}"
    ids = [event_id(r["type"], r["vessels"], r["ts"], key=r["key"]) for r in rows]
    details = [json.dumps(r["details"], sort_keys=True)[:-1] + tail for r in rows]
    ts = pa.array([r["ts"] for r in rows], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    table = pa.table(
        {
            "event_id": pa.array(ids, pa.string()),
            "type": pa.array([r["type"] for r in rows], pa.string()),
            "start": ts,
            "end": ts,
            "vessels": pa.array([sorted(r["vessels"]) for r in rows], pa.list_(pa.uint32())),
            "lat": pa.array([r["lat"] for r in rows], pa.float64()),
            "lon": pa.array([r["lon"] for r in rows], pa.float64()),
            "duration_h": pa.array([0.0] * len(rows), pa.float64()),
            "region": pa.nulls(len(rows), pa.string()),
            "zone": pa.nulls(len(rows), pa.string()),
            "confidence": pa.array([r["confidence"] for r in rows], pa.float32()),
            "details": pa.array(details, pa.string()),
            "incident_id": pa.array(ids, pa.string()),  # its own incident until linked
            # as build_events: the engine marks the events of simulated vessels
            "simulated": pa.array(np.zeros(len(rows), np.bool_), pa.bool_()),
        },
        schema=EVENTS,
    )
    return table.sort_by([("start", "ascending"), ("type", "ascending"), ("event_id", "ascending")])
