"""Every query the API makes, in one place (a thin data-access layer over DuckDB).

:class:`Data` queries the store's read-only DuckDB views (``positions``, ``statics``,
``vessels``, ``events``, ``detections``, ``scenes`` ...; the ``seawatch.store`` contract).
Routes never write SQL; they call methods here, which return plain Python values
(dicts, lists) ready for JSON. Predicates, ordering, ``LIMIT`` and ``OFFSET`` are
pushed into DuckDB so that a page of events never materialises the whole table.

Concurrency: one connection per store version (``Store.connect``, a snapshot of the
manifest), shared by reference count; every request gets its own cursor on the version
current when it starts, and a superseded connection is closed when its last request ends.
The queries of one request are interrupted after :data:`API_QUERY_TIMEOUT_S`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from seawatch._exceptions import NotFoundError, StoreError
from seawatch.report import EventFilter, Vocabulary, records, vocabulary
from seawatch.store import EventTables, event_where

__all__ = [
    "Data",
    "EventFilter",
    "open_data",
]


_EVENT_NAMES = (
    "event_id", "type", "start", "end", "vessels", "lat", "lon", "duration_h", "region",
    "zone", "confidence", "details", "incident_id", "simulated",
)  # fmt: skip
_EVENT_COLUMNS = ", ".join(f'"{n}"' for n in _EVENT_NAMES)


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z`` (``2022-01-03T04:05:06Z``), or ``None``."""
    return records.iso(ts)


def _finite(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def _first(rows: list[Any]) -> Any:
    """The first row of a fully fetched result, or ``None``."""
    return rows[0] if rows else None


def _event_feature(row: tuple[Any, ...]) -> dict[str, Any]:
    """A row of :data:`_EVENT_COLUMNS` as the event's GeoJSON feature (the record layer)."""
    return records.event_feature(records.event_record(dict(zip(_EVENT_NAMES, row, strict=True))))


# --------------------------------------------------------------------------------------
# opening a store

MAX_CACHED_EVENTS = 5_000_000
"""Up to this many events are copied into memory, sorted by (start, event_id), when the API
opens a store version; more are queried from the Parquet files directly."""

_VESSEL_CACHE = """
CREATE OR REPLACE TABLE _vessels AS
SELECT mmsi, name, callsign, imo, ship_type, flag, ship_group, role, role_source,
       first_seen, last_seen, n_positions
FROM vessels
"""
"""The store's ``vessels`` view aggregates every position; the API reads it once per store
version into an in-memory table (never written to the store) so that filters by flag or
role cost a lookup, not a scan of all positions."""

_EVENTS_CACHE = """
CREATE OR REPLACE TABLE _events AS
SELECT row_number() OVER (ORDER BY "start", event_id) AS _rid, *
FROM events ORDER BY "start", event_id
"""
"""A page of events sorted by time is ~10x faster from an in-memory table (its row groups
in time order, so time filters skip most of them) than from compressed Parquet."""

_EVENTS_DIRECT = """
CREATE OR REPLACE VIEW _events AS SELECT event_id AS _rid, * FROM events
"""

_EVENT_VESSELS = """
CREATE OR REPLACE {kind} _event_vessels AS
SELECT e._rid, x.m AS mmsi FROM _events e, unnest(e.vessels) AS x(m)
"""
"""One row per (event, vessel): filters by vessel, flag or group are a semi-join on it
(``list_has_any`` against the list of, say, every Venezuelan MMSI is quadratic)."""


_API_TABLES = EventTables(
    events="_events", event_vessels="_event_vessels", vessels="_vessels", key="_rid"
)


def _connect(store: Any) -> duckdb.DuckDBPyConnection:
    con: duckdb.DuckDBPyConnection = store.connect()
    con.execute(_VESSEL_CACHE)
    n = _first(con.execute("SELECT count(*) FROM events").fetchall())[0]
    if n <= MAX_CACHED_EVENTS:
        con.execute(_EVENTS_CACHE)
        con.execute(_EVENT_VESSELS.format(kind="TABLE"))
    else:
        con.execute(_EVENTS_DIRECT)
        con.execute(_EVENT_VESSELS.format(kind="VIEW"))
    return con


API_QUERY_TIMEOUT_S = 30.0
"""The queries of one API request are interrupted after this long (503 in the error shape)."""


def open_data(path: Path, *, timeout_s: float | None = API_QUERY_TIMEOUT_S) -> Data:
    """Open the store at ``path`` read-only for the API.

    Raises:
        StoreError: there is no store at ``path``.
    """
    from seawatch.store import open_store

    return Data(open_store(Path(path)), timeout_s=timeout_s)


# --------------------------------------------------------------------------------------
# queries


@dataclass(slots=True, eq=False)
class _Snapshot:
    """One store version's connection and the number of requests using it: a connection
    is closed when it is no longer current *and* no request uses it."""

    con: duckdb.DuckDBPyConnection
    version: tuple[int, ...]
    users: int = 0
    current: bool = True


class Data:
    """Read-only queries over a store's DuckDB views. Thread-safe: each call uses its own
    cursor on the store version that was current when it began (a snapshot: a commit by
    ``ingest`` or ``detect`` meanwhile changes nothing it reads, see
    :mod:`seawatch.store._manifest`), and the queries of one call are interrupted after
    ``timeout_s`` seconds (:class:`~seawatch.QueryTimeoutError`)."""

    def __init__(self, store: Any, *, timeout_s: float | None = API_QUERY_TIMEOUT_S) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        version = self._manifest_version()
        self._snap = _Snapshot(_connect(store), version)

    def _manifest_version(self) -> tuple[int, ...]:
        """The manifest's stamp, and the role lists' (``seawatch roles add`` changes roles
        without a new manifest)."""
        try:
            st = (Path(self.store.root) / "manifest.json").stat()
            roles = [p.stat() for p in sorted((Path(self.store.root) / "roles").glob("*.csv"))]
        except OSError as exc:
            raise StoreError(f"cannot read the store manifest: {exc}") from exc
        # every commit renames a new file over the manifest: a new inode and ctime
        stamp = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)
        return stamp + tuple(v for r in roles for v in (r.st_ino, r.st_mtime_ns, r.st_size))

    def _acquire(self) -> _Snapshot:
        with self._lock:
            version = self._manifest_version()
            if version != self._snap.version:
                new = _Snapshot(_connect(self.store), version)
                old, self._snap = self._snap, new
                old.current = False
                if old.users == 0:
                    old.con.close()
            self._snap.users += 1
            return self._snap

    def _release(self, snap: _Snapshot) -> None:
        with self._lock:
            snap.users -= 1
            if not snap.current and snap.users == 0:
                snap.con.close()

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the current store version (reconnects after ingest or detect)."""
        from seawatch.store import time_limit

        snap = self._acquire()
        try:
            cur = snap.con.cursor()
            try:
                with time_limit(cur, self.timeout_s, "the request"):
                    yield cur
            finally:
                cur.close()
        finally:
            self._release(snap)

    def close(self) -> None:
        """Close the underlying connection (once no request uses it)."""
        with self._lock:
            self._snap.current = False
            if self._snap.users == 0:
                self._snap.con.close()

    # ---- events --------------------------------------------------------------------

    @staticmethod
    def _where(f: EventFilter) -> tuple[str, list[Any]]:
        """The filter compiled by the one compiler (:func:`seawatch.store.event_where`) over
        the in-memory copies of the events, their vessels and the vessels."""
        return event_where(f.to_query(), _API_TABLES)

    def events(
        self, f: EventFilter, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of events as GeoJSON features (ordered by start, id) and the total matched."""
        where, args = self._where(f)
        with self._cursor() as cur:
            rows = cur.execute(
                f"SELECT {_EVENT_COLUMNS} FROM _events {where} "
                'ORDER BY "start", event_id LIMIT ? OFFSET ?',
                [*args, limit, offset],
            ).fetchall()
            total_row = _first(
                cur.execute(f"SELECT count(*) FROM _events {where}", args).fetchall()
            )
        total = int(total_row[0]) if total_row else 0
        return [_event_feature(r) for r in rows], total

    def empty_notes(self, f: EventFilter) -> list[str]:
        """Why ``f`` may match no event here (:func:`seawatch.report.empty_notes`)."""
        from seawatch.report import empty_notes

        return empty_notes(self.store, f)

    def event(self, event_id: str) -> dict[str, Any]:
        """One event as a GeoJSON feature, with the identity of each vessel involved."""
        with self._cursor() as cur:
            row = _first(
                cur.execute(
                    f"SELECT {_EVENT_COLUMNS} FROM _events WHERE event_id = ? LIMIT 1", [event_id]
                ).fetchall()
            )
            if row is None:
                raise NotFoundError(f"no event with id {event_id!r}")
            feature = _event_feature(row)
            mmsis = feature["properties"]["vessels"]
            info = cur.execute(
                "SELECT mmsi, name, imo, callsign, flag, ship_group, role, role_source "
                "FROM _vessels WHERE mmsi IN (SELECT unnest(?::UINTEGER[]))",
                [mmsis],
            ).fetchall()
        by_mmsi = {
            int(r[0]): {
                "mmsi": int(r[0]),
                "name": r[1],
                "imo": None if r[2] is None else int(r[2]),
                "callsign": r[3],
                "flag": r[4],
                "ship_group": r[5],
                "role": r[6],
                "role_source": r[7],
            }
            for r in info
        }
        feature["properties"]["vessel_info"] = [
            by_mmsi.get(
                m,
                {
                    "mmsi": m,
                    "name": None,
                    "imo": None,
                    "callsign": None,
                    "flag": None,
                    "ship_group": None,
                    "role": None,
                    "role_source": None,
                },
            )
            for m in mmsis
        ]
        return feature

    def vocabulary(self) -> Vocabulary:
        """The valid filter values: the bundled ones plus the regions and zones of the
        store's events (:func:`seawatch.report.vocabulary`)."""

        def values() -> pa.Table:
            with self._cursor() as cur:
                return cur.sql("SELECT DISTINCT region, zone FROM _events").to_arrow_table()

        return vocabulary(values)

    def event_types(self) -> list[str]:
        """The distinct event types in the store."""
        with self._cursor() as cur:
            rows = cur.execute("SELECT DISTINCT type FROM _events ORDER BY type").fetchall()
        return [str(r[0]) for r in rows]

    def facets(self) -> dict[str, Any]:
        """Values the map's filters offer: types, regions, flags, groups, and the time span."""
        with self._cursor() as cur:
            types = [
                r[0]
                for r in cur.execute(
                    "SELECT type, count(*) FROM _events GROUP BY type ORDER BY type"
                ).fetchall()
            ]
            regions = [
                r[0]
                for r in cur.execute(
                    "SELECT DISTINCT region FROM _events WHERE region IS NOT NULL ORDER BY 1"
                ).fetchall()
            ]
            flags = [
                r[0]
                for r in cur.execute(
                    "SELECT DISTINCT flag FROM _vessels WHERE flag IS NOT NULL ORDER BY 1"
                ).fetchall()
            ]
            groups = [
                r[0]
                for r in cur.execute(
                    "SELECT DISTINCT role FROM _vessels WHERE role IS NOT NULL ORDER BY 1"
                ).fetchall()
            ]
            span = _first(
                cur.execute('SELECT min("start"), max("end"), count(*) FROM _events').fetchall()
            )
        return {
            "types": types,
            "regions": regions,
            "flags": flags,
            "groups": groups,
            "start": iso(span[0]) if span else None,
            "end": iso(span[1]) if span else None,
            "n_events": int(span[2]) if span else 0,
        }

    # ---- vessels -------------------------------------------------------------------

    def search_vessels(self, q: str, *, limit: int) -> list[dict[str, Any]]:
        """Vessels whose MMSI or IMO starts with ``q`` or whose (any past) name contains it."""
        q = q.strip()
        digits = q.isdigit()
        with self._cursor() as cur:
            rows = cur.execute(
                """
                SELECT v.mmsi, v.name, v.imo, v.callsign, v.flag, v.ship_group,
                       v.first_seen, v.last_seen, v.role, v.role_source
                FROM _vessels v
                WHERE (? AND (CAST(v.mmsi AS VARCHAR) LIKE ? || '%'
                              OR CAST(v.imo AS VARCHAR) LIKE ? || '%'))
                   OR v.name ILIKE '%' || ? || '%'
                   OR v.mmsi IN (SELECT mmsi FROM statics WHERE name ILIKE '%' || ? || '%')
                ORDER BY (v.name IS NULL), v.name, v.mmsi
                LIMIT ?
                """,
                [digits, q, q, q, q, limit],
            ).fetchall()
        return [
            {
                "mmsi": int(r[0]),
                "name": r[1],
                "imo": None if r[2] is None else int(r[2]),
                "callsign": r[3],
                "flag": r[4],
                "ship_group": r[5],
                "role": r[8],
                "role_source": r[9],
                "first_seen": iso(r[6]),
                "last_seen": iso(r[7]),
            }
            for r in rows
        ]

    def vessel(self, mmsi: int, *, max_events: int) -> dict[str, Any]:
        """The vessel profile (:func:`seawatch.report.vessel_profile`, the record ``seawatch
        vessel --format json`` prints) over this snapshot's in-memory copies."""
        from seawatch.report import vessel_profile
        from seawatch.watchlist import all_lists

        lists = all_lists(Path(self.store.root))
        with self._cursor() as cur:
            return vessel_profile(cur, mmsi, lists=lists, tables=_API_TABLES, max_events=max_events)

    def track_points(
        self, mmsi: int, *, since: datetime | None, until: datetime | None
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """The vessel's valid positions in time order: (ts as int64 µs, lon, lat) arrays."""
        from seawatch.store import span_where

        span, span_args = span_where(since, until)
        clauses = ["mmsi = ?", "isfinite(lat)", "isfinite(lon)", "ts IS NOT NULL", *span]
        args: list[Any] = [mmsi, *span_args]
        with self._cursor() as cur:
            exists = _first(cur.execute("SELECT 1 FROM _vessels WHERE mmsi = ?", [mmsi]).fetchall())
            if exists is None:
                raise NotFoundError(f"no vessel with MMSI {mmsi}")
            table = cur.sql(
                "SELECT epoch_us(ts) AS t, lon, lat FROM positions WHERE "
                + " AND ".join(clauses)
                + " ORDER BY ts",
                params=args,
            ).to_arrow_table()
        return (
            table["t"].to_numpy(),
            table["lon"].to_numpy(),
            table["lat"].to_numpy(),
        )

    # ---- report --------------------------------------------------------------------

    def report(self, f: EventFilter, *, by: Sequence[str]) -> list[dict[str, Any]]:
        """Event counts grouped by ``by`` (any of type, day, region, zone, flag, group):
        ``n_events``, ``n_vessels``, ``duration_h`` and ``n_incidents`` (distinct incidents:
        an interception and the encounter of the same pair at the same time count once)."""
        from seawatch.report import count_events

        where, args = self._where(f)
        with self._cursor() as cur:
            table = count_events(cur, by, where=where, args=args, tables=_API_TABLES)
        from seawatch.report.records import count_records

        return count_records(table)

    def engagements(self, f: EventFilter) -> dict[str, int]:
        """Engagements matching ``f`` counted as incidents, with the breakdown by kind
        (:func:`seawatch.report.engagement_summary`, the brief's count)."""
        from seawatch.report import ENGAGEMENT_TYPES, engagement_summary
        from seawatch.schema import EVENTS

        types = tuple(t for t in ENGAGEMENT_TYPES if f.types is None or t in f.types)
        if not types:
            return engagement_summary(EVENTS.empty_table())
        where, args = self._where(replace(f, types=types))
        cols = ", ".join(f'"{n}"' for n in EVENTS.names)
        with self._cursor() as cur:
            table = cur.sql(f"SELECT {cols} FROM _events {where}", params=args).to_arrow_table()
        return engagement_summary(table)
