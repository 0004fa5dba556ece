"""Partitioning: mmsi buckets, the one-pass shuffle of the store into them, and the
reception-density grid the gap detector needs (computed over all vessels during the pass).

Scratch files are uncompressed Arrow IPC (written and read back once, on the same machine:
no compression or encoding to pay for)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.ipc
import pyarrow.parquet as pq

from seawatch.schema import POSITIONS

I64 = npt.NDArray[np.int64]

COLUMNS = ("mmsi", "ts", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status")
"""Position columns the kernels read (the rest stay in the store)."""

_GOLDEN = np.uint64(2654435761)  # Knuth's multiplicative hash


def bucket_of(mmsi: npt.ArrayLike, n_buckets: int) -> I64:
    """Bucket of each MMSI: ``(mmsi * 2654435761 mod 2**32) mod n_buckets``.

    The same in every process and run (Python's ``hash`` is not), spreads the MMSIs of one
    country (same leading digits) and sequential MMSIs over all buckets."""
    m = np.asarray(mmsi).astype(np.uint64)
    h = (m * _GOLDEN) & np.uint64(0xFFFFFFFF)
    return (h % np.uint64(n_buckets)).astype(np.int64)


def plan_buckets(total_rows: int, *, bucket_rows: int) -> int:
    """How many mmsi buckets keep each at about ``bucket_rows`` positions (at least 1).

    It depends only on the store's size, never on the number of workers, so results do not
    depend on the workers either (they would not anyway: kernels see whole vessels)."""
    return max(1, math.ceil(total_rows / max(1, bucket_rows)))


def count_rows(files: Iterable[Path]) -> int:
    """Rows in Parquet files, from their footers."""
    return sum(pq.read_metadata(f).num_rows for f in files)


@dataclass(slots=True)
class Coverage:
    """Positions per 1° (``cell_deg``) cell over all vessels and days (gap ``likely_disabled``)."""

    cell_deg: float
    counts: dict[int, int] = field(default_factory=dict)
    ts_min: int | None = None
    ts_max: int | None = None

    def add(self, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], ts: I64) -> None:
        ok = ~(np.isnan(lat) | np.isnan(lon))
        if not ok.any():
            return
        cl = np.floor(lat[ok] / self.cell_deg).astype(np.int64)
        co = np.floor(lon[ok] / self.cell_deg).astype(np.int64)
        key = cl * 100_000 + co
        lo_k, hi_k = int(key.min()), int(key.max())
        if hi_k - lo_k < 50_000_000:  # a counting pass, O(n)
            n_all = np.bincount(key - lo_k)
            idx = np.flatnonzero(n_all)
            keys, n = idx + lo_k, n_all[idx]
        else:
            keys, n = np.unique(key, return_counts=True)
        for k, c in zip(keys.tolist(), n.tolist(), strict=True):
            self.counts[k] = self.counts.get(k, 0) + c
        lo, hi = int(ts[ok].min()), int(ts[ok].max())
        self.ts_min = lo if self.ts_min is None else min(self.ts_min, lo)
        self.ts_max = hi if self.ts_max is None else max(self.ts_max, hi)

    def table(self) -> pa.Table:
        """``cell_lat, cell_lon, positions_per_day`` as :func:`seawatch.detect.reception_density`."""
        keys = np.array(sorted(self.counts), dtype=np.int64)
        counts = np.array([self.counts[int(k)] for k in keys], dtype=np.float64)
        days = 1.0
        if self.ts_min is not None and self.ts_max is not None:
            days = max((self.ts_max - self.ts_min) / 8.64e10, 1.0)
        ulat = np.floor_divide(keys + 50_000, 100_000)
        ulon = keys - ulat * 100_000
        return pa.table(
            {
                "cell_lat": pa.array(ulat.astype(np.int32), pa.int32()),
                "cell_lon": pa.array(ulon.astype(np.int32), pa.int32()),
                "positions_per_day": pa.array(counts / days, pa.float64()),
            }
        )


def write_scratch(table: pa.Table, path: Path) -> None:
    """An uncompressed Arrow IPC file."""
    feather.write_feather(table, path, compression="uncompressed")


def read_scratch(path: Path) -> pa.Table:
    """A file of :func:`write_scratch` (memory-mapped)."""
    return feather.read_table(path, memory_map=True)


SCRATCH = pa.schema([POSITIONS.field(c) for c in COLUMNS])
"""Schema of the shuffled positions."""


def iter_store_batches(
    files: Iterable[Path], *, batch_rows: int = 1 << 20
) -> Iterator[tuple[date, pa.Table]]:
    """The store's position files (``positions/day=YYYY-MM-DD/*.parquet``) in day order,
    as batches of at most ``batch_rows`` rows of the :data:`COLUMNS` the kernels need.
    Memory: one batch (the store writes row groups of 64k rows)."""
    by_day: dict[str, list[Path]] = {}
    for f in files:
        by_day.setdefault(f.parent.name.removeprefix("day="), []).append(f)
    for day in sorted(by_day):
        d = date.fromisoformat(day)
        for f in by_day[day]:
            pf = pq.ParquetFile(f)
            for batch in pf.iter_batches(batch_size=batch_rows, columns=list(COLUMNS)):
                yield d, pa.Table.from_batches([batch]).cast(SCRATCH)


def shuffle(
    batches: Iterable[tuple[date, pa.Table]],
    out: Path,
    *,
    n_buckets: int,
    coverage: Coverage | None = None,
    progress: Callable[[date, int], None] | None = None,
) -> list[list[Path]]:
    """Split positions (batches in day order) into ``n_buckets`` mmsi buckets, written as
    Arrow IPC files ``out/b=K/YYYY-MM-DD.arrow``; returns the files of each bucket.
    Memory: one batch (each bucket's file of the current day is appended to)."""
    files: list[list[Path]] = [[] for _ in range(n_buckets)]
    writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
    current: date | None = None

    def close_all() -> None:
        for w in writers.values():
            w.close()
        writers.clear()

    try:
        for day, table in batches:
            if day != current:
                close_all()
                current = day
            if progress is not None:
                progress(day, table.num_rows)
            if table.num_rows == 0:
                continue
            if coverage is not None:
                sub = table.filter(pc.is_valid(table.column("ts")))
                coverage.add(
                    np.asarray(
                        pc.cast(sub.column("lat"), pa.float64()).to_numpy(False), np.float64
                    ),
                    np.asarray(
                        pc.cast(sub.column("lon"), pa.float64()).to_numpy(False), np.float64
                    ),
                    np.asarray(pc.cast(sub.column("ts"), pa.int64()).to_numpy(False), np.int64),
                )
                del sub
            mmsi = np.asarray(pc.cast(table.column("mmsi"), pa.int64()).to_numpy(), np.int64)
            b = bucket_of(mmsi, n_buckets)
            order = np.argsort(b, kind="stable")
            counts = np.bincount(b, minlength=n_buckets)
            sorted_table = table.take(pa.array(order))
            offset = 0
            for k in range(n_buckets):
                n = int(counts[k])
                if n:
                    if k not in writers:
                        path = out / f"b={k}" / f"{day.isoformat()}.arrow"
                        path.parent.mkdir(parents=True, exist_ok=True)
                        writers[k] = pa.ipc.new_file(str(path), SCRATCH)
                        files[k].append(path)
                    writers[k].write_table(sorted_table.slice(offset, n))
                offset += n
            del sorted_table, table
    finally:
        close_all()
    return files
