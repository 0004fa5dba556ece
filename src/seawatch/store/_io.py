"""Small, atomic file operations: every store write goes through these functions.

A file is written under a temporary name in its final directory, flushed and fsynced,
then renamed over its final name (atomic on POSIX), and the directory is fsynced so the
rename itself survives a crash.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

TMP_MARK = ".tmp-"
"""Temporary files are named ``<final name>.tmp-<random>``; cleanup removes them."""


def file_sha256(path: Path, *, block: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in blocks (the key of an input in the manifest)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tmp_name(final: Path) -> Path:
    return final.with_name(f"{final.name}{TMP_MARK}{uuid.uuid4().hex[:12]}")


def _commit(tmp: Path, final: Path) -> None:
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
    fsync_dir(final.parent)


def write_json_atomic(final: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``final`` atomically."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(final)
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    _commit(tmp, final)


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """Columns worth dictionary-encoding: all but floating point, timestamps, 64-bit
    integers and nested types. Dictionary pages of near-unique floats overflow and fall back to plain
    encoding after the writer has paid for the hash table: skipping them writes positions
    about 2.5x faster and the files come out smaller, not larger."""
    out: list[str] = []
    for f in schema:
        t = f.type
        if pa.types.is_floating(t) or pa.types.is_timestamp(t) or pa.types.is_int64(t):
            continue
        if pa.types.is_uint64(t) or pa.types.is_nested(t):
            continue
        out.append(f.name)
    return out


def write_parquet_atomic(
    final: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch | pa.Table]
) -> int:
    """Stream ``batches`` (cast to ``schema``) into ``final`` atomically; returns rows written."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(final)
    rows = 0
    with pq.ParquetWriter(
        tmp, schema, compression="zstd", use_dictionary=dictionary_columns(schema)
    ) as writer:
        for batch in batches:
            table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
            if table.num_rows == 0:
                continue
            writer.write_table(table.cast(schema))
            rows += table.num_rows
    _commit(tmp, final)
    return rows


def write_parquet_plain(path: Path, table: pa.Table, *, row_group_rows: int | None = None) -> None:
    """A staging write: no fsync (staging files never become part of the store)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        table,
        path,
        compression="lz4",
        use_dictionary=dictionary_columns(table.schema),
        row_group_size=row_group_rows,
    )


SMALL_READ_BYTES = 64 << 20
"""Below this many bytes of files (and with no filter), :func:`read_parquet_files` reads
each file with ``pyarrow.parquet.ParquetFile``: importing ``pyarrow.dataset`` costs about
0.08 s, and 0.15-0.2 s more where pandas is installed (pyarrow imports it with the dataset
module), more than a small store's whole read (``seawatch events`` on a small store)."""


def read_parquet_files(
    files: list[Path], schema: pa.Schema, *, columns: list[str] | None = None, filter: Any = None
) -> pa.Table:
    """Read ``files`` (all of ``schema``) into one table; empty list -> empty table.

    Each file is read as ``schema`` says: a column a file lacks (an older store) is null,
    one it has beyond the schema is left out, types are cast to the schema's."""
    if not files:
        table = schema.empty_table()
        return table.select(columns) if columns is not None else table
    if filter is None and is_small_read(files):
        target = schema if columns is None else pa.schema([schema.field(c) for c in columns])
        parts = []
        for f in files:
            with pq.ParquetFile(f) as pf:
                parts.append(_conformed(pf, target))
        return pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    import pyarrow.dataset as ds

    dataset = ds.dataset([str(f) for f in files], format="parquet", schema=schema)
    return dataset.to_table(columns=columns, filter=filter)


def is_small_read(files: Iterable[Path]) -> bool:
    """Whether ``files`` total at most :data:`SMALL_READ_BYTES`."""
    return sum(_size(f) for f in files) <= SMALL_READ_BYTES


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return SMALL_READ_BYTES + 1  # let the dataset reader report it


def _conformed(file: pq.ParquetFile, target: pa.Schema) -> pa.Table:
    """The columns of ``target`` from ``file``: missing ones null, cast to ``target``."""
    present = set(file.schema_arrow.names)
    table = file.read(columns=[n for n in target.names if n in present])
    arrays = [
        table.column(f.name).cast(f.type) if f.name in present else pa.nulls(table.num_rows, f.type)
        for f in target
    ]
    return pa.Table.from_arrays(arrays, schema=target)
