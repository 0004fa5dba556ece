"""Engagements counted as incidents (DESIGN.md §11).

An *engagement* is an incident of contact between vessels: the events of the engagement
types (encounters, interceptions) grouped by ``incident_id``
(:mod:`seawatch.detect.incidents`: an interception and the encounter of the same pair
overlapping in time are one incident). Every count of engagements here counts incidents;
the breakdown by kind says how many engagements include an encounter and how many an
interception (one engagement can include both, so the kinds can add up to more).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from seawatch.ais.codes import flags_of
from seawatch.detect.incidents import INCIDENT_KINDS, incident_ids

__all__ = [
    "ENGAGEMENT_TYPES",
    "engagement_counts",
    "engagement_summary",
    "incident_record",
    "incidents",
    "vessel_record",
]

ENGAGEMENT_TYPES: tuple[str, ...] = tuple(t for t, k in INCIDENT_KINDS.items() if k == "engagement")
"""Event types that are vessel engagements (the detectors of incident kind ``engagement``)."""

_PLURAL = {"encounter": "encounters", "interception": "interceptions"}


def _kind_key(t: str) -> str:
    return _PLURAL.get(t, f"{t}s")


def incidents(events: pa.Table) -> list[dict[str, Any]]:
    """One record per incident of ``events`` (schema EVENTS, any types): ``incident_id``,
    ``kinds`` (its event types, sorted), ``event_ids``, ``start``, ``end`` (the span of its
    events), ``vessels`` (MMSIs), ``regions`` (of its events), and its ``events`` (the
    rows, in start order). Sorted by start, then id."""
    if events.num_rows == 0:
        return []
    ids = incident_ids(events).to_pylist()
    groups: dict[str, dict[str, Any]] = {}
    for inc, ev in zip(ids, events.to_pylist(), strict=True):
        g = groups.setdefault(
            inc,
            {
                "incident_id": inc,
                "kinds": set(),
                "event_ids": [],
                "start": ev["start"],
                "end": ev["end"],
                "vessels": set(),
                "regions": set(),
                "events": [],
            },
        )
        g["kinds"].add(ev["type"])
        g["event_ids"].append(ev["event_id"])
        g["start"] = min(g["start"], ev["start"])
        g["end"] = max(g["end"], ev["end"])
        g["vessels"].update(int(v) for v in ev["vessels"] or ())
        g["regions"].add(ev["region"])
        g["events"].append(ev)
    out = []
    for g in groups.values():
        g["kinds"] = sorted(g["kinds"])
        g["event_ids"] = sorted(g["event_ids"])
        g["vessels"] = sorted(g["vessels"])
        g["regions"] = sorted(g["regions"], key=lambda r: (r is None, r or ""))
        g["events"].sort(key=lambda e: (e["start"], e["event_id"]))
        out.append(g)
    out.sort(key=lambda g: (g["start"], g["incident_id"]))
    return out


def engagement_summary(events: pa.Table) -> dict[str, int]:
    """``engagements`` (distinct incidents among the engagement events of ``events``) and,
    beside it, how many of them include each engagement type (``encounters``,
    ``interceptions``)."""
    eng = events.filter(pc.is_in(events.column("type"), pa.array(list(ENGAGEMENT_TYPES))))
    groups = incidents(eng)
    out = {"engagements": len(groups)}
    for t in ENGAGEMENT_TYPES:
        out[_kind_key(t)] = sum(1 for g in groups if t in g["kinds"])
    return out


def engagement_counts(events: pa.Table, *, by: str) -> list[dict[str, Any]]:
    """Engagements of ``events`` counted as incidents, grouped ``by`` ``region`` or
    ``flag``: rows of the key, ``engagements``, one count per engagement type (engagements
    that include it), ``n_vessels`` (distinct MMSIs; by flag, those of the flag) and
    ``duration_h`` (each incident's span,
    first start to last end, once). An incident counts under each region its events lie
    in and, by flag, under each flag among its vessels (an interception of a Venezuelan
    tanker by a US warship counts under US and under VE); sorted by key, nulls last."""
    if by not in ("region", "flag"):
        raise ValueError(f"by must be region or flag, not {by!r}")
    eng = events.filter(pc.is_in(events.column("type"), pa.array(list(ENGAGEMENT_TYPES))))
    rows: dict[str | None, dict[str, Any]] = {}
    for g in incidents(eng):
        if by == "region":
            keys: Sequence[str | None] = g["regions"]
            members = {k: g["vessels"] for k in keys}
        else:
            flags = flags_of(pa.array(g["vessels"], pa.int64())).to_pylist()
            keys = sorted(set(flags), key=lambda f: (f is None, f or ""))
            members = {
                k: [m for m, f in zip(g["vessels"], flags, strict=True) if f == k] for k in keys
            }
        for k in keys:
            r = rows.setdefault(
                k,
                {
                    by: k,
                    "engagements": 0,
                    **{_kind_key(t): 0 for t in ENGAGEMENT_TYPES},
                    "_vessels": set(),
                    "hours": 0.0,
                },
            )
            r["engagements"] += 1
            for t in g["kinds"]:
                r[_kind_key(t)] += 1
            r["_vessels"].update(members[k])
            r["hours"] += (g["end"] - g["start"]).total_seconds() / 3600.0
    out = []
    for k in sorted(rows, key=lambda x: (x is None, x or "")):
        r = rows[k]
        hours = round(r.pop("hours"), 6)
        vessels = r.pop("_vessels")
        out.append({**r, "n_vessels": len(vessels), "duration_h": hours})
    return out


def incident_record(
    g: dict[str, Any], info: dict[int, dict[str, Any]], detail_keys: Sequence[str]
) -> dict[str, Any]:
    """One engagement (an incident) for the brief: ``incident_id``, ``type`` (the
    strongest kind: ``interception`` when it includes one), ``kinds``, ``event_ids``,
    times, place (of its first event), ``confidence`` (the highest), the vessels with
    their identity, and the ``detail_keys`` found in its events' details."""
    first = g["events"][0]
    details: dict[str, Any] = {}
    for ev in g["events"]:
        d = json.loads(ev["details"]) if ev["details"] else {}
        for k in detail_keys:
            if k in d and k not in details:
                details[k] = d[k]
    conf = [float(e["confidence"]) for e in g["events"] if e["confidence"] is not None]
    kinds: list[str] = g["kinds"]
    span = (g["end"] - g["start"]).total_seconds() / 3600.0
    return {
        "incident_id": g["incident_id"],
        "type": "interception" if "interception" in kinds else kinds[-1],
        "kinds": kinds,
        "event_ids": g["event_ids"],
        "start": g["start"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": g["end"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_h": round(span, 2),
        "region": first["region"],
        "zone": first["zone"],
        "lat": None if first["lat"] is None else round(float(first["lat"]), 5),
        "lon": None if first["lon"] is None else round(float(first["lon"]), 5),
        "confidence": round(max(conf), 3) if conf else None,
        "vessels": [vessel_record(m, info) for m in g["vessels"]],
        **details,
    }


def vessel_record(mmsi: int, info: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """A vessel as the brief's records name it (``info``: the ``vessels`` view by MMSI)."""
    v = info.get(mmsi, {})
    return {
        "mmsi": mmsi,
        "name": v.get("name"),
        "flag": v.get("flag"),
        "ship_group": v.get("ship_group"),
        "role": v.get("role"),
        "role_source": v.get("role_source"),
        "imo": v.get("imo"),
    }
