"""The one event filter compiler (DESIGN.md §12): a plain query -> (SQL, bound parameters).

Every filter on events (``Store.events``, the report counts, the brief, ``vessel``,
``presence``, the API and the map) is an :class:`EventQuery` compiled here to one ``WHERE``
clause over three relations:

* ``events`` (schema ``EVENTS``),
* ``event_vessels`` (one row per event and vessel: the event's key and ``mmsi``),
* ``vessels`` (one row per MMSI with ``flag`` and ``role``),

whose names :class:`EventTables` gives (the store's views by default; the API's in-memory
copies). The SQL stays in the DuckDB/Spark common subset (``IN (?, ...)``, ``BETWEEN``,
``COALESCE``, subqueries; no list functions, no ``unnest``) and **every value is a bound
parameter**: a vessel name, flag or zone is never part of the SQL text, so it cannot change
what the statement does. The query is validated one floor up
(:class:`seawatch.report.EventFilter` knows the valid types, regions, zones, flags and
groups); this module only checks shapes (numbers finite, lists not empty).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from seawatch._duck import connect
from seawatch._exceptions import ParameterError

__all__ = [
    "EVENT_ORDER",
    "EVENT_VESSELS_SQL",
    "EventQuery",
    "EventTables",
    "bbox_where",
    "event_where",
    "events_sql",
    "filter_table",
    "span_where",
]

EVENT_VESSELS_SQL = (
    "CREATE VIEW event_vessels AS SELECT event_id, unnest(vessels) AS mmsi FROM events"
)
"""The ``event_vessels`` view in DuckDB (one row per event and vessel; Spark: ``explode``):
what vessel, flag and group filters join on, so the filter itself needs no list function."""

EVENT_ORDER = '"start", event_id'
"""The one order of event listings: start time, then id."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventQuery:
    """What to select (``None``: no filter on that field; values already validated).

    Time filters select events that *overlap* ``[since, until)``: ``end > since`` and
    ``start < until``. ``vessels``: events involving one of these MMSIs. ``flags`` and
    ``groups`` select events with a vessel that has one of the flags *and* one of the
    groups (roles). ``bbox`` is ``(min_lon, min_lat, max_lon, max_lat)`` (a ``min_lon``
    greater than ``max_lon`` crosses the antimeridian). ``incidents``: events of these
    incidents (a null ``incident_id`` is the event's own id). ``min_confidence``: events
    with at least this confidence. ``simulated``: True keeps events marked simulated,
    False those marked real (events written before the mark, null, match neither).
    """

    types: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None
    zones: tuple[str, ...] | None = None
    vessels: tuple[int, ...] | None = None
    flags: tuple[str, ...] | None = None
    groups: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    incidents: tuple[str, ...] | None = None
    min_confidence: float | None = None
    simulated: bool | None = None

    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return all(getattr(self, f) is None for f in self.__slots__)


@dataclass(frozen=True, slots=True)
class EventTables:
    """The relation names the compiled SQL reads (quoted identifiers are not needed: these
    are code constants, never user input) and the column that ties ``event_vessels`` to
    ``events``."""

    events: str = "events"
    event_vessels: str = "event_vessels"
    vessels: str = "vessels"
    key: str = "event_id"


def _marks(values: Iterable[Any]) -> tuple[str, list[Any]]:
    items = list(values)
    if not items:
        raise ParameterError("an empty list of filter values selects nothing; pass None")
    return "(" + ", ".join("?" for _ in items) + ")", items


def bbox_where(bbox: tuple[float, float, float, float]) -> tuple[list[str], list[Any]]:
    """Clauses (and their parameters) keeping the rows whose ``lat``/``lon`` lie in ``bbox``
    (``min_lon, min_lat, max_lon, max_lat``; a ``min_lon`` greater than ``max_lon`` crosses
    the antimeridian)."""
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox)
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise ParameterError("bbox: four finite numbers")
    if min_lon <= max_lon:
        return ["lat BETWEEN ? AND ?", "lon BETWEEN ? AND ?"], [min_lat, max_lat, min_lon, max_lon]
    return ["lat BETWEEN ? AND ?", "(lon >= ? OR lon <= ?)"], [min_lat, max_lat, min_lon, max_lon]


def span_where(
    since: datetime | None, until: datetime | None, column: str = "ts"
) -> tuple[list[str], list[Any]]:
    """Clauses (and their parameters) keeping the rows whose instant ``column`` (a code
    constant) lies in ``[since, until)``; None leaves that side open."""
    clauses: list[str] = []
    args: list[Any] = []
    if since is not None:
        clauses.append(f"{column} >= ?")
        args.append(since)
    if until is not None:
        clauses.append(f"{column} < ?")
        args.append(until)
    return clauses, args


def event_where(q: EventQuery, tables: EventTables = EventTables()) -> tuple[str, list[Any]]:
    """``("WHERE ...", params)`` selecting the events of ``q`` (``("", [])`` for none)."""
    clauses: list[str] = []
    args: list[Any] = []

    def among(column: str, values: Iterable[Any]) -> None:
        marks, items = _marks(values)
        clauses.append(f"{column} IN {marks}")
        args.extend(items)

    if q.types is not None:
        among("type", q.types)
    if q.regions is not None:
        among("region", q.regions)
    if q.zones is not None:
        among("zone", q.zones)
    if q.incidents is not None:
        among("COALESCE(incident_id, event_id)", q.incidents)
    if q.vessels is not None:
        marks, items = _marks(int(v) for v in q.vessels)
        clauses.append(
            f"{tables.key} IN (SELECT {tables.key} FROM {tables.event_vessels} "
            f"WHERE mmsi IN {marks})"
        )
        args.extend(items)
    if q.since is not None:
        clauses.append('"end" > ?')
        args.append(q.since)
    if q.until is not None:
        clauses.append('"start" < ?')
        args.append(q.until)
    if q.flags is not None or q.groups is not None:
        # some vessel of the event has one of the flags and one of the groups
        inner: list[str] = []
        for column, values in (("flag", q.flags), ("role", q.groups)):
            if values is not None:
                marks, items = _marks(values)
                inner.append(f"{column} IN {marks}")
                args.extend(items)
        clauses.append(
            f"{tables.key} IN (SELECT {tables.key} FROM {tables.event_vessels} WHERE mmsi IN "
            f"(SELECT mmsi FROM {tables.vessels} WHERE {' AND '.join(inner)}))"
        )
    if q.bbox is not None:
        more, more_args = bbox_where(q.bbox)
        clauses += more
        args += more_args
    if q.min_confidence is not None:
        if not math.isfinite(q.min_confidence):
            raise ParameterError("min_confidence: a finite number")
        # in the column's own type: 0.9 selects a float32 confidence of 0.9
        clauses.append("confidence >= CAST(? AS FLOAT)")
        args.append(float(q.min_confidence))
    if q.simulated is not None:
        clauses.append("simulated = ?")
        args.append(bool(q.simulated))
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return where, args


def events_sql(
    q: EventQuery, columns: Iterable[str], tables: EventTables = EventTables()
) -> tuple[str, list[Any]]:
    """``SELECT columns FROM events WHERE ... ORDER BY start, event_id`` and its parameters
    (``columns``: code constants, quoted here)."""
    where, args = event_where(q, tables)
    cols = ", ".join(f'"{c}"' for c in columns)
    return f"SELECT {cols} FROM {tables.events} {where} ORDER BY {EVENT_ORDER}", args


_NO_VESSELS = pa.schema([("mmsi", pa.uint32()), ("flag", pa.string()), ("role", pa.string())])


def filter_table(events: pa.Table, q: EventQuery, *, vessels: pa.Table | None = None) -> pa.Table:
    """The rows of ``events`` (an EVENTS table) that ``q`` selects, in their order: the
    compiled ``WHERE`` run by an in-memory DuckDB over the table (``vessels``: ``mmsi``,
    ``flag``, ``role``, read by flag and group filters; none: no vessel matches)."""
    where, args = event_where(q)
    if not where:
        return events
    with connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.register("events", events)
        con.register(
            "vessels",
            _NO_VESSELS.empty_table() if vessels is None else vessels.select(_NO_VESSELS.names),
        )
        con.execute(EVENT_VESSELS_SQL)
        out = con.sql(f"SELECT * FROM events {where}", params=args).to_arrow_table()
    return out.cast(events.schema)
