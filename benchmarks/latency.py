"""Small-store latency (issue #13 §1): whole-process commands against their peers, one run.

    python benchmarks/latency.py [--positions 100000] [--repeat 3] [--skip-cold] [--skip-mp]
                                 [--python PATH]

``--python``: the interpreter that runs every ``seawatch`` process (default: this one). To
measure seawatch as a user installs it, give a venv made by ``pip install .`` (no extras):

    python -m venv /tmp/sw && /tmp/sw/bin/pip install . && \
        python benchmarks/latency.py --python /tmp/sw/bin/python

The difference matters: in a development venv pandas is installed (the test extras), and
pyarrow imports it on its first ``pa.array`` call in every process (about 0.2-0.4 s); a plain
install has no pandas. MovingPandas always runs in this interpreter (it needs pandas).

Measures, as ratios inside one run (the shared machine's load moves absolute times):

1. ``seawatch detect --store S`` as a whole process (interpreter start, imports, the bundled
   geography, every detector, writing the events) on a store of ``--positions`` synthetic
   positions, against MovingPandas ``TrajectoryStopDetector.get_stop_time_ranges`` alone (in
   this process, its input already built) on the same positions. The positions are the
   loitering benchmark's tracks (12 kn transits alternating with 0.2-1.2 kn drifts, a report
   every ~3 min, mid-Atlantic); MovingPandas gets the loitering parameters (4 h, 14.8 km).
   Best of ``--repeat`` for seawatch, one MovingPandas run (it takes tens of seconds).
2. ``seawatch --help`` and ``seawatch events --store S`` (a table of its events) against
   ``python -c "import seawatch"`` (each a whole process, best of ``--repeat``).
3. The first ``seawatch demo`` with cold caches: an empty ``NUMBA_CACHE_DIR`` (numba
   compiles every kernel the demo uses) and an empty ``SEAWATCH_CACHE_DIR`` (the geography
   indexes are built), its wall time and the longest silence on its stderr/stdout (a pause
   with no line printed); then the same demo warm, in a fresh store.

Prints one JSON object (times in seconds).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))

from loitering import MAX_DIAMETER_M, PARAMS, synth

SEAWATCH = [sys.executable, "-m", "seawatch"]  # --python replaces the interpreter


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # an installed package has its bytecode compiled (pip does it); a shell that forbids
    # writing it would make every process compile seawatch's sources again (~0.3 s)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra)
    return env


def timed(cmd: list[str], *, env: dict[str, str] | None = None) -> float:
    t = time.perf_counter()
    subprocess.run(
        cmd, check=True, env=env or _env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - t


def best(cmd: list[str], repeat: int, *, env: dict[str, str] | None = None) -> float:
    return min(timed(cmd, env=env) for _ in range(repeat))


def timed_with_silence(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str, list[str]]:
    """Wall time, the longest gap between two output lines (or start/end), the line that
    came before that gap, the lines."""
    t0 = time.perf_counter()
    stamps = [t0]
    lines: list[str] = []
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        stamps.append(time.perf_counter())
        lines.append(line.rstrip())
    rc = proc.wait()
    stamps.append(time.perf_counter())
    if rc != 0:
        raise RuntimeError(f"{cmd} failed ({rc}):\n" + "\n".join(lines[-20:]))
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    k = max(range(len(gaps)), key=gaps.__getitem__)
    before = "(start)" if k == 0 else lines[k - 1]
    return stamps[-1] - t0, gaps[k], before, lines


def run_movingpandas(table: pa.Table) -> tuple[float, int]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import geopandas as gpd
        import movingpandas as mpd

    df = table.select(["mmsi", "ts", "lat", "lon"]).to_pandas()
    df["ts"] = df["ts"].dt.tz_convert("UTC").dt.tz_localize(None)
    gdf = gpd.GeoDataFrame(
        df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326"
    ).set_index("ts")
    tc = mpd.TrajectoryCollection(gdf, "mmsi")
    t = time.perf_counter()
    ranges = mpd.TrajectoryStopDetector(tc, n_processes=1).get_stop_time_ranges(
        max_diameter=MAX_DIAMETER_M, min_duration=timedelta(hours=PARAMS.min_duration_h)
    )
    return time.perf_counter() - t, len(ranges)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--positions", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-cold", action="store_true", help="skip the cold demo")
    ap.add_argument("--skip-mp", action="store_true", help="skip MovingPandas")
    ap.add_argument(
        "--python", default=sys.executable, help="interpreter of the seawatch processes"
    )
    args = ap.parse_args(argv)
    SEAWATCH[0] = args.python

    work = Path(tempfile.mkdtemp(prefix="seawatch-latency-"))
    out: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
        "seawatch_python": args.python,
        "seawatch_python_has_pandas": subprocess.run(
            [args.python, "-c", "import pandas"], capture_output=True
        ).returncode
        == 0,
    }
    try:
        # 40 vessels x 3 days of the loitering benchmark is 59,969 positions
        days = 3.0 * args.positions / 59_969
        table = synth(40, days, seed=1)
        out["positions"] = table.num_rows
        src = work / "positions.parquet"
        pq.write_table(table, src)
        store = work / "store"
        subprocess.run(
            [*SEAWATCH, "ingest", "--store", str(store), str(src)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # warm: the numba and geography caches exist (as after any first run)
        timed([*SEAWATCH, "detect", "--store", str(store)])
        detect_s = best([*SEAWATCH, "detect", "--store", str(store)], args.repeat)
        out["seawatch_detect_process_s"] = round(detect_s, 3)
        if not args.skip_mp:
            mp_s, n_stops = run_movingpandas(table)
            out["movingpandas_stop_detector_s"] = round(mp_s, 3)
            out["movingpandas_stops"] = n_stops
            out["detect_speedup_vs_movingpandas"] = round(mp_s / detect_s, 1)

        import_s = best([args.python, "-c", "import seawatch"], args.repeat)
        help_s = best([*SEAWATCH, "--help"], args.repeat)
        events_s = best([*SEAWATCH, "events", "--store", str(store)], args.repeat)
        out["import_seawatch_s"] = round(import_s, 3)
        out["help_s"] = round(help_s, 3)
        out["events_s"] = round(events_s, 3)
        out["help_over_import"] = round(help_s / import_s, 2)
        out["events_over_import"] = round(events_s / import_s, 2)

        if not args.skip_cold:
            numba_dir = work / "numba-cache"
            geo_dir = work / "geo-cache"
            env = _env(NUMBA_CACHE_DIR=str(numba_dir), SEAWATCH_CACHE_DIR=str(geo_dir))
            cold_s, silence_s, silent_after, lines = timed_with_silence(
                [*SEAWATCH, "demo", "--store", str(work / "demo-cold")], env
            )
            out["demo_cold_s"] = round(cold_s, 2)
            out["demo_cold_longest_silence_s"] = round(silence_s, 2)
            out["demo_cold_longest_silence_after"] = silent_after[:120]
            out["demo_cold_compile_lines"] = sum("compiling" in ln for ln in lines)
            warm_s, warm_silence_s, _, _ = timed_with_silence(
                [*SEAWATCH, "demo", "--store", str(work / "demo-warm")], env
            )
            out["demo_warm_s"] = round(warm_s, 2)
            out["demo_warm_longest_silence_s"] = round(warm_silence_s, 2)
        out["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
        print(json.dumps(out, indent=2))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
