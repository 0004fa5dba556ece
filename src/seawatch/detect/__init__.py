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
