"""Dark vessels: non-AIS detections (satellite SAR, optical, night lights, radar) matched to AIS.

A pure kernel (DESIGN.md §14): :func:`match_detections` takes detections (schema
``DETECTIONS``), the AIS positions around their times (schema ``POSITIONS``), the scenes
(schema ``SCENES``, optional) and the vessels' AIS lengths, and returns events (schema
``EVENTS``) of three types:

- ``detected_by``: an AIS vessel matched to a detection (one per match: the link from
  the vessel's positions to the scene; details: detection, scene, score, distance).
- ``dark_detection``: a detection no AIS vessel explains. Details: the nearest AIS
  vessels and their distances, the number of AIS vessels in the scene
  (``no_ais_coverage`` when none: then nothing says the vessel is dark rather than that no
  AIS was received there), the nearest port, and ``gap_candidates``: vessels whose AIS was
  silent at the detection time, whose last fix was at most ``gap_lookback_h`` earlier, and
  that could have reached the detection at their last speed (the reachability: radius
  ``reach_m`` around the last fix) and whose AIS length agrees with the detected one
  within ``gap_length_tol`` where both are known, best first by the distance from where dead reckoning
  (last speed and course) puts them (``dead_reckoning_dist_m``).
- ``ais_mismatch``: a vessel whose AIS places it inside an imaged scene footprint where no
  detection was made, while an unexplained detection of its length lies elsewhere in the
  scene (the spoofing-by-position pattern). Needs a footprint and both lengths.

Matching, per scene (detections without a scene id are grouped by source and time):

1. **Candidates**: vessels with an AIS fix within ``window_h`` of the scene time, before
   or after. A vessel silent over the whole window is never a match, however well its
   track before and after lines up (it becomes a gap candidate instead).
2. **Position at the scene time**: interpolated between the fixes around it when both are
   within the window, else extrapolated from the one fix with its speed and course.
3. **Likelihood**: a Gaussian of the distance with ``sigma_m = base_sigma_m +
   drift_frac * speed * dt`` (``dt``: hours to the nearest fix; a vessel 2 h from its last
   fix can be kilometres away), times a length factor (relative difference over
   ``length_tol``) and a heading factor when both sides have them. A pair is admissible when
   the distance is within ``gate_sigmas * sigma_m`` (at least ``gate_floor_m``, at most
   ``gate_max_m``) and the likelihood is at least ``min_score``.
4. **One-to-one assignment per scene**, greedy best-first: the admissible pairs are taken
   in order of likelihood, each detection and each vessel at most once. This equals the
   optimal (Hungarian) assignment whenever no two vessels compete for the same two
   detections with crossing likelihoods; scipy is not a dependency, and such ties are
   rare at gate sizes of a few kilometres.

How it runs (issue #11, the speed goal: 100k detections against a day of 20M positions).
The positions are used in place, sorted by (mmsi, ts) (store day files are: no sort
then), with a per-vessel time index (the rows before each of 48 time buckets). Scenes are
taken in batches (at most a million (scene, vessel) states); a numba pass over the
vessels locates each vessel at every scene time of the batch while its fixes are in
cache: the fixes around the time (one bucket, then a binary search) and the interpolated
position; the rest of a vessel's state (sigma, dt, speed, course, silence) is computed only
for the vessels a scene asks about (those near a detection, silent ones, those inside the
footprint). Pairs come from a grid of the unit sphere (cubes one radius wide: no pair is
missed near the poles or across the antimeridian), through a hash table of the cubes
around the detections, one lookup per vessel; the assignment is a numba loop; the event
rows are built column-wise (:mod:`seawatch.detect._dark_rows`).
The next batch is located and paired in a second thread while one is matched and written.
Trigonometry stays in numpy and each value is computed by the same expression as in the
first, per-scene numpy implementation, which ``tests/detect/_dark_reference.py`` keeps as
the oracle: the events are the same, to the byte.

Sources: Global Fishing Watch's SAR-AIS matching (Paolo et al. 2024, "Satellite mapping
reveals extensive industrial activity at sea", Nature 625; code in
github.com/GlobalFishingWatch/paper-industrial-activity) interpolates each vessel's AIS
to the image time and scores a detection by the probability of the vessel being there,
which spreads with the time to the nearest AIS fix and the vessel's speed, combined with
length; it uses empirical probability rasters where the ``default`` preset uses a Gaussian
whose width grows linearly with time. The ``simple`` preset is Skylight's rule: a
detection within 1.5 km of a vessel's interpolated AIS position is that vessel.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch._units import EARTH_RADIUS_M, M_PER_NM, US_PER_H
from seawatch.detect import _dark_kernels as _k
from seawatch.detect import _dark_rows as _rows
from seawatch.detect._base import GeoContext
from seawatch.geo import haversine_m

TYPE_DARK = "dark_detection"
TYPE_MISMATCH = "ais_mismatch"
TYPE_MATCH = "detected_by"
TYPES: tuple[str, ...] = (TYPE_MATCH, TYPE_DARK, TYPE_MISMATCH)


@dataclass(frozen=True, slots=True)
class DarkParams:
    """Matching of non-AIS detections to AIS (see the module docstring for the method)."""

    window_h: float = 3.0
    """Only AIS fixes within this many hours of the scene time count (before or after)."""
    base_sigma_m: float = 300.0
    """Position error of the detection and the AIS fix together (1 sigma) at dt = 0."""
    drift_frac: float = 0.25
    """Sigma grows by this fraction of the distance the vessel covers in dt (speed * dt)."""
    default_speed_kn: float = 10.0
    """Speed assumed for the spread when the fix has none."""
    gate_sigmas: float = 3.0
    gate_floor_m: float = 1000.0
    gate_max_m: float = 20_000.0
    min_score: float = 0.01
    """Minimum likelihood (0..1) of an admissible pair."""
    use_length: bool = True
    length_tol: float = 0.35
    """Relative length difference at one sigma of the length factor."""
    use_heading: bool = True
    heading_tol_deg: float = 45.0
    heading_floor: float = 0.2
    """The heading factor never goes below this (detected headings are coarse)."""
    min_heading_speed_kn: float = 2.0
    """Below this AIS speed the course says nothing about the heading: no heading factor."""
    nearest_radius_m: float = 50_000.0
    """AIS vessels within this distance are listed as the nearest of a dark detection."""
    gap_lookback_h: float = 48.0
    """A vessel silent at the detection time whose last fix is at most this old is a gap
    candidate when it could have reached the detection."""
    reach_speed_factor: float = 1.2
    min_reach_speed_kn: float = 5.0
    gap_max_dist_m: float = 300_000.0
    gap_length_tol: float = 0.5
    """A gap candidate's AIS length and the detected length differ by at most this fraction
    (when both are known)."""
    mismatch_min_length_m: float = 60.0
    """``ais_mismatch`` only for vessels this long or longer (small vessels are often missed)."""
    mismatch_length_tol: float = 0.25
    mismatch_max_dt_h: float = 1.0
    """``ais_mismatch`` only when the vessel's AIS fix is at most this many hours old."""
    near_port_m: float = 10_000.0

    def __post_init__(self) -> None:
        for name in ("window_h", "base_sigma_m", "gate_floor_m", "gate_max_m", "nearest_radius_m"):
            if not getattr(self, name) > 0:
                raise ParameterError(f"{name} must be > 0")
        if self.gate_floor_m > self.gate_max_m:
            raise ParameterError("gate_floor_m must be <= gate_max_m")
        if not 0 <= self.min_score <= 1:
            raise ParameterError("min_score must be in [0, 1]")


DEFAULT = DarkParams()
GFW = DarkParams()
"""GFW's published method is what the default preset approximates (same parameters)."""
SIMPLE = DarkParams(
    base_sigma_m=1500.0,
    drift_frac=0.0,
    gate_floor_m=1500.0,
    gate_max_m=1500.0,
    gate_sigmas=1.0,
    min_score=0.0,
    use_length=False,
    use_heading=False,
)
"""Skylight's rule: a detection within 1.5 km of the interpolated AIS position matches."""
PRESETS: dict[str, DarkParams] = {"default": DEFAULT, "gfw": GFW, "simple": SIMPLE}


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
    if col.type != pa.float64():
        col = col.cast(pa.float64())
    if col.null_count:
        col = pc.fill_null(col, np.nan)
    return np.asarray(col.to_numpy(), dtype=np.float64)


def _f_narrow(table: pa.Table, name: str) -> np.ndarray[Any, Any]:
    """Like :func:`_f` but a float32 column stays float32 (the kernel widens each value,
    exactly): half the memory of a day of speeds and courses."""
    col = table.column(name)
    if col.type != pa.float32():
        return _f(table, name)
    if col.null_count:
        col = pc.fill_null(col, pa.scalar(np.nan, pa.float32()))
    return np.asarray(col.to_numpy(), dtype=np.float32)


def _us(table: pa.Table, name: str) -> np.ndarray[Any, Any]:
    return np.asarray(table.column(name).cast(pa.int64()).to_numpy(), dtype=np.int64)


_BATCH_CELLS = 1_000_000
"""Scenes located together: at most this many (scene, vessel) states in a batch (32 bytes
each, two batches: 64 MB), e.g. 10 scenes of 100k vessels."""
_BUCKETS = 48
"""Time buckets of the per-vessel time index (4 bytes per vessel and bucket)."""


@dataclass(frozen=True, slots=True)
class _Positions:
    """AIS positions sorted by (mmsi, ts), each vessel a slice ``starts[i]:ends[i]``, and
    the per-scene work buffers of :func:`seawatch.detect._dark_kernels.estimate`."""

    ts: np.ndarray[Any, Any]
    lat: np.ndarray[Any, Any]
    lon: np.ndarray[Any, Any]
    sog: np.ndarray[Any, Any]
    cog: np.ndarray[Any, Any]
    starts: np.ndarray[Any, Any]
    ends: np.ndarray[Any, Any]
    mmsi: np.ndarray[Any, Any]
    """Each vessel's mmsi (int64)."""
    vlen: np.ndarray[Any, Any]
    """Each vessel's AIS length (NaN: unknown)."""
    tindex: np.ndarray[Any, Any]
    """Per vessel, its rows before each bucket edge (:func:`_dark_kernels.time_index`)."""
    t0: int
    width: int
    out_f: np.ndarray[Any, Any]
    out_i: np.ndarray[Any, Any]


class _Vessels:
    """AIS vessels of one scene: estimated positions at the scene time (every vessel), and
    the rest of the state (:meth:`complete`) for the vessels the scene asks about."""

    def __init__(
        self, p: _Positions, t_us: int, f: np.ndarray[Any, Any], i: np.ndarray[Any, Any]
    ) -> None:
        self.p, self.t_us = p, t_us
        self.mmsi = p.mmsi
        self.lat, self.lon = f[0], f[1]
        self.prev, self.flags = i[0], i[1]
        self.cand = np.flatnonzero(self.flags & (_k.HAS_PREV | _k.HAS_NEXT))
        """Indices of the candidates (a fix within the window), ascending."""
        self.cand_lat, self.cand_lon = self.lat[self.cand], self.lon[self.cand]
        self.silent = np.flatnonzero(self.flags & _k.SILENT)
        nv = len(p.starts)
        self._rest = np.empty((6, nv))  # filled by complete() for the vessels asked about
        self.sigma_m, self.dt_h, self.course, self.speed = self._rest[:4]
        self.last_lat, self.last_lon = self._rest[4], self._rest[5]
        self.silent_since_us = np.empty(nv, np.int64)
        """Time of the last fix of silent vessels (-1 where not silent or never seen)."""

    def complete(self, vessels: np.ndarray[Any, Any], params: DarkParams) -> None:
        """Fill sigma, dt_h, course, speed, the last fix and silence for ``vessels``."""
        p = self.p
        _k.complete(
            np.asarray(vessels, np.int64),
            self.prev,
            self.flags,
            p.ts,
            p.lat,
            p.lon,
            p.sog,
            p.cog,
            self.t_us,
            params.base_sigma_m,
            params.drift_frac,
            params.default_speed_kn,
            M_PER_NM,
            US_PER_H,
            self._rest,
            self.silent_since_us,
        )


def _prepare(positions: pa.Table, lengths: pa.Table | None, n_scenes: int) -> _Positions:
    pos = positions.select(["mmsi", "ts", "lat", "lon", "sog_kn", "cog_deg"])
    if any(pos.column(c).null_count for c in ("lat", "lon", "ts")):
        valid = pc.and_(
            pc.and_(pc.is_valid(pos.column("lat")), pc.is_valid(pos.column("lon"))),
            pc.is_valid(pos.column("ts")),
        )
        pos = pos.filter(valid)
    mmsi = pos.column("mmsi").to_numpy()
    ts = _us(pos, "ts")
    ok, starts = _k.vessel_starts(mmsi, ts)
    if not ok:  # store day files are sorted already: no sort then
        pos = pos.sort_by([("mmsi", "ascending"), ("ts", "ascending")])
        mmsi = pos.column("mmsi").to_numpy()
        ts = _us(pos, "ts")
        ok, starts = _k.vessel_starts(mmsi, ts)
    ends = np.r_[starts[1:], len(ts)].astype(np.int64)
    vessel_ids = np.asarray(mmsi[starts], dtype=np.int64)
    nv = len(starts)
    batch = max(1, min(n_scenes, _BATCH_CELLS // max(nv, 1)))
    t0 = int(ts.min()) if len(ts) else 0
    width = (int(ts.max()) - t0 + 1) // _BUCKETS + 1 if len(ts) else 1
    return _Positions(
        ts=ts,
        lat=_f(pos, "lat"),
        lon=_f(pos, "lon"),
        sog=_f_narrow(pos, "sog_kn"),
        cog=_f_narrow(pos, "cog_deg"),
        starts=starts,
        ends=ends,
        mmsi=vessel_ids,
        vlen=_lengths(lengths, vessel_ids),
        tindex=_k.time_index(starts, ends, ts, t0, width, _BUCKETS),
        t0=t0,
        width=width,
        out_f=np.empty((2, batch, 2, nv), np.float64),
        out_i=np.empty((2, batch, 2, nv), np.int64),
    )


def _lengths(lengths: pa.Table | None, vessel_ids: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Each vessel's length: the last positive ``length_m`` of its mmsi in ``lengths``."""
    out = np.full(len(vessel_ids), np.nan)
    if lengths is None or lengths.num_rows == 0 or len(vessel_ids) == 0:
        return out
    m = lengths.column("mmsi")
    v = lengths.column("length_m").cast(pa.float64())
    keep = pc.and_(pc.and_(pc.is_valid(m), pc.is_valid(v)), pc.greater(v, 0.0))
    keep = pc.fill_null(keep, False)
    mm = np.asarray(m.filter(keep).cast(pa.int64()).to_numpy(), dtype=np.int64)
    vv = np.asarray(v.filter(keep).to_numpy(), dtype=np.float64)
    if len(mm) == 0:
        return out
    # the last row of each mmsi wins (as a dict filled in row order)
    keys, first_rev = np.unique(mm[::-1], return_index=True)
    vals = vv[::-1][first_rev]
    at = np.searchsorted(keys, vessel_ids)
    at_c = np.minimum(at, len(keys) - 1)
    found = (at < len(keys)) & (keys[at_c] == vessel_ids)
    out[found] = vals[at_c[found]]
    return out


def _locate(
    p: _Positions, times_us: list[int], params: DarkParams, buf: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Run :func:`_dark_kernels.locate` for a batch of scenes into buffer ``buf``."""
    q = len(times_us)
    of, oi = p.out_f[buf, :q], p.out_i[buf, :q]
    _k.locate(
        p.starts,
        p.ends,
        p.ts,
        p.lat,
        p.lon,
        p.tindex,
        p.t0,
        p.width,
        np.asarray(times_us, np.int64),
        int(params.window_h * US_PER_H),
        int(params.gap_lookback_h * US_PER_H),
        of,
        oi,
    )
    return of, oi


def _vessels(
    p: _Positions, t_us: int, f: np.ndarray[Any, Any], i: np.ndarray[Any, Any]
) -> _Vessels:
    """The vessels at ``t_us`` from :func:`_locate`'s buffers: the vessels with one fix in
    the window extrapolated with its speed and course."""
    side = i[1] & (_k.HAS_PREV | _k.HAS_NEXT)
    ext = np.flatnonzero((side == _k.HAS_PREV) | (side == _k.HAS_NEXT))
    if len(ext):
        after = side[ext] == _k.HAS_NEXT
        k = i[0, ext] + after
        sign = np.where(after, -1.0, 1.0)
        dt = sign * (t_us - p.ts[k]) / US_PER_H
        sog = np.asarray(p.sog[k], dtype=np.float64)
        cog = np.asarray(p.cog[k], dtype=np.float64)
        known = ~np.isnan(sog) & ~np.isnan(cog)
        dist = np.where(known, np.nan_to_num(sog) * M_PER_NM * dt, 0.0)
        f[0, ext], f[1, ext] = _move(p.lat[k], p.lon[k], np.nan_to_num(cog), dist)
    return _Vessels(p, t_us, f, i)


def _pairs(
    dlat: np.ndarray[Any, Any],
    dlon: np.ndarray[Any, Any],
    vlat: np.ndarray[Any, Any],
    vlon: np.ndarray[Any, Any],
    radius_m: float,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(detection, vessel, distance) within ``radius_m`` (great circle), among the pairs
    in neighbouring cubes of a grid of the unit sphere (:func:`_dark_kernels.cell_join`):
    no pair is missed near the poles or across the antimeridian."""
    if len(dlat) == 0 or len(vlat) == 0:
        e = np.array([], np.int64)
        return e, e, np.array([], np.float64)
    cell = radius_m / EARTH_RADIUS_M * (1.0 + 1e-9)
    di, vi = _k.cell_join(dlat, dlon, vlat, vlon, cell)
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


@dataclass(frozen=True, slots=True)
class _Dets:
    """All detections, as arrays (a scene is an index array into them)."""

    ts: np.ndarray[Any, Any]
    lat: np.ndarray[Any, Any]
    lon: np.ndarray[Any, Any]
    length: np.ndarray[Any, Any]
    heading: np.ndarray[Any, Any]
    ids: list[Any]
    ids_js: list[str]
    scene_js: list[str]
    source_js: list[str]
    ids_a: pa.Array
    """``ids_js`` as an Arrow array (and the next two)."""
    scene_a: pa.Array
    source_a: pa.Array


def match_detections(
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
    footprints: dict[str, bytes | None] = {}
    if scenes is not None:
        for r in scenes.select(["scene_id", "footprint"]).to_pylist():
            footprints[r["scene_id"]] = r["footprint"]
    dets = detections.filter(pc.is_valid(detections.column("ts")))
    scene_raw = dets.column("scene_id").to_pylist()
    source_raw = dets.column("source").to_pylist()
    ids = dets.column("detection_id").to_pylist()
    d = _Dets(
        ts=_us(dets, "ts"),
        lat=_f(dets, "lat"),
        lon=_f(dets, "lon"),
        length=_f(dets, "length_m"),
        heading=_f(dets, "heading_deg"),
        ids=ids,
        ids_js=(ids_js := _rows.js_strings(ids)),
        scene_js=(scene_js := _rows.js_strings(scene_raw)),
        source_js=(source_js := _rows.js_strings(source_raw)),
        ids_a=pa.array(ids_js, pa.string()),
        scene_a=pa.array(scene_js, pa.string()),
        source_a=pa.array(source_js, pa.string()),
    )
    groups: dict[tuple[str, str, int], list[int]] = {}
    for i, (s, src, t) in enumerate(zip(scene_raw, source_raw, d.ts.tolist(), strict=True)):
        src = src or ""
        key = (s, src, 0) if s else ("", src, t)
        groups.setdefault(key, []).append(i)
    order = [(k[0], np.asarray(idx, np.int64)) for k, idx in sorted(groups.items())]
    p = _prepare(positions, lengths, len(order))
    out = _rows.Out(params)
    size = p.out_f.shape[1]
    parts = [order[b : b + size] for b in range(0, len(order), size)]
    times = [[int(np.median(d.ts[idx])) for _, idx in part] for part in parts]
    # the next batch is located and paired (numba and large numpy operations, which
    # release the GIL) in a second thread while this one is matched and written
    with ThreadPoolExecutor(max_workers=1) as pool:
        nxt = pool.submit(_batch, p, d, _part_idx(parts, 0), times[0], params, 0) if parts else None
        for n, part in enumerate(parts):
            assert nxt is not None
            located = nxt.result()
            if n + 1 < len(parts):
                nxt = pool.submit(
                    _batch, p, d, _part_idx(parts, n + 1), times[n + 1], params, (n + 1) % 2
                )
            for (scene_id, idx), (v, pairs) in zip(part, located, strict=True):
                fp = footprints.get(scene_id) if scene_id else None
                _match_scene(idx, v, pairs, d, p, params, fp, geo, out)
    return out.table()


def _part_idx(
    parts: list[list[tuple[str, np.ndarray[Any, Any]]]], n: int
) -> list[np.ndarray[Any, Any]]:
    return [idx for _, idx in parts[n]]


_Pairs = tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]


def _batch(
    p: _Positions,
    dd: _Dets,
    idxs: list[np.ndarray[Any, Any]],
    times_us: list[int],
    params: DarkParams,
    buf: int,
) -> list[tuple[_Vessels, _Pairs]]:
    """A batch of scenes located (in buffer ``buf``), and each scene's (detection,
    vessel, distance) pairs within ``nearest_radius_m``."""
    of, oi = _locate(p, times_us, params, buf)
    out = []
    for idx, t_us, f, i in zip(idxs, times_us, of, oi, strict=True):
        v = _vessels(p, t_us, f, i)
        di, vj, dist = _pairs(
            dd.lat[idx], dd.lon[idx], v.cand_lat, v.cand_lon, params.nearest_radius_m
        )
        out.append((v, (di, v.cand[vj], dist)))
    return out


def _match_scene(
    idx: np.ndarray[Any, Any],
    v: _Vessels,
    pairs: _Pairs,
    dd: _Dets,
    p: _Positions,
    params: DarkParams,
    footprint: bytes | None,
    geo: GeoContext | None,
    out: _rows.Out,
) -> None:
    t_det = dd.ts[idx]
    dlat, dlon = dd.lat[idx], dd.lon[idx]
    dlen, dhead = dd.length[idx], dd.heading[idx]
    cand = v.cand
    di, vi, dist = pairs
    inside = _in_footprint(footprint, v.cand_lat, v.cand_lon)
    need = [vi, v.silent] + ([cand[inside]] if inside is not None else [])
    v.complete(np.unique(np.concatenate(need)), params)
    sigma = v.sigma_m[vi]
    score = np.exp(-0.5 * (dist / sigma) ** 2)
    vlen = p.vlen
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
    det_match, det_pair = _k.greedy(
        order[admissible[order]].astype(np.int64), di, vi, len(idx), len(p.starts)
    )
    taken = set(det_match[det_match >= 0].tolist())
    # detected_by
    md = np.flatnonzero(det_match >= 0)
    ks, vv = det_pair[md], det_match[md]
    gi = idx[md].tolist()
    out.add(
        TYPE_MATCH,
        v.mmsi[vv],
        t_det[md],
        dlat[md],
        dlon[md],
        score[ks],
        [dd.ids[i] for i in gi],
        _rows.join(
            '{"ais_lat": ',
            _rows.jcol(_rows.round_many(v.lat[vv], 6)),
            ', "ais_length_m": ',
            _rows.jcol(_rows.round_many(vlen[vv], 2), null_nan=True),
            ', "ais_lon": ',
            _rows.jcol(_rows.round_many(v.lon[vv], 6)),
            ', "detection_id": ',
            dd.ids_a.take(idx[md]),
            ', "dist_m": ',
            _rows.jcol(_rows.round_many(dist[ks], 1)),
            ', "hours_to_nearest_fix": ',
            _rows.jcol(_rows.round_many(v.dt_h[vv], 3)),
            ', "length_m": ',
            _rows.jcol(_rows.round_many(dlen[md], 2), null_nan=True),
            ', "scene_id": ',
            dd.scene_a.take(idx[md]),
            ', "score": ',
            _rows.jcol(_rows.round_many(score[ks], 4)),
            ', "source": ',
            dd.source_a.take(idx[md]),
        ),
    )
    # dark_detection
    unmatched = np.flatnonzero(det_match < 0)
    n_scene = int(inside.sum()) if inside is not None else len(np.unique(vi))
    mism = _mismatches(unmatched, cand, inside, taken, v, vlen, dlat, dlon, dlen, params)
    silent = v.silent
    port_d, port_name = _ports(geo, dlat[unmatched], dlon[unmatched], params)
    by_det = np.lexsort((vi, dist, di))  # pairs by detection, nearest first
    di_sorted = di[by_det]
    lo = np.searchsorted(di_sorted, unmatched, "left")
    hi = np.minimum(np.searchsorted(di_sorted, unmatched, "right"), lo + 3)
    near_js = [
        f'{{"dist_m": {x}, "mmsi": {m}}}'
        for x, m in zip(
            _rows.jf(_rows.round_many(dist[by_det], 1)), v.mmsi[vi[by_det]].tolist(), strict=True
        )
    ]
    gi = idx[unmatched].tolist()
    tail = (
        f'"ais_vessels_in_scene": {n_scene}, "detection_id": {{}}, '
        f'"footprint_known": {"true" if footprint is not None else "false"}, '
    )
    no_cov = "true" if n_scene == 0 else "false"
    details: list[str] = []
    for d, i, a, b, hd, ln, pm, pn in zip(
        unmatched.tolist(),
        gi,
        lo.tolist(),
        hi.tolist(),
        _rows.jf(_rows.round_many(dhead[unmatched], 2), null_nan=True),
        _rows.jf(_rows.round_many(dlen[unmatched], 2), null_nan=True),
        _rows.jf(_rows.round_many(np.asarray(port_d, np.float64), 2), null_nan=True),
        port_name,
        strict=True,
    ):
        gaps = "[]"
        if len(silent):
            g = _gap_candidates(d, int(t_det[d]), silent, v, dlat, dlon, dlen, vlen, params)
            gaps = json.dumps(g, sort_keys=True)
        mm = mism.get(d)
        details.append(
            f'{{"ais_mismatch_mmsi": {"null" if mm is None else mm[0]}, '
            + tail.format(dd.ids_js[i])
            + f'"gap_candidates": {gaps}, "heading_deg": {hd}, "length_m": {ln}, '
            f'"near_port": {_rows.js(pn)}, "nearest_ais": [{", ".join(near_js[a:b])}], '
            f'"nearest_port_m": {pm}, "no_ais_coverage": {no_cov}, '
            f'"scene_id": {dd.scene_js[i]}, "source": {dd.source_js[i]}'
        )
    out.add(
        TYPE_DARK,
        np.zeros(0, np.int64),
        t_det[unmatched],
        dlat[unmatched],
        dlon[unmatched],
        np.full(len(unmatched), 0.3 if n_scene == 0 else 0.7),
        [dd.ids[i] for i in gi],
        details,
    )
    # ais_mismatch (rare: a footprint and both lengths): the details as a dict
    if mism:
        rows = list(mism.items())
        md = np.array([d for d, _ in rows], np.int64)
        mv = np.array([c for _, (_m, c) in rows], np.int64)
        out.add(
            TYPE_MISMATCH,
            np.array([m for _, (m, _c) in rows], np.int64),
            t_det[md],
            dlat[md],
            dlon[md],
            np.full(len(md), 0.6),
            [dd.ids[int(idx[d])] for d in md],
            [
                json.dumps(
                    {
                        "detection_id": dd.ids[int(idx[d])],
                        "scene_id": json.loads(dd.scene_js[int(idx[d])]),
                        "source": json.loads(dd.source_js[int(idx[d])]),
                        "ais_lat": round(float(v.lat[c]), 6),
                        "ais_lon": round(float(v.lon[c]), 6),
                        "dist_m": round(
                            float(haversine_m(dlat[d], dlon[d], v.lat[c], v.lon[c])), 1
                        ),
                        "length_m": _opt(dlen[d]),
                        "ais_length_m": _opt(vlen[c]),
                        "hours_to_nearest_fix": round(float(v.dt_h[c]), 3),
                    },
                    sort_keys=True,
                )[:-1]
                for d, c in zip(md.tolist(), mv.tolist(), strict=True)
            ],
        )


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
