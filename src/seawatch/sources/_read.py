"""Format detection, path expansion and the one entry point :func:`read_source`."""

from __future__ import annotations

import dataclasses
import glob
import io
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal, get_args

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seawatch import schema
from seawatch._exceptions import SourceError
from seawatch._simulated import skip_marker
from seawatch.sources._batch import Batch, SourceBatch, file_reject
from seawatch.sources._csv import (
    DEFAULT_CHUNK_BYTES,
    convert_table,
    header_dialect,
    long_line_batch,
    read_csv,
)
from seawatch.sources._csv import StaticsDeduper as _StaticsDeduper
from seawatch.sources._dialects import generic_dialect, parse_column_map
from seawatch.sources._lines import LongLine, line_chunks
from seawatch.sources._open import open_checked, open_counted, sniff_compression
from seawatch.sources._spatial import (
    SQLITE_MAGIC,
    geoparquet_geometry,
    geoparquet_points,
    is_geopackage,
    point_header,
    point_mapping,
    read_geopackage,
)

if TYPE_CHECKING:
    from seawatch.ais import Decoded, NmeaDecoder

Format = Literal["nmea", "noaa_csv", "dma_csv", "csv", "parquet", "geopackage"]
FORMATS: tuple[str, ...] = get_args(Format)
_SNIFF_BYTES = 64 << 10
_NMEA_RE = re.compile(rb"[!$][A-Z]{2}VD[MO],|^\\[a-z]:", re.MULTILINE)
_PARQUET_MAGIC = b"PAR1"
_MAGIC_BYTES = 4


def sniff_format(head: bytes) -> Format | None:
    """The format of a (decompressed) stream starting with ``head``, or ``None``."""
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    if is_geopackage(head):
        return "geopackage"
    body = skip_marker(head.lstrip(b"\xef\xbb\xbf"))  # a simulated file's first line
    first = body.split(b"\n", 1)[0]
    csv_kind = header_dialect(first)
    if csv_kind is not None:
        return csv_kind  # type: ignore[return-value]
    if _NMEA_RE.search(body):
        return "nmea"
    return None


def _peekable(stream: BinaryIO) -> io.BufferedReader:
    if isinstance(stream, io.BufferedReader):
        return stream
    return io.BufferedReader(stream, buffer_size=_SNIFF_BYTES)  # type: ignore[arg-type]


def _peek(stream: io.BufferedReader) -> bytes:
    head = stream.peek(_SNIFF_BYTES)
    return head[:_SNIFF_BYTES]


def detect_format(path: str | Path) -> Format:
    """Recognise a file's format from its content (compression is looked through).

    Raises:
        SourceError: the file cannot be read or its content is not recognised.
    """
    stream, _ = open_counted(path)
    with stream:
        return _detect(_peekable(stream), str(path))


def _detect(stream: io.BufferedReader, name: str, *, csv_hint: bool = False) -> Format:
    head = _peek(stream)
    fmt = sniff_format(head)
    if fmt is None and csv_hint and b"," in head.split(b"\n", 1)[0]:
        return "csv"  # an unknown header, but the caller mapped its columns
    if fmt is None and head.startswith(SQLITE_MAGIC):
        raise SourceError(f"{name} is an SQLite database, not a GeoPackage")
    if fmt is None:
        raise SourceError(
            f"cannot recognise the format of {name}: not NMEA, a known CSV header, Parquet "
            "or GeoPackage (use --format, and --columns for other CSV layouts)"
        )
    return fmt


def _is_regular(path: str) -> bool:
    """True for a regular file (a symlink counts as what it points to)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def expand_paths(paths: Sequence[str | Path], *, skipped: list[str] | None = None) -> list[str]:
    """Files, directories (recursively, hidden entries skipped) and glob patterns -> files.

    ``"-"`` (stdin) is passed through. Entries that are not regular files (a FIFO, a
    device, a socket, a symlink to ``/dev/zero`` or to nothing) are left out, never
    opened (reading one could hang or never end); they are appended to ``skipped``.

    Raises:
        SourceError: a path does not exist and matches nothing.
    """
    found: list[str] = []
    for raw in paths:
        text = str(raw)
        if text == "-":
            found.append(text)
            continue
        path = Path(text)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(str(Path(root) / f) for f in sorted(files) if not f.startswith("."))
        elif path.exists() or path.is_symlink():
            found.append(text)
        elif glob.has_magic(text):
            matches = sorted(glob.glob(text, recursive=True))
            matches = [m for m in matches if not Path(m).is_dir()]
            if not matches:
                raise SourceError(f"no file matches {text}")
            found.extend(matches)
        else:
            raise SourceError(f"no such file or directory: {text}")
    out: list[str] = []
    for f in found:
        if f == "-" or _is_regular(f):
            out.append(f)
        elif skipped is not None:
            skipped.append(f)
    return out


def read_source(
    path_or_dash: str | Path,
    *,
    fmt: str | None = None,
    accept_bad_checksum: bool = False,
    default_time: datetime | None = None,
    column_map: str | Mapping[str, str] | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    on_progress: Callable[[int], None] | None = None,
    source_name: str | None = None,
    detected: list[str] | None = None,
) -> Iterator[Batch]:
    """Stream one input as batches of the four seawatch tables, in bounded chunks.

    ``fmt`` overrides detection (one of ``nmea``, ``noaa_csv``, ``dma_csv``, ``csv``,
    ``parquet``, ``geopackage``; a GeoParquet file is ``parquet``, its points read as
    positions). ``column_map`` maps seawatch fields to CSV/Parquet/GeoPackage columns
    (``"mmsi=ship_id,ts=time"``). ``on_progress`` is called after each batch with the
    number of (compressed) input bytes consumed so far. ``source_name`` is the name
    written to the ``source`` columns (default: the path, or ``stdin``); the format used
    is appended to ``detected`` when a list is given.

    Raises:
        SourceError: the input cannot be opened, recognised, or lacks required columns.
    """
    if fmt is not None and fmt not in FORMATS:
        raise SourceError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    mapping = parse_column_map(column_map)
    name = source_name or ("stdin" if str(path_or_dash) == "-" else str(path_or_dash))
    raw, counter, damage = open_checked(path_or_dash)
    stream = _peekable(raw)
    try:
        try:
            kind = fmt or _detect(stream, name, csv_hint=bool(mapping))
        except SourceError:
            if damage() is None:
                raise
            yield damaged_batch(name, damage())
            return
        if detected is not None:
            detected.append(kind)

        def progress() -> None:
            if on_progress is not None:
                on_progress(counter())

        if kind in ("parquet", "geopackage"):
            label = "Parquet" if kind == "parquet" else "A GeoPackage"
            if str(path_or_dash) == "-":
                raise SourceError(f"{label} cannot be read from stdin: give a file path")
            stream.close()
            reader = _read_parquet if kind == "parquet" else read_geopackage
            yield from reader(
                _uncompressed(Path(path_or_dash), name, label), name, mapping, progress
            )
        elif kind == "nmea":
            yield from _read_nmea(
                stream,
                source=name,
                accept_bad_checksum=accept_bad_checksum,
                default_time=default_time,
                chunk_bytes=chunk_bytes,
                progress=progress,
            )
        else:
            yield from read_csv(
                stream,
                source=name,
                fmt=kind,
                column_map=mapping,
                chunk_bytes=chunk_bytes,
                on_chunk=progress,
            )
        what = damage()
        if what is not None:
            yield damaged_batch(name, what)
    finally:
        stream.close()


def damaged_batch(source: str, what: str | None) -> SourceBatch:
    """One ``damaged_input`` reject naming the file and the damage."""
    return SourceBatch(rejects=file_reject(source, schema.RejectReason.DAMAGED_INPUT, str(what)))


def _read_nmea(
    stream: BinaryIO,
    *,
    source: str,
    accept_bad_checksum: bool,
    default_time: datetime | None,
    chunk_bytes: int,
    progress: Callable[[], None],
) -> Iterator[Batch]:
    from seawatch.ais import NmeaDecoder

    decoder = NmeaDecoder(
        source=source, accept_bad_checksum=accept_bad_checksum, default_time=default_time
    )
    for batch in decode_stream(stream, decoder, source=source, chunk_bytes=chunk_bytes):
        yield batch
        progress()


def decode_stream(
    stream: BinaryIO, decoder: NmeaDecoder, *, source: str, chunk_bytes: int = DEFAULT_CHUNK_BYTES
) -> Iterator[Decoded]:
    """Feed ``stream`` to ``decoder`` in chunks of whole lines, then finish it.

    Lines longer than ``schema.MAX_LINE_BYTES`` never reach the decoder (nor memory):
    each becomes a ``line_length`` reject at its line number."""
    fed_lines = 0
    for item in line_chunks(stream, chunk_bytes):
        if isinstance(item, LongLine):
            # a blank line keeps the decoder's line numbers; its "empty" reject is replaced
            fed_lines += 1
            yield _long_nmea_line(decoder.feed(b"\n"), source, fed_lines, item)
            continue
        if not item.endswith(b"\n"):
            item += b"\n"
        fed_lines += item.count(b"\n")
        yield decoder.feed(item)
    yield decoder.finish()


def _long_nmea_line(batch: Decoded, source: str, line_no: int, line: LongLine) -> Decoded:
    rejects = batch.rejects
    is_placeholder = pc.and_(
        pc.equal(rejects.column("line_no"), line_no),
        pc.equal(rejects.column("reason"), schema.RejectReason.EMPTY.value),
    )
    kept = rejects.filter(pc.invert(pc.fill_null(is_placeholder, False)))
    long_rejects = long_line_batch(source, line_no, line).rejects
    return dataclasses.replace(batch, rejects=pa.concat_tables([kept, long_rejects]))


def _uncompressed(path: Path, name: str, what: str) -> Path:
    """``path``, refused when compressed: these formats are read in place, not streamed."""
    try:
        with path.open("rb") as f:
            head = f.read(_MAGIC_BYTES)
    except OSError as exc:
        raise SourceError(f"cannot read {name}: {exc}") from exc
    if sniff_compression(head) != "none":
        raise SourceError(f"{what} cannot be read compressed: decompress {name} first")
    return path


def _read_parquet(
    path: Path, name: str, mapping: Mapping[str, str], progress: Callable[[], None]
) -> Iterator[Batch]:
    try:
        pfile = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise SourceError(f"cannot read Parquet file {name}: {exc}") from exc
    names = set(pfile.schema_arrow.names)
    own_positions = not mapping and set(schema.POSITIONS.names) <= names
    own_statics = not mapping and not own_positions and set(schema.STATICS.names) <= names
    dialect = None
    header = pfile.schema_arrow.names
    geometry = None
    if not own_positions and not own_statics:
        geometry = geoparquet_geometry(pfile.schema_arrow.metadata, name)
        if geometry is not None:
            header = point_header(header, geometry)
            mapping = point_mapping(geometry, mapping)
        dialect = generic_dialect(header, mapping)
    deduper = _StaticsDeduper()
    source_dict = pa.array([name], pa.string())
    offset = 0
    for record_batch in _parquet_batches(pfile, name):
        table = pa.Table.from_batches([record_batch])
        n = table.num_rows
        offset += n
        if own_positions or own_statics:
            target = schema.POSITIONS if own_positions else schema.STATICS
            try:
                own = table.select(target.names).cast(target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise SourceError(f"cannot read Parquet file {name}: {exc}") from exc
            own, rejects = _own_rows(own, name, offset - n)
            yield SourceBatch(
                positions=own if own_positions else schema.POSITIONS.empty_table(),
                statics=own if own_statics else schema.STATICS.empty_table(),
                rejects=rejects,
                lines=n,
                messages=own.num_rows,
            )
        else:
            assert dialect is not None
            if geometry is not None:
                table = geoparquet_points(table, geometry)
            yield convert_table(
                table,
                dialect,
                header,
                source_dict,
                first_row=offset - n,
                deduper=deduper,
            )
        progress()


def _parquet_batches(pfile: pq.ParquetFile, name: str) -> Iterator[pa.RecordBatch]:
    """Record batches of a Parquet file; a corrupt file is a :class:`SourceError`."""
    batches = pfile.iter_batches(batch_size=65_536)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (OSError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise SourceError(f"cannot read Parquet file {name}: {exc}") from exc
        yield batch


def _own_rows(table: pa.Table, name: str, first_row: int) -> tuple[pa.Table, pa.Table]:
    """Rows of a seawatch-schema Parquet file, less those whose time is outside the
    plausible window (returned as ``bad_value`` rejects) or whose MMSI is 0."""
    bad = pc.or_(schema.outside_time_window(table.column("ts")), pc.equal(table.column("mmsi"), 0))
    if not pc.any(bad).as_py():
        return table, schema.REJECTS.empty_table()
    idx = np.flatnonzero(bad.to_numpy(zero_copy_only=False))
    picked = table.take(pa.array(idx))
    mmsi = picked.column("mmsi").to_pylist()
    ts_us = pc.cast(picked.column("ts"), pa.int64()).to_pylist()
    rejects = pa.table(
        {
            "source": pa.array([name] * len(idx), pa.string()),
            "line_no": pa.array(idx + first_row + 1, pa.int64()),
            "reason": pa.array([schema.RejectReason.BAD_VALUE.value] * len(idx), pa.string()),
            "raw": pa.array(
                [f"mmsi={m} ts_us={t}" for m, t in zip(mmsi, ts_us, strict=True)], pa.string()
            ),
        },
        schema=schema.REJECTS,
    )
    return table.filter(pc.invert(bad)), rejects
