"""Loitering: seawatch's kernel against MovingPandas ``TrajectoryStopDetector``, same run.

    python benchmarks/loitering.py [--vessels 20] [--days 2] [--seed 1] [--scale 1000000]

Same synthetic tracks for both (vessels alternating 12 kn transits and slow drifts with
20 m GPS jitter, a report every ~3 minutes, far from any coast). Equivalent parameters:

- seawatch: ``LoiteringParams(max_speed_kn=2, min_duration_h=4, speed_window_h=1,
  use_reported_sog=False, min_shore_dist_nm=0, min_port_dist_m=0)``: pure movement, no
  geography filter, so both tools answer the same question;
- MovingPandas: ``max_diameter`` = 2 kn x 4 h = 14 816 m (the farthest a vessel under
  2 kn can go in the minimum duration), ``min_duration`` = 4 h, one process, times given
  as naive UTC (MovingPandas drops time zones).

seawatch's time includes cleaning and segmentation (MovingPandas' does not include
building the TrajectoryCollection either way; we report it separately). Numba kernels are
compiled once before timing (``cache=True``: a fresh process loads them from disk).
``--scale N`` also times seawatch alone on N positions. Needs ``pip install
'seawatch[bench]'`` (movingpandas, geopandas).
"""

from __future__ import annotations

import argparse
import math
import platform
import time
import warnings
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from seawatch.detect import FakeGeo, LoiteringParams, loitering
from seawatch.schema import POSITIONS

T0 = datetime(2024, 3, 1, tzinfo=UTC)
NM_DEG = 1852 / 111_195.0
PARAMS = LoiteringParams(
    max_speed_kn=2.0,
    min_duration_h=4.0,
    speed_window_h=1.0,
    use_reported_sog=False,
    min_shore_dist_nm=0.0,
    min_port_dist_m=0.0,
)
MAX_DIAMETER_M = PARAMS.max_speed_kn * 1852.0 * PARAMS.min_duration_h
GEO = FakeGeo(coast_lon=-180.0)


def synth(n_vessels: int, days: float, seed: int) -> pa.Table:
    """Tracks alternating transits (12 kn, 2-10 h) and drifts (0.2-1.2 kn, 2-10 h)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, list[np.ndarray]] = {"mmsi": [], "ts": [], "lat": [], "lon": [], "sog": []}
    end_s = days * 86_400
    for v in range(n_vessels):
        t, lat, lon = float(rng.uniform(0, 3600)), rng.uniform(10, 20), rng.uniform(-40, -30)
        slow = bool(rng.integers(0, 2))
        while t < end_s:
            dur = rng.uniform(2, 10) * 3600
            speed = rng.uniform(0.2, 1.2) if slow else 12.0
            course = math.radians(rng.uniform(0, 360))
            n = max(int(dur / 180), 1)
            dt = rng.uniform(150, 210, n)
            tt = t + np.cumsum(dt)
            dist_nm = speed * np.cumsum(dt) / 3600
            la = lat + dist_nm * NM_DEG * math.cos(course)
            lo = lon + dist_nm * NM_DEG * math.sin(course) / math.cos(math.radians(lat))
            la = la + rng.normal(0, 20 / 111_195, n)  # GPS jitter
            lo = lo + rng.normal(0, 20 / 111_195, n)
            cols["mmsi"].append(np.full(n, 200_000_000 + v))
            cols["ts"].append(tt)
            cols["lat"].append(la)
            cols["lon"].append(lo)
            cols["sog"].append(np.full(n, speed) + rng.normal(0, 0.1, n))
            t, lat, lon, slow = float(tt[-1]), float(la[-1]), float(lo[-1]), not slow
    ts = (np.concatenate(cols["ts"]) * 1e6).astype(np.int64) + int(T0.timestamp() * 1e6)
    n = len(ts)
    arrays = {
        "mmsi": pa.array(np.concatenate(cols["mmsi"]), pa.uint32()),
        "ts": pa.array(ts, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "lat": pa.array(np.concatenate(cols["lat"])),
        "lon": pa.array(np.concatenate(cols["lon"])),
        "sog_kn": pa.array(np.concatenate(cols["sog"]).astype(np.float32)),
    }
    for f in POSITIONS:
        if f.name not in arrays:
            arrays[f.name] = pa.nulls(n, f.type)
    return pa.table(arrays, schema=POSITIONS)


def run_seawatch(table: pa.Table) -> tuple[float, pa.Table]:
    t = time.perf_counter()
    ev = loitering(table, params=PARAMS, geo=GEO)
    return time.perf_counter() - t, ev


def run_movingpandas(table: pa.Table) -> tuple[float, float, list[tuple[int, datetime, datetime]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import geopandas as gpd
        import movingpandas as mpd

    df = table.select(["mmsi", "ts", "lat", "lon"]).to_pandas()
    df["ts"] = df["ts"].dt.tz_convert("UTC").dt.tz_localize(None)
    t = time.perf_counter()
    gdf = gpd.GeoDataFrame(
        df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326"
    ).set_index("ts")
    tc = mpd.TrajectoryCollection(gdf, "mmsi")
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    ranges = mpd.TrajectoryStopDetector(tc, n_processes=1).get_stop_time_ranges(
        max_diameter=MAX_DIAMETER_M, min_duration=timedelta(hours=PARAMS.min_duration_h)
    )
    detect_s = time.perf_counter() - t
    out = [(int(r.traj_id), r.t_0, r.t_n) for r in ranges]
    return build_s, detect_s, out


def agreement(ev: pa.Table, mp: list[tuple[int, datetime, datetime]]) -> tuple[int, int]:
    """(seawatch events overlapping a MovingPandas stop, MP stops overlapping an event)."""
    ours = [
        (int(v[0]), s, e)
        for v, s, e in zip(
            ev.column("vessels").to_pylist(),
            ev.column("start").to_pylist(),
            ev.column("end").to_pylist(),
            strict=True,
        )
    ]

    def _utc(x: datetime) -> datetime:
        return x if x.tzinfo else x.replace(tzinfo=UTC)

    mp_u = [(m, _utc(s), _utc(e)) for m, s, e in mp]
    a = sum(any(m == m2 and s <= e2 and s2 <= e for m2, s2, e2 in mp_u) for m, s, e in ours)
    b = sum(any(m == m2 and s <= e2 and s2 <= e for m2, s2, e2 in ours) for m, s, e in mp_u)
    return a, b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--vessels", type=int, default=20)
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=int, default=0, help="also time seawatch on ~N positions")
    args = ap.parse_args()

    table = synth(args.vessels, args.days, args.seed)
    run_seawatch(table.slice(0, 2000))  # compile / load the numba kernels
    sw_s = min(run_seawatch(table)[0] for _ in range(3))
    _, ev = run_seawatch(table)
    build_s, mp_s, mp = run_movingpandas(table)
    a, b = agreement(ev, mp)
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print(f"positions: {table.num_rows:,} ({args.vessels} vessels x {args.days} days)")
    print(f"seawatch loitering: {sw_s * 1e3:.1f} ms, {ev.num_rows} events")
    print(
        f"movingpandas TrajectoryStopDetector: {mp_s:.2f} s (+ {build_s:.2f} s to build "
        f"the TrajectoryCollection), {len(mp)} stops"
    )
    print(
        f"speed-up: {mp_s / sw_s:,.0f}x (detector only), {(mp_s + build_s) / sw_s:,.0f}x (with build)"
    )
    print(
        f"agreement: {a}/{ev.num_rows} seawatch events overlap an MP stop; {b}/{len(mp)} MP stops overlap an event"
    )
    if args.scale:
        per = table.num_rows / args.vessels
        big = synth(max(int(args.scale / per), 1), args.days, args.seed + 1)
        s, ev2 = run_seawatch(big)
        print(
            f"seawatch alone: {big.num_rows:,} positions in {s:.2f} s ({big.num_rows / s / 1e6:.2f} M pos/s), {ev2.num_rows} events"
        )


if __name__ == "__main__":
    main()
