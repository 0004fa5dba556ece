"""Ingest: sources -> staged day chunks -> merged day partitions -> manifest (the commit).

Sequence, all under the store's exclusive writer lock:

1. Clean up what a killed writer left (staging folders, temporary files, unlisted files).
2. For each input (special files such as FIFOs and devices are skipped with a warning):
   hash its bytes (sha256); skip it if the manifest already has that key.
3. Stream it through :func:`seawatch.sources.read_source` in bounded chunks; rows without
   a time become ``no_timestamp`` rejects, rows with a time outside
   ``[schema.TIME_MIN, schema.TIME_MAX)`` ``bad_value`` rejects (whatever the input path);
   the rest are split by UTC day and written as small staging Parquet files in
   ``.staging-<id>/``. ``raw`` of every reject is cut to ``schema.MAX_RAW_CHARS``.
   When the same content was ingested before with other options (say without ``--time``),
   that earlier reading's rejects are dropped and its manifest entry replaced.
   An input whose positions got their time from ``--time`` records ``stamped_positions``
   and ``stamped_time`` in its manifest entry (its tracks are meaningless) and warns.
4. For every touched (table, day): merge the day's current file with the staged rows
   (sorted by mmsi, ts; de-duplicated, see :mod:`seawatch.store._merge`) into a *new* file
   (temporary name, fsync, rename). Rejects get one new file per day.
5. Write the new manifest atomically: this single rename is the commit. The replaced files
   are listed in it as *retired* (readers of the previous manifest may still read them).
6. Delete the staging folder, and the retired files older than the grace period
   (:data:`seawatch.store._manifest.RETIRED_GRACE_S`).

A kill before step 5 leaves the old manifest, so readers see the old store and the next
writer removes the orphans; a kill after it leaves only orphans to remove.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import select
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch import schema
from seawatch._exceptions import ParameterError, SourceError, StoreError
from seawatch._simulated import MARK, is_simulated
from seawatch._units import US_PER_DAY
from seawatch.sources import (
    DEFAULT_CHUNK_BYTES,
    Batch,
    detect_format,
    expand_paths,
    file_reject,
    open_binary,
    read_source,
    truncate_raw_column,
)
from seawatch.store._io import file_sha256, fsync_dir, write_parquet_atomic, write_parquet_plain
from seawatch.store._manifest import (
    DAY_TABLES,
    STAGING_PREFIX,
    clean_strays,
    empty_manifest,
    remove_files,
    retire,
    save_manifest,
    snapshot,
)
from seawatch.store._merge import count_rows, distinct_vessels, merge_connection, merge_files

_EPOCH = date(1970, 1, 1)
_US_PER_DAY = US_PER_DAY
_HASH_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """How inputs are read and merged."""

    fmt: str | None = None
    """Force a format (nmea, noaa_csv, dma_csv, csv, parquet, geopackage); detected when None."""
    accept_bad_checksum: bool = False
    default_time: datetime | None = None
    """Time given to NMEA messages that carry none (``--time``)."""
    column_map: str | Mapping[str, str] | None = None
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    dedup_window_s: float = 10.0
    """Identical messages of one vessel at most this far apart are stored once."""
    merge_memory_limit: str = "256MB"
    """DuckDB memory limit for merging a day partition (it spills to disk beyond it)."""
    merge_rows_per_bucket: int = 500_000
    """Day partitions larger than this are merged in MMSI ranges of about this many rows."""
    stdin_batch_bytes: int = 64 * 2**20
    """Standard input is committed in batches of about this many bytes (whole lines) ..."""
    stdin_batch_s: float = 60.0
    """... or after this many seconds, whichever comes first: a feed never holds the lock
    while it waits for input, and its rows become visible batch by batch."""

    def __post_init__(self) -> None:
        if self.dedup_window_s < 0:
            raise ParameterError("dedup_window_s must be >= 0")
        if self.chunk_bytes < 1024:
            raise ParameterError("chunk_bytes must be at least 1024")
        if self.default_time is not None and self.default_time.tzinfo is None:
            raise ParameterError("default_time must be timezone-aware (UTC)")
        if self.default_time is not None and not (
            schema.TIME_MIN <= self.default_time < schema.TIME_MAX
        ):
            raise ParameterError(
                f"--time {self.default_time.isoformat()} is outside the plausible window "
                f"{schema.TIME_MIN.date()} .. {schema.TIME_MAX.date()}"
            )
        if self.stdin_batch_bytes < 1024 or not self.stdin_batch_s > 0:
            raise ParameterError("stdin_batch_bytes must be >= 1024 and stdin_batch_s > 0")


@dataclass(frozen=True, slots=True)
class FileResult:
    """What happened to one input."""

    path: str
    sha256: str
    status: str
    """``ingested``, ``skipped`` (already in the store, or repeated in this call) or
    ``rejected`` (a whole input that cannot be read or whose format is not recognised: one
    ``unreadable_input`` or ``unknown_format`` reject)."""
    format: str | None = None
    lines: int = 0
    messages: int = 0
    positions: int = 0
    statics: int = 0
    others: int = 0
    rejects: int = 0
    simulated: bool = False
    """The file opens with the simulated mark (:mod:`seawatch._simulated`)."""


@dataclass(frozen=True, slots=True)
class IngestSummary:
    """Counts for one :meth:`Store.ingest` call.

    ``positions``, ``statics`` and ``others`` are the rows the store gained (after
    de-duplication against the new input and what was stored before).
    """

    files: tuple[FileResult, ...] = ()
    lines: int = 0
    messages: int = 0
    positions: int = 0
    statics: int = 0
    others: int = 0
    vessels: int = 0
    """Distinct MMSIs in the ingested positions and statics."""
    duplicates_dropped: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    days: tuple[date, ...] = ()
    warnings: tuple[str, ...] = ()
    """What the caller should tell the user: skipped special files, damaged inputs, inputs
    stamped with one ``--time``."""
    vessel_ids: frozenset[int] = field(default=frozenset(), repr=False, compare=False)
    """The distinct MMSIs counted by ``vessels`` (to combine the summaries of batches)."""

    @property
    def files_ingested(self) -> int:
        return sum(1 for f in self.files if f.status == "ingested")

    @property
    def files_rejected(self) -> int:
        return sum(1 for f in self.files if f.status == "rejected")

    @property
    def files_skipped(self) -> int:
        return sum(1 for f in self.files if f.status == "skipped")

    @property
    def rejects(self) -> int:
        return sum(self.rejects_by_reason.values())

    @property
    def files_simulated(self) -> int:
        """Ingested files marked simulated."""
        return sum(1 for f in self.files if f.status == "ingested" and f.simulated)


@dataclass(frozen=True, slots=True)
class IngestProgress:
    """Reported to the ``progress`` callback after every chunk."""

    path: str
    phase: str
    """``read`` (bytes of the current input) or ``merge`` (day partitions written)."""
    done: int
    total: int | None


ProgressFn = Callable[[IngestProgress], None]


def combine_summaries(parts: Sequence[IngestSummary]) -> IngestSummary:
    """One summary for several ingest commits (the batches of standard input)."""
    if len(parts) == 1:
        return parts[0]
    ids = frozenset().union(*(p.vessel_ids for p in parts))
    reasons: Counter[str] = Counter()
    for p in parts:
        reasons.update(p.rejects_by_reason)
    return IngestSummary(
        files=tuple(f for p in parts for f in p.files),
        lines=sum(p.lines for p in parts),
        messages=sum(p.messages for p in parts),
        positions=sum(p.positions for p in parts),
        statics=sum(p.statics for p in parts),
        others=sum(p.others for p in parts),
        vessels=len(ids),
        vessel_ids=ids,
        duplicates_dropped=sum(p.duplicates_dropped for p in parts),
        rejects_by_reason=dict(sorted(reasons.items())),
        days=tuple(sorted({d for p in parts for d in p.days})),
        warnings=tuple(w for p in parts for w in p.warnings),
    )


def source_key(sha256: str, options: IngestOptions) -> str:
    """The manifest key of an input: its content hash, plus a short digest of the reading
    options that change what it yields (``--time``, ``--format``, ``--columns``,
    ``--accept-bad-checksum``) when any is set. So re-ingesting an untimed file with
    ``--time`` reads it again (de-duplication drops the rows stored the first time),
    while the same file with the same options is skipped."""
    variant: dict[str, Any] = {}
    if options.default_time is not None:
        variant["time"] = options.default_time.isoformat()
    if options.fmt is not None:
        variant["format"] = options.fmt
    if options.column_map:
        variant["columns"] = (
            options.column_map
            if isinstance(options.column_map, str)
            else dict(sorted(options.column_map.items()))
        )
    if options.accept_bad_checksum:
        variant["accept_bad_checksum"] = True
    if not variant:
        return sha256
    digest = hashlib.sha256(json.dumps(variant, sort_keys=True).encode()).hexdigest()[:12]
    return f"{sha256}+{digest}"


def _sniff_simulated(path: Path) -> bool:
    """Whether the (decompressed) file opens with the simulated mark."""
    try:
        with open_binary(path) as stream:
            head = stream.read(len(MARK) + 1)
    except (OSError, EOFError, ValueError):
        return False  # unreadable here: read_source reports it
    return is_simulated(head)


def _spool_stdin(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, _HASH_BLOCK)


_NMEA_LINE = re.compile(rb"^[^\n]{0,200}?[!$][A-Z]{2}VD[MO],", re.MULTILINE)


def _fileno(stream: Any) -> int | None:
    try:
        fd: int = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    return fd


def _input_within(fd: int | None, seconds: float) -> bool:
    """Whether input arrives on ``fd`` within ``seconds`` (always true without a file
    descriptor, or where ``select`` cannot tell)."""
    if fd is None or seconds == math.inf:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], max(0.0, seconds))
    except (OSError, ValueError):
        return True
    return bool(ready)


def stdin_batches(
    *, max_bytes: int, max_s: float, stream: BinaryIO | None = None
) -> Iterator[Path]:
    """Spool stdin into temporary files, yielding one per commit. Plain NMEA text (a feed)
    is cut into batches of whole lines: a batch ends after ``max_bytes``, or ``max_s``
    seconds after it began (a quiet feed's lines are committed while it waits for more).
    Anything else (CSV with its header, Parquet, compressed data) is one batch. Each file is
    removed when the caller asks for the next; nothing is spooled inside the store and no
    lock is held while reading."""
    src = stream if stream is not None else sys.stdin.buffer
    fd_in = _fileno(src)
    if fd_in is None:
        read: Callable[[int], bytes] = getattr(src, "read1", src.read)
    else:  # unbuffered reads, so that select() tells the truth about waiting input

        def read(n: int) -> bytes:
            return os.read(fd_in, n)

    pending: bytes = read(_HASH_BLOCK)
    if not pending:
        return
    if _NMEA_LINE.search(pending[:65_536]) is None:
        max_bytes, max_s = sys.maxsize, math.inf
    eof = False
    while not eof:
        fd, name = tempfile.mkstemp(prefix="seawatch-stdin-", suffix=".spool")
        path = Path(name)
        try:
            size = 0
            mid_line = False  # the batch ends with the start of a (long) line
            started = time.monotonic()
            with os.fdopen(fd, "wb") as out:
                while True:
                    if not pending:
                        left = max_s - (time.monotonic() - started)
                        if size and not mid_line and not _input_within(fd_in, left):
                            break  # a quiet feed: commit what has come
                        pending = read(_HASH_BLOCK)
                        if not pending:
                            eof = True
                            break
                    if max_s == math.inf or b"\n" not in pending:
                        more = b"" if max_s == math.inf else read(_HASH_BLOCK)
                        if more and len(pending) >= _HASH_BLOCK:
                            # a long line: spool its start now (memory stays bounded and
                            # nothing is copied over and over); the line ends in this batch
                            out.write(pending)
                            size += len(pending)
                            pending, mid_line = more, True
                            continue
                        if more:  # an unfinished line: read on
                            pending += more
                            continue
                        out.write(pending)  # unbounded, or the last line without an end
                        size += len(pending)
                        pending = b""
                        continue
                    if mid_line:  # finish the long line first, whatever the batch size
                        cut = pending.find(b"\n") + 1
                        out.write(pending[:cut])
                        size += cut
                        pending, mid_line = pending[cut:], False
                        continue
                    cut = pending.rfind(b"\n", 0, max(0, max_bytes - size)) + 1
                    if cut == 0:
                        if size:
                            break  # the next line does not fit: the batch is full
                        cut = pending.find(b"\n") + 1  # one line longer than a batch
                    out.write(pending[:cut])
                    size += cut
                    pending = pending[cut:]
                    if size >= max_bytes or time.monotonic() - started >= max_s:
                        break
            if size:
                yield path
        finally:
            path.unlink(missing_ok=True)


def _day_numbers(ts: pa.ChunkedArray | pa.Array) -> np.ndarray[Any, Any]:
    us = pc.cast(ts, pa.int64()).to_numpy(zero_copy_only=False)
    days: np.ndarray[Any, Any] = np.floor_divide(us, _US_PER_DAY)
    return days


_STAGE_BUFFER_ROWS = 500_000
"""Rows the stager holds in memory (over all tables and days) before writing them out."""
_STAGE_ROW_GROUP_ROWS = 16_384
"""Row groups of a staging file: each covers a narrow MMSI range (the file is sorted by
MMSI), so the merge's per-range queries skip most of them from their statistics."""


class _Stager:
    """Writes the rows of one ingest call into per-(table, day) staging files.

    Rows are buffered (at most ``buffer_rows`` in all) and written as files sorted by MMSI
    in small row groups: a large day is merged in MMSI ranges, one query each, and each
    query then reads only the row groups of its range instead of every staged row.

    The sorting and writing of a file run in a background thread while the caller reads
    the next rows (both release the GIL for most of their work); at most one file is in
    flight, so memory stays bounded by two buffers. :meth:`flush` waits for every write
    (and raises the first error); :meth:`close` ends the thread."""

    def __init__(self, root: Path, *, buffer_rows: int = _STAGE_BUFFER_ROWS) -> None:
        self.root = root
        self.files: dict[tuple[str, date], list[Path]] = {}
        self._n = 0
        self._buffer_rows = buffer_rows
        self._pending: dict[tuple[str, date], list[pa.Table]] = {}
        self._pending_rows: Counter[tuple[str, date]] = Counter()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seawatch-stage")
        self._in_flight: deque[Future[None]] = deque()

    def add(self, table_name: str, day: date, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        key = (table_name, day)
        self._pending.setdefault(key, []).append(table)
        self._pending_rows[key] += table.num_rows
        while self._pending_rows.total() > self._buffer_rows:
            self._write(max(self._pending_rows, key=lambda k: self._pending_rows[k]))

    def add_by_day(self, table_name: str, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        days = _day_numbers(table.column("ts"))
        first = int(days[0])
        if (days == first).all():
            self.add(table_name, _EPOCH + timedelta(days=first), table)
            return
        for d in np.unique(days).tolist():
            part = table.filter(pa.array(days == d))
            self.add(table_name, _EPOCH + timedelta(days=int(d)), part)

    def flush(self) -> None:
        """Write every buffered row (before the merge) and wait for the writes."""
        for key in list(self._pending):
            self._write(key)
        while self._in_flight:
            self._in_flight.popleft().result()

    def close(self) -> None:
        """Stop the writer (after an error: pending writes are cancelled or waited for)."""
        for fut in self._in_flight:
            fut.cancel()
        self._writer.shutdown(wait=True)
        self._in_flight.clear()

    def _write(self, key: tuple[str, date]) -> None:
        tables = self._pending.pop(key)
        del self._pending_rows[key]
        table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
        self._n += 1
        table_name, day = key
        path = self.root / table_name / day.isoformat() / f"{self._n:08d}.parquet"
        self.files.setdefault(key, []).append(path)
        while self._in_flight:  # one file at a time: the memory of two buffers at most
            self._in_flight.popleft().result()
        self._in_flight.append(self._writer.submit(_write_staged, table, path))


def _write_staged(table: pa.Table, path: Path) -> None:
    """One staging file, sorted by MMSI when the table has one."""
    if "mmsi" in table.column_names:
        table = table.take(pc.sort_indices(table.column("mmsi")))
    write_parquet_plain(path, table, row_group_rows=_STAGE_ROW_GROUP_ROWS)


def _untimed_rejects(
    table: pa.Table, source: str, reason: schema.RejectReason = schema.RejectReason.NO_TIMESTAMP
) -> pa.Table:
    n = table.num_rows
    parts = [
        pa.array(["mmsi="] * n),
        table.column("mmsi").cast(pa.string()),
        pa.array([" msg_type="] * n),
        pc.fill_null(table.column("msg_type").cast(pa.string()), "?"),
    ]
    if reason != schema.RejectReason.NO_TIMESTAMP:
        parts += [
            pa.array([" ts_us="] * n),
            pc.cast(table.column("ts"), pa.int64()).cast(pa.string()),
        ]
    raw = pc.binary_join_element_wise(*parts, "")
    return pa.table(
        {
            "source": pa.array([source] * n, pa.string()),
            "line_no": pa.nulls(n, pa.int64()),
            "reason": pa.array([reason.value] * n, pa.string()),
            "raw": raw,
        },
        schema=schema.REJECTS,
    )


def _screen_times(table: pa.Table, source: str, rejects: list[pa.Table]) -> pa.Table:
    """``table`` less its rows without a time (``no_timestamp``) or with a time outside
    the plausible window (``bad_value``); those rows are appended to ``rejects``."""
    ts = table.column("ts")
    untimed = ts.is_null()
    if pc.any(untimed).as_py():
        rejects.append(_untimed_rejects(table.filter(untimed), source))
        table = table.filter(pc.invert(untimed))
    outside = schema.outside_time_window(table.column("ts"))
    if pc.any(outside).as_py():
        bad = table.filter(outside)
        rejects.append(_untimed_rejects(bad, source, schema.RejectReason.BAD_VALUE))
        table = table.filter(pc.invert(outside))
    return table


def _stamped_warning(display: str, stamped: int, when: datetime) -> str:
    return (
        f"{display}: {stamped:,} positions carry no time of their own and were all stamped "
        f"{when.isoformat().replace('+00:00', 'Z')} (--time): their order and timing are "
        "unknown, so track-based detectors (spoofing, AIS gaps, encounters, loitering) "
        "cannot be trusted on them"
    )


def _superseded(current: dict[str, Any], sha: str, key: str) -> list[str]:
    """Manifest keys of earlier readings of the same content with other options."""
    return [k for k, v in current["sources"].items() if k != key and v.get("sha256") == sha]


def _drop_rejects_of(
    root: Path, manifest: dict[str, Any], sources: set[str]
) -> tuple[list[str], int]:
    """Rewrite the reject files that hold rows of ``sources`` without them. Updates
    ``manifest`` (not saved) and returns (files replaced, rows dropped)."""
    import pyarrow.parquet as pq

    replaced: list[str] = []
    dropped = 0
    wanted = pa.array(sorted(sources), pa.string())
    for day, files in manifest["tables"]["rejects"].items():
        new_files: list[str] = []
        for rel in files:
            path = root / rel
            src = pq.read_table(path, columns=["source"]).column("source")
            hit = pc.is_in(src, value_set=wanted)
            n_hit = pc.sum(hit.cast(pa.int64())).as_py() or 0
            if not n_hit:
                new_files.append(rel)
                continue
            dropped += n_hit
            replaced.append(rel)
            kept = pq.read_table(path, schema=schema.REJECTS).filter(pc.invert(hit))
            if kept.num_rows:
                new_rel = f"rejects/day={day}/part-{uuid.uuid4().hex[:16]}.parquet"
                write_parquet_atomic(root / new_rel, schema.REJECTS, [kept])
                new_files.append(new_rel)
        manifest["tables"]["rejects"][day] = new_files
    manifest["tables"]["rejects"] = {d: f for d, f in manifest["tables"]["rejects"].items() if f}
    return replaced, dropped


def ingest(
    root: Path,
    manifest: dict[str, Any] | None,
    paths: Sequence[str | Path],
    *,
    options: IngestOptions,
    progress: ProgressFn | None = None,
    names: Mapping[str, str] | None = None,
    reader: Callable[..., Iterable[Batch]] | None = None,
) -> tuple[IngestSummary, dict[str, Any]]:
    """Ingest ``paths`` into the store at ``root`` (caller holds the writer lock).

    ``names``: the name to record for a path (a spooled stdin batch is ``stdin``).
    ``reader``: called as :func:`seawatch.sources.read_source` for each new input (default:
    that function); another runner passes one that decoded the inputs elsewhere (Spark
    executors) and must yield the same batches. Returns the summary and the new manifest
    (already saved).
    """
    try:
        return _ingest(
            root,
            manifest,
            paths,
            options=options,
            progress=progress,
            names=names,
            reader=reader if reader is not None else read_source,
        )
    except OSError as exc:
        raise StoreError(
            f"cannot write to the store {root}: {exc.strerror or exc} (nothing was committed)"
        ) from exc


def _reject_file(
    stager: _Stager,
    today: date,
    display: str,
    reason: schema.RejectReason,
    error: str,
    by_reason: Counter[str],
    warnings: list[str],
) -> None:
    """A whole input refused: one reject row and a warning; the other inputs go on."""
    stager.add("rejects", today, file_reject(display, reason, error))
    by_reason[reason.value] += 1
    warnings.append(f"{error}: skipped (one {reason.value} reject)")


def _refused_source(
    display: str, sha: str, size: int, fmt: str | None, reason: schema.RejectReason
) -> dict[str, Any]:
    """The manifest record of a refused input: recorded, so that a re-run does not reject
    (and count) it again."""
    return {
        "path": display,
        "sha256": sha,
        "size": size,
        "format": fmt,
        "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rejected": reason.value,
    }


def _ingest(
    root: Path,
    manifest: dict[str, Any] | None,
    paths: Sequence[str | Path],
    *,
    options: IngestOptions,
    progress: ProgressFn | None,
    names: Mapping[str, str] | None,
    reader: Callable[..., Iterable[Batch]],
) -> tuple[IngestSummary, dict[str, Any]]:
    current = snapshot(manifest) if manifest is not None else empty_manifest()
    clean_strays(root, current)
    special: list[str] = []
    inputs = expand_paths(paths, skipped=special)
    warnings = [
        f"{p}: not a regular file (a FIFO, device or dangling link): skipped" for p in special
    ]
    superseded: dict[str, str] = {}
    staging = root / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    staging.mkdir(parents=True)
    stager = _Stager(staging / "rows")
    today = datetime.now(UTC).date()
    known: set[str] = set(current["sources"])
    results: list[FileResult] = []
    new_sources: dict[str, dict[str, Any]] = {}
    totals: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    failed: list[str] = []
    try:
        for i, raw_path in enumerate(inputs):
            display = "stdin" if raw_path == "-" else (names or {}).get(raw_path, raw_path)
            path = Path(raw_path)
            if raw_path == "-":
                path = staging / f"stdin-{i}"
                _spool_stdin(path)
            try:
                sha = file_sha256(path, block=_HASH_BLOCK)
                size = path.stat().st_size
            except OSError as exc:  # an input that cannot be read is not a store error
                error = f"cannot read {display}: {exc.strerror or exc}"
                failed.append(error)
                results.append(FileResult(path=display, sha256="", status="rejected"))
                reason = schema.RejectReason.UNREADABLE_INPUT
                _reject_file(stager, today, display, reason, error, by_reason, warnings)
                continue
            key = source_key(sha, options)
            if key in known:
                status = (
                    "rejected" if current["sources"].get(key, {}).get("rejected") else "skipped"
                )
                results.append(FileResult(path=display, sha256=sha, status=status))
                continue
            known.add(key)
            if options.fmt is None and options.column_map is None:
                try:
                    detect_format(path)
                except SourceError as exc:
                    failed.append(str(exc))
                    results.append(FileResult(path=display, sha256=sha, status="rejected"))
                    reason = schema.RejectReason.UNKNOWN_FORMAT
                    _reject_file(stager, today, display, reason, str(exc), by_reason, warnings)
                    new_sources[key] = _refused_source(display, sha, size, None, reason)
                    continue
            for old in _superseded(current, sha, key):
                superseded[old] = current["sources"][old].get("path", display)
            simulated = _sniff_simulated(path)
            counts: Counter[str] = Counter()
            fmt_used: list[str] = []

            def on_bytes(done: int, _d: str = display, _s: int = size) -> None:
                if progress is not None:
                    progress(IngestProgress(path=_d, phase="read", done=done, total=_s))

            stamped = 0
            try:
                for batch in reader(
                    path,
                    fmt=options.fmt,
                    accept_bad_checksum=options.accept_bad_checksum,
                    default_time=options.default_time,
                    column_map=options.column_map,
                    chunk_bytes=options.chunk_bytes,
                    on_progress=on_bytes,
                    source_name=display,
                    detected=fmt_used,
                ):
                    counts["lines"] += batch.lines
                    counts["messages"] += batch.messages
                    rejects = [batch.rejects]
                    for name in ("positions", "statics", "others"):
                        table: pa.Table = getattr(batch, name)
                        if table.num_rows == 0:
                            continue
                        table = _screen_times(table, display, rejects)
                        if name == "positions" and options.default_time is not None:
                            at = pa.scalar(options.default_time, schema.TS)
                            hits = pc.equal(table.column("ts"), at)
                            stamped += pc.sum(hits.cast(pa.int64())).as_py() or 0
                        counts[name] += table.num_rows
                        stager.add_by_day(name, table)
                    rej = truncate_raw_column(pa.concat_tables(rejects))
                    if rej.num_rows:
                        counts["rejects"] += rej.num_rows
                        reasons = rej.column("reason").to_pylist()
                        for reason, n in Counter(reasons).items():
                            by_reason[str(reason)] += n
                        damaged = schema.RejectReason.DAMAGED_INPUT.value
                        warnings.extend(
                            f"damaged input (a damaged_input reject): {raw}"
                            for reason, raw in zip(
                                reasons, rej.column("raw").to_pylist(), strict=True
                            )
                            if reason == damaged
                        )
                        stager.add("rejects", today, rej)
            except SourceError as exc:
                # the content failed after its format was recognised (a corrupt Parquet
                # footer, a damaged GeoPackage): refused like an unreadable file when
                # nothing was read, else what was read is kept, as for damaged compression
                if counts["lines"]:
                    damaged = schema.RejectReason.DAMAGED_INPUT
                    what = " ".join(str(exc).split())
                    what += f"; the {counts['lines']:,} rows read before it are kept"
                    stager.add("rejects", today, file_reject(display, damaged, what))
                    by_reason[damaged.value] += 1
                    counts["rejects"] += 1
                    warnings.append(f"damaged input (a damaged_input reject): {display}: {what}")
                else:
                    reason = schema.RejectReason.UNREADABLE_INPUT
                    _reject_file(stager, today, display, reason, str(exc), by_reason, warnings)
                    failed.append(str(exc))
                    results.append(FileResult(path=display, sha256=sha, status="rejected"))
                    fmt = fmt_used[0] if fmt_used else options.fmt
                    new_sources[key] = _refused_source(display, sha, size, fmt, reason)
                    continue
            if stamped and options.default_time is not None:
                warnings.append(_stamped_warning(display, stamped, options.default_time))
            result = FileResult(
                path=display,
                sha256=sha,
                status="ingested",
                format=fmt_used[0] if fmt_used else options.fmt,
                lines=counts["lines"],
                messages=counts["messages"],
                positions=counts["positions"],
                statics=counts["statics"],
                others=counts["others"],
                rejects=counts["rejects"],
                simulated=simulated,
            )
            results.append(result)
            totals.update(counts)
            new_sources[key] = {
                "path": display,
                "sha256": sha,
                "size": size,
                "format": result.format,
                "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "lines": result.lines,
                "messages": result.messages,
                "positions": result.positions,
                "statics": result.statics,
                "others": result.others,
                "rejects": result.rejects,
                "simulated": simulated,
            }
            if stamped and options.default_time is not None:
                # positions that carry only the --time instant: no track can be built on them
                new_sources[key]["stamped_positions"] = stamped
                new_sources[key]["stamped_time"] = options.default_time.isoformat()
        if failed and not any(r.status != "rejected" for r in results):
            # nothing but unusable inputs: an error, and nothing is committed
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            raise SourceError(failed[0] + more)
        stager.flush()
        old_rejects: list[str] = []
        if superseded:
            # before the commit adds this reading's rejects (they carry the same source)
            old_rejects, n_dropped = _drop_rejects_of(root, current, set(superseded.values()))
            for old in superseded:
                del current["sources"][old]
            if n_dropped:
                warnings.append(
                    f"{n_dropped:,} rejects of an earlier reading of the same input(s) "
                    "were replaced by this one's"
                )
        new_manifest, replaced, dup, vessels, added = _commit(
            root, current, stager, staging, options=options, progress=progress
        )
        replaced.extend(old_rejects)
        new_manifest["sources"].update(new_sources)
        if new_sources:
            expired = retire(new_manifest, replaced)
            save_manifest(root, new_manifest)
            remove_files(root, expired)
    finally:
        stager.close()  # before the staging folder goes: no write may still be in it
        shutil.rmtree(staging, ignore_errors=True)
    summary = IngestSummary(
        files=tuple(results),
        lines=totals["lines"],
        messages=totals["messages"],
        positions=added.get("positions", 0),
        statics=added.get("statics", 0),
        others=added.get("others", 0),
        vessels=len(vessels),
        vessel_ids=vessels,
        duplicates_dropped=dup,
        rejects_by_reason=dict(sorted(by_reason.items())),
        days=tuple(sorted({d for (t, d) in stager.files if t != "rejects"})),
        warnings=tuple(warnings),
    )
    return summary, new_manifest


def _commit(
    root: Path,
    current: dict[str, Any],
    stager: _Stager,
    staging: Path,
    *,
    options: IngestOptions,
    progress: ProgressFn | None,
) -> tuple[dict[str, Any], list[str], int, frozenset[int], dict[str, int]]:
    """Merge staged rows into new day files; return the new manifest (not yet saved),
    the files it replaces, duplicates dropped, the distinct MMSIs, and rows added per table."""
    new = snapshot(current)
    replaced: list[str] = []
    dropped = 0
    added: Counter[str] = Counter()
    con = merge_connection(staging / "spill", memory_limit=options.merge_memory_limit)
    try:
        staged_vessel_files = [
            p for (t, _), ps in stager.files.items() if t in ("positions", "statics") for p in ps
        ]
        vessels = distinct_vessels(con, staged_vessel_files)
        keys = sorted(stager.files)
        if progress is not None:
            progress(IngestProgress(path="", phase="merge", done=0, total=len(keys)))
        for k, (table, day) in enumerate(keys):
            staged = stager.files[(table, day)]
            day_key = day.isoformat()
            old_rel: list[str] = list(new["tables"][table].get(day_key, []))
            folder = root / table / f"day={day_key}"
            name = f"part-{uuid.uuid4().hex[:16]}.parquet"
            final = folder / name
            rel = final.relative_to(root).as_posix()
            if table == "rejects":
                merge_files(con, table, staged, final, window_s=options.dedup_window_s)
                new["tables"][table][day_key] = [*old_rel, rel]
            else:
                old_files = [root / r for r in old_rel]
                before = count_rows(con, old_files)
                incoming = count_rows(con, staged)
                written = merge_files(
                    con,
                    table,
                    [*old_files, *staged],
                    final,
                    window_s=options.dedup_window_s,
                    total_rows=before + incoming,
                    rows_per_bucket=options.merge_rows_per_bucket,
                )
                dropped += before + incoming - written
                added[table] += written - before
                new["tables"][table][day_key] = [rel]
                replaced.extend(old_rel)
            if progress is not None:
                progress(IngestProgress(path="", phase="merge", done=k + 1, total=len(keys)))
        for table in DAY_TABLES:
            folder = root / table
            if folder.is_dir():
                fsync_dir(folder)
    finally:
        con.close()
    return new, replaced, dropped, vessels, dict(added)
