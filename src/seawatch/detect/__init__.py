"""Event detectors: one module per event type, each a frozen parameter dataclass and a pure
kernel ``(table, *, params, geo) -> pa.Table`` with schema ``seawatch.schema.EVENTS``.

Kernels take positions (schema POSITIONS, or already cleaned and segmented with ``seg_id``)
of whole vessels in any row order; ``geo=None`` uses the bundled geography.

``PRESETS[preset][detector] -> params``: ``default`` (ours) and ``gfw`` (Global Fishing
Watch's published definitions; sources in docs/PEERS.md (b) and each module's docstring).
``KERNELS[detector]`` is the per-vessel kernel of each detector; the ``zone`` detector
emits ``zone_entry``, ``zone_exit`` and ``zone_visit`` events (``EVENT_TYPES``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import pyarrow as pa

from seawatch.detect import gaps as _gaps
from seawatch.detect import loitering as _loitering
from seawatch.detect import port_visits as _port_visits
from seawatch.detect import zones as _zones
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
from seawatch.detect.gaps import GapParams, gaps, reception_density
from seawatch.detect.loitering import LoiteringParams, loitering
from seawatch.detect.port_visits import PortVisitParams, port_visits
from seawatch.detect.zones import ZoneParams, zone_events

__all__ = [
    "EVENT_TYPES",
    "KERNELS",
    "PRESETS",
    "BundledGeo",
    "FakeGeo",
    "FakePort",
    "GapParams",
    "GeoContext",
    "LoiteringParams",
    "PortVisitParams",
    "ZoneParams",
    "build_events",
    "details_json",
    "event_id",
    "gaps",
    "loitering",
    "params_dict",
    "port_visits",
    "reception_density",
    "resolve_geo",
    "zone_events",
]

EVENT_TYPES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "loitering": ("loitering",),
        "gap": ("gap",),
        "port_visit": ("port_visit",),
        "zone": _zones.TYPES,
    }
)
"""Event types each per-vessel detector emits."""

KERNELS: Mapping[str, Callable[..., pa.Table]] = MappingProxyType(
    {
        "loitering": loitering,
        "gap": gaps,
        "port_visit": port_visits,
        "zone": zone_events,
    }
)
"""Per-vessel kernels by detector name: ``kernel(table, *, params=..., geo=...)``."""

PRESETS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "default": MappingProxyType(
            {
                "loitering": _loitering.DEFAULT,
                "gap": _gaps.DEFAULT,
                "port_visit": _port_visits.DEFAULT,
                "zone": _zones.DEFAULT,
            }
        ),
        "gfw": MappingProxyType(
            {
                "loitering": _loitering.GFW,
                "gap": _gaps.GFW,
                "port_visit": _port_visits.GFW,
                "zone": _zones.GFW,
            }
        ),
    }
)
"""``PRESETS[preset][detector]``: the parameter dataclass instance of each detector."""
