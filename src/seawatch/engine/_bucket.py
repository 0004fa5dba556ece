"""The work of one mmsi bucket (a range of MMSIs): read its positions (all days) from the
store's files, clean and segment them once,
run the per-vessel kernels, and resample to 10-minute slots for the pair step.

Runs in a worker process; everything it receives and returns pickles (paths, parameter
dataclasses, a :class:`~seawatch.detect.GeoContext`, Arrow tables of events)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._units import US_PER_DAY
from seawatch.detect import KERNELS, GeoContext, resolve_geo, uses_coverage
from seawatch.engine._partition import MmsiRange, read_range, read_scratch, write_scratch
from seawatch.schema import EVENTS, POSITIONS
from seawatch.tracks import ResampleParams, prepare
from seawatch.tracks import resample as resample_slots

DAY_US = US_PER_DAY


@dataclass(frozen=True, slots=True)
class BucketTask:
    """One bucket's inputs: the store's position files and the bucket's MMSI range, the
    per-vessel detectors to run with their parameters, and (when pair steps are selected)
    where to write its slots by day."""

    bucket: int
    files: tuple[Path, ...]
    mmsi_range: MmsiRange
    detectors: tuple[tuple[str, Any], ...]
    resample: ResampleParams | None
    slots_dir: Path | None
    geo: GeoContext | None
    coverage: dict[float, Path]
    """Coverage grids (scratch Arrow files) by cell size, for the kernels that take one."""


@dataclass(frozen=True, slots=True)
class BucketResult:
    """Events of the bucket's vessels, the UTC days its slots were written for with the
    slots of each (``("YYYY-MM-DD", rows)``), row counts."""

    bucket: int
    events: pa.Table
    slot_days: tuple[tuple[str, int], ...]
    n_positions: int
    n_slots: int


def read_bucket(files: tuple[Path, ...], mmsi_range: MmsiRange = (None, None)) -> pa.Table:
    """The bucket's positions (all days), in the columns the kernels need."""
    if not files:
        return POSITIONS.empty_table()
    return read_range(files, mmsi_range)


def run_bucket(task: BucketTask) -> BucketResult:
    """Run one bucket (in a worker process or in-process)."""
    table = read_bucket(task.files, task.mmsi_range)
    n = table.num_rows
    if n == 0:
        return BucketResult(task.bucket, EVENTS.empty_table(), (), 0, 0)
    coverage = {cell: read_scratch(path) for cell, path in task.coverage.items()}
    events, slots = run_vessels(
        table, detectors=task.detectors, resample=task.resample, geo=task.geo, coverage=coverage
    )
    days: tuple[tuple[str, int], ...] = ()
    n_slots = 0
    if slots is not None and task.slots_dir is not None:
        n_slots = slots.num_rows
        days = write_slots_by_day(slots, task.slots_dir, task.bucket)
    return BucketResult(task.bucket, events, days, n, n_slots)


def run_vessels(
    table: pa.Table,
    *,
    detectors: tuple[tuple[str, Any], ...],
    resample: ResampleParams | None,
    geo: GeoContext | None,
    coverage: Mapping[float, pa.Table],
) -> tuple[pa.Table, pa.Table | None]:
    """The per-vessel work of whole vessels (positions sorted by ``mmsi, ts``): clean and
    segment once, run the ``detectors`` (``coverage``: grids by cell size), resample to
    slots when ``resample`` is given. Returns the events and the slots (or None). Every
    runner calls this: the local pool per MMSI range, Spark per ``hash(mmsi)`` bucket."""
    g = resolve_geo(geo)
    prepared = prepare(table, geo=g)
    del table
    out: list[pa.Table] = []
    for name, params in detectors:
        kw: dict[str, Any] = {"params": params, "geo": g}
        cell = uses_coverage(params)
        if cell is not None and cell in coverage:
            kw["coverage"] = coverage[cell]
        out.append(KERNELS[name](prepared, **kw))
    slots = resample_slots(prepared, params=resample) if resample is not None else None
    events = pa.concat_tables(out) if out else EVENTS.empty_table()
    return events, slots


def write_slots_by_day(slots: pa.Table, root: Path, bucket: int) -> tuple[tuple[str, int], ...]:
    """Write ``root/day=YYYY-MM-DD/b=K.arrow`` for each UTC day of the slots (each file
    whole or not at all: a retried Spark task writes the same bytes again); returns each
    day's name and slot count."""
    if slots.num_rows == 0:
        return ()
    us = np.asarray(pc.cast(slots.column("slot"), pa.int64()).to_numpy(), np.int64)
    day = np.floor_divide(us, DAY_US)
    order = np.argsort(day, kind="stable")
    day_sorted = day[order]
    bounds = np.flatnonzero(np.diff(day_sorted)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(day_sorted)]))
    table = slots.take(pa.array(order))
    written: list[tuple[str, int]] = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        name = datetime.fromtimestamp(int(day_sorted[a]) * 86_400, tz=UTC).date().isoformat()
        path = root / f"day={name}" / f"b={bucket}.arrow"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_scratch(table.slice(a, b - a), path)
        written.append((name, b - a))
    return tuple(written)
