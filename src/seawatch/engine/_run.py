"""``run_detectors``: every detector over a whole store, in bounded memory.

Partitioning (DESIGN.md §5):

1. **Partition**: ``n`` MMSI ranges of about ``bucket_rows`` positions each (bounds from
   the row-group statistics of the store's files, which are sorted by MMSI), at least two
   per worker; results never depend on ``n``. Nothing is copied: each worker reads its
   range from the store's day files (hard-linked into the scratch directory first, so a
   concurrent ingest cannot delete them mid-run), only the row groups whose MMSI
   statistics overlap it. When a selected kernel asks for it
   (:func:`seawatch.detect.uses_coverage`), a DuckDB scan builds the coverage grid
   (positions per cell per UTC hour over all vessels, portable SQL), written once to a
   scratch file the workers memory-map.
2. **Per-vessel work** (a process pool over buckets): a bucket holds *whole vessels over all
   days*, so per-vessel events of any length (a week in port, a 3-day gap) come out whole
   and exactly once with no halo at all. Each bucket is cleaned and segmented once, runs
   the per-vessel kernels, and is resampled to 10-minute slots written per UTC day.
   Memory per worker: one bucket (about ``bucket_rows`` positions).
3. **Pair step** (portable SQL in DuckDB): a slot only ever pairs with slots of the same
   time, so the pair search partitions exactly by day; the days are fed in order to an
   :class:`~seawatch.detect.encounters.EncounterStream`, which carries the close slots of
   encounters still open at midnight into the next day. Memory: one day of slots plus the
   open encounters.
4. ``details.with_encounter`` of loitering events, the region of events that have none,
   ``simulated`` (events of vessels heard in inputs the manifest marks simulated), the
   incident ids (:func:`seawatch.detect.link_incidents`, over these events and the
   store's events of detectors not re-run), and one atomic ``store.replace_events``.

Re-running gives the same events and ids: event ids hash type, vessels and start, and
every step is deterministic (buckets are processed independently and concatenated in
bucket order, then sorted).
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
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
    KERNELS,
    PRESETS,
    GeoContext,
    link_incidents,
    params_dict,
    resolve_geo,
    uses_coverage,
)
from seawatch.detect import encounters as _enc
from seawatch.detect._sql import DuckDBRunner
from seawatch.detect.identity import identity_changes
from seawatch.detect.interception import InterceptionParams, interceptions
from seawatch.detect.watchlist import watchlist_hits
from seawatch.engine._bucket import DAY_US, BucketResult, BucketTask, run_bucket
from seawatch.engine._dark import dark_step
from seawatch.engine._partition import (
    count_rows,
    coverage,
    mmsi_ranges,
    mmsis_of_sources,
    plan_buckets,
    read_scratch,
    snapshot_files,
    write_scratch,
)
from seawatch.schema import EVENTS
from seawatch.tracks import SLOTS, ResampleParams

__all__ = [
    "DETECTORS",
    "EVENT_TYPES",
    "PRESETS",
    "EngineStats",
    "detector_types",
    "preset_params",
    "resolve_only",
    "run_detectors",
]

DETECTORS: tuple[str, ...] = tuple(EVENT_TYPES)
"""Detectors the engine runs (every detector of :data:`seawatch.detect.EVENT_TYPES`)."""

PAIR_DETECTORS = ("encounter", "interception")
"""Detectors that run on the slots of all vessels (the pair steps)."""

STATICS_DETECTORS = ("identity_change", "watchlist_hit")
"""Detectors that run once on the whole statics table."""

DEFAULT_BUCKET_ROWS = 2_000_000


class EventStore(Protocol):
    """What the engine needs of :class:`seawatch.store.Store`."""

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
    pairs, interception, statics, write."""

    def _lap(self, stage: str, t0: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - t0
        return now


def preset_params(preset: str) -> Mapping[str, Any]:
    """Parameters of every detector in ``preset`` (``default`` or ``gfw``)."""
    try:
        return PRESETS[preset]
    except KeyError:
        raise ParameterError(
            f"unknown preset {preset!r} (choose from {', '.join(sorted(PRESETS))})"
        ) from None


def resolve_only(only: Iterable[str] | str | None) -> tuple[str, ...]:
    """Detector names from ``only`` (detector names or event types, comma-separated or a
    list); all detectors when None."""
    if only is None:
        return DETECTORS
    items = [only] if isinstance(only, str) else list(only)
    names = [s.strip() for item in items for s in item.split(",") if s.strip()]
    wanted: set[str] = set()
    for name in names:
        det = next((d for d, types in EVENT_TYPES.items() if name == d or name in types), None)
        if det is None:
            known = sorted({t for ts in EVENT_TYPES.values() for t in ts} | set(DETECTORS))
            raise ParameterError(f"unknown detector or event type {name!r} ({', '.join(known)})")
        wanted.add(det)
    if not wanted:
        raise ParameterError("--only names no detector")
    return tuple(d for d in DETECTORS if d in wanted)


def detector_types(detectors: Iterable[str]) -> tuple[str, ...]:
    """Event types the detectors emit."""
    return tuple(t for d in detectors for t in EVENT_TYPES[d])


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
    memory_limit: str | None = "1GB",
) -> pa.Table:
    """Run the detectors of ``preset`` (all, or ``only`` these) over the whole store and
    replace their events in it (``write=False``: only return them).

    ``workers``: processes for the per-vessel step (None: one per CPU; 1: in-process).
    ``geo``: the geography (None: bundled; must pickle). ``bucket_rows``: positions per mmsi
    bucket (bounds a worker's memory). ``scratch_dir``: where the links to the position
    files, slots and pairs go (a temporary directory, removed afterwards).
    ``progress(stage, done, total)`` is called as work completes. ``memory_limit`` caps
    DuckDB in the coverage scan (a DuckDB size string; it spills to ``scratch_dir`` beyond
    it). Returns the events (schema EVENTS), sorted.
    """
    params = preset_params(preset)
    selected = resolve_only(only)
    types = detector_types(selected)
    st = stats if stats is not None else EngineStats()
    if workers is not None and workers < 1:
        raise ParameterError("workers must be >= 1")
    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    files = plausible_day_files(store.files("positions"))
    total = count_rows(files)
    n_buckets = plan_buckets(total, bucket_rows=bucket_rows, workers=n_workers)
    st.n_positions, st.n_buckets = total, n_buckets
    kernels = tuple((d, params[d]) for d in selected if d in KERNELS)
    enc_params: _enc.EncounterParams | None = (
        params["encounter"] if "encounter" in selected else None
    )
    icp_params: InterceptionParams | None = (
        params["interception"] if "interception" in selected else None
    )
    slot_params = _slot_params(enc_params, icp_params)
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
                write_scratch(coverage(files, cell_deg=cell, memory_limit=memory_limit), path)
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
        results = _map_buckets(tasks, n_workers, progress)
        t0 = st._lap("vessels", t0)
        st.n_slots = sum(r.n_slots for r in results)
        parts = [r.events for r in results]
        g = resolve_geo(geo)
        encounter_events: pa.Table | None = None
        pairs_dir = root / "pairs" if icp_params is not None else None
        if slots_dir is not None:
            enc = _pair_step(
                slots_dir,
                enc_params,
                icp_params,
                pairs_dir=pairs_dir,
                geo=g,
                stats=st,
                progress=progress,
            )
            if enc_params is not None:
                encounter_events = enc
                parts.append(enc)
        t0 = st._lap("pairs", t0)
        if icp_params is not None and slots_dir is not None and pairs_dir is not None:
            statics = store.statics()
            roles = vessel_roles(statics, entries=store.role_entries())
            parts.append(
                _interceptions(
                    slots_dir,
                    pairs_dir,
                    icp_params,
                    statics=statics,
                    roles=roles,
                    geo=g,
                    progress=progress,
                )
            )
        t0 = st._lap("interception", t0)
    if any(d in STATICS_DETECTORS for d in selected):
        parts.extend(_statics_step(store, selected, params, geo=g))
    if "dark" in selected:
        parts.append(dark_step(store, params["dark"], geo=g))
    table = pa.concat_tables([EVENTS.empty_table(), *parts])
    if "loitering" in selected:
        if encounter_events is None:
            encounter_events = store.events(types=["encounter"])
        table = _with_encounter(table, encounter_events)
    table = _fill_region(table, g)
    table = mark_simulated(table, simulated)
    table = _link(table, store, types)
    table = table.sort_by(
        [("start", "ascending"), ("type", "ascending"), ("event_id", "ascending")]
    )
    st.n_events = table.num_rows
    t0 = st._lap("statics", t0)
    if write:
        run = {
            "preset": preset,
            "detectors": list(selected),
            "params": {d: params_dict(params[d]) for d in selected},
            "version": __version__,
        }
        store.replace_events(table, types=types, run=run, finish=link_incidents)
        st._lap("write", t0)
    return table


def _slot_params(
    enc: _enc.EncounterParams | None, icp: InterceptionParams | None
) -> ResampleParams | None:
    """The resampling both pair steps share (they must agree on the slot length)."""
    if enc is None and icp is None:
        return None
    if enc is not None and icp is not None and enc.slot_min != icp.slot_min:
        raise ParameterError("encounter and interception parameters use different slot_min")
    if enc is not None:
        return ResampleParams(slot_min=enc.slot_min, max_gap_h=enc.max_interp_gap_h)
    assert icp is not None
    return ResampleParams(slot_min=icp.slot_min)


def _map_buckets(
    tasks: Sequence[BucketTask],
    workers: int,
    progress: Callable[[str, int, int], None] | None,
) -> list[BucketResult]:
    results: list[BucketResult] = []
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            results.append(run_bucket(task))
            if progress is not None:
                progress("vessels", len(results), len(tasks))
        return results
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx) as pool:
        for result in pool.map(run_bucket, tasks):
            results.append(result)
            if progress is not None:
                progress("vessels", len(results), len(tasks))
    return results


def _pair_step(
    slots_dir: Path,
    enc: _enc.EncounterParams | None,
    icp: InterceptionParams | None,
    *,
    pairs_dir: Path | None,
    geo: GeoContext,
    stats: EngineStats,
    progress: Callable[[str, int, int], None] | None,
) -> pa.Table:
    """The pair search over the slot files, one UTC day at a time: encounters streamed
    (carried across midnight); with ``icp``, the pairs within its ``close_dist_m`` written
    per day to ``pairs_dir`` for the interception windows. One SQL pass serves both."""
    runner = DuckDBRunner()
    search = enc if enc is not None else _enc.EncounterParams()
    max_dist = max(
        enc.max_dist_m if enc is not None else 0.0, icp.close_dist_m if icp is not None else 0.0
    )
    search = dataclasses.replace(search, max_dist_m=max_dist)
    stream = _enc.EncounterStream(params=enc, geo=geo, runner=runner) if enc is not None else None
    out: list[pa.Table] = [EVENTS.empty_table()]
    day_dirs = sorted(slots_dir.glob("day=*")) if slots_dir.is_dir() else []
    for i, day_dir in enumerate(day_dirs):
        slots = _read_slots([day_dir])
        day0 = _day_us(day_dir)
        close = _enc.close_pairs(slots, params=search, runner=runner)
        del slots
        if icp is not None and pairs_dir is not None:
            near = close.filter(pc.less_equal(close.column("dist_m"), icp.close_dist_m))
            slot_us = pc.multiply(near.column("slot_no"), pa.scalar(search.slot_us, pa.int64()))
            pairs = pa.table(
                {"mmsi_a": near.column("mmsi_a"), "mmsi_b": near.column("mmsi_b"), "slot": slot_us}
            )
            pairs_dir.mkdir(parents=True, exist_ok=True)
            write_scratch(pairs, pairs_dir / f"{day_dir.name}.arrow")
        if stream is not None and enc is not None:
            if max_dist > enc.max_dist_m:
                close = close.filter(pc.less_equal(close.column("dist_m"), enc.max_dist_m))
            stats.n_close_pairs += close.num_rows
            out.append(stream.push_close(close, until=day0 + DAY_US))
            stats.max_carried_pairs = max(stats.max_carried_pairs, stream.carried_rows)
        if progress is not None:
            progress("pairs", i + 1, len(day_dirs))
    if stream is not None:
        out.append(stream.finish())
    runner.close()
    return pa.concat_tables(out)


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


def _interceptions(
    slots_dir: Path,
    pairs_dir: Path,
    params: InterceptionParams,
    *,
    statics: pa.Table,
    roles: pa.Table,
    geo: GeoContext,
    progress: Callable[[str, int, int], None] | None,
) -> pa.Table:
    """Interceptions one UTC day at a time over a window with a halo of ``halo_h`` hours of
    slots on each side (the approach before a contact, the diversion after it); an event
    belongs to the day of its start, so it comes out once. Contacts longer than the halo
    that start before midnight are seen cut in the next day's window: they are dropped there
    (their start is on the previous day) and found whole in the day they start."""
    halo_h = params.approach_window_h + params.after_window_h + params.dark_min_h + 1.0
    halo_us = round(halo_h * 3.6e9)
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
        ev = interceptions(slots, statics=statics, pairs=pairs, params=params, geo=geo, roles=roles)
        if ev.num_rows:
            st = pc.cast(ev.column("start"), pa.int64())
            ev = ev.filter(pc.and_(pc.greater_equal(st, day0), pc.less(st, day0 + DAY_US)))
        out.append(ev)
        if progress is not None:
            progress("interception", i + 1, len(starts))
    return pa.concat_tables(out)


def _statics_step(
    store: EventStore, selected: Sequence[str], params: Mapping[str, Any], *, geo: GeoContext
) -> list[pa.Table]:
    """Identity changes and watchlist hits over the whole statics table (small)."""
    statics = store.statics()
    out: list[pa.Table] = []
    if "identity_change" in selected:
        vessels = store.vessels() if hasattr(store, "vessels") else None  # when each was heard
        out.append(identity_changes(statics, params=params["identity_change"], vessels=vessels))
    if "watchlist_hit" in selected:
        from seawatch.watchlist import all_lists

        root = getattr(store, "root", None)  # the store's user lists beside the bundled ones
        lists = all_lists(Path(root) if root is not None else None)
        out.append(watchlist_hits(statics, lists=lists, params=params["watchlist_hit"], geo=geo))
    return out


def _with_encounter(table: pa.Table, encounters: pa.Table) -> pa.Table:
    """Loitering events get ``details.with_encounter``: ids of the same vessel's encounters
    that overlap it in time (a list, empty when none)."""
    is_loit = np.asarray(pc.equal(table.column("type"), "loitering").to_numpy(False), np.bool_)
    if not is_loit.any():
        return table
    index: dict[int, list[tuple[int, int, str]]] = {}
    if encounters.num_rows:
        starts = pc.cast(encounters.column("start"), pa.int64()).to_pylist()
        ends = pc.cast(encounters.column("end"), pa.int64()).to_pylist()
        for s, e, i, vs in zip(
            starts,
            ends,
            encounters.column("event_id").to_pylist(),
            encounters.column("vessels").to_pylist(),
            strict=True,
        ):
            for v in vs:
                index.setdefault(int(v), []).append((int(s), int(e), str(i)))
    starts = pc.cast(table.column("start"), pa.int64()).to_pylist()
    ends = pc.cast(table.column("end"), pa.int64()).to_pylist()
    vessels = table.column("vessels").to_pylist()
    details = table.column("details").to_pylist()
    for row in np.flatnonzero(is_loit).tolist():
        d = json.loads(details[row]) if details[row] else {}
        ids = sorted(
            {
                i
                for v in vessels[row]
                for s, e, i in index.get(int(v), ())
                if s <= ends[row] and e >= starts[row]
            }
        )
        d["with_encounter"] = ids
        details[row] = json.dumps(d, sort_keys=True, separators=(",", ":"), allow_nan=False)
    idx = table.schema.get_field_index("details")
    return table.set_column(idx, "details", pa.array(details, pa.string()))


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


def mark_simulated(table: pa.Table, mmsis: npt.NDArray[np.int64]) -> pa.Table:
    """Set ``simulated``: true for events with a vessel among ``mmsis`` (heard in simulated
    input), false for the others."""
    flags = np.zeros(table.num_rows, np.bool_)
    if table.num_rows and len(mmsis):
        vessels = table.column("vessels").combine_chunks()
        flat = np.asarray(pc.cast(vessels.flatten(), pa.int64()).to_numpy(False), np.int64)
        hit = np.isin(flat, mmsis).astype(np.int64)
        offsets = np.asarray(vessels.offsets.to_numpy(False), np.int64)
        csum = np.concatenate(([0], np.cumsum(hit)))
        flags = (csum[offsets[1:]] - csum[offsets[:-1]]) > 0
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


def _fill_region(table: pa.Table, geo: GeoContext) -> pa.Table:
    """The region of events that have none, from their position."""
    if table.num_rows == 0:
        return table
    region = table.column("region")
    need = pc.and_(
        pc.is_null(region),
        pc.and_(pc.is_valid(table.column("lat")), pc.is_valid(table.column("lon"))),
    )
    rows = np.flatnonzero(np.asarray(need.to_numpy(False), np.bool_))
    if len(rows) == 0:
        return table
    lat = np.asarray(pc.cast(table.column("lat"), pa.float64()).to_numpy(False), np.float64)
    lon = np.asarray(pc.cast(table.column("lon"), pa.float64()).to_numpy(False), np.float64)
    found = geo.region_of(lat[rows], lon[rows])
    values = region.to_pylist()
    for r, v in zip(rows.tolist(), list(found), strict=True):
        values[r] = None if v is None else str(v)
    idx = table.schema.get_field_index("region")
    return table.set_column(idx, "region", pa.array(values, pa.string()))


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
