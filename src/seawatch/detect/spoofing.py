"""Spoofing: one MMSI at positions no single vessel could join, or positions on land
(DESIGN.md §7).

Runs on raw positions, whole vessels, any row order: the kernel cleans and segments them
itself with its own limits (a table the engine already prepared, with ``seg_id`` and
``on_land``, is used as it is when those limits are the segmenter's defaults). Two kinds of
event, told apart by ``details.kind`` (and the event id's key):

``parallel_tracks``
    Consecutive reports of the MMSI farther apart than ``jitter_m`` that imply more than
    ``max_speed_kn`` (an *impossible jump*) happen at least ``min_jumps`` times, **and** the
    segmenter (:func:`seawatch.tracks.segment` with ``max_speed_kn``/``jitter_m``) splits
    the MMSI into at least two tracks that each report ``min_track_points`` times or more
    within their common time span: two transmitters (or one real vessel and a spoofed copy)
    reporting at the same time. A single wild fix (one jump out, one back) makes a
    one-point track, and a stale report that the segmenter joins to the later part of the
    real track shares no time with the other track's points, and stale repeats relayed
    late by a feed lie on the real track's path, where it was a little earlier
    (``echo_*``; tracks on the path of the vessel's main track are left out first, then
    any two tracks one of which lies on the other's path): none of them is spoofing. GPS
    jitter stays within ``jitter_m``. The event spans the first to the last impossible
    jump; details give the number of jumps and tracks, the fastest implied speed, the
    widest distance between track centroids and a summary of each track (up to
    ``max_tracks_listed``). Jumps that all happen at one instant (an untimed log stamped
    with one ``--time``) make no event: a zero-length event would show nothing.

With ``ships_only`` (the default) stations that are not ships are left out: coast and base
stations (MMSI below 10,000,000 and message type 4 reports), SAR aircraft (111...), AIS
SART/MOB/EPIRB (97...) and aids to navigation (99...), which stand on land or fly.

``on_land``
    At least ``min_land_positions`` positions on land that are also ``land_margin_m`` inland
    (the four points that far north, south, east and west are on land too, which absorbs
    the coarseness of the coastline and berths at quays) and farther than
    ``land_port_exclusion_m`` from any port or anchorage, and (``land_requires_jump``, the
    default) the vessel got there or left by an impossible jump: a track that moves
    plausibly over land is an inland waterway (rivers and canals are land in the bundled
    polygons: on the NOAA 2022-01-03 sample, 2,014 of 10,631 vessels, mostly on the
    Mississippi, have inland positions and none jumped there), while GNSS spoofing and
    misconfigured transmitters put a vessel on land suddenly. A track that is spoofed onto
    land for the whole input and never jumps is missed; ``land_requires_jump=False``
    reports every inland track (expect inland-waterway traffic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch._units import KN_TO_MPS, M_PER_DEG
from seawatch.detect._base import (
    EARTH_RADIUS_M,
    GeoContext,
    build_events,
    details_json,
    resolve_geo,
)
from seawatch.detect._prep import nearest_port_within
from seawatch.detect._standoff import iso_us, with_keyed_ids
from seawatch.geo import haversine_m
from seawatch.schema import EVENTS
from seawatch.tracks import CleanParams, SegmentParams, clean, prepare, segment
from seawatch.tracks.columns import f64, i64, ts_us

TYPE = "spoofing"
TYPES = (TYPE,)
F64 = npt.NDArray[np.float64]

__all__ = ["DEFAULT", "GFW", "TYPE", "SpoofingParams", "spoofing"]


@dataclass(frozen=True, slots=True)
class SpoofingParams:
    """Parameters of :func:`spoofing` (units in the names)."""

    max_speed_kn: float = 50.0
    """No vessel joins two reports faster than this."""
    jitter_m: float = 500.0
    """Jumps shorter than this are GPS jitter, whatever speed they imply."""
    min_jumps: int = 2
    """Impossible jumps needed (repeatedly, not one glitch)."""
    min_track_points: int = 3
    """Points each of two simultaneous tracks needs."""
    max_gap_h: float = 24.0
    """The segmenter's longest silence inside one track."""
    echo_max_dist_m: float = 100.0
    echo_fraction: float = 0.9
    """Two simultaneous tracks where this share of one's points (while both report) lie
    within ``echo_max_dist_m`` of the other's path within ``echo_max_lag_h`` of their time
    are one vessel's path with late repeats (feeds relay stale reports), not two
    transmitters."""
    echo_max_lag_h: float = 0.5
    """How late a relayed repeat may come (see ``echo_fraction``)."""
    max_tracks_listed: int = 5
    """Tracks summarised in the details."""
    min_land_positions: int = 2
    """Inland positions needed for an ``on_land`` event (0 disables ``on_land``)."""
    land_margin_m: float = 2_000.0
    """How far inland a position must be (probed north, south, east and west)."""
    land_port_exclusion_m: float = 5_000.0
    """Positions closer than this to a port or anchorage never count as on land."""
    land_requires_jump: bool = True
    """An ``on_land`` event needs an impossible jump onto or off the inland positions, from
    or to a run of at least ``min_track_points`` reports (not one wild fix elsewhere)."""
    parallel_confidence: float = 0.9
    """Confidence of a ``parallel_tracks`` event with ``min_jumps`` + 2 jumps or more
    (0.2 less at ``min_jumps``, interpolated in between)."""
    land_confidence: float = 0.6
    """Confidence of an ``on_land`` event."""
    ships_only: bool = True
    """Leave out coast/base stations, SAR aircraft, SARTs and aids to navigation."""
    same_time_min_dist_m: float = 10_000.0
    """Two reports with the *same* timestamp make an impossible jump only this far apart.
    Identical times come from feeds stamped per batch or per minute and from untimed logs
    stamped with one ``--time``, where neither the order nor the time between the reports
    is known: a vessel moves a few km in that uncertainty, a cloned MMSI is usually much
    farther away. Reports one second apart or more are judged by ``max_speed_kn``."""

    def __post_init__(self) -> None:
        if self.max_speed_kn <= 0 or self.jitter_m < 0 or self.land_margin_m < 0:
            raise ParameterError("SpoofingParams: max_speed_kn > 0, jitter_m, land_margin_m >= 0")
        if self.min_jumps < 1 or self.min_track_points < 1 or self.min_land_positions < 0:
            raise ParameterError("SpoofingParams: min_jumps, min_track_points >= 1")
        if self.same_time_min_dist_m < self.jitter_m:
            raise ParameterError("SpoofingParams: same_time_min_dist_m must be >= jitter_m")
        if not 0.0 <= self.echo_max_lag_h <= 24.0:
            raise ParameterError("SpoofingParams: echo_max_lag_h must be within 0 .. 24")


DEFAULT = SpoofingParams()
GFW = DEFAULT
"""GFW only splits spoofed tracks in its segmenter (no events): the ``gfw`` preset uses ours."""


def _jumps(d: F64, dt_s: F64, params: SpoofingParams) -> tuple[F64, npt.NDArray[np.bool_]]:
    """Implied speed (kn; inf at the same time) and impossible jumps between consecutive
    reports ``d`` metres and ``dt_s`` seconds apart."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v_kn = np.where(dt_s > 0, d / np.maximum(dt_s, 1e-9) / KN_TO_MPS, np.inf)
    far = np.where(dt_s > 0, params.jitter_m, params.same_time_min_dist_m)
    return v_kn, (d > far) & (v_kn > params.max_speed_kn)


def spoofing(
    table: pa.Table, *, params: SpoofingParams = DEFAULT, geo: GeoContext | None = None
) -> pa.Table:
    """Spoofing events (schema EVENTS) in raw positions of whole vessels, any row order."""
    if table.num_rows == 0:
        return EVENTS.empty_table()
    g = resolve_geo(geo)
    if params.ships_only:
        table = table.filter(_ship_rows(table))
        if table.num_rows == 0:
            return EVENTS.empty_table()
    seg_params = SegmentParams(
        max_gap_h=params.max_gap_h, max_speed_kn=params.max_speed_kn, jitter_m=params.jitter_m
    )
    if {"seg_id", "on_land"} <= set(table.column_names) and seg_params == SegmentParams():
        seg = prepare(table)  # the engine's cleaning and segmentation, with the same limits
    else:
        raw = table.drop_columns(["seg_id"]) if "seg_id" in table.column_names else table
        cleaned = clean(raw, params=CleanParams(), geo=g)
        if cleaned.num_rows == 0:
            return EVENTS.empty_table()
        seg = segment(cleaned, params=seg_params)
    mmsi = i64(seg, "mmsi")
    ts = ts_us(seg)
    lat = f64(seg, "lat")
    lon = f64(seg, "lon")
    seg_id = i64(seg, "seg_id")
    land = np.asarray(seg.column("on_land").to_numpy(zero_copy_only=False), dtype=np.bool_)
    bounds = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1], True])
    events: list[dict[str, Any]] = []
    for v in _several_tracks(bounds, seg_id, params).tolist():
        a, b = bounds[v], bounds[v + 1]
        ev = _parallel(int(a), int(b), mmsi, ts, lat, lon, seg_id, params)
        if ev is not None:
            events.append(ev)
    if params.min_land_positions > 0 and land.any():
        events.extend(_on_land(np.flatnonzero(land), bounds, mmsi, ts, lat, lon, g, params))
    events = _one_per_episode(events)
    if not events:
        return EVENTS.empty_table()
    la = np.array([e["lat"] for e in events])
    lo = np.array([e["lon"] for e in events])
    details = [details_json(params, **e["details"]) for e in events]
    out = build_events(
        types=TYPE,
        start_us=[e["start"] for e in events],
        end_us=[e["end"] for e in events],
        vessels=np.array([e["mmsi"] for e in events], dtype=np.int64),
        lat=la,
        lon=lo,
        region=list(g.region_of(la, lo)),
        confidence=[e["confidence"] for e in events],
        details=details,
    )
    return with_keyed_ids(out, details, [e["details"]["kind"] for e in events])


def _one_per_episode(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A vessel's ``parallel_tracks`` event that overlaps in time one of its ``on_land``
    events is the same episode seen twice (the positions on land are the second "track";
    feeds relaying the real reports minutes late make the two look simultaneous): it is
    folded into the ``on_land`` event (``details.parallel_tracks``: its jumps, tracks and
    fastest implied speed; the higher confidence of the two), not counted again."""
    land = [e for e in events if e["details"]["kind"] == "on_land"]
    if not land:
        return events
    out = []
    for e in events:
        if e["details"]["kind"] == "parallel_tracks":
            same = [
                x
                for x in land
                if x["mmsi"] == e["mmsi"] and x["start"] <= e["end"] and e["start"] <= x["end"]
            ]
            if same:
                d = e["details"]
                for x in same:
                    x["details"]["parallel_tracks"] = {
                        "start": iso_us(e["start"]),
                        "end": iso_us(e["end"]),
                        "n_jumps": d["n_jumps"],
                        "n_tracks": d["n_tracks"],
                        "max_implied_speed_kn": d["max_implied_speed_kn"],
                    }
                    x["confidence"] = max(x["confidence"], e["confidence"])
                continue
        out.append(e)
    return out


def _rows_of_vessels(
    bounds: npt.NDArray[np.int64], idx: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Every row of the vessels that own rows ``idx``, in row order. The rows are sorted by
    MMSI, so each vessel is one block (``bounds[v]:bounds[v + 1]``): the blocks are found by
    position, not by looking each MMSI up in a set (``np.isin`` sorted the whole bucket)."""
    starts, ends = bounds[:-1], bounds[1:]
    v = np.unique(np.searchsorted(starts, idx, side="right") - 1)
    size = ends[v] - starts[v]
    first = np.cumsum(size) - size  # where each block begins in the output
    return (np.repeat(starts[v] - first, size) + np.arange(int(size.sum()))).astype(np.int64)


def _ship_rows(table: pa.Table) -> pa.Array:
    m = np.asarray(pc.cast(table.column("mmsi"), pa.int64()).to_numpy(zero_copy_only=False))
    ship = (m >= 10_000_000) & ~((m // 1_000_000) == 111) & ~np.isin(m // 10_000_000, (97, 99))
    if "msg_type" in table.column_names:
        mt = pc.fill_null(pc.cast(table.column("msg_type"), pa.int64()), 0)
        ship &= np.asarray(mt.to_numpy(zero_copy_only=False)) != 4
    return pa.array(ship, pa.bool_())


def _several_tracks(
    bounds: npt.NDArray[np.int64], seg_id: npt.NDArray[np.int64], params: SpoofingParams
) -> npt.NDArray[np.int64]:
    """The vessels (``bounds[v]:bounds[v + 1]``) that :func:`_parallel` can find spoofing
    in: enough reports for two tracks and more than one segment. The others (most vessels)
    are left out before their jumps are measured."""
    n = np.diff(bounds)
    # rows whose segment differs from the row before: inside a vessel (not at its first
    # row) such a row says the vessel has a second segment
    change = np.flatnonzero(seg_id[1:] != seg_id[:-1]) + 1
    vessel = np.searchsorted(bounds, change, side="right") - 1
    multi = np.zeros(len(n), np.bool_)
    multi[vessel[change != bounds[vessel]]] = True
    return np.flatnonzero(multi & (n >= 2 * params.min_track_points)).astype(np.int64)


ECHO_MAX_SEGMENTS = 512
"""At most this many segments of a track's path on each side of a point's time are
measured by :func:`_on_path` (bounds the work on tracks reporting every second)."""


def _metres_from(lat: F64, lon: F64, lat0: F64, lon0: F64) -> tuple[F64, F64]:
    """East and north metres of ``(lat, lon)`` from ``(lat0, lon0)`` (equirectangular,
    fine over the kilometres it is used on; across the antimeridian too)."""
    dlon = (lon - lon0 + 180.0) % 360.0 - 180.0
    return dlon * np.cos(np.radians(lat0)) * M_PER_DEG, (lat - lat0) * M_PER_DEG


def _on_path(
    t: npt.NDArray[np.int64],
    la: F64,
    lo: F64,
    points: npt.NDArray[np.int64],
    path: npt.NDArray[np.int64],
    params: SpoofingParams,
) -> bool:
    """Whether ``echo_fraction`` of the rows ``points`` lie within ``echo_max_dist_m`` of
    the path of the rows ``path`` (their time-ordered polyline) within ``echo_max_lag_h``
    of their own time: a stale report relayed late is where the real vessel was a little
    earlier. Distances are local (metres around each point), so that the path may turn and
    run for hundreds of kilometres: a straight line fitted to a whole 6-hour transit is off
    by more than 100 m from the curvature of a map projection alone."""
    if len(path) < 2 or len(points) == 0:
        return False
    path = path[np.argsort(t[path], kind="stable")]
    tp = t[path]
    n_seg = len(path) - 1
    lag = int(params.echo_max_lag_h * 3_600_000_000)
    near = 0
    for c in range(0, len(points), 4096):  # bounded memory
        pts = points[c : c + 4096]
        k = np.searchsorted(tp, t[pts])
        first = np.maximum(np.searchsorted(tp, t[pts] - lag) - 1, k - ECHO_MAX_SEGMENTS)
        last = np.minimum(np.searchsorted(tp, t[pts] + lag, side="right"), k + ECHO_MAX_SEGMENTS)
        first = np.clip(first, 0, n_seg - 1)
        last = np.maximum(np.clip(last, 0, n_seg - 1), first)
        cnt = last - first + 1
        src = np.repeat(np.arange(len(pts), dtype=np.int64), cnt)
        seg = np.repeat(first, cnt) + (
            np.arange(int(cnt.sum()), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        )
        plat, plon = la[pts][src], lo[pts][src]
        x0, y0 = _metres_from(la[path[seg]], lo[path[seg]], plat, plon)
        x1, y1 = _metres_from(la[path[seg + 1]], lo[path[seg + 1]], plat, plon)
        dx, dy = x1 - x0, y1 - y0
        len2 = dx * dx + dy * dy
        u = np.clip(-(x0 * dx + y0 * dy) / np.where(len2 > 0, len2, 1.0), 0.0, 1.0)
        dist = np.minimum.reduceat(np.hypot(x0 + u * dx, y0 + u * dy), np.cumsum(cnt) - cnt)
        near += int(np.count_nonzero(dist <= params.echo_max_dist_m))
    return near >= params.echo_fraction * len(points)


def _parallel(
    a: int,
    b: int,
    mmsi: npt.NDArray[np.int64],
    ts: npt.NDArray[np.int64],
    lat: F64,
    lon: F64,
    seg_id: npt.NDArray[np.int64],
    params: SpoofingParams,
) -> dict[str, Any] | None:
    if b - a < 2 * params.min_track_points:
        return None
    t, la, lo = ts[a:b], lat[a:b], lon[a:b]
    d = haversine_m(la[:-1], lo[:-1], la[1:], lo[1:])
    v_kn, jump = _jumps(d, (t[1:] - t[:-1]) / 1e6, params)
    n_jumps = int(jump.sum())
    if n_jumps < params.min_jumps:
        return None
    segs = seg_id[a:b]
    uniq, _first_idx, counts = np.unique(segs, return_index=True, return_counts=True)
    big = uniq[counts >= params.min_track_points]
    if len(big) < 2:
        return None
    spans = []
    for s in big:
        idx = np.flatnonzero(segs == s)
        spans.append((int(t[idx[0]]), int(t[idx[-1]]), idx))
    # late repeats relayed by feeds can make several small "tracks" (the segmenter joins
    # repeats of different lags): each lies on the main track's path, so drop those first
    main = max(range(len(spans)), key=lambda i: len(spans[i][2]))
    spans = [
        sp
        for i, sp in enumerate(spans)
        if i == main or not _on_path(t, la, lo, sp[2], spans[main][2], params)
    ]
    if len(spans) < 2:
        return None

    def interleaved(x: tuple[int, int, Any], y: tuple[int, int, Any]) -> bool:
        # both tracks report min_track_points times while the other one is also reporting
        lo_, hi_ = max(x[0], y[0]), min(x[1], y[1])
        if lo_ > hi_:
            return False
        ix = x[2][(t[x[2]] >= lo_) & (t[x[2]] <= hi_)]
        iy = y[2][(t[y[2]] >= lo_) & (t[y[2]] <= hi_)]
        return min(len(ix), len(iy)) >= params.min_track_points and not echo(ix, iy, x[2], y[2])

    def echo(ix: Any, iy: Any, fx: Any, fy: Any) -> bool:
        # late repeats relayed by a feed lie on the real track's path: while both report,
        # the points of one "track" lie on the path of the other (near the same time)
        return _on_path(t, la, lo, iy, fx, params) or _on_path(t, la, lo, ix, fy, params)

    if not any(
        interleaved(spans[i], spans[k]) for i in range(len(spans)) for k in range(i + 1, len(spans))
    ):
        return None
    j = np.flatnonzero(jump)
    if t[j[-1] + 1] == t[j[0]]:
        # every jump at one instant (an untimed log stamped with one --time, or a feed that
        # stamps a whole batch): no order, no duration, nothing to show two transmitters
        return None
    centroids = [(float(np.mean(la[idx])), float(np.mean(lo[idx]))) for _, _, idx in spans]
    sep = max(
        float(
            haversine_m(np.array([c0[0]]), np.array([c0[1]]), np.array([c1[0]]), np.array([c1[1]]))[
                0
            ]
        )
        for i, c0 in enumerate(centroids)
        for c1 in centroids[i + 1 :]
    )
    frac = min(1.0, (n_jumps - params.min_jumps) / 2.0)
    finite = v_kn[jump][np.isfinite(v_kn[jump])]
    return {
        "mmsi": int(mmsi[a]),
        "start": int(t[j[0]]),
        "end": int(t[j[-1] + 1]),
        "lat": float(la[j[0]]),
        "lon": float(lo[j[0]]),
        "confidence": params.parallel_confidence - 0.2 * (1.0 - frac),
        "details": {
            "kind": "parallel_tracks",
            "n_jumps": n_jumps,
            "n_positions": b - a,
            "n_tracks": len(spans),
            "echo_tracks": len(big) - len(spans),
            "max_implied_speed_kn": float(finite.max()) if len(finite) else None,
            "simultaneous_jumps": int((~np.isfinite(v_kn[jump])).sum()),
            "max_centroid_separation_km": sep / 1000.0,
            "tracks": [
                {
                    "points": len(idx),
                    "first": iso_us(t0),
                    "last": iso_us(t1),
                    "lat": c[0],
                    "lon": c[1],
                }
                for (t0, t1, idx), c in list(zip(spans, centroids, strict=True))[
                    : params.max_tracks_listed
                ]
            ],
        },
    }


def _offset(lat: F64, lon: F64, north_m: float, east_m: float) -> tuple[F64, F64]:
    dlat = np.degrees(north_m / EARTH_RADIUS_M)
    dlon = np.degrees(east_m / (EARTH_RADIUS_M * np.maximum(np.cos(np.radians(lat)), 1e-6)))
    return lat + dlat, lon + dlon


def _on_land(
    idx: npt.NDArray[np.int64],
    bounds: npt.NDArray[np.int64],
    mmsi: npt.NDArray[np.int64],
    ts: npt.NDArray[np.int64],
    lat: F64,
    lon: F64,
    g: GeoContext,
    params: SpoofingParams,
) -> list[dict[str, Any]]:
    la, lo = lat[idx], lon[idx]
    inland = np.ones(len(idx), dtype=np.bool_)
    m = params.land_margin_m
    if m > 0:
        for n, e in ((m, 0.0), (-m, 0.0), (0.0, m), (0.0, -m)):
            pla, plo = _offset(la, lo, n, e)
            inland &= np.asarray(g.on_land(pla, plo), dtype=np.bool_)
    if params.land_port_exclusion_m > 0 and inland.any():
        # only "certainly not within the exclusion" matters: nearest_port_within skips the
        # lookups its bounds rule out (inf there)
        pd, _ = nearest_port_within(g, la, lo, params.land_port_exclusion_m)
        inland &= ~(pd < params.land_port_exclusion_m)
    idx = idx[inland]
    out: list[dict[str, Any]] = []
    if len(idx) == 0:
        return out
    rows = _rows_of_vessels(bounds, idx)  # only the vessels with inland positions matter
    idx = np.searchsorted(rows, idx)
    mmsi, ts, lat, lon = mmsi[rows], ts[rows], lat[rows], lon[rows]
    # impossible jumps between consecutive reports of one MMSI, onto or off each position,
    # from or to a run of at least min_track_points reports: a jump to one wild fix and
    # back says the fix is wrong, not that the track it left is on land
    d = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    _, jump = _jumps(d, (ts[1:] - ts[:-1]) / 1e6, params)
    same = mmsi[1:] == mmsi[:-1]
    jump &= same
    run = np.concatenate([[0], np.cumsum(jump | ~same)])
    run_size = np.bincount(run)[run]
    adjacent = np.zeros(len(ts), dtype=np.bool_)
    adjacent[:-1] |= jump & (run_size[1:] >= params.min_track_points)
    adjacent[1:] |= jump & (run_size[:-1] >= params.min_track_points)
    uniq_all, total = np.unique(mmsi, return_counts=True)
    vessel_of = mmsi[idx]
    cuts = np.flatnonzero(vessel_of[1:] != vessel_of[:-1]) + 1
    for sel in np.split(idx, cuts):
        v = mmsi[sel[0]]
        if len(sel) < params.min_land_positions:
            continue
        n_jumps = int(adjacent[sel].sum())
        if params.land_requires_jump and n_jumps == 0:
            continue
        n_all = int(total[np.searchsorted(uniq_all, v)])
        out.append(
            {
                "mmsi": int(v),
                "start": int(ts[sel[0]]),
                "end": int(ts[sel[-1]]),
                "lat": float(lat[sel[0]]),
                "lon": float(lon[sel[0]]),
                "confidence": params.land_confidence,
                "details": {
                    "kind": "on_land",
                    "n_land_positions": len(sel),
                    "n_positions": n_all,
                    "land_fraction": len(sel) / n_all,
                    "inland_positions_at_a_jump": n_jumps,
                    "first_land_position": {"lat": float(lat[sel[0]]), "lon": float(lon[sel[0]])},
                    "last_land_position": {"lat": float(lat[sel[-1]]), "lon": float(lon[sel[-1]])},
                },
            }
        )
    return out
