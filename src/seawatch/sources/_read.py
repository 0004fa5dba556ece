"""Format detection, path expansion and the one entry point :func:`read_source`."""

from __future__ import annotations

import glob
import io
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Literal, get_args

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seawatch import schema
from seawatch._exceptions import SourceError
from seawatch._simulated import skip_marker
from seawatch.sources._batch import Batch, SourceBatch
from seawatch.sources._csv import DEFAULT_CHUNK_BYTES, convert_rows, header_dialect, read_csv
from seawatch.sources._csv import StaticsDeduper as _StaticsDeduper
from seawatch.sources._dialects import generic_dialect, parse_column_map
from seawatch.sources._open import open_counted

Format = Literal["nmea", "noaa_csv", "dma_csv", "csv", "parquet"]
FORMATS: tuple[str, ...] = get_args(Format)
_SNIFF_BYTES = 64 << 10
_NMEA_RE = re.compile(rb"[!$][A-Z]{2}VD[MO],|^\\[a-z]:", re.MULTILINE)
_PARQUET_MAGIC = b"PAR1"


def sniff_format(head: bytes) -> Format | None:
    """The format of a (decompressed) stream starting with ``head``, or ``None``."""
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
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
    if fmt is None:
        raise SourceError(
            f"cannot recognise the format of {name}: not NMEA, a known CSV header or Parquet "
            "(use --format, and --columns for other CSV layouts)"
        )
    return fmt


def expand_paths(paths: Sequence[str | Path]) -> list[str]:
    """Files, directories (recursively, hidden entries skipped) and glob patterns -> files.

    ``"-"`` (stdin) is passed through.

    Raises:
        SourceError: a path does not exist and matches nothing.
    """
    out: list[str] = []
    for raw in paths:
        text = str(raw)
        if text == "-":
            out.append(text)
            continue
        path = Path(text)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out.extend(str(Path(root) / f) for f in sorted(files) if not f.startswith("."))
        elif path.exists():
            out.append(text)
        elif glob.has_magic(text):
            matches = sorted(m for m in glob.glob(text, recursive=True) if Path(m).is_file())
            if not matches:
                raise SourceError(f"no file matches {text}")
            out.extend(matches)
        else:
            raise SourceError(f"no such file or directory: {text}")
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
    ``parquet``). ``column_map`` maps seawatch fields to CSV/Parquet columns
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
    raw, counter = open_counted(path_or_dash)
    stream = _peekable(raw)
    try:
        kind = fmt or _detect(stream, name, csv_hint=bool(mapping))
        if detected is not None:
            detected.append(kind)

        def progress() -> None:
            if on_progress is not None:
                on_progress(counter())

        if kind == "parquet":
            if str(path_or_dash) == "-":
                raise SourceError("Parquet cannot be read from stdin: give a file path")
            stream.close()
            yield from _read_parquet(Path(path_or_dash), name, mapping, progress)
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
    finally:
        stream.close()


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
    rest = b""
    while True:
        data = stream.read(chunk_bytes)
        if not data:
            break
        data = rest + data
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        rest = data[cut + 1 :]
        yield decoder.feed(data[: cut + 1])
        progress()
    if rest:
        yield decoder.feed(rest + b"\n")
    yield decoder.finish()
    progress()


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
    if not own_positions and not own_statics:
        dialect = generic_dialect(header, mapping)
    deduper = _StaticsDeduper()
    source_dict = pa.array([name], pa.string())
    offset = 0
    for record_batch in pfile.iter_batches(batch_size=65_536):
        table = pa.Table.from_batches([record_batch])
        n = table.num_rows
        offset += n
        src = pa.DictionaryArray.from_arrays(pa.array([0] * n, pa.int32()), source_dict)
        if own_positions:
            pos = table.select(schema.POSITIONS.names).cast(schema.POSITIONS)
            yield SourceBatch(positions=pos, lines=n, messages=n)
        elif own_statics:
            sta = table.select(schema.STATICS.names).cast(schema.STATICS)
            yield SourceBatch(statics=sta, lines=n, messages=n)
        else:
            assert dialect is not None
            strings = pa.table(
                [c.cast(pa.string()) for c in table.columns],
                names=[f"c{i}" for i in range(len(header))],
            )
            positions, statics, rejected = convert_rows(strings, dialect, header)
            keep = pc.invert(rejected)
            positions = positions.filter(keep)
            statics = deduper(statics.filter(keep))
            bad_idx = np.flatnonzero(rejected.to_numpy(zero_copy_only=False))
            n_bad = len(bad_idx)
            rejects = schema.REJECTS.empty_table()
            if n_bad:
                rejects = pa.table(
                    {
                        "source": [name] * n_bad,
                        "line_no": pa.array(bad_idx + (offset - n) + 1, pa.int64()),
                        "reason": [schema.RejectReason.CSV_ROW.value] * n_bad,
                        "raw": pa.array(
                            [str(r) for r in table.take(pa.array(bad_idx)).to_pylist()],
                            pa.string(),
                        ),
                    },
                    schema=schema.REJECTS,
                )
            positions = positions.set_column(
                positions.schema.get_field_index("source"), "source", src.filter(keep)
            )
            statics = statics.set_column(
                statics.schema.get_field_index("source"),
                "source",
                pa.DictionaryArray.from_arrays(
                    pa.array([0] * statics.num_rows, pa.int32()), source_dict
                ),
            )
            yield SourceBatch(
                positions=positions.cast(schema.POSITIONS),
                statics=statics.cast(schema.STATICS),
                rejects=rejects,
                lines=n,
                messages=positions.num_rows,
            )
        progress()
