"""Partitioning: MMSI ranges read straight from the store's day files (sorted by MMSI), and
the coverage grid (positions per cell per hour, all vessels) of the kernels that ask for it.

Scratch files (slots and pairs) are uncompressed Arrow IPC: written and read back once on
the same machine, no compression to pay for."""

from __future__ import annotations

import itertools
import math
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.parquet as pq

from seawatch._duck import connect
from seawatch.detect.coverage import coverage_of_batches
from seawatch.schema import POSITIONS
from seawatch.tracks.columns import group_bounds

I64 = npt.NDArray[np.int64]

COLUMNS = ("mmsi", "ts", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status")
"""Position columns the kernels read (the rest stay in the store)."""


def plan_buckets(total_rows: int, *, bucket_rows: int, workers: int = 1) -> int:
    """How many mmsi buckets: enough to keep each at about ``bucket_rows`` positions, and at
    least two per worker when there is work (so the pool stays busy to the end).

    Results do not depend on it: every kernel sees whole vessels (tested across bucket and
    worker counts)."""
    n = max(1, math.ceil(total_rows / max(1, bucket_rows)))
    if total_rows > 0 and workers > 1:
        n = max(n, 2 * workers)
    return n


def _runs(m: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``np.unique(m, return_counts=True)``; in one pass where ``m`` is sorted, as a store's
    day file is (the sort of 20 M MMSIs took 1.3-2.7 s of a five-day store's partition)."""
    if len(m) and bool((m[1:] >= m[:-1]).all()):
        bounds = group_bounds(m)
        return m[bounds[:-1]], np.diff(bounds)
    u, c = np.unique(m, return_counts=True)
    return u.astype(np.int64), c.astype(np.int64)


MmsiRange = tuple[int | None, int | None]
"""``(lo, hi)``: the MMSIs with ``lo < mmsi <= hi`` (None: unbounded)."""


def in_range(mmsi: npt.NDArray[np.int64], rng: MmsiRange) -> npt.NDArray[np.bool_]:
    """Which of ``mmsi`` lie in ``rng``."""
    lo, hi = rng
    ok = np.ones(len(mmsi), np.bool_)
    if lo is not None:
        ok &= mmsi > lo
    if hi is not None:
        ok &= mmsi <= hi
    return ok


def _range_overlaps(rng: MmsiRange, lo: int, hi: int) -> bool:
    a, b = rng
    return (a is None or hi > a) and (b is None or lo <= b)


def mmsi_ranges(files: Iterable[Path], *, n_buckets: int) -> list[MmsiRange]:
    """Split the MMSIs of the store's position files into at most ``n_buckets`` ranges of
    about equal row counts (fewer when MMSIs are too few to split).

    The store's files are sorted by MMSI in row groups of ~65k rows, so the row groups'
    MMSI statistics place the bounds without reading data (a small store, or files without
    statistics, have their MMSI column read). Any bounds give the same events: a range
    holds whole vessels."""
    if n_buckets <= 1:
        return [(None, None)]
    paths = list(files)
    weights: list[npt.NDArray[np.int64]] = []
    counts: list[npt.NDArray[np.int64]] = []
    maxes: list[int] = []
    rows: list[int] = []
    fine = True  # every row group has statistics and is small
    for f in paths:
        md = pq.read_metadata(f)
        col = md.schema.to_arrow_schema().get_field_index("mmsi")
        for i in range(md.num_row_groups):
            rg = md.row_group(i)
            st = rg.column(col).statistics
            if st is None or not st.has_min_max or rg.num_rows > 100_000:
                fine = False
                break
            maxes.append(int(st.max))
            rows.append(rg.num_rows)
        if not fine:
            break
    if fine and len(maxes) >= 8 * n_buckets:
        weights.append(np.asarray(maxes, np.int64))
        counts.append(np.asarray(rows, np.int64))
    else:  # few or coarse row groups (a small store): count the MMSIs themselves
        for f in paths:
            m = np.asarray(pq.read_table(f, columns=["mmsi"]).column("mmsi").to_numpy(), np.int64)
            u, c = _runs(m)
            weights.append(u)
            counts.append(c)
    if not weights:
        return [(None, None)]
    key = np.concatenate(weights)
    cnt = np.concatenate(counts)
    order = np.argsort(key, kind="stable")
    key, cum = key[order], np.cumsum(cnt[order])
    total = int(cum[-1])
    targets = [total * k / n_buckets for k in range(1, n_buckets)]
    pos = np.searchsorted(cum, targets, side="left")
    bounds = sorted({int(key[min(i, len(key) - 1)]) for i in pos.tolist()})
    bounds = [b for b in bounds if b < int(key[-1])]  # the last range keeps the top MMSI
    edges: list[int | None] = [None, *bounds, None]
    return list(itertools.pairwise(edges))


def snapshot_files(files: Iterable[Path], out: Path) -> list[Path]:
    """Hard links to ``files`` under ``out`` (same order), so that an ingest replacing a day
    file while the workers read it cannot take it away (the link keeps the old file); the
    original path where a link is impossible (another file system)."""
    out.mkdir(parents=True, exist_ok=True)
    linked: list[Path] = []
    for i, f in enumerate(files):
        target = out / f"{i:06d}.parquet"
        try:
            os.link(f, target)
        except OSError:
            linked.append(Path(f))
            continue
        linked.append(target)
    return linked


def read_range(
    files: Iterable[Path], rng: MmsiRange, *, columns: Sequence[str] = COLUMNS
) -> pa.Table:
    """The positions of the MMSIs in ``rng`` from the store's files, only the row groups
    whose MMSI statistics overlap it, in ``columns``, sorted by ``mmsi, ts`` (stable: rows of
    one instant keep the store's order)."""
    tables: list[pa.Table] = []
    for f in files:
        pf = pq.ParquetFile(f)
        md = pf.metadata
        col = pf.schema_arrow.get_field_index("mmsi")
        groups: list[int] = []
        for i in range(md.num_row_groups):
            st = md.row_group(i).column(col).statistics
            if st is None or not st.has_min_max or _range_overlaps(rng, int(st.min), int(st.max)):
                groups.append(i)
        if not groups:
            continue
        t = pf.read_row_groups(groups, columns=list(columns))
        m = np.asarray(pc.cast(t.column("mmsi"), pa.int64()).to_numpy(), np.int64)
        ok = in_range(m, rng)
        tables.append(t if ok.all() else t.filter(pa.array(ok)))
    if not tables:
        return pa.schema([POSITIONS.field(c) for c in columns]).empty_table()
    table = pa.concat_tables(tables, promote_options="default")
    if len(tables) > 1 and table.num_rows > 1 and table.column("ts").null_count == 0:
        m = np.asarray(pc.cast(table.column("mmsi"), pa.int64()).to_numpy(), np.int64)
        t_us = np.asarray(pc.cast(table.column("ts"), pa.int64()).to_numpy(), np.int64)
        table = table.take(pa.array(np.lexsort((t_us, m))))
    return table


def count_rows(files: Iterable[Path]) -> int:
    """Rows in Parquet files, from their footers."""
    return sum(pq.read_metadata(f).num_rows for f in files)


def _sql_files(files: Iterable[Path]) -> str:
    """A DuckDB list literal of file paths (quotes doubled)."""
    quoted = ["'" + str(f).replace("'", "''") + "'" for f in files]
    return "[" + ", ".join(quoted) + "]"


def _connect() -> duckdb.DuckDBPyConnection:
    con = connect()
    con.execute("SET preserve_insertion_order = false")
    return con


def coverage(files: Iterable[Path], *, cell_deg: float) -> pa.Table:
    """The coverage grid of the store's position files (all vessels, all days), schema
    :data:`seawatch.detect.coverage.COVERAGE`, sorted by cell and hour: the files read
    :data:`COVERAGE_BATCH_ROWS` rows (four columns) at a time, each batch reduced to its
    runs of one vessel in one cell and hour
    (:func:`seawatch.detect.coverage.coverage_of_batches`), so memory holds one batch and
    the runs. The same table as the portable
    :data:`~seawatch.detect.coverage.COVERAGE_SQL` (tested); on the 20 M-position day of
    the pipeline benchmark 0.9-1.4 s where that SQL took 1.9-2.2 s in DuckDB."""

    def batches() -> Iterator[pa.RecordBatch]:
        # row group by row group: ParquetFile.iter_batches read ahead and held 0.5 GB of a
        # 20 M-row file at once (row groups are 65,536 rows in files the store writes)
        for path in files:
            pf = pq.ParquetFile(path)
            for i in range(pf.num_row_groups):
                group = pf.read_row_group(i, columns=COVERAGE_COLUMNS, use_threads=False)
                yield from group.to_batches(max_chunksize=COVERAGE_BATCH_ROWS)

    grid = coverage_of_batches(batches(), cell_deg=cell_deg)
    pa.default_memory_pool().release_unused()  # before the workers take their memory
    return grid


COVERAGE_COLUMNS = ["mmsi", "ts", "lat", "lon"]
COVERAGE_BATCH_ROWS = 1 << 16
"""Rows per batch of :func:`coverage`: small enough that its temporaries come from the
heap again and again (batches of a million rows took 0.7 s more in a fresh process, the
kernel zeroing new pages for each), large enough that numpy's per-call cost is noise."""


def mmsis_of_sources(files: Iterable[Path], sources: Iterable[str]) -> npt.NDArray[np.int64]:
    """Distinct MMSIs (sorted) of the rows of ``files`` whose ``source`` is one of
    ``sources`` (the simulated inputs, for the events' ``simulated`` flag)."""
    paths = list(files)
    names = sorted(set(sources))
    if not paths or not names:
        return np.zeros(0, np.int64)
    listing = ", ".join("'" + n.replace("'", "''") + "'" for n in names)
    con = _connect()
    try:
        got = con.sql(
            f"SELECT DISTINCT mmsi FROM read_parquet({_sql_files(paths)}, union_by_name = true) "
            f"WHERE CAST(source AS VARCHAR) IN ({listing}) ORDER BY mmsi"
        ).to_arrow_table()
    finally:
        con.close()
    return np.asarray(pc.cast(got.column("mmsi"), pa.int64()).to_numpy(), np.int64)


def write_scratch(table: pa.Table, path: Path) -> None:
    """An uncompressed Arrow IPC file, written under a temporary name and renamed: a
    reader (or a retried task writing the same file) never sees half of it."""
    tmp = path.with_name(f"{path.name}.tmp-{uuid.uuid4().hex[:12]}")
    try:
        feather.write_feather(table, tmp, compression="uncompressed")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_scratch(path: Path) -> pa.Table:
    """A file of :func:`write_scratch` (memory-mapped)."""
    return feather.read_table(path, memory_map=True)


def scratch_rows(path: Path) -> int:
    """The rows of a file of :func:`write_scratch`, from its footer (no column is read)."""
    with pa.memory_map(str(path)) as source:
        return int(pa.ipc.open_file(source).count_rows())
