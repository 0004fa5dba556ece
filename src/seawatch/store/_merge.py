"""Merging a day partition: old file + newly staged rows -> one sorted, de-duplicated file.

De-duplication rule (the same message heard by several receivers):

    Rows of one table are *the same message* when they agree on the table's key
    (positions: mmsi, msg_type, lat, lon, sog_kn, cog_deg, heading_deg, nav_status;
    statics: mmsi, msg_type and every identity field; others: mmsi, msg_type, payload,
    fill_bits; nulls compare equal). Within a key, rows are ordered by (ts, source,
    station); a row is dropped when the previous row with the same key is at most
    ``window_s`` seconds earlier (default 10 s). The first copy, or the copy from the
    alphabetically first source/station at the same instant, is kept.

Dropping a row only ever removes an exact repeat of its key, so no information but the
repeat's time and receiver is lost. Re-applying the rule to its own output changes
nothing (kept rows of one key are more than ``window_s`` apart), which is what makes
merging a day's stored rows with newly ingested rows safe.

The rule applies within one UTC day partition: two copies of a message on either side of
midnight (e.g. 23:59:59 and 00:00:02) are both kept.

The merge runs in DuckDB with a memory limit and a spill directory, so memory is bounded
whatever the size of the day partition. Positions, the bulk of every store, are read by
DuckDB one MMSI range at a time and sorted and de-duplicated in Arrow and numba
(:func:`seawatch.store._dedup.merge_positions`, the same result as :func:`merge_sql`, which
it falls back to for data it cannot guarantee that for).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa

from seawatch import schema as sw_schema
from seawatch._duck import connect
from seawatch._exceptions import StoreError
from seawatch.store._io import write_parquet_atomic

DEDUP_KEYS: dict[str, tuple[str, ...]] = {
    "positions": (
        "mmsi",
        "msg_type",
        "lat",
        "lon",
        "sog_kn",
        "cog_deg",
        "heading_deg",
        "nav_status",
    ),
    "statics": (
        "mmsi",
        "msg_type",
        "imo",
        "name",
        "callsign",
        "ship_type",
        "length_m",
        "beam_m",
        "draught_m",
        "destination",
        "eta",
        "class",
    ),
    "others": ("mmsi", "msg_type", "payload", "fill_bits"),
}
SCHEMAS = {
    "positions": sw_schema.POSITIONS,
    "statics": sw_schema.STATICS,
    "others": sw_schema.OTHERS,
    "rejects": sw_schema.REJECTS,
}
_BATCH_ROWS = 65_536
DEFAULT_ROWS_PER_BUCKET = 500_000


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _file_list(files: Sequence[Path]) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


def merge_sql(
    table: str,
    files: Sequence[Path],
    *,
    window_s: float,
    mmsi_range: tuple[int | None, int | None] = (None, None),
) -> str:
    """The SQL that merges ``files`` of ``table`` into sorted, de-duplicated rows
    (only rows with ``lo < mmsi <= hi`` when ``mmsi_range`` is given)."""
    cols = SCHEMAS[table].names
    select = ", ".join(_q(c) for c in cols)
    src = _source_sql(files, mmsi_range)
    if table == "rejects":
        return f"SELECT {select} FROM {src} ORDER BY source, line_no, reason, raw"
    key = ", ".join(_q(c) for c in DEDUP_KEYS[table])
    rest = [c for c in cols if c not in ("mmsi", "ts")]
    order = ", ".join(["mmsi", "ts", *(f"{_q(c)} NULLS FIRST" for c in rest)])
    window_us = round(window_s * 1_000_000)
    return (
        f"SELECT {select} FROM ("
        f" SELECT *, epoch_us(ts) - lag(epoch_us(ts)) OVER ("
        f"  PARTITION BY {key} ORDER BY ts, source NULLS FIRST, station NULLS FIRST) AS _gap_us"
        f" FROM {src}) WHERE _gap_us IS NULL OR _gap_us > {window_us}"
        f" ORDER BY {order}"
    )


def _source_sql(files: Sequence[Path], mmsi_range: tuple[int | None, int | None]) -> str:
    src = f"read_parquet({_file_list(files)})"
    lo, hi = mmsi_range
    conds = ([f"mmsi > {int(lo)}"] if lo is not None else []) + (
        [f"mmsi <= {int(hi)}"] if hi is not None else []
    )
    if conds:
        src = f"(SELECT * FROM {src} WHERE {' AND '.join(conds)})"
    return src


def merge_connection(spill_dir: Path, *, memory_limit: str = "256MB") -> duckdb.DuckDBPyConnection:
    """A private DuckDB connection for merges, memory-limited and spilling to ``spill_dir``."""
    spill_dir.mkdir(parents=True, exist_ok=True)
    con = connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{spill_dir.as_posix()}'")
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET TimeZone = 'UTC'")
    return con


def merge_files(
    con: duckdb.DuckDBPyConnection,
    table: str,
    files: Sequence[Path],
    final: Path,
    *,
    window_s: float,
    total_rows: int = 0,
    rows_per_bucket: int = DEFAULT_ROWS_PER_BUCKET,
) -> int:
    """Write the merge of ``files`` to ``final`` (atomically); returns the rows written.

    A partition of more than ``rows_per_bucket`` rows is merged in MMSI ranges (bounds from
    approximate quantiles), one query each, written one after the other into the same file:
    the result is identical (the de-duplication key includes the MMSI and the output is
    sorted by it) while the memory one query needs stays bounded whatever the day's size.

    Raises:
        StoreError: DuckDB ran out of memory or failed.
    """
    ranges: list[tuple[int | None, int | None]] = [(None, None)]
    try:
        if table != "rejects" and total_rows > rows_per_bucket:
            n = -(-total_rows // rows_per_bucket)
            qs = ", ".join(f"{i / n:.6f}" for i in range(1, n))
            bounds_row = con.sql(
                f"SELECT approx_quantile(mmsi, [{qs}]) FROM read_parquet({_file_list(files)})"
            ).fetchall()[0][0]
            bounds = sorted({int(b) for b in bounds_row})
            edges: list[int | None] = [None, *bounds, None]
            ranges = list(itertools.pairwise(edges))

        def batches() -> Iterator[pa.RecordBatch]:
            for mmsi_range in ranges:
                if table == "positions":
                    select = ", ".join(_q(c) for c in SCHEMAS[table].names)
                    rows = con.sql(
                        f"SELECT {select} FROM {_source_sql(files, mmsi_range)}"
                    ).to_arrow_table()
                    # numba's kernel, imported when a merge runs (readers never need it)
                    from seawatch.store._dedup import merge_positions

                    merged = merge_positions(rows, window_us=round(window_s * 1_000_000))
                    del rows
                    if merged is not None:
                        yield from merged.to_batches(_BATCH_ROWS)
                        del merged
                        pa.default_memory_pool().release_unused()  # keep the peak flat
                        continue
                sql = merge_sql(table, files, window_s=window_s, mmsi_range=mmsi_range)
                reader = con.sql(sql).to_arrow_reader(_BATCH_ROWS)
                if reader is None:
                    raise StoreError(f"the merge of {table} returned no result")
                yield from reader

        return write_parquet_atomic(final, SCHEMAS[table], _prefetch(batches()))
    except (duckdb.Error, OSError) as exc:
        raise StoreError(
            f"merging the {table} partition {final.parent.name} failed: {exc} "
            "(a larger merge_memory_limit may help)"
        ) from exc


_DONE = object()


def _prefetch(items: Iterable[pa.RecordBatch], depth: int = 8) -> Iterator[pa.RecordBatch]:
    """Iterate ``items`` in a background thread, up to ``depth`` items ahead: DuckDB merges
    the next MMSI range while the caller compresses and writes the previous one (both
    release the GIL). An exception of ``items`` is raised here, in order."""
    it = iter(items)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seawatch-merge") as pool:
        pending: deque[Future[object]] = deque(pool.submit(next, it, _DONE) for _ in range(depth))
        try:
            while True:
                item = pending.popleft().result()
                if item is _DONE:
                    return
                pending.append(pool.submit(next, it, _DONE))
                yield item
        finally:
            for fut in pending:
                fut.cancel()


def count_rows(con: duckdb.DuckDBPyConnection, files: Sequence[Path]) -> int:
    if not files:
        return 0
    rows = con.sql(f"SELECT count(*) FROM read_parquet({_file_list(files)})").fetchall()
    return int(rows[0][0])


def distinct_vessels(con: duckdb.DuckDBPyConnection, files: Sequence[Path]) -> frozenset[int]:
    """The distinct MMSIs in ``files``."""
    if not files:
        return frozenset()
    table = con.sql(
        f"SELECT DISTINCT mmsi FROM read_parquet({_file_list(files)}, union_by_name = true)"
    ).to_arrow_table()
    return frozenset(int(m) for m in table.column(0).to_pylist() if m is not None)
