"""Event detectors: one module per event type, each a frozen parameter dataclass and a pure
kernel ``(table, *, params, geo) -> pa.Table`` with schema ``seawatch.schema.EVENTS``.

Kernels take positions (schema POSITIONS, or already cleaned and segmented with ``seg_id``)
of whole vessels in any row order; ``geo=None`` uses the bundled geography
(:class:`seawatch.geo.GeoContext`, re-exported here).

:data:`REGISTRY` (module ``_registry``) is the one table of the detectors: each one's id,
module, kind (``vessel`` kernels on positions, ``pair`` steps on resampled slots,
``statics`` steps, the ``scene`` step on non-AIS detections), parameter dataclass and
presets, event types, halo and finishing step. Derived from it: ``PRESETS[preset][detector]
-> params`` (``default``, ours, and ``gfw``, Global Fishing Watch's published definitions;
sources in docs/PEERS.md (b) and each module's docstring), ``EVENT_TYPES[detector]`` (the
``zone`` detector emits ``zone_entry``, ``zone_exit`` and ``zone_visit``) and ``KERNELS``
(the per-vessel kernels). The engine schedules from the registry.

``INCIDENT_KINDS[type] -> kind`` and :func:`link_incidents` (module ``incidents``): events
of one kind with the same vessels overlapping in time share an ``incident_id``.

The modules ``encounters``, ``interceptions``, ``spoofing``, ``identity_changes``,
``watchlist_hits`` and ``dark`` are reached as submodules (``from seawatch.detect import
encounters``); their parameter classes are re-exported here. ``seawatch.detect.sql`` holds
the portable SQL runner of the pair steps.
"""

from __future__ import annotations

from typing import Any

from seawatch.detect._base import (
    BundledGeo,
    FakeGeo,
    FakePort,
    GeoContext,
    build_events,
    details_json,
    event_id,
    fill_region,
    params_dict,
    resolve_geo,
)
from seawatch.detect._registry import (
    EVENT_TYPES,
    KERNELS,
    PRESETS,
    REGISTRY,
    Detector,
    PairSearch,
    PairSpec,
    PairStream,
    RunInputs,
    detector_types,
    finish_events,
    pair_search,
    pair_slot_params,
    preset_params,
    resolve_only,
)
from seawatch.detect.coverage import COVERAGE, coverage_grid, coverage_sql
from seawatch.detect.dark import DarkParams
from seawatch.detect.encounters import EncounterParams
from seawatch.detect.gaps import GapParams, gaps
from seawatch.detect.identity_changes import IdentityParams
from seawatch.detect.incidents import INCIDENT_KINDS, incident_ids, link_incidents
from seawatch.detect.interceptions import InterceptionParams
from seawatch.detect.loitering import LoiteringParams, loitering
from seawatch.detect.port_visits import PortVisitParams, port_visits
from seawatch.detect.spoofing import SpoofingParams
from seawatch.detect.watchlist_hits import WatchlistParams
from seawatch.detect.zone_events import ZoneParams, zone_events

__all__ = [
    "COVERAGE",
    "EVENT_TYPES",
    "INCIDENT_KINDS",
    "KERNELS",
    "PRESETS",
    "REGISTRY",
    "BundledGeo",
    "DarkParams",
    "Detector",
    "EncounterParams",
    "FakeGeo",
    "FakePort",
    "GapParams",
    "GeoContext",
    "IdentityParams",
    "InterceptionParams",
    "LoiteringParams",
    "PairSearch",
    "PairSpec",
    "PairStream",
    "PortVisitParams",
    "RunInputs",
    "SpoofingParams",
    "WatchlistParams",
    "ZoneParams",
    "build_events",
    "coverage_grid",
    "coverage_sql",
    "details_json",
    "detector_types",
    "event_id",
    "fill_region",
    "finish_events",
    "gaps",
    "incident_ids",
    "link_incidents",
    "loitering",
    "pair_search",
    "pair_slot_params",
    "params_dict",
    "port_visits",
    "preset_params",
    "resolve_geo",
    "resolve_only",
    "uses_coverage",
    "zone_events",
]


def uses_coverage(params: Any) -> float | None:
    """The coverage cell size (degrees) a per-vessel kernel with ``params`` wants its
    ``coverage=`` grid in, or None when it takes none (the engine computes the grid once
    over the whole store for every kernel that asks)."""
    cell = getattr(params, "coverage_cell_deg", None)
    return None if cell is None else float(cell)
