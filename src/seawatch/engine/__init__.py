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

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from seawatch._cachedir import cache_root
from seawatch._jit import announce_compiles, share_compiles
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
    worker_pool,
)

announce_compiles()  # numba compiles (first run only) say so on stderr, in workers too
_cache = cache_root()
share_compiles(None if _cache is None else _cache / "compile-locks")  # compiled once, shared

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
    "spark_reader",
    "vessel_lengths",
    "worker_pool",
]


def spark_reader(
    paths: Sequence[str], options: Any, *, master: str | None = None
) -> Callable[..., Iterator[Any]]:
    """A ``reader`` for ``Store.ingest`` that decodes ``paths`` (as
    :func:`seawatch.sources.expand_paths` lists them) on Spark executors, one task per
    file, with the ingest ``options`` (an ``IngestOptions``); ``master`` as for
    ``run_detectors(engine="spark")``. The store's commit is unchanged (on this machine)."""
    from seawatch.engine._spark import SparkReader, spark_session
    from seawatch.sources import expand_paths

    return SparkReader(
        spark_session(master),
        expand_paths(list(paths)),
        fmt=options.fmt,
        accept_bad_checksum=options.accept_bad_checksum,
        default_time=options.default_time,
        column_map=options.column_map,
        chunk_bytes=options.chunk_bytes,
    )
