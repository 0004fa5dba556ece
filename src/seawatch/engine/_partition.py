"""Partitioning: mmsi buckets, the one-pass shuffle of the store into them (DuckDB, streaming),
and the reception-density grid the gap detector needs (over all vessels).

Scratch files are uncompressed (Parquet for the buckets, Arrow IPC for slots and pairs):
written and read back once on the same machine, no compression to pay for."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.parquet as pq

from seawatch._exceptions import ParameterError

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


def plan_buckets(total_rows: int, *, bucket_rows: int, workers: int = 1) -> int:
    """How many mmsi buckets: enough to keep each at about ``bucket_rows`` positions, and at
    least two per worker when there is work (so the pool stays busy to the end).

    Results do not depend on it: every kernel sees whole vessels (tested across bucket and
    worker counts)."""
    n = max(1, math.ceil(total_rows / max(1, bucket_rows)))
    if total_rows > 0 and workers > 1:
        n = max(n, 2 * workers)
    return n


def count_rows(files: Iterable[Path]) -> int:
    """Rows in Parquet files, from their footers."""
    return sum(pq.read_metadata(f).num_rows for f in files)


def _sql_files(files: Iterable[Path]) -> str:
    """A DuckDB list literal of file paths (quotes doubled)."""
    quoted = ["'" + str(f).replace("'", "''") + "'" for f in files]
    return "[" + ", ".join(quoted) + "]"


def _connect(memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = false")
    if memory_limit is not None:
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit):
            raise ParameterError(f"bad memory limit {memory_limit!r}")
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con


def coverage(
    files: Iterable[Path], *, cell_deg: float, memory_limit: str | None = None
) -> pa.Table:
    """Positions per day in each ``cell_deg`` cell over all vessels and days of the store's
    position files: ``cell_lat, cell_lon`` (int32, ``floor(deg / cell_deg)``) and
    ``positions_per_day`` (float64; days = the span of the timestamps, at least one), as
    :func:`seawatch.detect.reception_density` computes for one table (gap ``likely_disabled``)."""
    paths = list(files)
    if not paths:
        return pa.table(
            {
                "cell_lat": pa.array([], pa.int32()),
                "cell_lon": pa.array([], pa.int32()),
                "positions_per_day": pa.array([], pa.float64()),
            }
        )
    c = format(float(cell_deg), ".17e")
    con = _connect(memory_limit)
    try:
        span = con.sql(
            f"SELECT epoch_us(min(ts)) AS lo, epoch_us(max(ts)) AS hi "
            f"FROM read_parquet({_sql_files(paths)}) "
            "WHERE ts IS NOT NULL AND lat IS NOT NULL AND lon IS NOT NULL"
        ).to_arrow_table()
        cells = con.sql(
            f"SELECT CAST(floor(lat / {c}) AS INTEGER) AS cell_lat, "
            f"CAST(floor(lon / {c}) AS INTEGER) AS cell_lon, count(*) AS n "
            f"FROM read_parquet({_sql_files(paths)}) "
            "WHERE ts IS NOT NULL AND lat IS NOT NULL AND lon IS NOT NULL "
            "GROUP BY ALL ORDER BY cell_lat, cell_lon"
        ).to_arrow_table()
    finally:
        con.close()
    days = 1.0
    lo, hi = span.column("lo")[0].as_py(), span.column("hi")[0].as_py()
    if lo is not None and hi is not None:
        days = max((int(hi) - int(lo)) / 8.64e10, 1.0)
    return pa.table(
        {
            "cell_lat": pc.cast(cells.column("cell_lat"), pa.int32()),
            "cell_lon": pc.cast(cells.column("cell_lon"), pa.int32()),
            "positions_per_day": pc.divide(pc.cast(cells.column("n"), pa.float64()), days),
        }
    )


def shuffle(
    files: Iterable[Path], out: Path, *, n_buckets: int, memory_limit: str | None = None
) -> list[list[Path]]:
    """Split the store's position files into ``n_buckets`` mmsi buckets (:func:`bucket_of`,
    the same hash in SQL), written as Parquet under ``out/bucket=K/``; returns each bucket's
    files. One streaming DuckDB ``COPY ... PARTITION_BY`` (parallel, memory bounded by
    DuckDB's buffers, not by the store), reading only the :data:`COLUMNS` the kernels need."""
    paths = list(files)
    buckets: list[list[Path]] = [[] for _ in range(n_buckets)]
    if not paths:
        return buckets
    out.mkdir(parents=True, exist_ok=True)
    cols = ", ".join(COLUMNS)
    target = str(out).replace("'", "''")
    con = _connect(memory_limit)
    try:
        con.execute(
            f"COPY (SELECT {cols}, "
            f"((CAST(mmsi AS BIGINT) * 2654435761) % 4294967296) % {int(n_buckets)} AS bucket "
            f"FROM read_parquet({_sql_files(paths)})) "
            f"TO '{target}' (FORMAT parquet, PARTITION_BY (bucket), COMPRESSION uncompressed, "
            "OVERWRITE_OR_IGNORE true)"
        )
    finally:
        con.close()
    for k in range(n_buckets):
        buckets[k] = sorted((out / f"bucket={k}").glob("*.parquet"))
    return buckets


def write_scratch(table: pa.Table, path: Path) -> None:
    """An uncompressed Arrow IPC file."""
    feather.write_feather(table, path, compression="uncompressed")


def read_scratch(path: Path) -> pa.Table:
    """A file of :func:`write_scratch` (memory-mapped)."""
    return feather.read_table(path, memory_map=True)
