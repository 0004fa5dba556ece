"""The Spark engine against the embedded one, same data, same run.

    python benchmarks/spark.py [--vessels 2000] [--per-day 2000000] [--days 1]
                               [--geo fake|bundled] [--runs local1,local2,cluster]

Synthetic positions of :func:`pipeline.generate` (benchmarks/pipeline.py), ingested into a
store; then every detector over it with

* the embedded engine, one worker and two workers (``run_detectors(workers=...)``);
* Spark ``local[1]`` and ``local[2]``;
* a Spark standalone cluster started on this machine from PySpark's own classes: a master
  and two workers of one core and 2 GiB each (``seawatch.engine._spark.local_cluster``).

For each: the wall time of the detection (Spark: after the session is up; the session
start is reported apart), positions per second and per core, the peak RSS of the whole
process tree (driver JVM, executors and their Python workers included, sampled every 0.1 s),
the largest Python worker's peak RSS (``getrusage`` in each bucket task), and whether the
events are identical to the embedded engine's (every column); with ``--warm``, also a second
detection in the same Spark session (``detect_warm_s``: the first job's warm-up, about 3 s on
2 cores, already paid). Prints one JSON document.

"Per core" needs care: unpinned, a "one-core" run is not one core's work. The embedded
engine's one worker runs DuckDB's threads, and Spark ``local[1]`` runs its JVM (JIT, garbage
collector), its driver and its Python worker's DuckDB threads, all on every CPU of the
machine. ``--pin`` gives each run as many CPUs as it is said to have (``os.sched_setaffinity``
on every thread of this process before the run, inherited by every process it starts: the
JVM, the executors, their Python workers, the engine's pool), and restores them afterwards.
Every run also reports ``cpu_s``, the CPU seconds its process tree used (sampled with the
peak memory), and positions per CPU second.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import pyarrow as pa

HERE = str(Path(__file__).resolve().parent)
sys.path.insert(0, HERE)
# the executors unpickle BenchGeo from this folder's pipeline.py
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (HERE, os.environ.get("PYTHONPATH")) if p)

from pipeline import BenchGeo, TreeRss, generate  # noqa: E402

from seawatch.engine import EngineStats, run_detectors  # noqa: E402
from seawatch.engine._spark import (  # noqa: E402
    local_cluster,
    run_detectors_spark,
    spark_session,
    stop_active_session,
)
from seawatch.store import open_store  # noqa: E402

EXACT = ("event_id", "type", "start", "end", "vessels", "incident_id", "simulated", "region")


def same(a: pa.Table, b: pa.Table) -> bool:
    """Every column of every event identical."""
    return a.schema == b.schema and all(
        a.column(c).to_pylist() == b.column(c).to_pylist() for c in a.column_names
    )


def max_rel_diff(a: pa.Table, b: pa.Table) -> float | None:
    """None when the ids, types, times, vessels, incidents and regions differ; else the
    largest relative difference of any number (columns and ``details`` JSON values)."""
    if a.num_rows != b.num_rows or any(
        a.column(c).to_pylist() != b.column(c).to_pylist() for c in EXACT
    ):
        return None
    worst = 0.0

    def walk(x: Any, y: Any) -> None:
        nonlocal worst
        if isinstance(x, dict) and isinstance(y, dict) and x.keys() == y.keys():
            for k in x:
                walk(x[k], y[k])
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for p, q in zip(x, y, strict=True):
                walk(p, q)
        elif isinstance(x, float) and isinstance(y, float):
            worst = max(worst, abs(x - y) / max(abs(x), abs(y), 1e-300))
        elif x != y:
            worst = float("inf")

    for c in ("lat", "lon", "duration_h", "confidence", "zone"):
        walk(a.column(c).to_pylist(), b.column(c).to_pylist())
    for x, y in zip(a.column("details").to_pylist(), b.column("details").to_pylist(), strict=True):
        walk(json.loads(x) if x else x, json.loads(y) if y else y)
    return worst


def pin(cpus: int | None) -> None:
    """Every thread of this process and of every process it started (a Spark session's
    JVM, kept between sessions, and its Python daemon) on the first ``cpus`` CPUs (None:
    all of them); processes started afterwards inherit it."""
    import psutil

    allowed = sorted(os.sched_getaffinity(0) | set(range(os.cpu_count() or 1)))
    chosen = set(allowed if cpus is None else allowed[:cpus])
    me = psutil.Process()
    for proc in [me, *me.children(recursive=True)]:
        with contextlib.suppress(OSError, psutil.Error):
            for tid in os.listdir(f"/proc/{proc.pid}/task"):
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(int(tid), chosen)


def new_jvm() -> None:
    """Stop the Spark session and the JVM behind it, so that the next run starts its own
    (each run is a cold ``seawatch detect --engine spark``, with its master's JVM options
    and this run's CPUs)."""
    from pyspark import SparkContext

    stop_active_session()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    proc = getattr(gateway, "proc", None)
    with contextlib.suppress(Exception):
        gateway.shutdown()
    if proc is not None:
        with contextlib.suppress(Exception):
            proc.stdin.close()  # the gateway JVM exits when its stdin closes
            proc.wait(timeout=30)
    SparkContext._gateway = None
    SparkContext._jvm = None


def cpu_figures(n: int, tree: Any) -> dict[str, Any]:
    return {
        "cpu_s": round(tree.cpu_s, 1),
        "positions_per_cpu_s": round(n / tree.cpu_s) if tree.cpu_s > 0 else None,
    }


def spark_run(
    master: str,
    store: Any,
    geo: Any,
    conf: dict[str, str],
    local: pa.Table,
    cores: int,
    *,
    again: bool = False,
    pinned: bool = False,
) -> dict[str, Any]:
    new_jvm()
    pin(cores if pinned else None)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        session = spark_session(master, conf=conf)
    session.sparkContext.setLogLevel("ERROR")
    start_s = time.perf_counter() - t
    peaks: list[int] = []
    stats = EngineStats()
    t = time.perf_counter()
    with TreeRss() as tree:
        events = run_detectors_spark(
            store, spark=session, geo=geo, write=False, stats=stats, executor_peaks=peaks
        )
    s = time.perf_counter() - t
    warm: dict[str, Any] = {}
    if again:  # the same detection in the same session: the first job's warm-up paid
        stats2 = EngineStats()
        t = time.perf_counter()
        run_detectors_spark(store, spark=session, geo=geo, write=False, stats=stats2)
        warm = {
            "detect_warm_s": round(time.perf_counter() - t, 1),
            "stage_s_warm": {k: round(v, 1) for k, v in stats2.seconds.items()},
        }
    session.stop()
    pin(None)
    return {
        "master": master,
        "cores": cores,
        "pinned": pinned,
        "session_start_s": round(start_s, 1),
        "detect_s": round(s, 1),
        "positions_per_s": round(stats.n_positions / s),
        "positions_per_s_per_core": round(stats.n_positions / s / cores),
        "buckets": stats.n_buckets,
        "stage_s": {k: round(v, 1) for k, v in stats.seconds.items()},
        **cpu_figures(stats.n_positions, tree),
        "peak_rss_tree_mib": round(tree.peak_mib),
        "peak_rss_largest_process_mib": round(tree.peak_workers_mib),
        "peak_rss_python_worker_mib": round(max(peaks, default=0) / 2**20),
        "events": events.num_rows,
        "identical_to_embedded": same(local, events),
        "max_rel_diff_to_embedded": max_rel_diff(local, events),
        **warm,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vessels", type=int, default=2_000)
    ap.add_argument("--per-day", type=int, default=2_000_000)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--geo", choices=("fake", "bundled"), default="fake")
    ap.add_argument("--runs", default="local1,local2,cluster")
    ap.add_argument("--executor-memory", default="2g")
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument(
        "--warm", action="store_true", help="detect a second time in each Spark session"
    )
    ap.add_argument(
        "--java-options",
        default=None,
        help="spark.driver.extraJavaOptions (the local masters' one JVM)",
    )
    ap.add_argument(
        "--pin",
        action="store_true",
        help="give each run only as many CPUs as it has cores (see the module docstring)",
    )
    args = ap.parse_args(argv)
    geo = BenchGeo() if args.geo == "fake" else None
    work = Path(tempfile.mkdtemp(prefix="seawatch-spark-bench-", dir=args.work))
    out: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores (shared with other jobs), "
        f"Python {platform.python_version()}",
        "geo": args.geo,
    }
    try:
        src = work / "input"
        src.mkdir()
        n = generate(src, vessels=args.vessels, per_day=args.per_day, days=args.days, seed=1)
        store = open_store(work / "store", create=True)
        store.ingest(sorted(src.glob("*.parquet")))
        out["positions"] = n
        runs: list[dict[str, Any]] = []
        local: pa.Table | None = None
        for workers in (1, 2):
            stats = EngineStats()
            pin(workers if args.pin else None)
            t = time.perf_counter()
            with TreeRss() as tree:
                events = run_detectors(
                    store, workers=workers, geo=geo, write=False, stats=stats, scratch_dir=work
                )
            s = time.perf_counter() - t
            pin(None)
            if local is None:
                local = events
            runs.append(
                {
                    "engine": f"embedded, {workers} worker(s)",
                    "cores": workers,
                    "pinned": args.pin,
                    "detect_s": round(s, 1),
                    "positions_per_s": round(n / s),
                    "positions_per_s_per_core": round(n / s / workers),
                    **cpu_figures(n, tree),
                    "stage_s": {k: round(v, 1) for k, v in stats.seconds.items()},
                    "peak_rss_tree_mib": round(tree.peak_mib),
                    "peak_rss_largest_process_mib": round(tree.peak_workers_mib),
                    "events": events.num_rows,
                    "identical_to_embedded": same(local, events),
                }
            )
            print(json.dumps(runs[-1]), file=sys.stderr)
        assert local is not None
        conf = {"spark.driver.memory": "2g", "spark.executor.memory": args.executor_memory}
        if args.java_options:
            conf["spark.driver.extraJavaOptions"] = args.java_options
        chosen = args.runs.split(",")
        for name, cores in (("local1", 1), ("local2", 2)):
            if name in chosen:
                runs.append(
                    spark_run(
                        f"local[{cores}]",
                        store,
                        geo,
                        conf,
                        local,
                        cores,
                        again=args.warm,
                        pinned=args.pin,
                    )
                )
                print(json.dumps(runs[-1]), file=sys.stderr)
        if "cluster" in chosen:
            with local_cluster(
                workers=2, cores=1, memory=args.executor_memory, work_dir=work / "cluster"
            ) as url:
                conf2 = {**conf, "spark.cores.max": "2"}
                runs.append(spark_run(url, store, geo, conf2, local, 2, again=args.warm))
                runs[-1]["master"] = "standalone, 2 workers x 1 core"
                print(json.dumps(runs[-1]), file=sys.stderr)
        out["runs"] = runs
        out["peak_rss_main_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(out, indent=2))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
