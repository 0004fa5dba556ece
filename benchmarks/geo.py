"""Benchmark of seawatch.geo kernels against plain shapely 2 vectorised calls (same run).

    python benchmarks/geo.py [--points 2000000] [--baseline-points 200000]

Two point sets: uniform in the zone box (125W-45W, 25S-40N) and real AIS positions (the 99,999
NOAA 2022-01-03 rows of ../shared/data/noaa-ais-20220103-vesselsummaryais, all US waters, else
the bundled 2,391-row Caribbean sample), repeated to the requested size. Rates are points per CPU second of this
process (``time.process_time``, best of 3; every kernel runs on one core), so that other jobs
on a shared machine do not distort them; wall-clock rates are printed beside them.

* zone membership: ``zones().membership`` (all bundled zones: 3 regions + 3 bands x countries)
  vs. ``shapely.contains_xy(prepared zone, lon, lat)`` for every zone;
* land: ``on_land`` vs. ``contains_xy(prepared land)``;
* distance to shore: ``distance_to_shore_m`` (great-circle metres) vs. the nearest coast segment
  from ``STRtree.query_nearest`` (planar degrees, i.e. not even the same quantity: the cheapest
  shapely answer).
"""

from __future__ import annotations

import argparse
import gzip
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv
import shapely

from seawatch import geo

REPO = Path(__file__).resolve().parent.parent
# 99,999 real positions all over US waters (NOAA 2022-01-03), else the small bundled sample
NATIONWIDE = REPO.parent / "shared/data/noaa-ais-20220103-vesselsummaryais/data/AISdata.csv"
SAMPLE = REPO / "src/seawatch/data/samples/noaa_caribbean_20220103.csv.gz"


def rate(fn: Callable[[], Any], n: int, repeat: int = 3) -> tuple[float, float]:
    """(points per CPU second, points per wall second), best of ``repeat``."""
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        c0 = time.process_time()
        w0 = time.perf_counter()
        fn()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return n / max(best_cpu, 1e-9), n / max(best_wall, 1e-9)


def _contains_all(geoms: list[Any], lon: np.ndarray, lat: np.ndarray) -> list[np.ndarray]:
    return [shapely.contains_xy(g, lon, lat) for g in geoms]


def ais_points(n: int) -> tuple[np.ndarray, np.ndarray]:
    if NATIONWIDE.is_file():
        table = pacsv.read_csv(NATIONWIDE)
    else:
        with gzip.open(SAMPLE, "rb") as fh:
            table = pacsv.read_csv(fh)
    cols = {c.lower(): c for c in table.column_names}
    lat = table.column(cols["lat"]).to_numpy().astype(np.float64)
    lon = table.column(cols["lon"]).to_numpy().astype(np.float64)
    reps = int(np.ceil(n / len(lat)))
    return np.tile(lat, reps)[:n], np.tile(lon, reps)[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=2_000_000)
    ap.add_argument("--baseline-points", type=int, default=200_000)
    args = ap.parse_args()
    n, nb = args.points, args.baseline_points
    rng = np.random.default_rng(0)
    sets = {
        "uniform box": (rng.uniform(-25, 40, n), rng.uniform(-125, -45, n)),
        "NOAA AIS": ais_points(n),
    }
    zs = geo.zones()
    t0 = time.perf_counter()
    zs.membership(np.zeros(1), np.zeros(1))
    geo.distance_to_shore_m(np.zeros(1), np.zeros(1))
    print(f"first use (load + index, numba cache warm): {time.perf_counter() - t0:.2f} s")
    geoms = [z.geometry for z in zs]
    for g in geoms:
        shapely.prepare(g)
    land = geo.land_geometry()
    shapely.prepare(land)
    coast = shapely.get_parts(
        shapely.segmentize(shapely.clip_by_rect(land, -130, -30, -40, 45).boundary, 0.05)
    )
    coast_lines = np.concatenate(
        [
            shapely.linestrings(np.stack([c[:-1], c[1:]], axis=1))
            for c in (shapely.get_coordinates(line) for line in coast)
        ]
    )
    tree = shapely.STRtree(coast_lines)

    print(f"zones: {len(zs)}; points: {n:,} (baselines on the first {nb:,})")
    print("| points | kernel | seawatch pts/s (cpu) | shapely pts/s (cpu) | ratio | wall pts/s |")
    print("|---|---|---|---|---|---|")
    for label, (lat, lon) in sets.items():
        bl, bo = lat[:nb], lon[:nb]
        ours = rate(partial(zs.membership, lat, lon), n)
        base = rate(partial(_contains_all, geoms, bo, bl), nb, 1)
        print(
            f"| {label} | zone membership ({len(zs)} zones) | {ours[0] / 1e6:.2f} M "
            f"| {base[0] / 1e6:.3f} M | {ours[0] / base[0]:.0f}x | {ours[1] / 1e6:.2f} M |"
        )
        ours = rate(partial(geo.on_land, lat, lon), n)
        base = rate(partial(shapely.contains_xy, land, bo, bl), nb, 1)
        print(
            f"| {label} | on_land | {ours[0] / 1e6:.2f} M | {base[0] / 1e6:.3f} M "
            f"| {ours[0] / base[0]:.0f}x | {ours[1] / 1e6:.2f} M |"
        )
        ours = rate(partial(geo.distance_to_shore_m, lat, lon), n, 1)
        pts = shapely.points(bo, bl)
        base = rate(partial(tree.query_nearest, pts, return_distance=True), nb, 1)
        print(
            f"| {label} | distance to shore | {ours[0] / 1e6:.2f} M | {base[0] / 1e6:.3f} M "
            f"| {ours[0] / base[0]:.1f}x | {ours[1] / 1e6:.2f} M |"
        )
        ours = rate(partial(geo.nearest_port, lat, lon), n, 1)
        print(f"| {label} | nearest port | {ours[0] / 1e6:.2f} M | | | {ours[1] / 1e6:.2f} M |")


if __name__ == "__main__":
    main()
