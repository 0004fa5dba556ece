"""The Spark runner: the same detectors, kernels and portable SQL on Apache Spark 4.x.

``run_detectors_spark(store, master="local[2]" | "spark://HOST:PORT", ...)`` schedules the
detectors of :data:`seawatch.detect.REGISTRY` by kind, naming none (DESIGN.md §5, §16):

1. **Per-vessel work**: the driver splits the store's MMSIs into ranges of about equal row
   counts (:func:`seawatch.engine._partition.mmsi_ranges`, the local pool's plan: the day
   files are sorted by MMSI, so their row-group statistics place the bounds), and
   ``groupBy(task).applyInArrow`` over a small frame of bucket numbers runs the buckets,
   a few per task (:data:`TASKS_PER_CORE`), each holding whole vessels over all days (a
   group is never split, unlike ``mapInArrow`` after a repartition). A task reads each of
   its ranges from the day files itself (:func:`seawatch.engine._partition.read_range`,
   only the row groups whose statistics overlap it) and hands it to
   :func:`seawatch.engine._bucket.run_vessels`, the function the local pool runs, so the
   kernels see the local engine's input row for row. The positions never pass through the
   JVM: Spark's scan, the shuffle of every position by ``hash(mmsi)`` and the Arrow
   conversions both ways made this stage 55.9 s of the 20 M-position day on ``local[1]``
   (now 11.1 s; benchmarks/RESULTS.md, "Spark"). When a kernel asks for the coverage grid,
   the same tasks first compute the grid of their ranges, which the driver sums
   (:func:`seawatch.detect.coverage.merge_grids`: the ranges hold disjoint vessels). The
   output is one Arrow stream per task: per bucket, a row holding its events (Arrow IPC
   bytes), and one row per 10-minute slot.
2. **Pair search**: the slots stay in Spark; the one shared close-pair query
   (:meth:`seawatch.detect.PairSearch.sql`, the same text DuckDB runs) runs on groups of
   whole slots (``pmod(slot_no, n)``; a pair is always within one slot) in DuckDB on the
   executors, or with ``pair_runner="spark"`` in Spark SQL, where its join on ``slot_no,
   cy, cx`` partitions the work by time and cell, each slot copied into its forward
   neighbour cells (the halo). The close pairs (few) come back to the driver, which feeds
   the streamed pair steps one UTC day at a time, carrying open pairs across midnight,
   exactly as the local engine does (their merging SQL runs on the driver in DuckDB, or in
   Spark SQL with ``pair_runner="spark"``). Window pair steps get
   each day's slots plus the halo from Spark (driver memory: one day of slots, as in the
   local engine).
3. Statics, scene and finishing steps, ``simulated``, the incident ids and the one atomic
   ``store.replace_events`` run on the driver, as in :func:`seawatch.engine.run_detectors`
   (the driver commits; executors never write to the store).

The executors import ``seawatch`` from the driver's environment on a local cluster
(``spark.pyspark.python`` and ``PYTHONPATH`` are passed on); on a real cluster ship the
package (docs/SCALE.md: a packed virtual environment with ``--archives``, or a wheel with
``--py-files``).
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch.detect import (
    REGISTRY,
    GeoContext,
    PairSearch,
    PairSpec,
    detector_types,
    pair_search,
    pair_slot_params,
    preset_params,
    resolve_geo,
    resolve_only,
    uses_coverage,
)
from seawatch.detect.coverage import COVERAGE, coverage_grid, merge_grids
from seawatch.detect.encounters import CLOSE_SCHEMA
from seawatch.detect.sql import DuckDBRunner, SqlRunner, check_portable
from seawatch.engine._bucket import DAY_US, run_vessels
from seawatch.engine._partition import (
    COVERAGE_COLUMNS,
    MmsiRange,
    count_rows,
    mmsi_ranges,
    plan_buckets,
    read_range,
)
from seawatch.engine._run import (
    EngineStats,
    EventStore,
    _Inputs,
    _simulated_mmsis,
    finish_run,
    plausible_day_files,
    window_day,
)
from seawatch.schema import EVENTS
from seawatch.tracks import SLOTS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "SparkReader",
    "SparkRunner",
    "local_cluster",
    "run_detectors_spark",
    "spark_session",
    "stop_active_session",
]

OUT_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("day", pa.int64()),
        ("mmsi", pa.int64()),
        ("seg_id", pa.int64()),
        ("slot", pa.timestamp("us", tz="UTC")),
        ("slot_no", pa.int64()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("sog_kn", pa.float64()),
        ("interp", pa.bool_()),
        ("payload", pa.binary()),
        ("peak_rss", pa.int64()),
    ]
)
"""What each bucket returns (Spark gets it as ``from_arrow_schema(OUT_SCHEMA)``):
``kind='events'`` (one row, the events as Arrow IPC bytes in ``payload``, the Python
worker's peak RSS in bytes), ``kind='day'`` (one row per UTC day the bucket has slots on;
the first holds the bucket's slot count in ``slot_no``) or
``kind='slot'`` (one row per slot, ``sog_kn`` and ``interp`` as the close-pair view reads
them)."""

DRIVER_SLOTS_MAX = 4_000_000
"""Up to this many slots (about 300 MB), a window pair step fetches the slots to the driver
once; beyond, one UTC day (and its halo) at a time, as the local engine holds them."""


def spark_session(
    master: str | None = None, *, conf: Mapping[str, str] | None = None
) -> SparkSession:
    """A Spark session for the runner (or the active one, reconfigured for the session
    time zone): UTC session time zone, Arrow transfers, the executors' Python the driver's
    own interpreter and ``PYTHONPATH`` (so that workers on this machine import the same
    ``seawatch``). ``master`` None: the one ``spark-submit`` was given, else ``local[*]``."""
    try:
        from pyspark import SparkConf
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise ImportError(
            'the Spark engine needs PySpark: pip install "seawatch[spark]" (and a JDK 17+)'
        ) from exc
    if master is None and not SparkConf().contains("spark.master"):
        master = "local[*]"
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder
    if master is not None:
        builder = builder.master(master)
    builder = (
        builder.appName("seawatch")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.pyspark.python", sys.executable)
    )
    path = os.environ.get("PYTHONPATH")
    if path:
        builder = builder.config("spark.executorEnv.PYTHONPATH", path)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.conf.set("spark.sql.session.timeZone", "UTC")
    return session


class SparkRunner:
    """:class:`seawatch.detect.sql.SqlRunner` on Spark SQL: each Arrow table becomes a
    temporary view of its name, then ``spark.sql`` runs the same portable text."""

    __slots__ = ("_spark",)

    def __init__(self, spark: SparkSession) -> None:
        self._spark = spark

    def query(self, sql: str, views: Mapping[str, pa.Table]) -> pa.Table:
        check_portable(sql)
        for name, table in views.items():
            self._spark.createDataFrame(table).createOrReplaceTempView(name)
        try:
            result: pa.Table = self._spark.sql(sql).toArrow()
        finally:
            for name in views:
                self._spark.catalog.dropTempView(name)
        return result


def _kill_executor() -> None:  # pragma: no cover - runs in an executor that dies
    """Kill this Python worker's executor JVM (the fault test: the nearest ``java``
    ancestor process), then this worker."""
    pid = os.getppid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/comm") as fh:
                comm = fh.read().strip()
            with open(f"/proc/{pid}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            break
        if comm == "java":
            os.kill(pid, signal.SIGKILL)
            break
        pid = ppid
    os._exit(1)


def _bucket_fn(
    *,
    files: Sequence[str],
    ranges: Sequence[MmsiRange],
    detectors: tuple[tuple[str, Any], ...],
    resample: Any,
    search: PairSearch | None,
    geo: GeoContext | None,
    coverage: Mapping[float, pa.Table],
    kill_once: str | None,
) -> Callable[[pa.Table], pa.Table]:
    """The function ``applyInArrow`` runs on each task (everything it closes over
    pickles). Its group is the numbers of the task's buckets: for each in turn, the task
    reads the bucket's MMSI range from the store's day files itself (:func:`read_range`,
    the local pool's reader, so the kernels see the local engine's input, row for row) and
    runs the kernels; the outputs of its buckets are returned together."""
    paths = [Path(f) for f in files]

    def run(table: pa.Table) -> pa.Table:
        if kill_once is not None:
            try:
                os.remove(kill_once)  # the first task to get here kills its executor
            except FileNotFoundError:
                pass
            else:
                _kill_executor()
        return pa.concat_tables([one(b) for b in _buckets_of(table)])

    def one(bucket: int) -> pa.Table:
        positions = read_range(paths, ranges[bucket])
        events, slots = run_vessels(
            positions, detectors=detectors, resample=resample, geo=geo, coverage=coverage
        )
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, EVENTS) as writer:
            writer.write_table(events.select(EVENTS.names).cast(EVENTS))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        head = {name: pa.nulls(1, OUT_SCHEMA.field(name).type) for name in OUT_SCHEMA.names}
        head["kind"] = pa.array(["events"])
        head["payload"] = pa.array([sink.getvalue().to_pybytes()], pa.binary())
        head["peak_rss"] = pa.array([rss], pa.int64())
        parts = [pa.table(head, schema=OUT_SCHEMA)]
        if slots is not None and search is not None and slots.num_rows:
            slot_days = np.unique(
                np.floor_divide(
                    np.asarray(pc.cast(slots.column("slot"), pa.int64()).to_numpy(), np.int64),
                    DAY_US,
                )
            )
            k = len(slot_days)
            days_t = {name: pa.nulls(k, OUT_SCHEMA.field(name).type) for name in OUT_SCHEMA.names}
            days_t["kind"] = pa.array(["day"] * k, pa.string())
            days_t["day"] = pa.array(slot_days, pa.int64())
            days_t["slot_no"] = pa.array(
                [slots.num_rows if i == 0 else 0 for i in range(k)], pa.int64()
            )
            parts.append(pa.table(days_t, schema=OUT_SCHEMA))
            view = search.view(slots)
            n = slots.num_rows
            slot_us = pc.cast(slots.column("slot"), pa.int64())
            day = pa.array(np.floor_divide(np.asarray(slot_us.to_numpy(), np.int64), DAY_US))
            body = {
                "kind": pa.array(np.full(n, "slot", object), pa.string()),
                "day": day,
                "mmsi": view.column("mmsi"),
                "seg_id": pc.cast(slots.column("seg_id"), pa.int64()),
                "slot": pc.cast(slots.column("slot"), pa.timestamp("us", tz="UTC")),
                "slot_no": view.column("slot_no"),
                "lat": view.column("lat"),
                "lon": view.column("lon"),
                "sog_kn": view.column("sog_kn"),
                "interp": view.column("interp"),
                "payload": pa.nulls(n, pa.binary()),
                "peak_rss": pa.nulls(n, pa.int64()),
            }
            parts.append(pa.table(body, schema=OUT_SCHEMA))
        return pa.concat_tables(parts)

    return run


SLOTS_PER_GROUP = 2_000_000
"""Slots per group of the executors' close-pair search (bounds a Python worker's memory)."""


def _view_columns(search: PairSearch) -> list[str]:
    """The columns of the close-pair query's ``slots`` view (:meth:`PairSearch.view`)."""
    return list(search.view(SLOTS.empty_table()).column_names)


def _close_fn(search: PairSearch) -> Callable[[pa.Table], pa.Table]:
    """The function ``applyInArrow`` runs on each group of slots (whole slots: every row
    of a ``slot_no`` is in the same group): the shared close-pair query in DuckDB, as the
    local engine runs it (one thread: the executor's cores are Spark's)."""
    sql = search.sql()
    view = _view_columns(search)

    def run(table: pa.Table) -> pa.Table:
        from seawatch.detect.sql import DuckDBRunner

        runner = DuckDBRunner(threads=1)
        try:
            rows = runner.query(sql, {"slots": table.select(view)})
        finally:
            runner.close()
        return search.as_close(rows)

    return run


def _close_pairs(
    slots_df: DataFrame, search: PairSearch, n_slots: int, cores: int, *, in_spark_sql: bool
) -> pa.Table:
    """The close pairs of every slot: Spark SQL runs the shared query over all the slots
    (``in_spark_sql``), or the executors run it in DuckDB over groups of whole slots
    (``pmod(slot_no, n)``: a pair is always within one slot, so the groups are independent
    and their union is the query's result over all of them; DuckDB's functions are the
    local engine's, to the last bit)."""
    if in_spark_sql:
        session = slots_df.sparkSession
        slots_df.createOrReplaceTempView("slots")
        try:
            return search.as_close(session.sql(search.sql()).toArrow())
        finally:
            session.catalog.dropTempView("slots")
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    n = max(2 * cores, -(-n_slots // SLOTS_PER_GROUP))
    rows = (
        slots_df.select(*_view_columns(search))
        .withColumn("g", F.expr(f"pmod(slot_no, {int(n)})"))
        .groupBy("g")
        .applyInArrow(_close_fn(search), from_arrow_schema(CLOSE_SCHEMA))
        .toArrow()
    )
    return search.as_close(rows)


def _buckets_of(table: pa.Table) -> list[int]:
    """The bucket numbers of a task's group, in order."""
    return sorted(int(b) for b in table.column("bucket").to_pylist())


TASKS_PER_CORE = 4
"""Spark tasks per core for the bucket stages: each task runs several buckets one after
the other (a Python task costs Spark about 0.07 s whatever it does, 40 buckets of the
20 M-position day took 2.9 s of trivial tasks on ``local[1]``), and four per core keep every
core busy to the end. A bucket (about ``bucket_rows`` positions) stays the unit of a
Python worker's memory."""


BUCKETS_PER_TASK_MAX = 16
"""At most this many buckets per task: a task returns the slots of all its buckets at once
(about 36k slot rows per bucket of 500k positions), so a year of data on a small cluster
(40,000 buckets) makes more tasks rather than larger outputs."""


def _coverage_fn(
    *, files: Sequence[str], ranges: Sequence[MmsiRange], cells: Sequence[float]
) -> Callable[[pa.Table], pa.Table]:
    """The function ``applyInArrow`` runs on each task before the kernels when they ask
    for the coverage grid: the grid of the task's MMSI ranges for each cell size, as Arrow
    IPC bytes (the ranges hold disjoint vessels, so the driver sums the tasks' grids:
    :func:`seawatch.detect.coverage.merge_grids`)."""
    paths = [Path(f) for f in files]

    def run(table: pa.Table) -> pa.Table:
        grids: dict[float, list[pa.Table]] = {cell: [] for cell in cells}
        for bucket in _buckets_of(table):
            rows = read_range(paths, ranges[bucket], columns=COVERAGE_COLUMNS)
            for cell in cells:
                grids[cell].append(coverage_grid(rows, cell_deg=cell))
        blobs = []
        for cell in cells:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, COVERAGE) as writer:
                writer.write_table(merge_grids(grids[cell]))
            blobs.append(sink.getvalue().to_pybytes())
        return pa.table(
            {"cell": pa.array(list(cells), pa.float64()), "payload": pa.array(blobs, pa.binary())}
        )

    return run


def _coverage_grids(
    numbers: DataFrame, fn: Callable[[pa.Table], pa.Table], cells: Sequence[float]
) -> dict[float, pa.Table]:
    """The coverage grid of the whole store per cell size, from the buckets' grids."""
    from pyspark.sql.pandas.types import from_arrow_schema

    if not cells:
        return {}
    schema = pa.schema([("cell", pa.float64()), ("payload", pa.binary())])
    got = numbers.groupBy("task").applyInArrow(fn, from_arrow_schema(schema)).toArrow()
    out: dict[float, pa.Table] = {}
    for cell in cells:
        blobs = got.filter(pc.equal(got.column("cell"), cell)).column("payload").to_pylist()
        out[cell] = merge_grids(pa.ipc.open_stream(b).read_all() for b in blobs)
    return out


def _slots_table(rows: pa.Table) -> pa.Table:
    """Slot rows of the bucket output as a ``SLOTS`` table in the local engine's order
    (day, then mmsi, segment, slot)."""
    if rows.num_rows == 0:
        return SLOTS.empty_table()
    rows = rows.sort_by(
        [
            ("day", "ascending"),
            ("mmsi", "ascending"),
            ("seg_id", "ascending"),
            ("slot", "ascending"),
        ]
    )
    return pa.table(
        {
            "mmsi": pc.cast(rows.column("mmsi"), pa.uint32()),
            "seg_id": rows.column("seg_id"),
            "slot": pc.cast(rows.column("slot"), SLOTS.field("slot").type),
            "lat": rows.column("lat"),
            "lon": rows.column("lon"),
            "sog_kn": pc.cast(rows.column("sog_kn"), pa.float32()),
            "interpolated": rows.column("interp"),
        },
        schema=SLOTS,
    )


def run_detectors_spark(
    store: EventStore,
    *,
    master: str | None = None,
    spark: SparkSession | None = None,
    preset: str = "default",
    only: Iterable[str] | str | None = None,
    geo: GeoContext | None = None,
    buckets: int | None = None,
    bucket_rows: int = 500_000,
    pair_runner: str = "duckdb",
    write: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    stats: EngineStats | None = None,
    executor_peaks: list[int] | None = None,
    _kill_executor_once: Path | None = None,
) -> pa.Table:
    """:func:`seawatch.engine.run_detectors` on Spark (``master``: ``local[N]``,
    ``spark://HOST:PORT``, None for ``spark-submit``'s or ``local[*]``; or the given
    ``spark`` session): the same events, ids included.

    ``buckets``: the number of MMSI-range buckets (default: about ``bucket_rows``
    positions each, at least two per core). ``pair_runner``: where the close-pair search
    and the streamed pair steps' merging SQL run (``duckdb``: the search in DuckDB on the
    executors, the merging on the driver; ``spark``: both in Spark SQL). ``executor_peaks``
    receives each bucket's Python worker peak RSS (bytes). ``_kill_executor_once`` (tests):
    while that file exists, the first bucket task to remove it kills its executor.
    """
    if pair_runner not in ("duckdb", "spark"):
        raise ParameterError("pair_runner must be 'duckdb' or 'spark'")
    params = preset_params(preset)
    selected = resolve_only(only)
    types = detector_types(selected)
    chosen = [d for d in REGISTRY if d.name in selected]
    st = stats if stats is not None else EngineStats()
    t0 = time.perf_counter()
    session = spark if spark is not None else spark_session(master)
    files = plausible_day_files(store.files("positions"))
    total = count_rows(files)
    cores = max(1, int(session.sparkContext.defaultParallelism))
    n_buckets = (
        buckets
        if buckets is not None
        else plan_buckets(total, bucket_rows=bucket_rows, workers=cores)
    )
    if n_buckets < 1:
        raise ParameterError("buckets must be >= 1")
    st.n_positions, st.n_buckets = total, n_buckets
    kernels = tuple((d.name, params[d.name]) for d in chosen if d.kind == "vessel")
    slot_params = pair_slot_params(selected, params)
    search = pair_search(selected, params)
    inputs = _Inputs(store)
    g = resolve_geo(geo)
    simulated = _simulated_mmsis(store, files)
    parts: list[pa.Table] = []
    slots_df: DataFrame | None = None
    days: list[int] = []
    out_df: DataFrame | None = None
    if progress is not None:
        progress("partition", total, total)
    if files:
        from pyspark import StorageLevel
        from pyspark.sql import functions as F
        from pyspark.sql.pandas.types import from_arrow_schema

        ranges = mmsi_ranges(files, n_buckets=n_buckets)
        st.n_buckets = len(ranges)
        paths = [str(Path(f).resolve()) for f in files]
        cells = sorted({c for _n, kp in kernels if (c := uses_coverage(kp)) is not None})
        # one task per partition (a range partitioning of the task numbers, which the
        # grouping reuses), never coalesced by adaptive execution (the rows are tiny): the
        # Python work spreads over every core
        coalesce = "spark.sql.adaptive.coalescePartitions.enabled"
        was = session.conf.get(coalesce, None)
        session.conf.set(coalesce, "false")
        n_tasks = min(
            len(ranges), max(TASKS_PER_CORE * cores, -(-len(ranges) // BUCKETS_PER_TASK_MAX))
        )
        numbers = session.createDataFrame(
            [(i % n_tasks, i) for i in range(len(ranges))], "task int, bucket int"
        ).repartitionByRange(n_tasks, "task")
        try:
            grids = _coverage_grids(
                numbers, _coverage_fn(files=paths, ranges=ranges, cells=cells), cells
            )
            t0 = st._lap("partition", t0)
            fn = _bucket_fn(
                files=paths,
                ranges=ranges,
                detectors=kernels,
                resample=slot_params if search is not None else None,
                search=search,
                geo=geo,
                coverage=grids,
                kill_once=str(_kill_executor_once) if _kill_executor_once is not None else None,
            )
            out_df = (
                numbers.groupBy("task")
                .applyInArrow(fn, from_arrow_schema(OUT_SCHEMA))
                .persist(StorageLevel.MEMORY_AND_DISK)
            )
            heads = (
                out_df.filter(F.col("kind") != "slot")
                .select("kind", "day", "slot_no", "payload", "peak_rss")
                .toArrow()
            )
        finally:
            # only the bucket stages need it off (their output is cached now): the pair
            # queries' shuffles (200 partitions by default) are coalesced again
            if was is None:
                session.conf.unset(coalesce)
            else:
                session.conf.set(coalesce, was)
        day_rows = heads.filter(pc.equal(heads.column("kind"), "day"))
        heads = heads.filter(pc.equal(heads.column("kind"), "events"))
        for blob in heads.column("payload").to_pylist():
            parts.append(pa.ipc.open_stream(blob).read_all())
        days = sorted({int(d) for d in day_rows.column("day").to_pylist()})
        st.n_slots = int(pc.sum(day_rows.column("slot_no")).as_py() or 0)
        if executor_peaks is not None:
            executor_peaks.extend(int(v) for v in heads.column("peak_rss").to_pylist())
        if progress is not None:
            progress("vessels", len(ranges), len(ranges))
        t0 = st._lap("vessels", t0)
        if search is not None:
            slots_df = out_df.filter(F.col("kind") == "slot").drop("payload", "peak_rss")
    pair_steps = [(d.name, d.pair, params[d.name]) for d in chosen if d.pair is not None]
    if slots_df is not None and search is not None:
        close = _close_pairs(
            slots_df, search, st.n_slots, cores, in_spark_sql=pair_runner == "spark"
        )
        close = close.sort_by(
            [("slot_no", "ascending"), ("mmsi_a", "ascending"), ("mmsi_b", "ascending")]
        )
        runner: SqlRunner = SparkRunner(session) if pair_runner == "spark" else DuckDBRunner()
        try:
            produced = _streams(close, days, search, pair_steps, runner=runner, geo=g, stats=st)
        finally:
            if isinstance(runner, DuckDBRunner):
                runner.close()
        for name, events in produced.items():
            inputs.produced[name] = events
            parts.append(events)
        t0 = st._lap("pairs", t0)
        for name, spec, p in pair_steps:
            if spec.window is None:
                continue
            held = None
            if st.n_slots <= DRIVER_SLOTS_MAX:  # one transfer instead of one per day
                held = _slots_table(slots_df.toArrow())
            events = _windows(
                slots_df,
                held,
                close,
                days,
                search,
                spec,
                p,
                inputs=inputs,
                geo=g,
                progress=progress,
            )
            inputs.produced[name] = events
            parts.append(events)
        t0 = st._lap("windows", t0)
    if out_df is not None:
        out_df.unpersist()
    return finish_run(
        store, chosen, selected, params, types, parts, inputs, g, simulated, st, t0,
        preset=preset, write=write, engine="spark",
    )  # fmt: skip


def _days_of(close: pa.Table, slot_us: int) -> np.ndarray[Any, np.dtype[np.int64]]:
    no = np.asarray(close.column("slot_no").to_numpy(), np.int64)
    return np.floor_divide(no * slot_us, DAY_US)


def _streams(
    close: pa.Table,
    days: Sequence[int],
    search: PairSearch,
    pair_steps: Sequence[tuple[str, PairSpec, Any]],
    *,
    runner: SqlRunner,
    geo: GeoContext,
    stats: EngineStats,
) -> dict[str, pa.Table]:
    """The streamed pair steps fed the close pairs one UTC day at a time (the days that
    have slots, in order), carrying what is open at midnight (as the local engine)."""
    running = []
    for name, spec, p in pair_steps:
        if spec.stream is not None:
            running.append((name, spec.dist_m(p), spec.stream(p, geo, runner)))
    if not running:
        return {}
    out: dict[str, list[pa.Table]] = {name: [EVENTS.empty_table()] for name, _, _ in running}
    close_day = _days_of(close, search.slot_us)
    for day in days:
        mine_day = close.filter(pa.array(close_day == day))
        for name, dist, stream in running:
            mine = mine_day
            if search.max_dist_m > dist:
                mine = mine_day.filter(pc.less_equal(mine_day.column("dist_m"), dist))
            stats.n_close_pairs += mine.num_rows
            out[name].append(stream.push_close(mine, until=(day + 1) * DAY_US))
            stats.max_carried_pairs = max(stats.max_carried_pairs, stream.carried_rows)
    for name, _, stream in running:
        out[name].append(stream.finish())
    return {name: pa.concat_tables(tables) for name, tables in out.items()}


def _windows(
    slots_df: DataFrame,
    held: pa.Table | None,
    close: pa.Table,
    days: Sequence[int],
    search: PairSearch,
    spec: PairSpec,
    params: Any,
    *,
    inputs: _Inputs,
    geo: GeoContext,
    progress: Callable[[str, int, int], None] | None,
) -> pa.Table:
    """A window pair step one UTC day at a time over the day and its halo (as the local
    engine): the slots of the days the window touches come from Spark; an event belongs
    to the day of its start."""
    from pyspark.sql import functions as F

    assert spec.window is not None and spec.halo_us is not None
    halo_us = spec.halo_us(params)
    near_dist = spec.dist_m(params)
    near = close.filter(pc.less_equal(close.column("dist_m"), near_dist))
    slot_us = pc.multiply(near.column("slot_no"), pa.scalar(search.slot_us, pa.int64()))
    all_pairs = pa.table(
        {"mmsi_a": near.column("mmsi_a"), "mmsi_b": near.column("mmsi_b"), "slot": slot_us}
    )
    out: list[pa.Table] = [EVENTS.empty_table()]
    for i, day in enumerate(days):
        day0 = day * DAY_US
        lo, hi = day0 - halo_us, day0 + DAY_US + halo_us
        if held is not None:
            slots = held
        else:
            touching = [int(d) for d in days if d * DAY_US + DAY_US > lo and d * DAY_US < hi]
            slots = _slots_table(slots_df.filter(F.col("day").isin(touching)).toArrow())
        us = pc.cast(slots.column("slot"), pa.int64())
        slots = slots.filter(pc.and_(pc.greater_equal(us, lo), pc.less(us, hi)))
        ps = all_pairs.column("slot")
        pairs = all_pairs.filter(pc.and_(pc.greater_equal(ps, lo), pc.less(ps, hi)))
        out.append(window_day(spec, slots, pairs, params, geo, inputs, day0))
        if progress is not None:
            progress("windows", i + 1, len(days))
    return pa.concat_tables(out)


@contextlib.contextmanager
def local_cluster(
    *, workers: int = 2, cores: int = 1, memory: str = "1g", work_dir: Path, timeout_s: float = 120
) -> Iterator[str]:
    """A throwaway Spark standalone cluster on this machine, started from PySpark's own
    ``bin/spark-class`` (a master and ``workers`` workers of ``cores`` cores and ``memory``
    each, bound to 127.0.0.1): yields the master URL (``spark://127.0.0.1:PORT``), and
    stops every process it started afterwards (each in its own process group, so a worker's
    executors go with it). For tests and benchmarks; a real cluster is set up by its
    operator (docs/SCALE.md)."""
    import pyspark

    home = Path(pyspark.__file__).parent
    spark_class = str(home / "bin" / "spark-class")
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(home),
        SPARK_LOCAL_IP="127.0.0.1",
        PYSPARK_PYTHON=sys.executable,
        SPARK_NO_DAEMONIZE="1",
    )
    work_dir.mkdir(parents=True, exist_ok=True)
    port, ui = _free_port(), _free_port()
    procs: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], log: str) -> None:
        with open(work_dir / log, "wb") as out:
            procs.append(
                subprocess.Popen(
                    [spark_class, *args],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )

    try:
        start(
            [
                "org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui),
            ],
            "master.log",
        )  # fmt: skip
        url = f"spark://127.0.0.1:{port}"
        for i in range(workers):
            start(
                [
                    "org.apache.spark.deploy.worker.Worker", url,
                    "--host", "127.0.0.1", "--cores", str(cores), "--memory", memory,
                    "--webui-port", str(_free_port()), "--work-dir", str(work_dir / f"w{i}"),
                ],
                f"worker-{i}.log",
            )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while _alive_workers(ui) < workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(f"Spark standalone cluster did not start (logs in {work_dir})")
            time.sleep(0.5)
        yield url
    finally:
        for p in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _alive_workers(ui_port: int) -> int:
    """Workers the master lists as alive (its web UI's JSON), 0 while it is not up."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=2) as resp:
            doc = json.loads(resp.read())
    except (OSError, ValueError):
        return 0
    return int(doc.get("aliveworkers", 0))


def stop_active_session() -> None:
    """Stop the process's active Spark session (one SparkContext per process: needed
    before a session on another master)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


class SparkReader:
    """Decodes input files on Spark executors, one task per file, for
    ``Store.ingest(paths, reader=...)``: called like :func:`seawatch.sources.read_source`
    for each new input, it yields the batches an executor made with the very same call
    (the store's staging, de-duplication, manifest and atomic commit then run on the
    driver, unchanged). An input it did not decode, or asked for with other arguments,
    is read here with :func:`seawatch.sources.read_source`.

    ``paths``: the inputs as the store's ingest names them
    (:func:`seawatch.sources.expand_paths`); the executors must see them at the same path.
    """

    def __init__(
        self,
        spark: SparkSession,
        paths: Sequence[str],
        *,
        fmt: str | None = None,
        accept_bad_checksum: bool = False,
        default_time: Any = None,
        column_map: Any = None,
        chunk_bytes: int | None = None,
    ) -> None:
        from seawatch.sources import DEFAULT_CHUNK_BYTES

        self._kw: dict[str, Any] = {
            "fmt": fmt,
            "accept_bad_checksum": accept_bad_checksum,
            "default_time": default_time,
            "column_map": column_map,
            "chunk_bytes": chunk_bytes if chunk_bytes is not None else DEFAULT_CHUNK_BYTES,
        }
        files = [p for p in paths if p != "-"]
        self.decoded: dict[str, tuple[list[Any], list[str]]] = {}
        if not files:
            return
        kw = dict(self._kw)
        rdd = spark.sparkContext.parallelize(files, len(files)).map(lambda p: _decode(p, kw))
        for path, blob in rdd.collect():
            if blob:
                self.decoded[path] = pickle.loads(blob)  # our own executors' output

    def __call__(self, path: str | Path, **kw: Any) -> Iterator[Any]:
        from seawatch.sources import read_source

        name = kw.get("source_name")
        on_progress = kw.get("on_progress")
        detected = kw.get("detected")
        same = all(kw.get(k) == v for k, v in self._kw.items()) and name == str(path)
        got = self.decoded.pop(str(path), None) if same else None
        if got is None:
            yield from read_source(path, **kw)
            return
        batches, fmt_used = got
        if detected is not None:
            detected.extend(fmt_used)
        if on_progress is not None:
            on_progress(os.path.getsize(path))
        yield from batches


def _decode(path: str, kw: Mapping[str, Any]) -> tuple[str, bytes]:
    """One input decoded (on an executor) with the arguments the store's ingest uses."""
    from seawatch.sources import read_source

    fmt_used: list[str] = []
    try:
        batches = list(read_source(path, source_name=path, detected=fmt_used, **kw))
    except Exception:  # the driver reads it again and reports it as the local ingest does
        return path, b""
    return path, pickle.dumps((batches, fmt_used), protocol=pickle.HIGHEST_PROTOCOL)
