"""The :class:`Store`: an on-disk Parquet store with a manifest, read through the manifest."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from seawatch import schema
from seawatch._exceptions import ParameterError, StoreError
from seawatch.sources import Batch
from seawatch.store._detections import DetectionSummary, ingest_detections
from seawatch.store._filter import EventQuery, event_where, filter_table
from seawatch.store._ingest import (
    IngestOptions,
    IngestSummary,
    ProgressFn,
    combine_summaries,
    ingest,
    stdin_batches,
)
from seawatch.store._io import is_small_read, read_parquet_files, write_parquet_atomic
from seawatch.store._manifest import (
    MANIFEST,
    clean_strays,
    empty_manifest,
    listed_files,
    load_manifest,
    remove_files,
    retire,
    save_manifest,
    simulated_scenes,
    simulated_sources,
    snapshot,
    write_lock,
)
from seawatch.store._roles import store_role_entries
from seawatch.store._views import read_only_connection, run_query

_TABLE_SCHEMAS = {
    "positions": schema.POSITIONS,
    "statics": schema.STATICS,
    "others": schema.OTHERS,
    "rejects": schema.REJECTS,
    "detections": schema.DETECTIONS,
    "scenes": schema.SCENES,
}


def open_store(path: str | Path, *, create: bool = False) -> Store:
    """Open the store at ``path``; with ``create=True`` make an empty one if none exists.

    Raises:
        StoreError: there is no store at ``path`` (and ``create`` is false), or it is unreadable.
    """
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise StoreError(f"the store path {root} exists and is not a directory")
    if not (root / MANIFEST).exists():
        if not create:
            raise StoreError(
                f"no seawatch store at {root} (run `seawatch ingest` first, or pass --store)"
            )
        parent = root.absolute().parent
        if not root.exists() and not parent.is_dir():
            raise StoreError(f"cannot create the store {root}: {parent} is not a directory")
        try:
            with write_lock(root):
                if not (root / MANIFEST).exists():
                    save_manifest(root, empty_manifest())
        except OSError as exc:
            raise StoreError(f"cannot create the store {root}: {exc.strerror or exc}") from exc
    store = Store(root)
    store.manifest()  # validates
    return store


def remove_empty_store(path: str | Path, *, remove_dir: bool = True) -> bool:
    """Remove the store at ``path`` if it holds nothing (no input, no data file): what
    :func:`open_store` with ``create=True`` made for an ingest that then failed. The
    directory itself goes too when ``remove_dir`` (it did not exist before). Returns
    whether the store was removed; a store with any content is never touched."""
    root = Path(path)
    try:
        manifest = load_manifest(root)
    except StoreError:
        return False
    if manifest["sources"] or listed_files(manifest) or manifest["events"]["runs"]:
        return False
    extra = {p.name for p in root.iterdir()} - {MANIFEST, ".lock"}
    if extra:
        return False
    (root / MANIFEST).unlink(missing_ok=True)
    (root / ".lock").unlink(missing_ok=True)
    if remove_dir:
        with contextlib.suppress(OSError):  # not empty after all: leave it
            root.rmdir()
    return True


def _as_utc(value: datetime | date | str, name: str) -> datetime:
    from datetime import UTC, time

    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ParameterError(f"{name}: not an ISO date/time: {value!r}") from exc
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class Store:
    """A seawatch store directory. Every read goes through the manifest's file list."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # --- manifest ---------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        """The current manifest (a fresh copy, read from disk)."""
        return load_manifest(self.root)

    def files(self, table: str, manifest: Mapping[str, Any] | None = None) -> list[Path]:
        """Absolute paths of the files of ``table`` (positions, statics, others, rejects, events)."""
        m = manifest if manifest is not None else self.manifest()
        if table == "events":
            return [self.root / f for f in m["events"]["files"]]
        if table not in _TABLE_SCHEMAS:
            raise ParameterError(f"unknown table {table!r}")
        days = m["tables"][table]
        return [self.root / f for day in sorted(days) for f in days[day]]

    def simulated_sources(self) -> frozenset[str]:
        """Source names (the ``source`` of positions and statics) of simulated inputs."""
        return simulated_sources(self.manifest())

    def simulated_scenes(self) -> frozenset[str]:
        """Scene ids of simulated detections files (``seawatch simulate --satellite-passes``)."""
        return simulated_scenes(self.manifest())

    def days(self) -> list[date]:
        """UTC days that have positions, in order."""
        return [date.fromisoformat(d) for d in sorted(self.manifest()["tables"]["positions"])]

    # --- readers ----------------------------------------------------------------------

    def positions(
        self,
        *,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
        mmsi: int | Iterable[int] | None = None,
        columns: list[str] | None = None,
    ) -> pa.Table:
        """Positions (schema ``POSITIONS``, or ``columns`` of it), ``since <= ts < until``."""
        m = self.manifest()
        lo = None if since is None else _as_utc(since, "since")
        hi = None if until is None else _as_utc(until, "until")
        days = m["tables"]["positions"]
        files = [
            self.root / f
            for d in sorted(days)
            if (lo is None or date.fromisoformat(d) >= lo.date())
            and (hi is None or date.fromisoformat(d) <= hi.date())
            for f in days[d]
        ]
        import pyarrow.dataset as ds

        expr = None
        if lo is not None:
            expr = ds.field("ts") >= pa.scalar(lo, schema.TS)
        if hi is not None:
            e = ds.field("ts") < pa.scalar(hi, schema.TS)
            expr = e if expr is None else expr & e
        if mmsi is not None:
            ids = [mmsi] if isinstance(mmsi, int) else list(mmsi)
            e = ds.field("mmsi").isin(pa.array(ids, pa.uint32()))
            expr = e if expr is None else expr & e
        return read_parquet_files(files, schema.POSITIONS, columns=columns, filter=expr)

    def iter_position_days(self) -> Iterator[tuple[date, pa.Table]]:
        """``(day, positions of that UTC day)`` one day at a time, in order."""
        m = self.manifest()
        days = m["tables"]["positions"]
        for d in sorted(days):
            yield (
                date.fromisoformat(d),
                read_parquet_files([self.root / f for f in days[d]], schema.POSITIONS),
            )

    def statics(self, *, mmsi: int | Iterable[int] | None = None) -> pa.Table:
        """Static/voyage rows (schema ``STATICS``), sorted by mmsi, ts within each day."""
        files = self.files("statics")
        if mmsi is None:
            return read_parquet_files(files, schema.STATICS)
        ids = pa.array([mmsi] if isinstance(mmsi, int) else list(mmsi), pa.uint32())
        if is_small_read(files):  # no dataset scan (see SMALL_READ_BYTES)
            table = read_parquet_files(files, schema.STATICS)
            return table.filter(pc.is_in(table.column("mmsi"), value_set=ids))
        import pyarrow.dataset as ds

        return read_parquet_files(files, schema.STATICS, filter=ds.field("mmsi").isin(ids))

    def others(self) -> pa.Table:
        return read_parquet_files(self.files("others"), schema.OTHERS)

    def rejects(self) -> pa.Table:
        return read_parquet_files(self.files("rejects"), schema.REJECTS)

    def detections(
        self,
        *,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
    ) -> pa.Table:
        """Non-AIS vessel detections (schema ``DETECTIONS``), ``since <= ts < until``."""
        import pyarrow.dataset as ds

        expr = None
        if since is not None:
            expr = ds.field("ts") >= pa.scalar(_as_utc(since, "since"), schema.TS)
        if until is not None:
            e = ds.field("ts") < pa.scalar(_as_utc(until, "until"), schema.TS)
            expr = e if expr is None else expr & e
        return read_parquet_files(self.files("detections"), schema.DETECTIONS, filter=expr)

    def scenes(self) -> pa.Table:
        """Images (schema ``SCENES``): time span and, where known, footprint (WKB)."""
        return read_parquet_files(self.files("scenes"), schema.SCENES)

    def vessels(self) -> pa.Table:
        """One row per MMSI (latest identity, ship_group, role, role_source, flag, first/last
        seen, n_positions)."""
        with self.connect() as con:
            table: pa.Table = con.sql("SELECT * FROM vessels ORDER BY mmsi").to_arrow_table()
        return table

    def events(
        self,
        *,
        types: str | Iterable[str] | None = None,
        regions: str | Iterable[str] | None = None,
        zones: str | Iterable[str] | None = None,
        vessels: int | Iterable[int] | None = None,
        flags: str | Iterable[str] | None = None,
        groups: str | Iterable[str] | None = None,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        incidents: str | Iterable[str] | None = None,
        min_confidence: float | None = None,
        simulated: bool | None = None,
    ) -> pa.Table:
        """Events (schema ``EVENTS``) overlapping ``[since, until)`` and matching every
        filter given, ordered by start then id (the fields of
        :class:`seawatch.store.EventQuery`, compiled to SQL with bound parameters over the
        store's views). Values are used as given: validation against the valid types,
        regions, zones, flags and groups is :class:`seawatch.report.EventFilter`'s job
        (``seawatch.report.events(store, ...)`` validates, then calls this)."""
        q = EventQuery(
            types=_strings(types),
            regions=_strings(regions),
            zones=_strings(zones),
            vessels=None if vessels is None else tuple(_ints(vessels)),
            flags=_strings(flags),
            groups=_strings(groups),
            since=None if since is None else _as_utc(since, "since"),
            until=None if until is None else _as_utc(until, "until"),
            bbox=bbox,
            incidents=_strings(incidents),
            min_confidence=min_confidence,
            simulated=simulated,
        )
        return self.select_events(q)

    def select_events(self, q: EventQuery) -> pa.Table:
        """The events of ``q`` (schema ``EVENTS``), ordered by start then id: the compiled
        filter (:func:`seawatch.store.event_where`) over the events table, joined with the
        ``vessels`` view when ``q`` filters by flag or group."""
        if q.flags is None and q.groups is None:
            table = filter_table(read_parquet_files(self.files("events"), schema.EVENTS), q)
        else:
            where, params = event_where(q)
            cols = ", ".join(f'"{c}"' for c in schema.EVENTS.names)
            with self.connect() as con:
                table = con.sql(
                    f"SELECT {cols} FROM events {where}", params=params
                ).to_arrow_table()
        # ordering is Arrow's (faster than an SQL ORDER BY on string keys)
        return table.cast(schema.EVENTS).sort_by(
            [("start", "ascending"), ("event_id", "ascending")]
        )

    def connect(
        self, *, spill_dir: Path | None = None, memory_limit_bytes: int | None = None
    ) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB with read-only views positions, statics, others, rejects,
        events, vessels, detections, scenes over the manifest's files as of now (a snapshot: later commits do
        not change what it reads). DuckDB itself can open no file; ``spill_dir`` (owned by
        the caller) is where it may spill beyond ``memory_limit_bytes`` (None: never)."""
        m = self.manifest()
        tables = {t: self.files(t, m) for t in (*_TABLE_SCHEMAS, "events")}
        return read_only_connection(
            tables,
            spill_dir=spill_dir,
            memory_limit_bytes=memory_limit_bytes,
            role_entries=self.role_entries(),
        )

    def role_entries(self) -> pa.Table:
        """The role lists this store uses: the bundled one, then ``roles/*.csv`` (see
        :mod:`seawatch.store._roles`)."""
        return store_role_entries(self.root)

    def query(
        self,
        sql: str,
        *,
        timeout_s: float | None = None,
        memory_limit_bytes: int | None = None,
    ) -> pa.Table:
        """Run one read-only SQL statement over the views.

        ``timeout_s``: stop it after this long (None: no limit). ``memory_limit_bytes``:
        DuckDB's memory limit (None: its default); beyond it DuckDB spills to a temporary
        directory that is removed afterwards.

        Raises:
            StoreError: the SQL writes, is not one statement, or fails.
            QueryTimeoutError: it ran longer than ``timeout_s``.
        """
        spill = Path(tempfile.mkdtemp(prefix="seawatch-query-"))
        try:
            with self.connect(spill_dir=spill, memory_limit_bytes=memory_limit_bytes) as con:
                return run_query(con, sql, timeout_s=timeout_s)
        finally:
            shutil.rmtree(spill, ignore_errors=True)

    # --- writers ----------------------------------------------------------------------

    def writing(self, *, wait_s: float | None = 0.0) -> contextlib.AbstractContextManager[None]:
        """Hold the store's writer lock (re-entrant in this thread), waiting up to
        ``wait_s`` seconds for another writer (0: fail at once; None: as long as it takes).

        Raises:
            StoreError: another process kept writing for longer than ``wait_s``.
        """
        return write_lock(self.root, wait_s=wait_s)

    def ingest(
        self,
        paths: str | Path | Iterable[str | Path],
        *,
        progress: ProgressFn | None = None,
        options: IngestOptions | None = None,
        wait_s: float | None = 0.0,
        names: Mapping[str, str] | None = None,
        reader: Callable[..., Iterable[Batch]] | None = None,
        **source_options: Any,
    ) -> IngestSummary:
        """Ingest files, directories, globs or ``"-"`` (stdin); idempotent and atomic.

        Files are ingested in one commit; standard input in batches of whole lines
        (``options.stdin_batch_bytes`` / ``stdin_batch_s``), one commit each, holding the
        writer lock only while a batch is merged, never while waiting for input.
        ``wait_s``: how long to wait for another writer (see :meth:`writing`).
        ``source_options`` are :class:`IngestOptions` fields (``fmt``,
        ``accept_bad_checksum``, ``default_time``, ``column_map``, ``chunk_bytes``,
        ``dedup_window_s``) when ``options`` is not given. ``names``: the source name to
        record for a file path (a live feed's spooled batch is recorded under its feed's name). ``reader``: decodes each new
        input file in place of :func:`seawatch.sources.read_source` (same arguments, same
        batches; the Spark engine's decodes them on executors); the commit is the same.
        """
        opts = options if options is not None else IngestOptions(**source_options)
        items = [paths] if isinstance(paths, str | Path) else list(paths)
        files = [p for p in items if str(p) != "-"]
        parts: list[IngestSummary] = []
        if files or not items:
            with self.writing(wait_s=wait_s):
                summary, _ = ingest(
                    self.root,
                    self.manifest(),
                    files,
                    options=opts,
                    progress=progress,
                    names=names,
                    reader=reader,
                )
            parts.append(summary)
        if len(files) < len(items):
            for batch in stdin_batches(max_bytes=opts.stdin_batch_bytes, max_s=opts.stdin_batch_s):
                with self.writing(wait_s=wait_s):
                    summary, _ = ingest(
                        self.root,
                        self.manifest(),
                        [batch],
                        options=opts,
                        progress=progress,
                        names={str(batch): "stdin"},
                    )
                parts.append(summary)
        return combine_summaries(parts) if parts else IngestSummary()

    def ingest_detections(
        self,
        paths: str | Path | Iterable[str | Path],
        *,
        fmt: str | None = None,
        scene_footprint: str | Path | None = None,
        wait_s: float | None = 0.0,
    ) -> DetectionSummary:
        """Ingest non-AIS detections files (see :mod:`seawatch.store._detections`);
        idempotent and atomic. ``fmt``: one of ``seawatch.sources.DETECTION_FORMATS``
        (None: detect); ``scene_footprint``: a GeoJSON of scene footprints."""
        items = [paths] if isinstance(paths, str | Path) else list(paths)
        if any(str(p) == "-" for p in items):
            raise ParameterError("detections are read from files, not standard input")
        with self.writing(wait_s=wait_s):
            return ingest_detections(
                self.root, self.manifest(), items, fmt=fmt, scene_footprint=scene_footprint
            )

    def replace_events(
        self,
        table: pa.Table,
        *,
        types: Iterable[str],
        run: Mapping[str, Any],
        finish: Callable[[pa.Table], pa.Table] | None = None,
        wait_s: float | None = 0.0,
    ) -> None:
        """Atomically replace all events of ``types`` by ``table``; other types are kept.

        ``run`` (parameters, preset, time ...) is recorded in the manifest per type.
        ``finish`` (the engine's finishing step, e.g. linking incidents) runs on the merged
        events, kept and new, under the write lock, and must return them in schema EVENTS.

        Raises:
            ParameterError: ``table`` does not have schema ``EVENTS`` or holds other types.
        """
        type_set = set(types)
        if not table.schema.equals(schema.EVENTS, check_metadata=False):
            if "simulated" not in table.column_names:  # a table from before the flag: unknown
                table = table.append_column("simulated", pa.nulls(table.num_rows, pa.bool_()))
            try:
                table = table.select(schema.EVENTS.names).cast(schema.EVENTS)
            except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ParameterError(f"events table does not match schema.EVENTS: {exc}") from exc
        extra = set(pc.unique(table.column("type")).to_pylist()) - type_set
        if extra:
            raise ParameterError(
                f"events of types {sorted(extra)} are not in types={sorted(type_set)}"
            )
        run_json = json.loads(json.dumps(dict(run), default=str))
        with self.writing(wait_s=wait_s):
            current = self.manifest()
            clean_strays(self.root, current)
            old_files = self.files("events", current)
            old = read_parquet_files(old_files, schema.EVENTS)
            if old.num_rows:
                old = old.filter(
                    pc.invert(pc.is_in(old.column("type"), pa.array(sorted(type_set), pa.string())))
                )
            merged = pa.concat_tables([old, table]).sort_by(
                [("start", "ascending"), ("event_id", "ascending")]
            )
            if finish is not None:
                merged = finish(merged)
                if not merged.schema.equals(schema.EVENTS, check_metadata=False):
                    raise ParameterError("replace_events: finish must return schema EVENTS")
            new = snapshot(current)
            rel = f"events/part-{uuid.uuid4().hex[:16]}.parquet"
            write_parquet_atomic(self.root / rel, schema.EVENTS, [merged])
            new["events"]["files"] = [rel]
            for t in sorted(type_set):
                new["events"]["runs"][t] = run_json
            expired = retire(new, [f.relative_to(self.root).as_posix() for f in old_files])
            save_manifest(self.root, new)
            remove_files(self.root, expired)


def _strings(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def _ints(value: int | Iterable[int]) -> Iterator[int]:
    if isinstance(value, int):
        yield value
        return
    for v in value:
        yield int(v)
