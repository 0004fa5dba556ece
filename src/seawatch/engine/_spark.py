"""The Spark runner: the same detectors, kernels and portable SQL on Apache Spark 4.x.

``run_detectors_spark(store, master="local[2]" | "spark://HOST:PORT", ...)`` schedules the
detectors of :data:`seawatch.detect.REGISTRY` by kind, naming none (DESIGN.md §5, §16):

1. **Per-vessel work**: the driver splits the store's MMSIs into ranges of about equal row
   counts (:func:`seawatch.engine._partition.mmsi_ranges`, the local pool's plan: the day
   files are sorted by MMSI, so their row-group statistics place the bounds), and deals
   them to a few tasks per core (:data:`TASKS_PER_CORE`): a frame of task numbers, one per
   partition, which ``mapInArrow`` turns into the tasks' outputs (:func:`_run_tasks`). A
   bucket holds whole vessels over all days, and the rows Spark sees are task numbers, so no
   vessel is ever split (Spark never repartitions positions). Each bucket is
   :func:`seawatch.engine._bucket.run_bucket`, the function the local pool runs: it reads
   the bucket's MMSI range from the day files (only the row groups whose statistics
   overlap it), runs the kernels and writes the 10-minute slots per UTC day to the run's
   scratch directory (``.scratch/`` in the store's directory, which every executor sees
   at the same path; each file written whole under a temporary name, so a retried task
   rewrites it harmlessly). A task returns its buckets' events and slot days only. The
   positions and the slots never pass through the JVM: Spark's scan, its shuffle by
   ``hash(mmsi)`` and the Arrow conversions both ways made this stage 55.9 s of the
   20 M-position day on ``local[1]``, and the slots' trips through Spark to the pair search
   and the driver another 3.5 s (benchmarks/RESULTS.md, "Spark"). When a kernel asks for
   the coverage grid, the same kind of tasks first compute the grid of their ranges, which
   the driver sums (:func:`seawatch.detect.coverage.merge_grids`: the ranges hold disjoint
   vessels) and writes to the scratch directory for the buckets to memory-map.
2. **Pair search**: the one shared close-pair query (:meth:`seawatch.detect.PairSearch
   .close_pairs`, the local engine's call) runs in DuckDB on the executors, one unit per
   UTC day (or part of a day by ``slot_no``: a pair is always within one slot) read from
   the slot files; or, with ``pair_runner="spark"``, in Spark SQL over all the slots
   (:meth:`~seawatch.detect.PairSearch.sql`, the same text), its join on ``slot_no, cy,
   cx`` partitioning the work by time and cell, each slot copied into its forward
   neighbour cells (the halo). The close pairs (few) come back to the driver, which feeds
   the streamed pair steps one UTC day at a time, carrying open pairs across midnight,
   exactly as the local engine does (their merging SQL runs on the driver in DuckDB, or in
   Spark SQL with ``pair_runner="spark"``). Window pair steps run on the driver over the
   slot files, one day and its halo at a time: the local engine's function
   (:func:`seawatch.engine._run._windows`).
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
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import MissingDependencyError, ParameterError
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
from seawatch.engine._bucket import DAY_US, BucketTask, run_bucket
from seawatch.engine._partition import (
    COVERAGE_COLUMNS,
    MmsiRange,
    count_rows,
    mmsi_ranges,
    plan_buckets,
    read_range,
    write_scratch,
)
from seawatch.engine._run import (
    EngineStats,
    EventStore,
    _day_us,
    _Inputs,
    _read_slots,
    _simulated_mmsis,
    finish_run,
    plausible_day_files,
    window_steps,
    write_window_pairs,
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
        ("bucket", pa.int64()),
        ("events", pa.binary()),
        ("slot_days", pa.list_(pa.string())),
        ("slot_rows", pa.list_(pa.int64())),
        ("peak_rss", pa.int64()),
    ]
)
"""What a bucket task returns, one row per bucket (Spark gets it as
``from_arrow_schema(OUT_SCHEMA)``): its events as Arrow IPC bytes, the UTC days it wrote
slot files for and the slots of each, the Python worker's peak RSS in bytes. The slots
themselves never pass through Spark: they are in the run's scratch directory."""

SLOTS_PER_GROUP = 2_000_000
"""At most this many slots per unit of the executors' close-pair search (bounds a Python
worker's memory): a larger day is split into parts by ``slot_no``."""


LOCAL_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1"
"""The JVM options of a ``local[N]`` master's one JVM (driver and executor), unless the
caller or ``spark-submit`` sets ``spark.driver.extraJavaOptions``: the JIT's quick tier
only. The JVM only schedules tasks and passes small Arrow batches here (the kernels run in
the Python workers, the slots go through scratch files), so its optimising compiler costs
more CPU than it saves: on one core it doubled the session start (10.6 s against 4.9 s)
and added 1.6 s to the first job, with no measurable loss in a warm run (benchmarks/RESULTS.md,
Spark, eleventh session). Cluster executors keep their JVM's defaults."""


def spark_session(
    master: str | None = None, *, conf: Mapping[str, str] | None = None
) -> SparkSession:
    """A Spark session for the runner (or the active one, reconfigured for the session
    time zone): UTC session time zone, Arrow transfers, the executors' Python the driver's
    own interpreter and ``PYTHONPATH`` (so that workers on this machine import the same
    ``seawatch``). ``master`` None: the one ``spark-submit`` was given, else ``local[*]``;
    a local master's JVM gets :data:`LOCAL_JAVA_OPTIONS` when it starts here."""
    try:
        from pyspark import SparkConf
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise MissingDependencyError(
            'the Spark engine needs PySpark: pip install "seawatch[spark]" (and a JDK 17+)'
        ) from exc
    submitted = SparkConf()
    if master is None and not submitted.contains("spark.master"):
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
    conf = dict(conf or {})
    if (
        master is not None
        and master.startswith("local")
        and "spark.driver.extraJavaOptions" not in conf
        and not submitted.contains("spark.driver.extraJavaOptions")
    ):
        conf["spark.driver.extraJavaOptions"] = LOCAL_JAVA_OPTIONS
    for key, value in conf.items():
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
    slots_dir: Path | None,
    geo: GeoContext | None,
    coverage: Mapping[float, Path],
    kill_once: str | None,
) -> Callable[[Sequence[int]], pa.Table]:
    """What each task of the per-vessel stage runs (:func:`_run_tasks`; everything it
    closes over pickles), given the numbers of its buckets: each in turn runs
    :func:`seawatch.engine._bucket.run_bucket`, the local pool's function (it reads the
    bucket's MMSI range from the store's day files, runs the kernels, and writes the slots
    per UTC day to ``slots_dir``); the task returns the buckets' events and slot days."""
    paths = tuple(Path(f) for f in files)

    def run(buckets: Sequence[int]) -> pa.Table:
        if kill_once is not None:
            try:
                os.remove(kill_once)  # the first task to get here kills its executor
            except FileNotFoundError:
                pass
            else:
                _kill_executor()
        rows: dict[str, list[Any]] = {name: [] for name in OUT_SCHEMA.names}
        for bucket in buckets:
            result = run_bucket(
                BucketTask(
                    bucket=bucket,
                    files=paths,
                    mmsi_range=ranges[bucket],
                    detectors=detectors,
                    resample=resample,
                    slots_dir=slots_dir,
                    geo=geo,
                    coverage=dict(coverage),
                )
            )
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, EVENTS) as writer:
                writer.write_table(result.events.select(EVENTS.names).cast(EVENTS))
            rows["bucket"].append(bucket)
            rows["events"].append(sink.getvalue().to_pybytes())
            rows["slot_days"].append([day for day, _ in result.slot_days])
            rows["slot_rows"].append([k for _, k in result.slot_days])
            rows["peak_rss"].append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        return pa.table(rows, schema=OUT_SCHEMA)

    return run


def _read_unit(slots_dir: Path, unit: tuple[str, int, int], slot_us: int) -> pa.Table:
    """The slots of one unit of the close-pair search: the UTC day ``unit[0]``'s slot
    files, the part ``unit[2]`` of ``unit[1]`` by ``slot_no`` (a pair is always within one
    slot, so the parts are independent)."""
    day, parts, part = unit
    slots = _read_slots([slots_dir / f"day={day}"])
    if parts > 1:
        no = np.floor_divide(
            np.asarray(pc.cast(slots.column("slot"), pa.int64()).to_numpy(), np.int64), slot_us
        )
        slots = slots.filter(pa.array(no % parts == part))
    return slots


def _close_fn(
    search: PairSearch, slots_dir: Path, units: Sequence[tuple[str, int, int]]
) -> Callable[[Sequence[int]], pa.Table]:
    """What each task of the close-pair search runs (:func:`_run_tasks`): for each of its
    units, the shared close-pair query (:meth:`PairSearch.close_pairs`, the local
    engine's call) in DuckDB over the unit's slots, read from the scratch files (one
    DuckDB thread: the executor's cores are Spark's)."""

    def run(items: Sequence[int]) -> pa.Table:
        runner = DuckDBRunner(threads=1)
        try:
            out = [
                search.close_pairs(_read_unit(slots_dir, units[i], search.slot_us), runner)
                for i in items
            ]
        finally:
            runner.close()
        return pa.concat_tables([CLOSE_SCHEMA.empty_table(), *out])

    return run


def _view_fn(
    search: PairSearch, slots_dir: Path, units: Sequence[tuple[str, int, int]]
) -> Callable[[Sequence[int]], pa.Table]:
    """What each task runs for the close-pair search in Spark SQL: its units' slots as rows
    of the query's view (:meth:`PairSearch.view`)."""

    def run(items: Sequence[int]) -> pa.Table:
        views = [search.view(_read_unit(slots_dir, units[i], search.slot_us)) for i in items]
        return pa.concat_tables(views) if views else search.view(SLOTS.empty_table())

    return run


def _units(
    days: Mapping[str, int], cores: int, *, per_unit: int = SLOTS_PER_GROUP
) -> list[tuple[str, int, int]]:
    """The units of the close-pair search, ``(day, parts, part)``: each UTC day of
    ``days`` (its slot count) in parts of at most ``per_unit`` slots, and in enough parts
    that every core has work when the days are few."""
    if not days:
        return []
    spread = -(-2 * cores // len(days))
    units: list[tuple[str, int, int]] = []
    for day, rows in sorted(days.items()):
        parts = max(1, -(-rows // per_unit), spread if rows else 1)
        units.extend((day, parts, part) for part in range(parts))
    return units


def _close_pairs(
    session: SparkSession,
    search: PairSearch,
    slots_dir: Path,
    units: Sequence[tuple[str, int, int]],
    cores: int,
    *,
    in_spark_sql: bool,
) -> pa.Table:
    """The close pairs of every slot: the executors run the shared query in DuckDB over
    the units' slots (DuckDB's functions are the local engine's, to the last bit), or
    (``in_spark_sql``) Spark SQL runs it over all the slots, its join on ``slot_no, cy,
    cx`` partitioning the work by time and cell, each slot copied into its forward
    neighbour cells (the halo)."""

    if not units:
        return CLOSE_SCHEMA.empty_table()
    if in_spark_sql:
        schema = search.view(SLOTS.empty_table()).schema
        slots_df = _task_frame(
            session, _view_fn(search, slots_dir, units), len(units), cores, schema
        )
        slots_df.createOrReplaceTempView("slots")
        try:
            return search.as_close(session.sql(search.sql()).toArrow())
        finally:
            session.catalog.dropTempView("slots")
    rows = _run_tasks(session, _close_fn(search, slots_dir, units), len(units), cores, CLOSE_SCHEMA)
    return search.as_close(rows)


TASKS_PER_CORE = 4
"""Spark tasks per core for the bucket stages: each task runs several buckets one after
the other (a Python task costs Spark about 0.07 s whatever it does, 40 buckets of the
20 M-position day took 2.9 s of trivial tasks on ``local[1]``), and four per core keep every
core busy to the end. A bucket (about ``bucket_rows`` positions) stays the unit of a
Python worker's memory."""


BUCKETS_PER_TASK_MAX = 16
"""At most this many items (buckets, close-pair units) per task, so that a year of data on
a small cluster (40,000 buckets) makes more tasks rather than longer ones."""


def _deal(n_items: int, cores: int) -> list[list[int]]:
    """Items ``0..n_items-1`` dealt round-robin to about :data:`TASKS_PER_CORE` tasks per
    core (more when a task would get over :data:`BUCKETS_PER_TASK_MAX`)."""
    n_tasks = min(n_items, max(TASKS_PER_CORE * cores, -(-n_items // BUCKETS_PER_TASK_MAX)))
    return [list(range(k, n_items, n_tasks)) for k in range(n_tasks)]


def _task_frame(
    session: SparkSession,
    fn: Callable[[Sequence[int]], pa.Table],
    n_items: int,
    cores: int,
    schema: pa.Schema,
) -> DataFrame:
    """``fn`` over the items ``0..n_items-1`` dealt to Spark tasks (:func:`_deal`), as a
    DataFrame of schema ``schema``: a frame of task numbers, one per partition
    (``spark.range(n, numPartitions=n)``), each turned by ``mapInArrow`` into ``fn`` of its
    items. The rows are task numbers, not data, so nothing can be split: a ``groupBy`` over
    a frame of items gave the same tasks, but cost a sampling job and a shuffle (about
    0.25 s a job in a warm session, 1.2 s more on a session's first; tenth session)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    tasks = _deal(n_items, cores) or [[]]

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for task in batch.column("id").to_pylist():
                yield from fn(tasks[int(task)]).select(schema.names).cast(schema).to_batches()

    frame = session.range(0, len(tasks), 1, numPartitions=len(tasks))
    return frame.mapInArrow(run, from_arrow_schema(schema))


def _run_tasks(
    session: SparkSession,
    fn: Callable[[Sequence[int]], pa.Table],
    n_items: int,
    cores: int,
    schema: pa.Schema,
) -> pa.Table:
    """:func:`_task_frame` collected: the tasks' tables together, in any order."""
    if n_items == 0:
        return schema.empty_table()
    out: pa.Table = _task_frame(session, fn, n_items, cores, schema).toArrow()
    return out


def _coverage_fn(
    *, files: Sequence[str], ranges: Sequence[MmsiRange], cells: Sequence[float]
) -> Callable[[Sequence[int]], pa.Table]:
    """What each task runs (:func:`_run_tasks`) before the kernels when they ask for the
    coverage grid: the grid of the task's MMSI ranges for each cell size, as Arrow
    IPC bytes (the ranges hold disjoint vessels, so the driver sums the tasks' grids:
    :func:`seawatch.detect.coverage.merge_grids`)."""
    paths = [Path(f) for f in files]

    def run(buckets: Sequence[int]) -> pa.Table:
        grids: dict[float, list[pa.Table]] = {cell: [] for cell in cells}
        for bucket in buckets:
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
    session: SparkSession,
    fn: Callable[[Sequence[int]], pa.Table],
    n_buckets: int,
    cores: int,
    cells: Sequence[float],
) -> dict[float, pa.Table]:
    """The coverage grid of the whole store per cell size, from the tasks' grids."""
    if not cells:
        return {}
    schema = pa.schema([("cell", pa.float64()), ("payload", pa.binary())])
    got = _run_tasks(session, fn, n_buckets, cores, schema)
    out: dict[float, pa.Table] = {}
    for cell in cells:
        blobs = got.filter(pc.equal(got.column("cell"), cell)).column("payload").to_pylist()
        out[cell] = merge_grids(pa.ipc.open_stream(b).read_all() for b in blobs)
    return out


@contextlib.contextmanager
def _scratch(store: EventStore, scratch_dir: Path | None) -> Iterator[Path]:
    """A new scratch directory for one run, removed afterwards: under ``scratch_dir``,
    else under the store's own directory (``.scratch/``), which the driver and every
    executor see at the same path (docs/SCALE.md). Nothing in it is part of the store."""
    if scratch_dir is not None:
        base = Path(scratch_dir)
    else:
        root = getattr(store, "root", None)
        base = Path(root) / ".scratch" if root is not None else Path(tempfile.gettempdir())
    try:
        base.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix="spark-", dir=base)).resolve()
    except OSError:
        if scratch_dir is not None:
            raise
        base = Path(tempfile.gettempdir())  # a read-only store: enough for local[N]
        path = Path(tempfile.mkdtemp(prefix="seawatch-spark-", dir=base)).resolve()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(OSError):  # the last run's: leave no empty .scratch/
            if scratch_dir is None and base.name == ".scratch":
                base.rmdir()


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
    scratch_dir: Path | None = None,
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
    executors, the merging on the driver; ``spark``: both in Spark SQL). ``scratch_dir``:
    where the run's slot and pair files go (a directory the driver and every executor see
    at the same path; default ``.scratch/`` in the store's directory), removed afterwards.
    ``executor_peaks`` receives each bucket's Python worker peak RSS (bytes).
    ``_kill_executor_once`` (tests): while that file exists, the first bucket task to remove
    it kills its executor.
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
    pair_steps = [(d.name, d.pair, params[d.name]) for d in chosen if d.pair is not None]
    parts: list[pa.Table] = []
    if progress is not None:
        progress("partition", total, total)
    if files:
        with _scratch(store, scratch_dir) as scratch:
            ranges = mmsi_ranges(files, n_buckets=n_buckets)
            st.n_buckets = len(ranges)
            paths = [str(Path(f).resolve()) for f in files]
            cells = sorted({c for _n, kp in kernels if (c := uses_coverage(kp)) is not None})
            grids = _coverage_grids(
                session,
                _coverage_fn(files=paths, ranges=ranges, cells=cells),
                len(ranges),
                cores,
                cells,
            )
            cov_files: dict[float, Path] = {}
            for i, cell in enumerate(cells):  # the tasks memory-map them, as the pool's do
                cov_files[cell] = scratch / f"coverage-{i}.arrow"
                write_scratch(grids[cell], cov_files[cell])
            t0 = st._lap("partition", t0)
            slots_dir = scratch / "slots" if search is not None else None
            fn = _bucket_fn(
                files=paths,
                ranges=ranges,
                detectors=kernels,
                resample=slot_params if search is not None else None,
                slots_dir=slots_dir,
                geo=geo,
                coverage=cov_files,
                kill_once=str(_kill_executor_once) if _kill_executor_once is not None else None,
            )
            out_t = _run_tasks(session, fn, len(ranges), cores, OUT_SCHEMA).sort_by("bucket")
            for blob in out_t.column("events").to_pylist():
                parts.append(pa.ipc.open_stream(blob).read_all())
            slot_days: dict[str, int] = {}
            for day_list, row_list in zip(
                out_t.column("slot_days").to_pylist(),
                out_t.column("slot_rows").to_pylist(),
                strict=True,
            ):
                for day, k in zip(day_list or [], row_list or [], strict=True):
                    slot_days[day] = slot_days.get(day, 0) + int(k)
            st.n_slots = sum(slot_days.values())
            if executor_peaks is not None:
                executor_peaks.extend(int(v) for v in out_t.column("peak_rss").to_pylist())
            if progress is not None:
                progress("vessels", len(ranges), len(ranges))
            t0 = st._lap("vessels", t0)
            if search is not None and slots_dir is not None and slot_days:
                units = _units(slot_days, cores)
                close = _close_pairs(
                    session, search, slots_dir, units, cores, in_spark_sql=pair_runner == "spark"
                )
                close = close.sort_by(
                    [("slot_no", "ascending"), ("mmsi_a", "ascending"), ("mmsi_b", "ascending")]
                )
                day_dirs = [slots_dir / f"day={day}" for day in sorted(slot_days)]
                days = [_day_us(d) // DAY_US for d in day_dirs]
                runner: SqlRunner = (
                    SparkRunner(session) if pair_runner == "spark" else DuckDBRunner()
                )
                try:
                    produced = _streams(
                        close, days, search, pair_steps, runner=runner, geo=g, stats=st
                    )
                finally:
                    if isinstance(runner, DuckDBRunner):
                        runner.close()
                for name, events in produced.items():
                    inputs.produced[name] = events
                    parts.append(events)
                t0 = st._lap("pairs", t0)
                windowed = [(n, spec, p) for n, spec, p in pair_steps if spec.window is not None]
                if windowed:  # on the driver, from the scratch files, as the local engine
                    pairs_dir = scratch / "pairs"
                    dist = max(spec.dist_m(p) for _, spec, p in windowed)
                    write_window_pairs(close, search, dist, pairs_dir, day_dirs)
                    parts.extend(
                        window_steps(
                            slots_dir, pairs_dir, windowed, inputs=inputs, geo=g, progress=progress
                        )
                    )
                t0 = st._lap("windows", t0)
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
