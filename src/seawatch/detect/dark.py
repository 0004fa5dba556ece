"""Dark vessels: non-AIS detections (satellite SAR, optical, night lights, radar) matched to AIS.

A pure kernel (DESIGN.md §14): :func:`match_detections` takes detections (schema
``DETECTIONS``), the AIS positions around their times (schema ``POSITIONS``), the scenes
(schema ``SCENES``, optional) and the vessels' AIS lengths, and returns events (schema
``EVENTS``) of three types:

- ``detected_by``: an AIS vessel matched to a detection (one per match: the link from
  the vessel's positions to the scene; details: detection, scene, score, distance).
- ``dark_detection``: a detection no AIS vessel explains, in a scene where AIS vessels
  were heard. Details: the nearest AIS vessels and their distances, the number of AIS
  vessels in the scene, the nearest port, and ``gap_candidates``: vessels whose AIS was
  silent at the detection time, whose last fix was at most ``gap_lookback_h`` earlier, and
  that could have reached the detection at their last speed (the reachability: radius
  ``reach_m`` around the last fix) and whose AIS length agrees with the detected one
  within ``gap_length_tol`` where both are known, best first by the distance from where dead reckoning
  (last speed and course) puts them (``dead_reckoning_dist_m``).
- ``unidentified_detection``: a detection in a scene where no AIS vessel was heard within
  the window (``ais_vessels_in_scene`` 0, ``no_ais_coverage`` true): nothing says the
  vessel is dark rather than that no AIS was received there, so it is not called dark.
  Same details as ``dark_detection`` (its gap candidates may still name a vessel).
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
then), with a per-vessel time index (the rows before each time bucket) and, for the
buckets of the scene times, each vessel's box (the grid cells where it can be then).
Per scene a prefilter keeps the vessels whose box meets a cell within
``nearest_radius_m`` of a detection or the footprint, and those it cannot bound (maybe
silent); only those are located (:mod:`seawatch.detect._dark_scene`): most vessels of a
scene are far from all of its detections, and a vessel left out could pair with none.
The rest of a vessel's state (sigma, dt, speed, course, silence) is computed only for the
vessels a scene asks about (those near a detection, silent ones, those inside the
footprint). Pairs come from a grid of the unit sphere (cubes one radius wide: no pair is
missed near the poles or across the antimeridian), through a hash table of the cubes
around the detections, one lookup per vessel; the assignment is a numba loop; the event
rows are built column-wise (:mod:`seawatch.detect._dark_rows`), the ``detected_by`` rows
of all scenes at once. A second thread prepares the positions while the detections are
read, then locates and pairs the next batch of scenes while one is matched and written.
Trigonometry that reaches an event stays in numpy and each value is computed by the
same expression as in the first, per-scene numpy implementation, which
``tests/detect/_dark_reference.py`` keeps as the oracle: the events are the same, to the
byte.

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
from seawatch._units import M_PER_NM, US_PER_H
from seawatch.detect import _dark_kernels as _k
from seawatch.detect import _dark_rows as _rows
from seawatch.detect import _dark_scene as _scene
from seawatch.detect._base import GeoContext
from seawatch.geo import haversine_m

TYPE_DARK = "dark_detection"
TYPE_MISMATCH = "ais_mismatch"
TYPE_MATCH = "detected_by"
TYPE_UNIDENTIFIED = "unidentified_detection"
TYPES: tuple[str, ...] = (TYPE_MATCH, TYPE_DARK, TYPE_MISMATCH, TYPE_UNIDENTIFIED)


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


_BATCH_CELLS = 1_000_000
"""Scenes handed to the second thread at a time: this many over the number of vessels
(e.g. 10 scenes of 100k vessels)."""


def _angle_diff(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    d: np.ndarray[Any, Any] = np.abs((a - b + 180.0) % 360.0 - 180.0)
    return d


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
    ts = _scene.us(dets, "ts")
    scenes_ = [
        _Scene(idx, int(np.median(ts[idx])), footprints.get(sid) if sid else None)
        for sid, idx in _groups(dets, ts)
    ]
    out = _rows.Out(params)
    matches = _rows.Columns()
    # a second thread prepares the positions while this one prepares the detections,
    # then locates and pairs the next batch of scenes (numba, which releases the GIL)
    # while this one matches and writes the current one
    with ThreadPoolExecutor(max_workers=1) as pool:
        prepared = pool.submit(
            _scene.prepare, positions, lengths, [sc.t_us for sc in scenes_], params
        )
        ids = dets.column("detection_id").to_pylist()
        d = _Dets(
            ts=ts,
            lat=_scene.f64(dets, "lat"),
            lon=_scene.f64(dets, "lon"),
            length=_scene.f64(dets, "length_m"),
            heading=_scene.f64(dets, "heading_deg"),
            ids=ids,
            ids_js=(ids_js := _rows.js_strings(ids)),
            scene_js=(scene_js := _rows.js_strings(scene_raw, few=True)),
            source_js=(source_js := _rows.js_strings(source_raw, few=True)),
            ids_a=pa.array(ids_js, pa.string()),
            scene_a=pa.array(scene_js, pa.string()),
            source_a=pa.array(source_js, pa.string()),
        )
        p = prepared.result()
        size = max(1, _BATCH_CELLS // max(len(p.starts), 1))
        parts = [scenes_[b : b + size] for b in range(0, len(scenes_), size)]
        nxt = pool.submit(_batch, p, d, parts[0], params) if parts else None
        for n, part in enumerate(parts):
            assert nxt is not None
            located = nxt.result()
            if n + 1 < len(parts):
                nxt = pool.submit(_batch, p, d, parts[n + 1], params)
            for sc, (v, pairs) in zip(part, located, strict=True):
                _match_scene(sc.idx, v, pairs, d, params, sc.footprint, geo, out, matches)
    _add_matches(out, matches, d)
    return out.table()


def _ranks(col: pa.ChunkedArray) -> tuple[np.ndarray[Any, Any], list[str]]:
    """Each string's rank among the distinct values (null: ""), in Python's order, and
    the distinct values in that order."""
    enc = pc.dictionary_encode(pc.fill_null(col, "")).combine_chunks()
    values: list[str] = enc.dictionary.to_pylist()
    by_rank = sorted(range(len(values)), key=values.__getitem__)
    rank = np.empty(len(values), np.int64)
    rank[by_rank] = np.arange(len(values))
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), np.int64)
    return rank[codes], [values[i] for i in by_rank]


def _groups(dets: pa.Table, ts: np.ndarray[Any, Any]) -> list[tuple[str, np.ndarray[Any, Any]]]:
    """The detections by scene: ``(scene_id, detection indices)`` per (scene id, source),
    and per (source, time) for those without a scene id (null or ""), ordered by (scene id,
    source, time); indices ascending."""
    n = dets.num_rows
    if n == 0:
        return []
    scene, scene_names = _ranks(dets.column("scene_id"))
    source, _ = _ranks(dets.column("source"))
    t = np.where(scene == 0, ts, 0) if scene_names[0] == "" else np.zeros(n, np.int64)
    order = np.lexsort((np.arange(n), t, source, scene))
    key = np.stack([scene[order], source[order], t[order]])
    cut = np.flatnonzero(np.r_[True, (key[:, 1:] != key[:, :-1]).any(axis=0), True])
    return [
        (scene_names[scene[order[a]]], order[a:b])
        for a, b in zip(cut[:-1].tolist(), cut[1:].tolist(), strict=True)
    ]


@dataclass(frozen=True, slots=True)
class _Scene:
    idx: np.ndarray[Any, Any]
    """Its detections (indices into :class:`_Dets`)."""
    t_us: int
    footprint: bytes | None


_Pairs = tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]


def _batch(
    p: _scene.Positions, dd: _Dets, scenes: list[_Scene], params: DarkParams
) -> list[tuple[_scene.Vessels, _Pairs]]:
    """A batch of scenes: each scene's vessels (:func:`_scene_vessels`) and (detection,
    vessel, distance) pairs within ``nearest_radius_m``."""
    out = []
    for sc in scenes:
        dlat, dlon = dd.lat[sc.idx], dd.lon[sc.idx]
        v = _scene.scene_vessels(p, sc.t_us, dlat, dlon, sc.footprint, params)
        di, vj, dist = _scene.pairs(dlat, dlon, v.cand_lat, v.cand_lon, params.nearest_radius_m)
        out.append((v, (di, v.cand[vj], dist)))
    return out


def _match_scene(
    idx: np.ndarray[Any, Any],
    v: _scene.Vessels,
    pairs: _Pairs,
    dd: _Dets,
    params: DarkParams,
    footprint: bytes | None,
    geo: GeoContext | None,
    out: _rows.Out,
    matches: _rows.Columns,
) -> None:
    t_det = dd.ts[idx]
    dlat, dlon = dd.lat[idx], dd.lon[idx]
    dlen, dhead = dd.length[idx], dd.heading[idx]
    cand = v.cand
    di, vi, dist = pairs
    inside = v.inside
    paired = np.zeros(len(v.sel), np.bool_)
    paired[vi] = True
    need = paired.copy()
    need[v.silent] = True
    if inside is not None:
        need[cand[inside]] = True
    v.complete(np.flatnonzero(need), params)
    sigma = v.sigma_m[vi]
    score = np.exp(-0.5 * (dist / sigma) ** 2)
    vlen = v.vlen
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
        order[admissible[order]].astype(np.int64), di, vi, len(idx), len(v.sel)
    )
    taken = set(det_match[det_match >= 0].tolist())
    # detected_by: the rows of every scene written at the end, at once
    md = np.flatnonzero(det_match >= 0)
    ks, vv = det_pair[md], det_match[md]
    matches.add(
        mmsi=v.mmsi[vv],
        det=idx[md],
        score=score[ks],
        ais_lat=v.lat[vv],
        ais_lon=v.lon[vv],
        ais_length_m=vlen[vv],
        dist_m=dist[ks],
        hours=v.dt_h[vv],
    )
    # dark_detection
    unmatched = np.flatnonzero(det_match < 0)
    n_scene = int(inside.sum()) if inside is not None else int(paired.sum())
    mism = _mismatches(unmatched, cand, inside, taken, v, vlen, dlat, dlon, dlen, params)
    silent = v.silent
    port_d, port_name = _ports(geo, dlat[unmatched], dlon[unmatched], params)
    by_det = np.lexsort((vi, dist, di))  # pairs by detection, nearest first
    di_sorted = di[by_det]
    first = np.searchsorted(di_sorted, unmatched, "left")
    n_near = np.minimum(np.searchsorted(di_sorted, unmatched, "right"), first + 3) - first
    hi = np.cumsum(n_near)
    lo = hi - n_near
    # the pairs listed (the nearest three of each unmatched detection), in that order
    listed = by_det[np.repeat(first - lo, n_near) + np.arange(int(hi[-1]) if len(hi) else 0)]
    near_js = [
        f'{{"dist_m": {x}, "mmsi": {m}}}'
        for x, m in zip(
            _rows.jf(_rows.round_many(dist[listed], 1)), v.mmsi[vi[listed]].tolist(), strict=True
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
        TYPE_UNIDENTIFIED if n_scene == 0 else TYPE_DARK,
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


def _add_matches(out: _rows.Out, m: _rows.Columns, dd: _Dets) -> None:
    """The ``detected_by`` rows of every scene (the event rows are sorted at the end)."""
    if m.n == 0:
        return
    det = m["det"]
    score = m["score"]
    out.add(
        TYPE_MATCH,
        m["mmsi"],
        dd.ts[det],
        dd.lat[det],
        dd.lon[det],
        score,
        [dd.ids[i] for i in det.tolist()],
        _rows.join(
            '{"ais_lat": ',
            _rows.jcol(_rows.round_many(m["ais_lat"], 6)),
            ', "ais_length_m": ',
            _rows.jcol(_rows.round_many(m["ais_length_m"], 2), null_nan=True),
            ', "ais_lon": ',
            _rows.jcol(_rows.round_many(m["ais_lon"], 6)),
            ', "detection_id": ',
            dd.ids_a.take(det),
            ', "dist_m": ',
            _rows.jcol(_rows.round_many(m["dist_m"], 1)),
            ', "hours_to_nearest_fix": ',
            _rows.jcol(_rows.round_many(m["hours"], 3)),
            ', "length_m": ',
            _rows.jcol(_rows.round_many(dd.length[det], 2), null_nan=True),
            ', "scene_id": ',
            dd.scene_a.take(det),
            ', "score": ',
            _rows.jcol(_rows.round_many(score, 4)),
            ', "source": ',
            dd.source_a.take(det),
        ),
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
    v: _scene.Vessels,
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
    dr_lat, dr_lon = _scene.move(
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
    v: _scene.Vessels,
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
