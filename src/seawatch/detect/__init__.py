"""Event detectors: one module per event type, each a frozen parameter dataclass and a
pure kernel ``(table, *, params, geo) -> pa.Table`` with schema ``seawatch.schema.EVENTS``.

``PRESETS[preset][type] -> params``: ``default`` (ours) and ``gfw`` (Global Fishing Watch's
published definitions; see docs/PEERS.md (b)).
"""

from __future__ import annotations

from seawatch.detect._base import (
    BundledGeo,
    FakeGeo,
    FakePort,
    GeoContext,
    build_events,
    details_json,
    event_id,
    params_dict,
    resolve_geo,
)

__all__ = [
    "BundledGeo",
    "FakeGeo",
    "FakePort",
    "GeoContext",
    "build_events",
    "details_json",
    "event_id",
    "params_dict",
    "resolve_geo",
]
