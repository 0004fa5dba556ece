"""The one record layer (DESIGN.md §12): query results -> records, GeoJSON features and
versioned JSON documents, with one set of field names for the CLI, the API and Python.

Each document carries ``"schema": "<name>/<version>"``; its JSON Schema is
``docs/schemas/<name>.schema.json`` (``seawatch.events`` -> ``events.schema.json``).
A version changes when a field is renamed or removed or changes meaning; new fields keep
it. Field names (one each): ``n_events``, ``n_vessels``, ``duration_h`` (counts);
``ship_group``; ``first_seen``/``last_seen``; ``n_positions``; ``hours_<r>nm``. Times are
ISO 8601 UTC with ``Z``; ``confidence`` is rounded to 4 decimals (it is stored as float32).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

__all__ = [
    "BRIEF_SCHEMA",
    "COUNTS_SCHEMA",
    "DETECTIONS_SCHEMA",
    "EVENTS_GEOJSON_SCHEMA",
    "EVENTS_SCHEMA",
    "EVENT_FIELDS",
    "PRESENCE_SCHEMA",
    "TRACK_SCHEMA",
    "VESSEL_SCHEMA",
    "count_records",
    "counts_document",
    "event_feature",
    "event_record",
    "event_records",
    "events_document",
    "events_geojson",
    "iso",
    "presence_record",
]

EVENTS_SCHEMA = "seawatch.events/1"
EVENTS_GEOJSON_SCHEMA = "seawatch.events-geojson/1"
COUNTS_SCHEMA = "seawatch.counts/1"
VESSEL_SCHEMA = "seawatch.vessel/1"
PRESENCE_SCHEMA = "seawatch.presence/1"
TRACK_SCHEMA = "seawatch.track/1"
BRIEF_SCHEMA = "seawatch.brief/1"
DETECTIONS_SCHEMA = "seawatch.detections/1"

EVENT_FIELDS: tuple[str, ...] = (
    "event_id",
    "type",
    "start",
    "end",
    "vessels",
    "lat",
    "lon",
    "duration_h",
    "region",
    "zone",
    "confidence",
    "details",
    "incident_id",
    "simulated",
)
"""The fields of an event record, in order: DESIGN.md §9's published contract, then
``incident_id`` (the event's own id when nothing links to it) and ``simulated``."""

CONFIDENCE_DIGITS = 4


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601 UTC with a ``Z`` (``2022-01-03T04:05:06Z``); a date as ``2022-01-03``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        v = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return v.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _num(value: float | None, digits: int | None = None) -> float | None:
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), digits) if digits is not None else float(value)


def _details(text: str | None) -> Any:
    if not text:
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"text": text}


def event_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """One event (a row of schema EVENTS, as a mapping) as its record (:data:`EVENT_FIELDS`)."""
    return {
        "event_id": row["event_id"],
        "type": row["type"],
        "start": iso(row["start"]),
        "end": iso(row["end"]),
        "vessels": [int(v) for v in row["vessels"] or []],
        "lat": _num(row["lat"]),
        "lon": _num(row["lon"]),
        "duration_h": _num(row["duration_h"]),
        "region": row["region"],
        "zone": row["zone"],
        "confidence": _num(row["confidence"], CONFIDENCE_DIGITS),
        "details": _details(row["details"]),
        "incident_id": row.get("incident_id") or row["event_id"],
        "simulated": row.get("simulated"),
    }


def event_records(table: pa.Table) -> Iterator[dict[str, Any]]:
    """The records of an EVENTS table, in its order (streamed batch by batch)."""
    for batch in table.to_batches(16_384):
        for row in batch.to_pylist():
            yield event_record(row)


def event_feature(record: Mapping[str, Any]) -> dict[str, Any]:
    """An event record as a GeoJSON Point Feature (null geometry without a position) whose
    properties are the whole record."""
    lat, lon = record["lat"], record["lon"]
    geometry = None if lat is None or lon is None else {"type": "Point", "coordinates": [lon, lat]}
    return {
        "type": "Feature",
        "id": record["event_id"],
        "geometry": geometry,
        "properties": dict(record),
    }


def events_document(records: Iterable[Mapping[str, Any]], **meta: Any) -> dict[str, Any]:
    """``{"schema": "seawatch.events/1", **meta, "events": [...]}``: one JSON document."""
    return {"schema": EVENTS_SCHEMA, **meta, "events": [dict(r) for r in records]}


def events_geojson(features: Iterable[Mapping[str, Any]], **meta: Any) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of event features, with ``schema`` and ``meta``
    (foreign members such as ``numberMatched``)."""
    return {
        "schema": EVENTS_GEOJSON_SCHEMA,
        "type": "FeatureCollection",
        **meta,
        "features": [dict(f) for f in features],
    }


_COUNT_NAMES = {
    "events": "n_events",
    "vessels": "n_vessels",
    "hours": "duration_h",
    "incidents": "n_incidents",
}


def count_records(table: pa.Table) -> list[dict[str, Any]]:
    """Rows of counts (:func:`seawatch.report.summarize`) as records: the key columns, then
    ``n_events`` (distinct events), ``n_vessels`` (distinct MMSIs), ``duration_h`` (the
    events' total duration, hours); days as ``YYYY-MM-DD``."""
    out: list[dict[str, Any]] = []
    for row in table.to_pylist():
        rec: dict[str, Any] = {}
        for k, v in row.items():
            name = _COUNT_NAMES.get(k, k)
            if isinstance(v, date | datetime):
                rec[name] = iso(v)
            elif name == "duration_h":
                rec[name] = _num(v, 6)
            else:
                rec[name] = v
        out.append(rec)
    return out


def counts_document(
    rows: Iterable[Mapping[str, Any]], *, by: Iterable[str], engagements: Mapping[str, int]
) -> dict[str, Any]:
    """``{"schema": "seawatch.counts/1", "by": [keys], "rows": [...], "engagements": {...}}``:
    counts (:func:`count_records`) grouped by the ``by`` keys, and the engagements among the
    same events counted as incidents (:func:`seawatch.report.engagement_summary`)."""
    return {
        "schema": COUNTS_SCHEMA,
        "by": list(by),
        "rows": [dict(r) for r in rows],
        "engagements": dict(engagements),
    }


def presence_record(row: Mapping[str, Any], ranges_nm: Iterable[float]) -> dict[str, Any]:
    """A row of :func:`seawatch.report.presence.presence` as its record: ``day`` (by day),
    ``mmsi``, ``name``, ``flag``, ``ship_group``, ``role``, ``role_source``,
    ``hours_<r>nm`` per range, ``unheard_hours_<r>nm`` per range (where the row has
    them), ``closest_nm``, ``first_seen``, ``last_seen``, ``n_positions``."""
    from seawatch.report.presence import range_column, unheard_column

    rec: dict[str, Any] = {}
    if "day" in row:
        rec["day"] = iso(row["day"])
    rec.update(
        {
            "mmsi": int(row["mmsi"]),
            "name": row.get("name"),
            "flag": row.get("flag"),
            "ship_group": row.get("ship_group"),
            "role": row.get("role"),
            "role_source": row.get("role_source"),
        }
    )
    ranges = list(ranges_nm)
    for r in ranges:
        rec[range_column(r)] = _num(row[range_column(r)], 4)
    for r in ranges:
        if unheard_column(r) in row:
            rec[unheard_column(r)] = _num(row[unheard_column(r)], 4)
    rec["closest_nm"] = _num(row.get("closest_nm"), 3)
    rec["first_seen"] = iso(row.get("first_ts"))
    rec["last_seen"] = iso(row.get("last_ts"))
    rec["n_positions"] = int(row.get("positions") or 0)
    return rec
