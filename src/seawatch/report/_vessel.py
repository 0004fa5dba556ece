"""The one vessel profile (``seawatch vessel``, ``/api/vessels/{mmsi}``, the map's vessel
panel): identity and its history, flag, role, sanctions screening, track summary, events
and the dark detections it may be (DESIGN.md §12).

Read from any DuckDB connection with the store's views (``positions``, ``statics``, a
vessels relation and the events relations that :class:`seawatch.store.EventTables` names),
so the CLI's snapshot and the API's in-memory copies give the same record. Every value is
a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from seawatch import schema
from seawatch._exceptions import NotFoundError
from seawatch.ais.codes import country_name, flag_of_mmsi, ship_group
from seawatch.report._brief import candidate_detections
from seawatch.report.records import VESSEL_SCHEMA, event_records, iso
from seawatch.store import EventQuery, EventTables, event_where, events_sql
from seawatch.watchlist import vessel_status

__all__ = ["IDENTITY_FIELDS", "vessel_profile"]

IDENTITY_FIELDS: dict[str, str] = {
    "name": "name",
    "callsign": "callsign",
    "imo": "imo",
    "ship_type": "ship_type",
    "dimensions": "CASE WHEN length_m IS NULL AND beam_m IS NULL THEN NULL "
    "ELSE concat(coalesce(CAST(length_m AS VARCHAR), '?'), ' x ', "
    "coalesce(CAST(beam_m AS VARCHAR), '?'), ' m') END",
    "draught_m": "draught_m",
    "destination": "destination",
    "class": '"class"',
}
"""The static fields whose history the profile lists (field -> SQL over ``statics``; code
constants, never user input)."""


STORE_TABLES = EventTables()
"""The store's own views (the API passes the names of its in-memory copies)."""


def _events(con: Any, q: EventQuery, tables: EventTables, limit: int | None = None) -> pa.Table:
    sql, args = events_sql(q, schema.EVENTS.names, tables)
    if limit is not None:
        sql += " LIMIT ?"
        args = [*args, limit]
    table: pa.Table = con.sql(sql, params=args).to_arrow_table()
    return table.cast(schema.EVENTS)


def vessel_profile(
    con: Any,
    mmsi: int,
    *,
    lists: Sequence[Any],
    tables: EventTables = STORE_TABLES,
    max_events: int | None = None,
) -> dict[str, Any]:
    """The ``seawatch.vessel/1`` record of ``mmsi``.

    ``lists``: the watchlists to screen every broadcast identity against
    (:func:`seawatch.watchlist.all_lists`). ``max_events``: list at most this many events
    (in time order; ``n_events`` counts them all).

    Raises:
        NotFoundError: the store has neither positions nor statics for ``mmsi``.
    """
    track = con.execute(
        "SELECT count(*), min(ts), max(ts), count(DISTINCT CAST(ts AS DATE)) "
        "FROM positions WHERE mmsi = ?",
        [mmsi],
    ).fetchall()[0]
    n_static = con.execute("SELECT count(*) FROM statics WHERE mmsi = ?", [mmsi]).fetchall()[0][0]
    if track[0] == 0 and n_static == 0:
        raise NotFoundError(f"vessel {mmsi} is not in the store")
    identity: dict[str, list[dict[str, Any]]] = {}
    for key, expr in IDENTITY_FIELDS.items():
        rows = con.execute(
            f"SELECT v, min(ts), max(ts), count(*) FROM "
            f"(SELECT {expr} AS v, ts FROM statics WHERE mmsi = ?) "
            "WHERE v IS NOT NULL GROUP BY v ORDER BY min(ts), v",
            [mmsi],
        ).fetchall()
        entries: list[dict[str, Any]] = [
            {"value": r[0], "first_seen": iso(r[1]), "last_seen": iso(r[2]), "n_reports": r[3]}
            for r in rows
        ]
        if key == "ship_type":
            for e in entries:
                e["ship_group"] = ship_group(int(e["value"]))
        identity[key] = entries
    latest = con.execute(
        "SELECT name, imo, callsign, ship_type FROM statics WHERE mmsi = ? "
        "ORDER BY ts DESC LIMIT 1",
        [mmsi],
    ).fetchall()
    role_row = con.execute(
        f"SELECT role, role_source, ship_group FROM {tables.vessels} WHERE mmsi = ?", [mmsi]
    ).fetchall()
    identities = con.execute(
        "SELECT DISTINCT name, imo FROM statics WHERE mmsi = ? "
        "AND (name IS NOT NULL OR imo IS NOT NULL)",
        [mmsi],
    ).fetchall()
    mine = EventQuery(vessels=(mmsi,))
    where, args = event_where(mine, tables)
    n_events = int(
        con.execute(f"SELECT count(*) FROM {tables.events} {where}", args).fetchall()[0][0]
    )
    events = list(event_records(_events(con, mine, tables, max_events)))
    dark = _events(con, EventQuery(types=("dark_detection", "unidentified_detection")), tables)
    flag = flag_of_mmsi(mmsi)
    name, imo, callsign, ship_type = latest[0] if latest else (None, None, None, None)
    return {
        "schema": VESSEL_SCHEMA,
        "mmsi": mmsi,
        "name": name,
        "imo": None if imo is None else int(imo),
        "callsign": callsign,
        "ship_type": None if ship_type is None else int(ship_type),
        "flag": flag,
        "country": country_name(flag),
        "ship_group": role_row[0][2] if role_row else None,
        "role": role_row[0][0] if role_row else None,
        "role_source": role_row[0][1] if role_row else None,
        "n_positions": int(track[0]),
        "first_seen": iso(track[1]),
        "last_seen": iso(track[2]),
        "days_with_positions": int(track[3]),
        "identity": identity,
        "watchlist": vessel_status(mmsi, [(r[0], r[1]) for r in identities], lists, flag=flag),
        "n_events": n_events,
        "events": events,
        "dark_detections": candidate_detections(dark, mmsi),
    }
