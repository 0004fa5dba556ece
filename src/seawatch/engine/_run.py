"""``run_detectors``: every detector over a whole store, in bounded memory.

Partitioning (DESIGN.md §5):

1. **Partition**: ``n`` MMSI ranges of about ``bucket_rows`` positions each (bounds from
   the row-group statistics of the store's files, which are sorted by MMSI), at least two
   per worker; results never depend on ``n``. Nothing is copied: each worker reads its
   range from the store's day files (hard-linked into the scratch directory first, so a
   concurrent ingest cannot delete them mid-run), only the row groups whose MMSI
   statistics overlap it. When a selected kernel asks for it
   (:func:`seawatch.detect.uses_coverage`), one scan of the position files builds the
   coverage grid (positions per cell per UTC hour over all vessels; the portable SQL's
   table, computed batch by batch in numpy), written once to a scratch file the workers
   memory-map.
2. **Per-vessel work** (a process pool over buckets): a bucket holds *whole vessels over all
   days*, so per-vessel events of any length (a week in port, a 3-day silence) come out whole
   and exactly once with no halo at all. Each bucket is cleaned and segmented once, runs
   the per-vessel kernels, and is resampled to 10-minute slots written per UTC day.
   Memory per worker: one bucket (about ``bucket_rows`` positions).
3. **Pair steps** (portable SQL in DuckDB): a slot only ever pairs with slots of the same
   time, so the one shared pair search (:func:`seawatch.detect.pair_search`) partitions
   exactly by day. Streamed pair steps are fed the days in order and carry what is still
   open at midnight into the next day (memory: one day of slots plus what is open); window
   pair steps run one day at a time over the day and a halo of slots on each side (the
   detector's ``halo_us``), the close pairs written per day to scratch files.
4. **Statics and scene steps** (:data:`seawatch.detect.REGISTRY` kinds ``statics`` and
   ``scene``), then each detector's finishing step and the region of events that have
   none (:func:`seawatch.detect.finish_events`), ``simulated`` (events of vessels heard in
   inputs the manifest marks simulated), the incident ids
   (:func:`seawatch.detect.link_incidents`, over these events and the store's events of
   detectors not re-run), and one atomic ``store.replace_events``.

The engine names no detector: it schedules the kinds of :data:`seawatch.detect.REGISTRY`.

Re-running gives the same events and ids: event ids hash type, vessels and start, and
every step is deterministic (buckets are processed independently and concatenated in
bucket order, then sorted).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch._version import __version__
from seawatch.ais.roles import vessel_roles
from seawatch.detect import (
    EVENT_TYPES,
    PRESETS,
    REGISTRY,
    GeoContext,
    PairSearch,
    PairSpec,
    detector_types,
    finish_events,
    link_incidents,
    pair_search,
    pair_slot_params,
    params_dict,
    preset_params,
    resolve_geo,
    resolve_only,
    uses_coverage,
)
from seawatch.detect.sql import DuckDBRunner
from seawatch.engine._bucket import DAY_US, BucketResult, BucketTask, run_bucket
from seawatch.engine._dark import dark_step as scene_step
from seawatch.engine._partition import (
    count_rows,
    coverage,
    mmsi_ranges,
    mmsis_of_sources,
    plan_buckets,
    read_scratch,
    scratch_rows,
    snapshot_files,
    write_scratch,
)
from seawatch.schema import EVENTS
from seawatch.tracks import SLOTS

__all__ = [
    "DETECTORS",
    "EVENT_TYPES",
    "PRESETS",
    "EngineStats",
    "EventStore",
    "detector_types",
    "preset_params",
    "resolve_only",
    "run_detectors",
    "worker_pool",
]

DETECTORS: tuple[str, ...] = tuple(EVENT_TYPES)
"""Detectors the engine runs (every detector of :data:`seawatch.detect.REGISTRY`)."""

DEFAULT_BUCKET_ROWS = 500_000
"""Positions per MMSI bucket of the per-vessel step (the Spark engine aims at the same).
Measured on the pipeline benchmark (benchmarks/RESULTS.md, eighth session), two workers:
with 2 M-position buckets the workers spent 10.6-11.0 CPU-s in the kernel on the 20 M-
position day (page faults; most likely a bucket's largest arrays outgrow what the
allocator keeps for reuse, so each is mapped and zeroed afresh) against 3.4-6.0 s with
1 M or 500k, for the same 16-20 CPU-s of user time; on five days of 4 M the per-vessel
stage took 21.7-24.2 s with 2 M, 20.5-22.1 s with 1 M and 16.6-16.9 s with 500k, and the
peak PSS was 2.2, 1.8 and 1.6 GiB. Smaller buckets cost more partitioning (250k: 4-6.5 s
against 1.5-1.9 s on the 20 M day)."""

IN_PROCESS_ROWS = 1_000_000
"""With ``workers=None``, a store of fewer positions than this runs its per-vessel step in
this process: a worker process costs about 1-2 s to start (interpreter, imports, loading the
compiled kernels and the geography), which splitting less than about 1M positions (a few
seconds of per-vessel work on one core) over the cores does not win back. Larger stores use
one worker per CPU. An explicit ``workers`` is always obeyed."""


def default_workers(total_rows: int) -> int:
    """Worker processes for ``workers=None``: 1 (in-process) below :data:`IN_PROCESS_ROWS`
    positions, else one per CPU."""
    if total_rows < IN_PROCESS_ROWS:
        return 1
    return os.cpu_count() or 1


class EventStore(Protocol):
    """What the engine needs of :class:`seawatch.store.Store` (the engine's one entry point
    for other runners too: a live runner passes its own store-like object and
    ``write=False`` to get the events without a commit).

    ``files("positions")``: Parquet day files under ``day=YYYY-MM-DD`` folders, each sorted
    by ``mmsi, ts``; optional extras read with ``getattr``: ``vessels()``, ``root``,
    ``simulated_sources()``, ``simulated_scenes()``."""

    def files(self, table: str) -> list[Path]: ...

    def events(self, *, types: Iterable[str] | None = None) -> pa.Table: ...

    def statics(self) -> pa.Table: ...

    def detections(self) -> pa.Table: ...

    def scenes(self) -> pa.Table: ...

    def positions(self, *, since: Any = None, until: Any = None) -> pa.Table: ...

    def role_entries(self) -> pa.Table: ...

    def replace_events(
        self,
        table: pa.Table,
        *,
        types: Iterable[str],
        run: Mapping[str, Any],
        finish: Callable[[pa.Table], pa.Table] | None = None,
    ) -> None: ...


@dataclass(slots=True)
class EngineStats:
    """Counts of the last run (filled in when passed to :func:`run_detectors`)."""

    n_positions: int = 0
    n_buckets: int = 0
    n_slots: int = 0
    n_close_pairs: int = 0
    max_carried_pairs: int = 0
    n_events: int = 0
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    """Wall time of each stage: partition (MMSI ranges and the coverage scan), vessels,
    pairs (the streamed pair steps), windows (the pair steps with a halo), statics (the
    statics and scene steps and the finishing steps), write."""

    def _lap(self, stage: str, t0: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - t0
        return now


class _Inputs:
    """:class:`seawatch.detect.RunInputs` over a store: each table read once, on first
    use; ``events(d)`` is this run's events of ``d`` when it ran, else the store's."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._statics: pa.Table | None = None
        self._roles: pa.Table | None = None
        self.produced: dict[str, pa.Table] = {}

    def statics(self) -> pa.Table:
        if self._statics is None:
            self._statics = self._store.statics()
        return self._statics

    def roles(self) -> pa.Table:
        if self._roles is None:
            self._roles = vessel_roles(self.statics(), entries=self._store.role_entries())
        return self._roles

    def vessels(self) -> pa.Table | None:
        get = getattr(self._store, "vessels", None)  # when each vessel was heard
        return get() if get is not None else None

    def store_root(self) -> Path | None:
        root = getattr(self._store, "root", None)
        return Path(root) if root is not None else None

    def events(self, detector: str) -> pa.Table:
        if detector in self.produced:
            return self.produced[detector]
        return self._store.events(types=list(EVENT_TYPES[detector]))


def run_detectors(
    store: EventStore,
    *,
    preset: str = "default",
    only: Iterable[str] | str | None = None,
    workers: int | None = None,
    geo: GeoContext | None = None,
    bucket_rows: int = DEFAULT_BUCKET_ROWS,
    scratch_dir: Path | None = None,
    write: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    stats: EngineStats | None = None,
    engine: str = "local",
    master: str | None = None,
    pool: Executor | None = None,
) -> pa.Table:
    """Run the detectors of ``preset`` (all, or ``only`` these) over the whole store and
    replace their events in it (``write=False``: only return them).

    ``workers``: processes for the per-vessel step (None: in-process below
    :data:`IN_PROCESS_ROWS` positions, else one per CPU; 1: in-process). ``pool``: where the
    buckets run when ``workers`` > 1, kept by the caller between runs (the listener:
    :func:`worker_pool`); None: a pool started for this run and shut down after it.
    ``geo``: the geography (None: bundled; must pickle). ``bucket_rows``: positions per mmsi
    bucket (bounds a worker's memory). ``scratch_dir``: where the links to the position
    files, slots and pairs go (a temporary directory, removed afterwards; with Spark, one
    the driver and every executor see at the same path, by default ``.scratch/`` in the
    store's directory).
    ``progress(stage, done, total)`` is called as work completes. Returns the events
    (schema EVENTS), sorted.

    The detectors are scheduled by their kind in :data:`seawatch.detect.REGISTRY`:
    ``vessel`` kernels per MMSI bucket, ``pair`` steps over the slots, ``statics`` steps
    over the statics table, ``scene`` steps over the store's detections, then each
    detector's finishing step.

    ``engine="spark"`` runs the same steps on Apache Spark (``master``: ``local[N]``,
    ``spark://HOST:PORT``, or None: ``spark-submit``'s master, else ``local[*]``;
    :mod:`seawatch.engine._spark`), giving the same events.
    """
    if engine == "spark":
        from seawatch.engine._spark import run_detectors_spark

        return run_detectors_spark(
            store,
            master=master,
            preset=preset,
            only=only,
            geo=geo,
            bucket_rows=bucket_rows,
            scratch_dir=scratch_dir,
            write=write,
            progress=progress,
            stats=stats,
        )
    if engine != "local":
        raise ParameterError(f"unknown engine {engine!r} (local or spark)")
    params = preset_params(preset)
    selected = resolve_only(only)
    types = detector_types(selected)
    chosen = [d for d in REGISTRY if d.name in selected]
    st = stats if stats is not None else EngineStats()
    if workers is not None and workers < 1:
        raise ParameterError("workers must be >= 1")
    files = plausible_day_files(store.files("positions"))
    total = count_rows(files)
    n_workers = workers if workers is not None else default_workers(total)
    n_buckets = plan_buckets(total, bucket_rows=bucket_rows, workers=n_workers)
    st.n_positions, st.n_buckets = total, n_buckets
    kernels = tuple((d.name, params[d.name]) for d in chosen if d.kind == "vessel")
    slot_params = pair_slot_params(selected, params)
    search = pair_search(selected, params)
    inputs = _Inputs(store)
    g = resolve_geo(geo)
    parts: list[pa.Table] = []
    with tempfile.TemporaryDirectory(prefix="seawatch-engine-", dir=scratch_dir) as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        files = snapshot_files(files, root / "positions")
        ranges = mmsi_ranges(files, n_buckets=n_buckets)
        st.n_buckets = len(ranges)
        simulated = _simulated_mmsis(store, files)
        if progress is not None:
            progress("partition", total, total)
        cov_files: dict[float, Path] = {}
        for _name, kp in kernels:
            cell = uses_coverage(kp)
            if cell is not None and cell not in cov_files:
                path = root / f"coverage-{len(cov_files)}.arrow"
                write_scratch(coverage(files, cell_deg=cell), path)
                cov_files[cell] = path
        slots_dir = root / "slots" if slot_params is not None else None
        tasks = [
            BucketTask(
                bucket=k,
                files=tuple(files),
                mmsi_range=rng,
                detectors=kernels,
                resample=slot_params,
                slots_dir=slots_dir,
                geo=geo,
                coverage=cov_files,
            )
            for k, rng in enumerate(ranges)
        ]
        t0 = st._lap("partition", t0)
        results = _map_buckets(tasks, n_workers, progress, pool)
        t0 = st._lap("vessels", t0)
        st.n_slots = sum(r.n_slots for r in results)
        parts.extend(r.events for r in results)
        pair_steps = [(d.name, d.pair, params[d.name]) for d in chosen if d.pair is not None]
        windowed = [(n, spec, p) for n, spec, p in pair_steps if spec.window is not None]
        pairs_dir = root / "pairs" if windowed else None
        if slots_dir is not None and search is not None:
            streamed = _pair_step(
                slots_dir,
                search,
                [(n, spec, p) for n, spec, p in pair_steps if spec.stream is not None],
                pairs_dist_m=max((spec.dist_m(p) for _, spec, p in windowed), default=None),
                pairs_dir=pairs_dir,
                geo=g,
                stats=st,
                progress=progress,
                batch_rows=bucket_rows,
            )
            for name, events in streamed.items():
                inputs.produced[name] = events
                parts.append(events)
        t0 = st._lap("pairs", t0)
        if slots_dir is not None and pairs_dir is not None and search is not None:
            parts.extend(
                window_steps(
                    slots_dir, pairs_dir, windowed, inputs=inputs, geo=g, progress=progress
                )
            )
        t0 = st._lap("windows", t0)
    return finish_run(
        store, chosen, selected, params, types, parts, inputs, g, simulated, st, t0,
        preset=preset, write=write, engine="local",
    )  # fmt: skip


def finish_run(
    store: EventStore,
    chosen: Sequence[Any],
    selected: Sequence[str],
    params: Mapping[str, Any],
    types: Sequence[str],
    parts: list[pa.Table],
    inputs: _Inputs,
    g: GeoContext,
    simulated: npt.NDArray[np.int64],
    st: EngineStats,
    t0: float,
    *,
    preset: str,
    write: bool,
    engine: str,
) -> pa.Table:
    """The steps every engine ends with, on the driver: the statics and scene steps, each
    detector's finishing step, the simulated mark, incident links, the one sort, and (with
    ``write``) the one ``replace_events`` commit with its run record."""
    for d in chosen:
        if d.kind == "statics" and d.statics is not None:
            events = d.statics(inputs, params[d.name], g)
        elif d.kind == "scene":
            events = scene_step(store, params[d.name], geo=g)
        else:
            continue
        inputs.produced[d.name] = events
        parts.append(events)
    table = pa.concat_tables([EVENTS.empty_table(), *parts])
    table = finish_events(table, selected, inputs=inputs, geo=g)
    table = mark_simulated(table, simulated, scenes=_simulated_scenes(store))
    table = _link(table, store, types)
    table = table.sort_by(
        [("start", "ascending"), ("type", "ascending"), ("event_id", "ascending")]
    )
    st.n_events = table.num_rows
    t0 = st._lap("statics", t0)
    if write:
        run: dict[str, Any] = {
            "preset": preset,
            "detectors": list(selected),
            "params": {d: params_dict(params[d]) for d in selected},
            "version": __version__,
        }
        if engine != "local":
            run["engine"] = engine
        store.replace_events(table, types=types, run=run, finish=link_incidents)
        st._lap("write", t0)
    return table


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool for the per-vessel step (``forkserver``: the workers start from a
    clean interpreter, not a copy of a threaded parent). Each worker loads the compiled
    kernels and the geography on its first bucket and keeps them for the next ones."""
    if workers < 1:
        raise ParameterError("workers must be >= 1")
    ctx = multiprocessing.get_context("forkserver")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def _map_buckets(
    tasks: Sequence[BucketTask],
    workers: int,
    progress: Callable[[str, int, int], None] | None,
    pool: Executor | None = None,
) -> list[BucketResult]:
    results: list[BucketResult] = []
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            results.append(run_bucket(task))
            if progress is not None:
                progress("vessels", len(results), len(tasks))
        return results
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(worker_pool(min(workers, len(tasks))))
        for result in pool.map(run_bucket, tasks):
            results.append(result)
            if progress is not None:
                progress("vessels", len(results), len(tasks))
    return results


def _pair_step(
    slots_dir: Path,
    search: PairSearch,
    streams: Sequence[tuple[str, PairSpec, Any]],
    *,
    pairs_dist_m: float | None,
    pairs_dir: Path | None,
    geo: GeoContext,
    stats: EngineStats,
    progress: Callable[[str, int, int], None] | None,
    batch_rows: int,
) -> dict[str, pa.Table]:
    """The pair search over the slot files, a run of whole UTC days at a time (consecutive
    days while their slots stay within ``batch_rows``: one day of a large store, all the
    days of a small one), fed to the streamed pair steps (each carries what is still open
    at the end of a run into the next); with ``pairs_dir``, the pairs within
    ``pairs_dist_m`` written per day for the window steps. One SQL pass serves them all.
    Returns each streamed step's events.

    A slot only pairs with slots of the same time and the streams are exact across the
    edges of what they are fed, so the runs change nothing but the number of queries
    (DuckDB's fixed cost, about 15 ms a query: six days' queries were a tenth of
    ``seawatch detect`` on a 100k-position store).
    """
    runner = DuckDBRunner()
    running = []
    for name, spec, p in streams:
        assert spec.stream is not None
        running.append((name, spec.dist_m(p), spec.stream(p, geo, runner)))
    out: dict[str, list[pa.Table]] = {name: [EVENTS.empty_table()] for name, _, _ in running}
    day_dirs = sorted(slots_dir.glob("day=*")) if slots_dir.is_dir() else []
    done = 0
    for batch in _day_batches(day_dirs, batch_rows):
        slots = _read_slots(batch)
        close = search.close_pairs(slots, runner)
        del slots
        if pairs_dir is not None and pairs_dist_m is not None:
            write_window_pairs(close, search, pairs_dist_m, pairs_dir, batch)
        until = _day_us(batch[-1]) + DAY_US  # every later slot is at or after it
        for name, dist, stream in running:
            mine_close = close
            if search.max_dist_m > dist:
                mine_close = close.filter(pc.less_equal(close.column("dist_m"), dist))
            stats.n_close_pairs += mine_close.num_rows
            out[name].append(stream.push_close(mine_close, until=until))
            stats.max_carried_pairs = max(stats.max_carried_pairs, stream.carried_rows)
        done += len(batch)
        if progress is not None:
            progress("pairs", done, len(day_dirs))
    for name, _, stream in running:
        out[name].append(stream.finish())
    runner.close()
    return {name: pa.concat_tables(parts) for name, parts in out.items()}


def write_window_pairs(
    close: pa.Table, search: PairSearch, dist_m: float, pairs_dir: Path, day_dirs: Sequence[Path]
) -> None:
    """The close pairs within ``dist_m`` (``mmsi_a, mmsi_b, slot``) written per UTC day of
    ``day_dirs`` to ``pairs_dir/day=YYYY-MM-DD.arrow``, where :func:`_windows` reads them."""
    near = close.filter(pc.less_equal(close.column("dist_m"), dist_m))
    slot_us = pc.multiply(near.column("slot_no"), pa.scalar(search.slot_us, pa.int64()))
    pairs = pa.table(
        {"mmsi_a": near.column("mmsi_a"), "mmsi_b": near.column("mmsi_b"), "slot": slot_us}
    )
    pairs_dir.mkdir(parents=True, exist_ok=True)
    day_no = np.floor_divide(slot_us.to_numpy(), DAY_US)
    for day_dir in day_dirs:
        mine = pa.array(day_no == _day_us(day_dir) // DAY_US)
        write_scratch(pairs.filter(mine), pairs_dir / f"{day_dir.name}.arrow")


def _day_batches(day_dirs: Sequence[Path], batch_rows: int) -> Iterator[list[Path]]:
    """``day_dirs`` (in order) in runs of consecutive days whose slot files hold at most
    ``batch_rows`` rows together (a larger day alone), counted from the files' footers."""
    batch: list[Path] = []
    rows = 0
    for d in day_dirs:
        n = sum(scratch_rows(f) for f in d.glob("*.arrow"))
        if batch and rows + n > batch_rows:
            yield batch
            batch, rows = [], 0
        batch.append(d)
        rows += n
    if batch:
        yield batch


def _read_slots(day_dirs: Iterable[Path]) -> pa.Table:
    tables = [
        read_scratch(f)
        for d in day_dirs
        for f in sorted(d.glob("*.arrow"), key=lambda p: int(p.stem.split("=")[1]))
    ]
    return pa.concat_tables([SLOTS.empty_table(), *tables]) if tables else SLOTS.empty_table()


def _day_us(day_dir: Path) -> int:
    return int(
        np.datetime64(day_dir.name.split("=")[1], "D").astype("datetime64[us]").view(np.int64)
    )


def _windows(
    slots_dir: Path,
    pairs_dir: Path,
    spec: PairSpec,
    params: Any,
    *,
    inputs: _Inputs,
    geo: GeoContext,
    progress: Callable[[str, int, int], None] | None,
) -> pa.Table:
    """A window pair step one UTC day at a time over the day and a halo of slots on each
    side (``spec.halo_us``) with their pairs; an event belongs to the day of its start, so
    it comes out once."""
    assert spec.window is not None and spec.halo_us is not None
    halo_us = spec.halo_us(params)
    day_dirs = sorted(slots_dir.glob("day=*")) if slots_dir.is_dir() else []
    starts = [_day_us(d) for d in day_dirs]
    out: list[pa.Table] = [EVENTS.empty_table()]
    for i, day0 in enumerate(starts):
        lo, hi = day0 - halo_us, day0 + DAY_US + halo_us
        near = [d for d, t in zip(day_dirs, starts, strict=True) if t + DAY_US > lo and t < hi]
        slots = _read_slots(near)
        us = pc.cast(slots.column("slot"), pa.int64())
        slots = slots.filter(pc.and_(pc.greater_equal(us, lo), pc.less(us, hi)))
        pair_files = [pairs_dir / f"{d.name}.arrow" for d in near]
        pair_tables = [read_scratch(f) for f in pair_files if f.exists()]
        if not pair_tables:
            continue
        pairs = pa.concat_tables(pair_tables)
        pairs = pairs.filter(
            pc.and_(pc.greater_equal(pairs.column("slot"), lo), pc.less(pairs.column("slot"), hi))
        )
        out.append(window_day(spec, slots, pairs, params, geo, inputs, day0))
        if progress is not None:
            progress("windows", i + 1, len(starts))
    return pa.concat_tables(out)


def window_steps(
    slots_dir: Path,
    pairs_dir: Path,
    windowed: Sequence[tuple[str, PairSpec, Any]],
    *,
    inputs: _Inputs,
    geo: GeoContext,
    progress: Callable[[str, int, int], None] | None,
) -> list[pa.Table]:
    """Each window pair step of ``windowed`` over the slot and pair files
    (:func:`_windows`), its events recorded for the finishing steps (``inputs.produced``);
    returns them. Both engines run their window steps here."""
    out = []
    for name, spec, p in windowed:
        events = _windows(slots_dir, pairs_dir, spec, p, inputs=inputs, geo=geo, progress=progress)
        inputs.produced[name] = events
        out.append(events)
    return out


def window_day(
    spec: Any,
    slots: pa.Table,
    pairs: pa.Table,
    params: Any,
    geo: GeoContext,
    inputs: _Inputs,
    day0: int,
) -> pa.Table:
    """A window pair step over one day's slots and pairs (with their halo): its events
    that start on that UTC day (``day0``, µs), so that each day's halo counts once."""
    ev: pa.Table = spec.window(slots, pairs, params, geo, inputs)
    if ev.num_rows:
        st = pc.cast(ev.column("start"), pa.int64())
        ev = ev.filter(pc.and_(pc.greater_equal(st, day0), pc.less(st, day0 + DAY_US)))
    return ev


def _simulated_mmsis(store: EventStore, position_files: Sequence[Path]) -> npt.NDArray[np.int64]:
    """MMSIs heard (positions or statics) in the store's simulated inputs."""
    sources_of = getattr(store, "simulated_sources", None)
    names = sources_of() if sources_of is not None else frozenset()
    if not names:
        return np.zeros(0, np.int64)
    found = np.union1d(
        mmsis_of_sources(position_files, names), mmsis_of_sources(store.files("statics"), names)
    )
    return np.asarray(found, np.int64)


def _simulated_scenes(store: EventStore) -> frozenset[str]:
    get = getattr(store, "simulated_scenes", None)
    return frozenset(get()) if get is not None else frozenset()


def mark_simulated(
    table: pa.Table, mmsis: npt.NDArray[np.int64], *, scenes: frozenset[str] = frozenset()
) -> pa.Table:
    """Set ``simulated``: true for events with a vessel among ``mmsis`` (heard in simulated
    input) or derived from a detection of a simulated scene (``details.scene_id`` in
    ``scenes``), false for the others."""
    flags = np.zeros(table.num_rows, np.bool_)
    if table.num_rows and len(mmsis):
        vessels = table.column("vessels").combine_chunks()
        flat = np.asarray(pc.cast(vessels.flatten(), pa.int64()).to_numpy(False), np.int64)
        hit = np.isin(flat, mmsis).astype(np.int64)
        offsets = np.asarray(vessels.offsets.to_numpy(False), np.int64)
        csum = np.concatenate(([0], np.cumsum(hit)))
        flags = (csum[offsets[1:]] - csum[offsets[:-1]]) > 0
    if table.num_rows and scenes:
        details = table.column("details")
        has = pc.fill_null(pc.match_substring(details, '"scene_id"'), False).to_numpy(False)
        for row in np.flatnonzero(has):
            text = details[int(row)].as_py()
            if json.loads(text).get("scene_id") in scenes:
                flags[row] = True
    idx = table.schema.get_field_index("simulated")
    return table.set_column(idx, "simulated", pa.array(flags, pa.bool_()))


def _link(table: pa.Table, store: EventStore, types: Sequence[str]) -> pa.Table:
    """``incident_id`` of the new events, linked with each other and with the store's
    events of the types not re-run (the store links them all again under its write lock)."""
    kept = store.events()
    if kept.num_rows:
        kept = kept.filter(pc.invert(pc.is_in(kept.column("type"), pa.array(list(types)))))
        kept = kept.select(EVENTS.names).cast(EVENTS)
    both = link_incidents(pa.concat_tables([table, kept]))
    return both.slice(0, table.num_rows)


def plausible_day_files(files: list[Path]) -> list[Path]:
    """Day files whose UTC day lies in ``[schema.TIME_MIN, schema.TIME_MAX)``: a store
    written before ingest applied that window may hold year-1 or year-9999 partitions,
    which no detector can use (they made ``detect`` fail for the whole store)."""
    from seawatch import schema

    lo, hi = schema.TIME_MIN.date().isoformat(), schema.TIME_MAX.date().isoformat()
    out = []
    for f in files:
        day = f.parent.name.removeprefix("day=")
        if not day[:1].isdigit() or (len(day) == 10 and lo <= day < hi):
            out.append(f)
    return out
