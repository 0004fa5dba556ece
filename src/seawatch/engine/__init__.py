"""The engine: runs the detectors of :data:`seawatch.detect.REGISTRY` over a store's
partitions in bounded memory, scheduling them by kind and naming none.

``run_detectors(store, *, preset="default", only=None, workers=None, geo=None)`` splits
positions into MMSI ranges read straight from the store (about ``bucket_rows`` each), runs
the per-vessel kernels over whole vessels in a process pool, the shared pair search as
portable SQL in DuckDB one day at a time (streamed pair steps carried across midnight,
window pair steps with their halo), the statics and scene steps and the finishing steps,
and replaces the events in the store. See :mod:`seawatch.engine._run` for the design.
"""

from __future__ import annotations

from seawatch._jit import announce_compiles
from seawatch.engine._dark import dark_step, vessel_lengths
from seawatch.engine._partition import plan_buckets
from seawatch.engine._run import (
    DETECTORS,
    EVENT_TYPES,
    PRESETS,
    EngineStats,
    EventStore,
    detector_types,
    preset_params,
    resolve_only,
    run_detectors,
)

announce_compiles()  # numba compiles (first run only) say so on stderr, in workers too

__all__ = [
    "DETECTORS",
    "EVENT_TYPES",
    "PRESETS",
    "EngineStats",
    "EventStore",
    "dark_step",
    "detector_types",
    "plan_buckets",
    "preset_params",
    "resolve_only",
    "run_detectors",
    "vessel_lengths",
]
