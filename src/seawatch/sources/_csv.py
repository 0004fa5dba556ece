"""CSV readers (NOAA MarineCadastre, DMA, generic): bounded line-aligned chunks -> Arrow.

Each chunk of a few MB is cut at a line end, parsed by ``pyarrow.csv`` with every column
as a string, then converted column by column with vectorised kernels. Rows whose
required fields (mmsi, ts, lat, lon) are missing or malformed become ``csv_row`` rejects
carrying their 1-based line number and raw text; they never stop the file. Invalid
optional values (heading 511, sog 102.3, lat 91 ...) become null, as in the decoder.
A time outside ``[schema.TIME_MIN, schema.TIME_MAX)`` makes the row a ``bad_value`` reject.

One row is one line. Lines without a double quote go to ``pyarrow.csv`` with quoting
off (fast); lines with one are parsed one by one with :mod:`csv` (strict quoting), so
an unbalanced quote rejects only its own line and never swallows the lines after it.
Fields that span lines (a quoted newline) are not supported: both halves are rejected.
Bytes that are not UTF-8 are replaced by U+FFFD; a line longer than
``schema.MAX_LINE_BYTES`` is a ``line_length`` reject (see :mod:`._lines`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from seawatch import schema
from seawatch._exceptions import SourceError
from seawatch._simulated import is_simulated
from seawatch.sources._batch import SourceBatch
from seawatch.sources._dialects import (
    DMA_CLASS,
    DMA_NAV_STATUS,
    DMA_SHIP_TYPE,
    STATIC_FIELDS,
    Dialect,
    generic_dialect,
    normalise_header,
    sniff_dialect,
)
from seawatch.sources._lines import LongLine, line_chunks, printable, truncate_raw

DEFAULT_CHUNK_BYTES = 8 << 20
_NUM_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_INT_RE = r"^\d{1,10}(\.0*)?$"
"""An MMSI: digits, with a zero fraction allowed (``311000001.0``: what pandas writes for
an integer column with a missing value, and a GIS file's REAL column)."""
_ISO_ZONED_RE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)$"
_IDENTITY_FIELDS: tuple[str, ...] = tuple(f for f in STATIC_FIELDS if f != "class")


def _clean(arr: pa.Array) -> pa.Array:
    """Trim whitespace; empty strings become null."""
    trimmed = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _number(arr: pa.Array) -> pa.Array:
    """Strings -> float64, null where not a number."""
    ok = pc.match_substring_regex(arr, _NUM_RE)
    return pc.if_else(ok, arr, pa.scalar(None, pa.string())).cast(pa.float64())


def _in_range(values: pa.Array, lo: float, hi: float, *, hi_inclusive: bool = True) -> pa.Array:
    upper = pc.less_equal(values, hi) if hi_inclusive else pc.less(values, hi)
    ok = pc.and_(pc.greater_equal(values, lo), upper)
    return pc.if_else(ok, values, pa.scalar(None, values.type))


def _integral(values: pa.Array, lo: float, hi: float, to: pa.DataType) -> pa.Array:
    ok = pc.and_(_in_range(values, lo, hi).is_valid(), pc.equal(pc.floor(values), values))
    return pc.if_else(ok, values, pa.scalar(None, pa.float64())).cast(to)


def _codes(arr: pa.Array, table: Mapping[str, int], to: pa.DataType) -> pa.Array:
    keys = pa.array(list(table.keys()))
    idx = pc.index_in(pc.utf8_lower(arr), value_set=keys)
    return pc.take(pa.array(list(table.values()), to), idx)


def _parse_time_slow(text: str) -> datetime | None:
    try:
        if text.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(text), UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _times(arr: pa.Array, dialect: Dialect) -> pa.Array:
    if dialect.time_format == "dma":
        parsed = pc.strptime(arr, format="%d/%m/%Y %H:%M:%S", unit="us", error_is_null=True)
        return parsed.cast(schema.TS)
    parsed = pc.strptime(arr, format="%Y-%m-%dT%H:%M:%S", unit="us", error_is_null=True)
    missing = pc.and_(parsed.is_null(), arr.is_valid())
    if pc.any(missing).as_py():
        parsed = pc.coalesce(
            parsed, pc.strptime(arr, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
        )
        missing = pc.and_(parsed.is_null(), arr.is_valid())
    out = parsed.cast(schema.TS)
    if pc.any(missing).as_py():
        # ISO 8601 with a zone (Z, +hh:mm) and up to microseconds, as GeoPackage DATETIME
        # and most APIs write it: Arrow's cast, all at once (one bad date in the chunk
        # fails the cast, and the chunk's zoned times go the slow way below)
        zoned = pc.fill_null(pc.and_(missing, pc.match_substring_regex(arr, _ISO_ZONED_RE)), False)
        if pc.any(zoned).as_py():
            try:
                cast = pc.cast(arr.filter(zoned), schema.TS)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                cast = None
            if cast is not None:
                out = pc.replace_with_mask(out, zoned, cast)
                missing = pc.and_(missing, pc.invert(zoned))
    if pc.any(missing).as_py():
        texts = arr.filter(missing).to_pylist()
        fixed = pa.array([_parse_time_slow(str(t)) for t in texts], schema.TS)
        out = pc.replace_with_mask(out, missing, fixed)
    return out


def _col(table: pa.Table, dialect: Dialect, name: str, index: Mapping[str, int]) -> pa.Array | None:
    column = dialect.columns.get(name)
    if column is None or column not in index:
        return None
    return _clean(table.column(index[column]).combine_chunks())


def _null(n: int, type_: pa.DataType) -> pa.Array:
    return pa.nulls(n, type_)


def convert_rows(
    table: pa.Table, dialect: Dialect, header: list[str]
) -> tuple[pa.Table, pa.Table, pa.Array, pa.Array]:
    """String columns -> (positions, statics candidates, rejected-row mask, bad-time mask).

    ``statics`` has one row per accepted row (identity columns possibly all null);
    ``rejected`` is a boolean mask over the input rows; ``bad_time`` (a subset of it) marks
    the rows rejected only because their time is outside the plausible window
    (``bad_value`` rejects; the others are ``csv_row``).
    """
    n = table.num_rows
    index = {normalise_header(h): i for i, h in enumerate(header)}

    def get(name: str) -> pa.Array | None:
        return _col(table, dialect, name, index)

    mmsi_s = get("mmsi")
    ts_s = get("ts")
    lat_s = get("lat")
    lon_s = get("lon")
    assert mmsi_s is not None and ts_s is not None and lat_s is not None and lon_s is not None
    mmsi_ok = pc.match_substring_regex(mmsi_s, _INT_RE)
    mmsi_f = pc.if_else(mmsi_ok, mmsi_s, pa.scalar(None, pa.string())).cast(pa.float64())
    mmsi = _integral(mmsi_f, 1, (1 << 30) - 1, pa.uint32())  # the 30-bit AIS field
    ts = _times(ts_s, dialect)
    lat_raw = _number(lat_s)
    lon_raw = _number(lon_s)
    malformed = pc.invert(
        pc.and_(
            pc.and_(mmsi.is_valid(), ts.is_valid()), pc.and_(lat_raw.is_valid(), lon_raw.is_valid())
        )
    )
    bad_time = pc.and_(pc.invert(malformed), schema.outside_time_window(ts))
    rejected = pc.or_(malformed, bad_time)

    def num(name: str) -> pa.Array | None:
        s = get(name)
        return None if s is None else _number(s)

    def opt(value: pa.Array | None, type_: pa.DataType) -> pa.Array:
        return _null(n, type_) if value is None else value.cast(type_)

    sog = num("sog_kn")
    cog = num("cog_deg")
    heading = num("heading_deg")
    if dialect.text_codes:
        nav_s = get("nav_status")
        nav = None if nav_s is None else _codes(nav_s, DMA_NAV_STATUS, pa.uint8())
    else:
        nav_f = num("nav_status")
        nav = None if nav_f is None else _integral(nav_f, 0, 15, pa.uint8())
    positions = pa.table(
        {
            "mmsi": pc.fill_null(mmsi, 0),
            "ts": ts,
            "lat": _in_range(lat_raw, -90, 90),
            "lon": _in_range(lon_raw, -180, 180),
            "sog_kn": opt(
                None if sog is None else _in_range(sog, 0, 102.3, hi_inclusive=False), pa.float32()
            ),
            "cog_deg": opt(
                None if cog is None else _in_range(cog, 0, 360, hi_inclusive=False), pa.float32()
            ),
            "heading_deg": opt(
                None if heading is None else _integral(heading, 0, 359, pa.uint16()), pa.uint16()
            ),
            "nav_status": opt(nav, pa.uint8()),
            "msg_type": _null(n, pa.uint8()),
            "source": _null(n, schema.DICT_STR),
            "station": _null(n, schema.DICT_STR),
        },
        schema=schema.POSITIONS,
    )

    imo_s = get("imo")
    imo = None
    if imo_s is not None:
        digits = pc.replace_substring_regex(pc.utf8_upper(imo_s), r"^IMO\s*", "")
        imo_f = _number(digits)
        imo = _integral(imo_f, 1, 999_999_999, pa.uint32())
    if dialect.text_codes:
        st_s = get("ship_type")
        ship_type = None if st_s is None else _codes(st_s, DMA_SHIP_TYPE, pa.uint8())
        cls_s = get("class")
        cls = (
            None
            if cls_s is None
            else _codes(cls_s, {k: i for i, k in enumerate(DMA_CLASS)}, pa.int8())
        )
        cls_str = None if cls is None else pc.take(pa.array(list(DMA_CLASS.values())), cls)
        eta_s = get("eta")
        eta = None
        if eta_s is not None:
            pattern = r"^(\d\d)/(\d\d)/\d{4} (\d\d):(\d\d).*$"
            ok = pc.match_substring_regex(eta_s, pattern)
            eta = pc.if_else(
                ok,
                pc.replace_substring_regex(eta_s, pattern, r"\2-\1T\3:\4"),
                pa.scalar(None, pa.string()),
            )
    else:
        st_f = num("ship_type")
        ship_type = None if st_f is None else _integral(st_f, 1, 255, pa.uint8())
        cls_s = get("class")
        cls_str = None
        if cls_s is not None:
            first = pc.utf8_slice_codeunits(pc.utf8_upper(cls_s), 0, 1)
            cls_str = pc.if_else(
                pc.is_in(first, pa.array(["A", "B"])), first, pa.scalar(None, pa.string())
            )
        eta = get("eta")

    def dim(name: str) -> pa.Array:
        v = num(name)
        return opt(None if v is None else _in_range(v, 0.01, 10_000), pa.float32())

    statics = pa.table(
        {
            "mmsi": pc.fill_null(mmsi, 0),
            "ts": ts,
            "imo": opt(imo, pa.uint32()),
            "name": opt(get("name"), pa.string()),
            "callsign": opt(get("callsign"), pa.string()),
            "ship_type": opt(ship_type, pa.uint8()),
            "length_m": dim("length_m"),
            "beam_m": dim("beam_m"),
            "draught_m": dim("draught_m"),
            "destination": opt(get("destination"), pa.string()),
            "eta": opt(eta, pa.string()),
            "class": opt(cls_str, pa.string()),
            "msg_type": _null(n, pa.uint8()),
            "source": _null(n, schema.DICT_STR),
            "station": _null(n, schema.DICT_STR),
        },
        schema=schema.STATICS,
    )
    return positions, statics, rejected, bad_time


class StaticsDeduper:
    """Keeps a statics row only when a vessel's identity differs from its previous kept row.

    Identity is every static field but ``ts`` and ``class`` (imo, name, callsign, ship type,
    dimensions, draught, destination, eta). A row with all of them null is not kept. State
    (one key per vessel) carries over between chunks, so memory grows with the number of
    vessels, never with the number of rows.
    """

    def __init__(self) -> None:
        self._last: dict[int, str] = {}

    def __call__(self, statics: pa.Table) -> pa.Table:
        if statics.num_rows == 0:
            return statics
        cols = [statics.column(f).cast(pa.string()) for f in _IDENTITY_FIELDS]
        any_valid = cols[0].is_valid()
        for c in cols[1:]:
            any_valid = pc.or_(any_valid, c.is_valid())
        statics = statics.filter(any_valid)
        if statics.num_rows == 0:
            return statics
        # stable sort by (mmsi, ts): the file order breaks ties
        statics = statics.take(
            pc.sort_indices(statics, [("mmsi", "ascending"), ("ts", "ascending")])
        )
        key = pc.binary_join_element_wise(
            *[statics.column(f).cast(pa.string()) for f in _IDENTITY_FIELDS],
            "\x1f",
            null_handling="replace",
            null_replacement="\x00",
        ).combine_chunks()
        codes = pc.dictionary_encode(key).indices.to_numpy()
        mmsi = statics.column("mmsi").to_numpy()
        keep = np.ones(len(mmsi), dtype=bool)
        keep[1:] = (mmsi[1:] != mmsi[:-1]) | (codes[1:] != codes[:-1])
        first = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1]])
        last = np.r_[first[1:] - 1, len(mmsi) - 1]
        keys_first = pc.take(key, pa.array(first)).to_pylist()
        keys_last = pc.take(key, pa.array(last)).to_pylist()
        for i, kf, kl in zip(first.tolist(), keys_first, keys_last, strict=True):
            m = int(mmsi[i])
            if self._last.get(m) == kf:
                keep[i] = False
            self._last[m] = kl
        return statics.filter(pa.array(keep))


def _parse_header(text: str) -> list[str] | None:
    """The fields of a header line, or None when it is not CSV (NUL bytes, bad quoting)."""
    try:
        return next(csv.reader([text], strict=True))
    except (csv.Error, StopIteration):
        return None


def _read_header(stream: BinaryIO) -> tuple[list[str], bytes, int]:
    """The header's fields, its line, and the lines read before it (1 when the file opens
    with the simulated mark, see :mod:`seawatch._simulated`; else 0)."""
    line = stream.readline(schema.MAX_LINE_BYTES + 1)
    if len(line) > schema.MAX_LINE_BYTES:
        raise SourceError(f"the CSV header line is longer than {schema.MAX_LINE_BYTES:,} bytes")
    if line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    before = 0
    if is_simulated(line):
        line = stream.readline(schema.MAX_LINE_BYTES + 1)
        before = 1
        if len(line) > schema.MAX_LINE_BYTES:
            raise SourceError(f"the CSV header line is longer than {schema.MAX_LINE_BYTES:,} bytes")
    text = line.decode("utf-8", errors="replace").rstrip("\r\n")
    if not text.strip():
        raise SourceError("the CSV file has no header line")
    header = _parse_header(text)
    if header is None:
        raise SourceError("the CSV header line is not valid CSV (binary data or bad quoting)")
    return header, line, before


def _line_bounds(buf: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(start, end) byte offsets of each line of ``buf`` (end: its ``\\n`` or the end)."""
    ends = np.flatnonzero(buf == 10)
    if len(ends) == 0 or ends[-1] != len(buf) - 1:
        ends = np.r_[ends, len(buf)]
    return np.r_[0, ends[:-1] + 1], ends


def _fast_lines(
    fast: bytes, first_line: int, n_columns: int, *, has_invalid: bool
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], list[int]]:
    """Line numbers of the rows pyarrow keeps from ``fast`` (quoting off, so a row is a
    non-empty line with exactly ``n_columns - 1`` commas) and of the lines it hands to the
    invalid-row handler, plus the (start, end) byte offsets of those invalid lines."""
    none = np.zeros(0, dtype=np.int64)
    if not fast:
        return none, none, []
    buf = np.frombuffer(fast, dtype=np.uint8)
    starts, ends = _line_bounds(buf)
    stops = ends.copy()
    has_cr = (stops > starts) & (buf[np.maximum(stops - 1, 0)] == 13)
    stops[has_cr] -= 1
    nonempty = stops > starts
    numbers = np.arange(first_line, first_line + len(ends), dtype=np.int64)
    if not has_invalid:
        return numbers[nonempty], none, []
    commas = np.r_[0, np.cumsum(buf == 44, dtype=np.int32)]
    count = commas[stops] - commas[starts]
    valid = nonempty & (count == n_columns - 1)
    invalid = nonempty & ~valid
    spans = np.stack([starts[invalid], stops[invalid]], axis=1).ravel().tolist()
    return numbers[valid], numbers[invalid], spans


_WS = np.frombuffer(b" \t\x0b\x0c\r", dtype=np.uint8)


def _utf8(chunk: bytes) -> bytes:
    """``chunk`` with every byte sequence that is not UTF-8 replaced by U+FFFD."""
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return chunk.decode("utf-8", "replace").encode("utf-8")
    return chunk


def _split_quoted(chunk: bytes) -> tuple[bytes, list[tuple[int, bytes]]]:
    """(``chunk`` with some lines emptied, [(line index, that line)]): lines holding a
    ``"`` (pyarrow would read a field that runs on over lines), a carriage return that does
    not end the line (pyarrow would end the row there) or only whitespace (pyarrow skips
    only lines that are truly empty). The caller parses them one by one."""
    buf = np.frombuffer(chunk, dtype=np.uint8)
    starts, ends = _line_bounds(buf)
    first = buf[np.minimum(starts, len(buf) - 1)] if len(buf) else buf
    ws_start = np.flatnonzero(np.isin(first, _WS) & (ends > starts))
    odd_lines = [int(k) for k in ws_start.tolist() if not chunk[starts[k] : ends[k]].strip()]
    odd: list[np.ndarray[Any, Any]] = [np.asarray(odd_lines, dtype=np.int64)]
    if b'"' in chunk:
        odd.append(np.searchsorted(ends, np.flatnonzero(buf == 34)))
    if b"\r" in chunk:
        cr = np.flatnonzero(buf[:-1] == 13)
        odd.append(np.searchsorted(ends, cr[buf[cr + 1] != 10]))
    lines = np.unique(np.concatenate(odd))
    if len(lines) == 0:
        return chunk, []
    parts: list[bytes] = []
    quoted: list[tuple[int, bytes]] = []
    pos = 0
    for k in lines.tolist():
        a, b = int(starts[k]), int(ends[k])
        parts.append(chunk[pos:a])
        quoted.append((k, chunk[a:b].rstrip(b"\r")))
        pos = b
    parts.append(chunk[pos:])
    return b"".join(parts), quoted


def _parse_quoted(
    quoted: list[tuple[int, bytes]], n_columns: int
) -> tuple[list[int], list[list[str]], list[int], list[str]]:
    """Lines with quotes, parsed one by one: (good line indexes, their fields, bad line
    indexes, their text). A line is bad when its quoting is broken or it has the wrong
    number of fields."""
    good_k: list[int] = []
    good: list[list[str]] = []
    bad_k: list[int] = []
    bad: list[str] = []
    for k, raw in quoted:
        if not raw.strip():
            continue  # a line of whitespace: blank, like an empty line
        text = raw.decode("utf-8", "replace")
        try:
            fields = next(csv.reader([text], strict=True))
        except (csv.Error, StopIteration):
            fields = []
        if len(fields) == n_columns:
            good_k.append(k)
            good.append(fields)
        else:
            bad_k.append(k)
            bad.append(text)
    return good_k, good, bad_k, bad


def _reject_table(source: str, line_no: list[int], reason: list[str], raw: list[str]) -> pa.Table:
    return pa.table(
        {
            "source": pa.array([source] * len(raw), pa.string()),
            "line_no": pa.array(line_no, pa.int64()),
            "reason": pa.array(reason, pa.string()),
            "raw": pa.array([truncate_raw(t) for t in raw], pa.string()),
        },
        schema=schema.REJECTS,
    )


def long_line_batch(source: str, line_no: int | None, line: LongLine) -> SourceBatch:
    """The batch of one over-long line: a ``line_length`` reject."""
    rejects = pa.table(
        {
            "source": pa.array([source], pa.string()),
            "line_no": pa.array([line_no], pa.int64()),
            "reason": pa.array([schema.RejectReason.LINE_LENGTH.value], pa.string()),
            "raw": pa.array([line.raw()], pa.string()),
        },
        schema=schema.REJECTS,
    )
    return SourceBatch(rejects=rejects, lines=1)


def read_csv(
    stream: BinaryIO,
    *,
    source: str,
    fmt: str | None = None,
    column_map: Mapping[str, str] | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    on_chunk: Callable[[], None] | None = None,
) -> Iterator[SourceBatch]:
    """Stream a CSV file as :class:`SourceBatch` objects, one per chunk of ``chunk_bytes``.

    Raises:
        SourceError: the header is missing, or required columns cannot be found.
    """
    header, _, before = _read_header(stream)
    dialect = _dialect_for(header, fmt, column_map or {})
    columns = [f"c{i}" for i in range(len(header))]
    read_opts = pacsv.ReadOptions(
        column_names=columns, block_size=max(chunk_bytes * 2, 4 * schema.MAX_LINE_BYTES)
    )
    convert_opts = pacsv.ConvertOptions(
        column_types=dict.fromkeys(columns, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    deduper = StaticsDeduper()
    source_dict = pa.array([source], pa.string())
    next_line = 2 + before
    for item in line_chunks(stream, chunk_bytes):
        if isinstance(item, LongLine):
            yield long_line_batch(source, next_line, item)
            next_line += 1
            continue
        chunk = _utf8(item)
        n_lines = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
        fast, quoted = _split_quoted(chunk)
        invalid: list[str] = []

        def handler(row: Any, _invalid: list[str] = invalid) -> str:
            _invalid.append(row.text)
            return "skip"

        parse_opts = pacsv.ParseOptions(quote_char=False, invalid_row_handler=handler)
        if fast.strip():
            table = pacsv.read_csv(
                io.BytesIO(fast),
                read_options=read_opts,
                parse_options=parse_opts,
                convert_options=convert_opts,
            )
        else:
            table = pa.table({c: pa.array([], pa.string()) for c in columns})
        all_lines = chunk.split(b"\n")
        lines_no, invalid_no, invalid_spans = _fast_lines(
            fast, next_line, len(columns), has_invalid=bool(invalid)
        )
        if len(lines_no) != table.num_rows or len(invalid_no) != len(invalid):
            raise SourceError(  # an invariant: every row is one line of the chunk
                f"{source}: internal error matching CSV rows to lines near line {next_line}"
            )
        invalid = [
            fast[a:b].decode("utf-8", "replace")
            for a, b in zip(invalid_spans[::2], invalid_spans[1::2], strict=True)
        ]
        bad_k: list[int] = []
        bad_text: list[str] = []
        if quoted:
            good_k, good, bad_k, bad_text = _parse_quoted(quoted, len(columns))
            if good:
                extra = pa.table(
                    [pa.array([g[i] for g in good], pa.string()) for i in range(len(columns))],
                    names=columns,
                )
                table = pa.concat_tables([table, extra])
                lines_no = np.concatenate(
                    [lines_no, np.asarray(good_k, dtype=np.int64) + next_line]
                )
        positions, statics, rejected, bad_time = convert_rows(table, dialect, header)
        n_rejected = pc.sum(rejected.cast(pa.int64())).as_py() or 0
        reject_parts: list[pa.Table] = []
        if invalid or n_rejected or bad_k:
            mask = rejected.to_numpy(zero_copy_only=False)
            time_mask = bad_time.to_numpy(zero_copy_only=False)[mask]
            bad_rows = lines_no[mask]
            raws = [
                all_lines[int(k) - next_line].rstrip(b"\r").decode("utf-8", "replace")
                for k in bad_rows
            ]
            nums = np.concatenate(
                [
                    bad_rows,
                    invalid_no,
                    np.asarray(bad_k, dtype=np.int64) + next_line,
                ]
            )
            texts = raws + invalid + bad_text
            csv_row, bad_value = (
                schema.RejectReason.CSV_ROW.value,
                schema.RejectReason.BAD_VALUE.value,
            )
            reasons = [bad_value if t else csv_row for t in time_mask.tolist()]
            reasons += [csv_row] * (len(invalid) + len(bad_text))
            order = np.argsort(nums, kind="stable").tolist()
            reject_parts.append(
                _reject_table(
                    source,
                    [int(nums[i]) for i in order],
                    [reasons[i] for i in order],
                    [texts[i] for i in order],
                )
            )
        keep = pc.invert(rejected)
        positions = _with_source(positions.filter(keep), source_dict)
        statics = _with_source(deduper(statics.filter(keep)), source_dict)
        rejects = pa.concat_tables(reject_parts) if reject_parts else schema.REJECTS.empty_table()
        next_line += n_lines
        yield SourceBatch(
            positions=positions,
            statics=statics,
            rejects=rejects,
            lines=n_lines,
            messages=positions.num_rows,
        )
        if on_chunk is not None:
            on_chunk()


def _with_source(table: pa.Table, source_dict: pa.Array) -> pa.Table:
    n = table.num_rows
    src = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), source_dict)
    idx = table.schema.get_field_index("source")
    return table.set_column(idx, table.schema.field(idx), src)


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """A column's values as text; null where they have none (bytes that are not UTF-8, a
    nested value): such a value is not one seawatch could read."""
    try:
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            return pa.array(
                [None if v is None else v.decode("utf-8", "replace") for v in column.to_pylist()],
                pa.string(),
            )
        return _null(len(column), pa.string())


def convert_table(
    table: pa.Table,
    dialect: Dialect,
    header: list[str],
    source_dict: pa.Array,
    *,
    first_row: int,
    deduper: StaticsDeduper,
) -> SourceBatch:
    """A table of typed columns (a Parquet or GeoPackage chunk, ``header`` its column
    names) -> one batch, through the CSV conversion: every value is read as its text.

    Rows are numbered from ``first_row`` + 1; a rejected row's ``raw`` is its values.
    """
    n = table.num_rows
    used = {normalise_header(c) for c in dialect.columns.values()}
    strings = pa.table(
        [
            _as_text(c) if normalise_header(h) in used else _null(n, pa.string())
            for c, h in zip(table.columns, header, strict=True)
        ],
        names=[f"c{i}" for i in range(len(header))],
    )
    positions, statics, rejected, bad_time = convert_rows(strings, dialect, header)
    keep = pc.invert(rejected)
    rejected_np = rejected.to_numpy(zero_copy_only=False)
    bad_idx = np.flatnonzero(rejected_np)
    rejects = schema.REJECTS.empty_table()
    if len(bad_idx):
        time_np = bad_time.to_numpy(zero_copy_only=False)[bad_idx]
        csv_row, bad_value = schema.RejectReason.CSV_ROW.value, schema.RejectReason.BAD_VALUE.value
        rejects = _reject_table(
            str(source_dict[0]),
            (bad_idx + first_row + 1).tolist(),
            [bad_value if t else csv_row for t in time_np.tolist()],
            [str(r) for r in table.take(pa.array(bad_idx)).to_pylist()],
        )
    return SourceBatch(
        positions=_with_source(positions.filter(keep), source_dict).cast(schema.POSITIONS),
        statics=_with_source(deduper(statics.filter(keep)), source_dict).cast(schema.STATICS),
        rejects=rejects,
        lines=n,
        messages=int(n - len(bad_idx)),
    )


def _dialect_for(header: list[str], fmt: str | None, column_map: Mapping[str, str]) -> Dialect:
    if fmt in ("noaa_csv", "dma_csv") and not column_map:
        sniffed = sniff_dialect(header)
        if sniffed is None or sniffed.name != fmt:
            raise SourceError(
                f"the header does not look like {fmt}: " + printable(",".join(header))
            )
        return sniffed
    return generic_dialect(header, column_map)


def header_dialect(header_line: bytes) -> str | None:
    """``noaa_csv``/``dma_csv``/``csv`` if ``header_line`` is a recognisable CSV header."""
    text = header_line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    if "," not in text:
        return None
    header = _parse_header(text)
    if header is None:
        return None
    sniffed = sniff_dialect(header)
    if sniffed is not None:
        return sniffed.name
    try:
        generic_dialect(header, {})
    except SourceError:
        return None
    return "csv"
