"""Dark-vessel matching speed: detections against a day of AIS positions (issue #11 §4).

    python benchmarks/dark.py [--positions 20000000] [--vessels 100000]
                              [--detections 100000] [--scenes 100]

Builds, in memory, a day of positions (``--vessels`` vessels on straight courses, fixes
evenly spread over 24 h) and ``--detections`` detections in ``--scenes`` scenes spread over
the day, 80 % of them near a vessel's true position (60 m error) and the rest clutter,
then times :func:`seawatch.detect.dark.match_detections` (the kernel; no store, no
geography). Goal: >= 50k detections/s on 2 cores with 100k detections against 20M positions.
Prints one JSON line with the sizes, seconds (wall and CPU, both threads of the matcher;
on a shared machine the CPU seconds vary less), detections/s, the 1-minute load average
after the run, and the match rate; memory:
``peak_rss_mib`` (the whole process, the build included), ``rss_before_match_mib`` (the
inputs in memory) and ``match_peak_rss_mib`` (the peak during matching alone: Linux resets
the peak before it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from seawatch.detect.dark import DEFAULT, match_detections
from seawatch.schema import DETECTIONS, TS

T0_US = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
DAY_US = 86_400_000_000


def build(
    n_pos: int, n_vessels: int, n_det: int, n_scenes: int, seed: int = 1
) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    per = n_pos // n_vessels
    lat0 = rng.uniform(-60, 60, n_vessels)
    lon0 = rng.uniform(-179, 179, n_vessels)
    sog = rng.uniform(0, 20, n_vessels).astype(np.float32)
    cog = rng.uniform(0, 360, n_vessels).astype(np.float32)
    vid = np.repeat(np.arange(n_vessels), per)
    ts = (
        T0_US
        + (np.tile(np.arange(per), n_vessels) * (DAY_US // per))
        + rng.integers(0, 60_000_000, per * n_vessels)
    )
    hours = (ts - T0_US) / 3.6e9
    run = sog[vid] * 1852.0 * hours
    lat = lat0[vid] + run * np.cos(np.radians(cog[vid])) / 111_320.0
    lon = lon0[vid] + run * np.sin(np.radians(cog[vid])) / (
        111_320.0 * np.cos(np.radians(lat0[vid]))
    )
    positions = pa.table(
        {
            "mmsi": pa.array(200_000_000 + vid, pa.uint32()),
            "ts": pa.array(ts, pa.int64()).cast(TS),
            "lat": lat,
            "lon": (lon + 180) % 360 - 180,
            "sog_kn": pa.array(sog[vid]),
            "cog_deg": pa.array(cog[vid]),
        }
    )
    scene_t = T0_US + np.sort(rng.integers(DAY_US // 10, DAY_US - DAY_US // 10, n_scenes))
    scene = rng.integers(0, n_scenes, n_det)
    t = scene_t[scene]
    real = rng.random(n_det) < 0.8
    v = rng.integers(0, n_vessels, n_det)
    h = (t - T0_US) / 3.6e9
    r = sog[v] * 1852.0 * h
    dlat = lat0[v] + r * np.cos(np.radians(cog[v])) / 111_320.0 + rng.normal(0, 60, n_det) / 111_320
    dlon = lon0[v] + r * np.sin(np.radians(cog[v])) / (111_320.0 * np.cos(np.radians(lat0[v])))
    dlat = np.where(real, dlat, rng.uniform(-60, 60, n_det))
    dlon = np.where(real, dlon, rng.uniform(-179, 179, n_det))
    dets = pa.table(
        {
            "detection_id": pa.array([f"d{i}" for i in range(n_det)]),
            "source": pa.array(["sentinel1"] * n_det),
            "scene_id": pa.array([f"s{k}" for k in scene]),
            "ts": pa.array(t, pa.int64()).cast(TS),
            "lat": np.clip(dlat, -90, 90),
            "lon": (dlon + 180) % 360 - 180,
            "length_m": pa.nulls(n_det, pa.float32()),
            "width_m": pa.nulls(n_det, pa.float32()),
            "heading_deg": pa.nulls(n_det, pa.float32()),
            "speed_kn": pa.nulls(n_det, pa.float32()),
            "score": pa.nulls(n_det, pa.float32()),
            "raw": pa.nulls(n_det, pa.string()),
        },
        schema=DETECTIONS,
    )
    return dets, positions


def _vm_kib(field: str) -> int | None:
    """``VmRSS`` / ``VmHWM`` of this process in KiB (Linux), None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the peak RSS (``VmHWM``) so that it measures the matcher, not the build."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--positions", type=int, default=20_000_000)
    ap.add_argument("--vessels", type=int, default=100_000)
    ap.add_argument("--detections", type=int, default=100_000)
    ap.add_argument("--scenes", type=int, default=100)
    args = ap.parse_args()
    t0 = time.perf_counter()
    dets, positions = build(args.positions, args.vessels, args.detections, args.scenes)
    built = time.perf_counter() - t0
    rss_before = _vm_kib("VmRSS")
    reset = _reset_peak()
    t1, c1 = time.perf_counter(), time.process_time()
    events = match_detections(dets, positions, params=DEFAULT)
    secs, cpu = time.perf_counter() - t1, time.process_time() - c1
    match_peak = _vm_kib("VmHWM") if reset else None
    types = events.column("type").to_pylist()
    out: dict[str, Any] = {
        "positions": positions.num_rows,
        "vessels": args.vessels,
        "detections": dets.num_rows,
        "scenes": args.scenes,
        "build_s": round(built, 2),
        "match_s": round(secs, 2),
        "detections_per_s": round(dets.num_rows / secs),
        "match_cpu_s": round(cpu, 2),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "matched": types.count("detected_by"),
        "dark": types.count("dark_detection"),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rss_before_match_mib": None if rss_before is None else round(rss_before / 1024),
        "match_peak_rss_mib": None if match_peak is None else round(match_peak / 1024),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
