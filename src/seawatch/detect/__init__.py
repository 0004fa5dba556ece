"""Event detectors: one module per event type, each a frozen parameter dataclass and a pure
kernel ``(table, *, params, geo) -> pa.Table`` with schema ``seawatch.schema.EVENTS``.

Kernels take positions (schema POSITIONS, or already cleaned and segmented with ``seg_id``)
of whole vessels in any row order; ``geo=None`` uses the bundled geography.

``PRESETS[preset][detector] -> params``: ``default`` (ours) and ``gfw`` (Global Fishing
Watch's published definitions; sources in docs/PEERS.md (b) and each module's docstring),
for every detector: the per-vessel kernels on positions (``KERNELS``: ``loitering``,
``gap``, ``port_visit``, ``zone``, ``spoofing``), the pair steps on resampled slots
(``encounter``, ``interception``) and the statics steps (``identity_change``,
``watchlist_hit``) and the scene step on non-AIS detections (``dark``: ``detected_by``,
``dark_detection``, ``ais_mismatch``). ``EVENT_TYPES[detector]`` lists the event types a detector emits (the
``zone`` detector emits ``zone_entry``, ``zone_exit`` and ``zone_visit``).

``INCIDENT_KINDS[type] -> kind`` and :func:`link_incidents` (module ``incidents``): events
of one kind with the same vessels overlapping in time share an ``incident_id``.

The modules ``encounters``, ``interception``, ``spoofing``, ``identity`` and ``watchlist``
are reached as submodules (``from seawatch.detect import encounters``); their parameter
classes are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import pyarrow as pa

from seawatch.detect import dark as _dark
from seawatch.detect import encounters as _encounters
from seawatch.detect import gaps as _gaps
from seawatch.detect import identity as _identity
from seawatch.detect import interception as _interception
from seawatch.detect import loitering as _loitering
from seawatch.detect import port_visits as _port_visits
from seawatch.detect import spoofing as _spoofing
from seawatch.detect import watchlist as _watchlist
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
from seawatch.detect.coverage import COVERAGE, coverage_grid, coverage_sql
from seawatch.detect.dark import DarkParams
from seawatch.detect.encounters import EncounterParams
from seawatch.detect.gaps import GapParams, gaps
from seawatch.detect.identity import IdentityParams
from seawatch.detect.incidents import INCIDENT_KINDS, incident_ids, link_incidents
from seawatch.detect.interception import InterceptionParams
from seawatch.detect.loitering import LoiteringParams, loitering
from seawatch.detect.port_visits import PortVisitParams, port_visits
from seawatch.detect.spoofing import SpoofingParams
from seawatch.detect.watchlist import WatchlistParams
from seawatch.detect.zones import ZoneParams, zone_events

__all__ = [
    "COVERAGE",
    "EVENT_TYPES",
    "INCIDENT_KINDS",
    "KERNELS",
    "PRESETS",
    "BundledGeo",
    "DarkParams",
    "EncounterParams",
    "FakeGeo",
    "FakePort",
    "GapParams",
    "GeoContext",
    "IdentityParams",
    "InterceptionParams",
    "LoiteringParams",
    "PortVisitParams",
    "SpoofingParams",
    "WatchlistParams",
    "ZoneParams",
    "build_events",
    "coverage_grid",
    "coverage_sql",
    "details_json",
    "event_id",
    "gaps",
    "incident_ids",
    "link_incidents",
    "loitering",
    "params_dict",
    "port_visits",
    "resolve_geo",
    "uses_coverage",
    "zone_events",
]

EVENT_TYPES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "loitering": ("loitering",),
        "gap": ("gap",),
        "port_visit": ("port_visit",),
        "zone": _zones.TYPES,
        "spoofing": (_spoofing.TYPE,),
        "encounter": (_encounters.TYPE,),
        "interception": (_interception.TYPE,),
        "identity_change": (_identity.TYPE,),
        "watchlist_hit": (_watchlist.TYPE,),
        "dark": _dark.TYPES,
    }
)
"""Event types each detector emits."""


def uses_coverage(params: Any) -> float | None:
    """The coverage cell size (degrees) a per-vessel kernel with ``params`` wants its
    ``coverage=`` grid in, or None when it takes none (the engine computes the grid once
    over the whole store for every kernel that asks)."""
    cell = getattr(params, "coverage_cell_deg", None)
    return None if cell is None else float(cell)


KERNELS: Mapping[str, Callable[..., pa.Table]] = MappingProxyType(
    {
        "loitering": loitering,
        "gap": gaps,
        "port_visit": port_visits,
        "zone": zone_events,
        "spoofing": _spoofing.spoofing,
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
                "spoofing": _spoofing.DEFAULT,
                "encounter": _encounters.DEFAULT,
                "interception": _interception.DEFAULT,
                "identity_change": _identity.DEFAULT,
                "watchlist_hit": _watchlist.DEFAULT,
                "dark": _dark.DEFAULT,
            }
        ),
        "gfw": MappingProxyType(
            {
                "loitering": _loitering.GFW,
                "gap": _gaps.GFW,
                "port_visit": _port_visits.GFW,
                "zone": _zones.GFW,
                "spoofing": _spoofing.GFW,
                "encounter": _encounters.GFW,
                "interception": _interception.GFW,
                "identity_change": _identity.GFW,
                "watchlist_hit": _watchlist.GFW,
                "dark": _dark.GFW,
            }
        ),
    }
)
"""``PRESETS[preset][detector]``: the parameter dataclass instance of each detector."""
