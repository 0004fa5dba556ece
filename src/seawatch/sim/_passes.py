"""Satellite passes over a scenario: scenes and vessel detections with known identities.

A pass images a rectangle (its footprint) at one time. Every vessel whose *true* position
(the track, whatever it broadcasts) lies in the footprint is detected with a probability
that grows with its length; its detected position has a random error, its length and
heading too. Clutter (waves, rocks, wind turbines) adds false detections. The truth
(``detections_truth.json``) says which detection is which vessel and what the vessel's AIS
was doing at the time:

- ``ais``: the vessel broadcast normally: the matcher should link it (``detected_by``);
- ``dark``: the vessel was silent (a ``silent`` window): a ``dark_detection``;
- ``spoof``: the vessel broadcast a false position (a ``spoof`` window): a
  ``dark_detection``, and an ``ais_mismatch`` on the vessel when the false position lies
  in the footprint (it was imaged there and nothing was seen);
- ``clutter``: no vessel; ``outside``: clutter placed outside the scene footprint (a
  geolocation error), which ingest must reject (``outside_footprint``).

Outputs: ``detections.csv`` (the generic detections format with ``detection_id``) and
``footprints.geojson`` (one polygon per scene, with ``scene_id``, ``ts_start``, ``ts_end``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch.sim._scenario import SatellitePass, Scenario
from seawatch.sim._track import vessel_tracks

KINDS: tuple[str, ...] = ("ais", "dark", "spoof", "clutter", "outside")


@dataclass(frozen=True, slots=True)
class SensorParams:
    """How the simulated sensor sees vessels (SAR-like defaults)."""

    p_detect_min: float = 0.2
    """Detection probability of a vessel ``min_length_m`` long ..."""
    p_detect_max: float = 0.97
    """... rising linearly to this at ``full_length_m`` and above."""
    min_length_m: float = 10.0
    full_length_m: float = 60.0
    pos_error_m: float = 60.0
    """Position error, standard deviation per axis."""
    length_error_frac: float = 0.08
    heading_error_deg: float = 15.0
    clutter_per_pass: float = 1.0
    """Mean number of false detections per scene (Poisson)."""
    pad_deg: float = 0.3
    """An automatic footprint is the vessels' bounding box padded by this much."""


@dataclass(frozen=True, slots=True)
class PassesResult:
    paths: dict[str, Path]
    truth: tuple[dict[str, Any], ...]
    n_scenes: int


def auto_passes(
    scenario: Scenario, n: int, *, source: str = "sentinel1"
) -> tuple[SatellitePass, ...]:
    """``n`` passes evenly spread over the scenario, footprints over all vessels."""
    if n < 1:
        raise ParameterError("--satellite-passes must be >= 1")
    step = scenario.duration_h / (n + 1)
    return tuple(SatellitePass(at_h=step * (k + 1), source=source) for k in range(n))


def _received_times(positions: pa.Table | None) -> dict[int, np.ndarray[Any, Any]]:
    if positions is None or positions.num_rows == 0:
        return {}
    rec = positions.filter(pc.fill_null(positions.column("received"), False))
    mm = rec.column("mmsi").to_numpy()
    ts = rec.column("ts").cast(pa.int64()).to_numpy() / 1e6
    return {int(m): np.sort(ts[mm == m]) for m in np.unique(mm)}


def _nearest(fixes: dict[int, np.ndarray[Any, Any]], mmsis: Any, t: float) -> dict[str, Any]:
    if not fixes:
        return {}
    all_t = np.sort(np.concatenate([fixes.get(int(m), np.zeros(0)) for m in mmsis]))
    before = all_t[all_t <= t]
    after = all_t[all_t > t]
    return {
        "fix_before_h": round(float(t - before[-1]) / 3600.0, 3) if len(before) else None,
        "fix_after_h": round(float(after[0] - t) / 3600.0, 3) if len(after) else None,
    }


def _in_window(windows: Any, h: float) -> Any:
    for w in windows:
        if w.start_h <= h < w.end_h:
            return w
    return None


def satellite_passes(
    scenario: Scenario,
    out_dir: str | Path,
    *,
    passes: tuple[SatellitePass, ...] | None = None,
    params: SensorParams = SensorParams(),
    positions: pa.Table | None = None,
) -> PassesResult:
    """Simulate ``passes`` (default: the scenario's own) into ``out_dir``. ``positions``
    (the reports :func:`~seawatch.sim.simulate` sent, ``TRUE_POSITIONS``) add to the truth
    the hours from each pass to the vessel's nearest received AIS report before and after
    (``fix_before_h``, ``fix_after_h``)."""
    chosen = passes if passes is not None else scenario.passes
    fixes = _received_times(positions)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tracks = vessel_tracks(scenario)
    rows: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    features: list[dict[str, Any]] = []
    for k, sp in enumerate(chosen):
        rng = np.random.default_rng([scenario.seed, 11, k, int(sp.at_h * 3600)])
        t_s = sp.at_h * 3600.0
        when = scenario.start + timedelta(hours=sp.at_h)
        iso = when.isoformat().replace("+00:00", "Z")
        scene = f"{scenario.name}-pass{k + 1}"
        states = [tr.at(np.array([t_s])) for tr in tracks]
        lat = np.array([s.lat[0] for s in states])
        lon = np.array([s.lon[0] for s in states])
        if sp.footprint is not None:
            lat0, lon0, lat1, lon1 = sp.footprint
        else:
            ok = ~np.isnan(lat)
            if not ok.any():
                continue
            lat0, lat1 = (
                float(lat[ok].min()) - params.pad_deg,
                float(lat[ok].max()) + params.pad_deg,
            )
            lon0, lon1 = (
                float(lon[ok].min()) - params.pad_deg,
                float(lon[ok].max()) + params.pad_deg,
            )
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
                    ],
                },
                "properties": {
                    "scene_id": scene,
                    "ts_start": iso,
                    "ts_end": iso,
                    "source": sp.source,
                },
            }
        )
        found: list[tuple[float, float, float | None, float | None, dict[str, Any]]] = []

        for vi, v in enumerate(scenario.vessels):
            if np.isnan(lat[vi]) or not (lat0 <= lat[vi] <= lat1 and lon0 <= lon[vi] <= lon1):
                continue
            length = v.length_m if v.length_m > 0 else 30.0
            frac = (length - params.min_length_m) / (params.full_length_m - params.min_length_m)
            p = params.p_detect_min + np.clip(frac, 0, 1) * (
                params.p_detect_max - params.p_detect_min
            )
            if rng.random() >= p:
                continue
            err = rng.normal(0.0, params.pos_error_m, 2)
            la = lat[vi] + err[0] / 111_320.0
            lo = lon[vi] + err[1] / (111_320.0 * np.cos(np.radians(lat[vi])))
            est_len = length * (1 + rng.normal(0.0, params.length_error_frac))
            hd = states[vi].heading_deg[0]
            heading = (
                None if np.isnan(hd) else float(hd + rng.normal(0.0, params.heading_error_deg))
            )
            kind = "ais"
            info: dict[str, Any] = {"mmsi": v.mmsi, **_nearest(fixes, v.mmsis, when.timestamp())}
            if _in_window(v.silent, sp.at_h) is not None or sp.at_h < v.start_h:
                kind = "dark"
            spoof = _in_window(v.spoof, sp.at_h)
            if spoof is not None:
                kind = "spoof"
                info["broadcast_in_footprint"] = bool(
                    lat0 <= spoof.lat <= lat1 and lon0 <= spoof.lon <= lon1
                )
            found.append(
                (float(la), float(lo), est_len, heading, {**info, "kind": kind, "length_m": length})
            )
        clutter = (
            sp.clutter if sp.clutter is not None else int(rng.poisson(params.clutter_per_pass))
        )
        for _ in range(clutter):
            la = float(rng.uniform(lat0, lat1))
            lo = float(rng.uniform(lon0, lon1))
            found.append(
                (la, lo, float(rng.uniform(8, 40)), None, {"mmsi": None, "kind": "clutter"})
            )
        for _ in range(sp.outside):
            found.append((lat1 + 0.5, lon1 + 0.5, 100.0, None, {"mmsi": None, "kind": "outside"}))
        for n, (f_lat, f_lon, f_len, f_head, info) in enumerate(found, start=1):
            did = f"{scene}-{n}"
            rows.append(
                {
                    "detection_id": did,
                    "time": iso,
                    "lat": round(f_lat, 6),
                    "lon": round(f_lon, 6),
                    "length_m": None if f_len is None else round(f_len, 1),
                    "heading_deg": None if f_head is None else round(f_head % 360.0, 1),
                    "source": sp.source,
                    "scene_id": scene,
                }
            )
            truth.append({"detection_id": did, "scene_id": scene, "time": iso, **info})
    det_path = out / "detections.csv"
    cols = ["detection_id", "time", "lat", "lon", "length_m", "heading_deg", "source", "scene_id"]
    lines = [",".join(cols)]
    for r in rows:
        lines.append(",".join("" if r[c] is None else str(r[c]) for c in cols))
    det_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fp_path = out / "footprints.geojson"
    fp_path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1))
    truth_path = out / "detections_truth.json"
    truth_path.write_text(json.dumps({"scenario": scenario.name, "detections": truth}, indent=1))
    return PassesResult(
        paths={"detections": det_path, "footprints": fp_path, "detections_truth": truth_path},
        truth=tuple(truth),
        n_scenes=len(features),
    )
