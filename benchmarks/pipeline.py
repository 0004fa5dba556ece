"""End-to-end pipeline: ``ingest`` + ``detect`` on synthetic days of AIS positions.

    python benchmarks/pipeline.py [--vessels 10000] [--per-day 20000000] [--days 1]
                                  [--workers 2] [--geo fake|bundled] [--work DIR]

Synthetic traffic (numpy, written directly as Parquet in the store's POSITIONS schema, in
files of at most 2M rows): ``--vessels`` vessels spread over the Caribbean
(lat 10-25, lon -85 to -60), each reporting about every ``86400 * vessels / per-day``
seconds with 10 m GPS jitter. 80% sail straight at 8-16 kn; 10% drift below 1 kn
(loitering); the other 10% drift in pairs 200 m apart (encounters). Each vessel's course
is fixed for the whole run, so multi-day runs have events crossing midnight.

Measures, in one process: the ingest (``Store.ingest`` of the Parquet files) and
``seawatch.engine.run_detectors`` with every detector, their wall times, positions per
second over both, and peak memory: the high-water RSS of this process (``getrusage``,
which includes generating the input) and, sampled every 0.1 s, the summed RSS and the summed
PSS of the whole process tree (this process and the engine's workers) during ingest and
during detect (PSS counts a page shared by several processes once in all), and a SHA-256
of the events (``events_sha256``: equal in two runs means identical events). Run
``--days 1`` and ``--days 2`` to check that peak memory does not grow with the number of
days (the engine streams days and bounds buckets by ``bucket_rows``).

``--geo fake`` (the default) uses :class:`BenchGeo`, a geography with lookups of a few numpy
operations per point (a straight coast far to the west, two ports), so the figure measures
the pipeline, not the bundled geography's lookups; ``--geo bundled`` uses the real one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from seawatch.detect import FakeGeo, FakePort
from seawatch.engine import EngineStats, run_detectors
from seawatch.engine._run import DEFAULT_BUCKET_ROWS
from seawatch.schema import POSITIONS
from seawatch.store import open_store

T0 = datetime(2024, 3, 1, tzinfo=UTC)
DAY_S = 86_400
M_PER_DEG = 111_195.0
KN = 1852 / 3600


class BenchGeo:
    """A geography whose lookups cost a few numpy operations per point: land west of
    lon -100 (a straight coast), two ports (equirectangular distances), one zone (a strip
    along the coast), every point in the ``caribbean`` region. It measures the pipeline,
    not the bundled geography's lookups (``--geo bundled`` measures those too)."""

    coast_lon = -100.0
    port_lat = np.array([18.0, 30.0])
    port_lon = np.array([-99.9, -70.0])

    def distance_to_shore_m(self, lat: Any, lon: Any) -> Any:
        d = (np.asarray(lon) - self.coast_lon) * np.cos(np.radians(lat)) * M_PER_DEG
        return np.maximum(d, 0.0)

    def on_land(self, lat: Any, lon: Any) -> Any:
        return np.asarray(lon) < self.coast_lon

    def nearest_port(self, lat: Any, lon: Any) -> tuple[Any, Any]:
        lat = np.asarray(lat, np.float64)
        lon = np.asarray(lon, np.float64)
        c = np.cos(np.radians(lat))
        d = [
            np.hypot(lat - pl, (lon - po) * c) * M_PER_DEG
            for pl, po in zip(self.port_lat, self.port_lon, strict=True)
        ]
        idx = (d[1] < d[0]).astype(np.int64)
        return np.minimum(d[0], d[1]), idx

    def ports(self) -> pa.Table:
        return FakeGeo(
            port_list=(FakePort("West", "XX", 18.0, -99.9), FakePort("Isle", "YY", 30.0, -70.0))
        ).ports()

    def region_of(self, lat: Any, lon: Any) -> Any:
        return np.full(len(np.asarray(lat)), "caribbean", dtype=object)

    def zone_names(self) -> list[str]:
        return ["XX-territorial"]

    def zone_membership(self, lat: Any, lon: Any) -> tuple[Any, Any]:
        pi = np.flatnonzero(np.asarray(lon) < self.coast_lon + 0.5).astype(np.int64)
        return pi, np.zeros(len(pi), np.int64)


def generate(
    out: Path, *, vessels: int, per_day: int, days: int, seed: int, max_rows: int = 2_000_000
) -> int:
    """Write the synthetic positions as Parquet files under ``out``; returns the row count."""
    rng = np.random.default_rng(seed)
    n_per = max(2, per_day // vessels)  # reports per vessel per day
    step_s = DAY_S / n_per
    mmsi = 300_000_000 + rng.choice(99_999_999, size=vessels, replace=False).astype(np.int64)
    kind = np.zeros(vessels, np.int64)  # 0 transit, 1 loiter, 2 pair leader, 3 pair follower
    n_loiter = vessels // 10
    n_pairs = vessels // 20
    kind[:n_loiter] = 1
    kind[n_loiter : n_loiter + n_pairs] = 2
    kind[n_loiter + n_pairs : n_loiter + 2 * n_pairs] = 3
    lat0 = rng.uniform(10, 25, vessels)
    lon0 = rng.uniform(-85, -60, vessels)
    # followers sit 200 m north of their leader
    lead = np.arange(n_loiter, n_loiter + n_pairs)
    fol = lead + n_pairs
    lat0[fol] = lat0[lead] + 200 / M_PER_DEG
    lon0[fol] = lon0[lead]
    speed = np.where(kind == 0, rng.uniform(8, 16, vessels), rng.uniform(0.1, 0.9, vessels))
    course = rng.uniform(0, 2 * math.pi, vessels)
    speed[fol], course[fol] = speed[lead], course[lead]
    phase = rng.uniform(0, step_s, vessels)
    total = 0
    per_chunk = max(1, max_rows // (n_per * days))
    t0 = int(T0.timestamp())
    for part, a in enumerate(range(0, vessels, per_chunk)):
        b = min(vessels, a + per_chunk)
        nv = b - a
        k = np.arange(n_per * days, dtype=np.float64)
        t = phase[a:b, None] + k[None, :] * step_s + rng.uniform(-3, 3, (nv, k.size))
        t = np.clip(t, 0, days * DAY_S - 1)
        d = speed[a:b, None] * KN * t  # metres along the course
        lat = lat0[a:b, None] + d * np.cos(course[a:b, None]) / M_PER_DEG
        coslat = np.cos(np.radians(lat0[a:b, None]))
        lon = lon0[a:b, None] + d * np.sin(course[a:b, None]) / (M_PER_DEG * coslat)
        lat = lat + rng.normal(0, 10 / M_PER_DEG, lat.shape)
        lon = lon + rng.normal(0, 10 / M_PER_DEG, lon.shape)
        sog = speed[a:b, None] + rng.normal(0, 0.1, lat.shape)
        n = nv * k.size
        ts = ((t0 + t) * 1e6).astype(np.int64).ravel()
        table = pa.table(
            {
                "mmsi": pa.array(np.repeat(mmsi[a:b], k.size).astype(np.uint32)),
                "ts": pa.array(ts, pa.int64()).cast(POSITIONS.field("ts").type),
                "lat": pa.array(lat.ravel()),
                "lon": pa.array(lon.ravel()),
                "sog_kn": pa.array(np.abs(sog).ravel().astype(np.float32)),
                "cog_deg": pa.array(np.repeat(np.degrees(course[a:b]), k.size).astype(np.float32)),
                "heading_deg": pa.nulls(n, pa.uint16()),
                "nav_status": pa.array(np.zeros(n, np.uint8)),
                "msg_type": pa.array(np.ones(n, np.uint8)),
                "source": pa.nulls(n, POSITIONS.field("source").type),
                "station": pa.nulls(n, POSITIONS.field("station").type),
            },
            schema=POSITIONS,
        )
        pq.write_table(table, out / f"part-{part:04d}.parquet", compression="lz4")
        total += n
    return total


def events_digest(events: pa.Table) -> str:
    """SHA-256 of the events (every column, in event id order, as Arrow IPC): equal digests
    mean identical events, ids, floats and details included, between two runs."""
    import hashlib

    table = events.sort_by([("event_id", "ascending")]).combine_chunks()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def _rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


class TreeRss:
    """Samples the summed RSS of this process and all its descendants (the engine's worker
    processes are children of a forkserver, which ``getrusage`` does not see), and their
    summed PSS (proportional set size: a page shared by k processes counts 1/k in each, so
    the memory-mapped geography indexes and the shared libraries that every worker maps
    count once, as the machine holds them; the RSS sum counts them once per process)."""

    def __init__(self, interval_s: float = 0.1) -> None:
        import psutil

        self._psutil = psutil
        self._interval = interval_s
        self.peak_mib = 0.0
        self.peak_workers_mib = 0.0
        self.peak_pss_mib = 0.0
        self._cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = self._psutil.Process()
        while not self._stop.is_set():
            total = workers = pss = 0.0
            try:
                info = me.memory_full_info()
                total, pss = info.rss, info.pss
                self._note_cpu(me)
                for child in me.children(recursive=True):
                    try:
                        ci = child.memory_full_info()
                        self._note_cpu(child)
                    except self._psutil.Error:
                        continue
                    total += ci.rss
                    pss += ci.pss
                    workers = max(workers, ci.rss)
            except self._psutil.Error:
                pass
            self.peak_mib = max(self.peak_mib, total / 2**20)
            self.peak_pss_mib = max(self.peak_pss_mib, pss / 2**20)
            self.peak_workers_mib = max(self.peak_workers_mib, workers / 2**20)
            self._stop.wait(self._interval)

    def _note_cpu(self, proc: Any) -> None:
        t = proc.cpu_times()
        self._cpu[proc.pid] = t.user + t.system

    @property
    def cpu_s(self) -> float:
        """CPU seconds (user + system) used by the tree while sampled: for each process,
        its last sample less its first (a process's CPU between its last sample and its
        exit, at most 0.1 s of it, is not counted)."""
        return sum(self._cpu.values()) - sum(self._cpu0.get(p, 0.0) for p in self._cpu)

    def __enter__(self) -> TreeRss:
        me = self._psutil.Process()
        self._cpu0: dict[int, float] = {}
        for proc in [me, *me.children(recursive=True)]:
            with contextlib.suppress(self._psutil.Error):
                t = proc.cpu_times()
                self._cpu0[proc.pid] = t.user + t.system
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(self._psutil.Error):
            self._note_cpu(self._psutil.Process())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vessels", type=int, default=10_000)
    ap.add_argument("--per-day", type=int, default=20_000_000)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--bucket-rows", type=int, default=DEFAULT_BUCKET_ROWS)
    ap.add_argument("--geo", choices=("fake", "bundled"), default="fake")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=None, help="scratch directory (default: tmp)")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="seawatch-bench-", dir=args.work))
    try:
        src = work / "input"
        src.mkdir()
        t = time.perf_counter()
        n = generate(
            src, vessels=args.vessels, per_day=args.per_day, days=args.days, seed=args.seed
        )
        gen_s = time.perf_counter() - t
        rss_gen = _rss_mib(resource.RUSAGE_SELF)
        print(f"generated {n:,} positions in {gen_s:.1f} s", file=sys.stderr)

        store = open_store(work / "store", create=True)
        t = time.perf_counter()
        with TreeRss() as ingest_tree:
            summary = store.ingest(sorted(src.glob("*.parquet")))
        ingest_s = time.perf_counter() - t
        rss_ingest = _rss_mib(resource.RUSAGE_SELF)
        stored = sum(pq.read_metadata(f).num_rows for f in store.files("positions"))
        print(f"ingest: {stored:,} positions stored in {ingest_s:.1f} s", file=sys.stderr)

        stats = EngineStats()
        t = time.perf_counter()
        with TreeRss() as tree:
            events = run_detectors(
                store,
                workers=args.workers,
                geo=BenchGeo() if args.geo == "fake" else None,
                bucket_rows=args.bucket_rows,
                stats=stats,
                scratch_dir=work,
            )
        detect_s = time.perf_counter() - t
        counts: dict[str, int] = {}
        for ty in events.column("type").to_pylist():
            counts[ty] = counts.get(ty, 0) + 1
        result: dict[str, Any] = {
            "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
            "vessels": args.vessels,
            "days": args.days,
            "positions": n,
            "stored": stored,
            "workers": args.workers,
            "geo": args.geo,
            "generate_s": round(gen_s, 2),
            "ingest_s": round(ingest_s, 2),
            "detect_s": round(detect_s, 2),
            "positions_per_s": round(n / (ingest_s + detect_s)),
            "ingest_positions_per_s": round(n / ingest_s),
            "detect_positions_per_s": round(n / detect_s),
            "peak_rss_main_mib": round(_rss_mib(resource.RUSAGE_SELF)),
            "peak_rss_main_after_generate_mib": round(rss_gen),
            "peak_rss_main_after_ingest_mib": round(rss_ingest),
            "peak_rss_ingest_tree_mib": round(ingest_tree.peak_mib),
            "peak_rss_detect_tree_mib": round(tree.peak_mib),
            "peak_rss_detect_largest_worker_mib": round(tree.peak_workers_mib),
            "peak_pss_ingest_tree_mib": round(ingest_tree.peak_pss_mib),
            "peak_pss_detect_tree_mib": round(tree.peak_pss_mib),
            "detect_stage_s": {k: round(v, 2) for k, v in stats.seconds.items()},
            "buckets": stats.n_buckets,
            "slots": stats.n_slots,
            "close_pairs": stats.n_close_pairs,
            "max_carried_pairs": stats.max_carried_pairs,
            "events": counts,
            "events_sha256": events_digest(events),
            "ingest_summary": str(summary)[:200],
        }
        print(json.dumps(result, indent=2))
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
