"""Track kernels on positions, given whole vessels in any row order.

``clean`` (drop unusable rows, null sentinel speeds, de-duplicate, flag land),
``segment`` (adds ``seg_id``: plausible tracks, parallel tracks for shared MMSIs),
``resample`` (10-minute UTC grid slots, schema :data:`SLOTS`), and ``prepare``
(clean then segment, what detectors do to raw positions).
"""

from __future__ import annotations

import pyarrow as pa

from seawatch.geo import haversine_m
from seawatch.tracks._clean import CleanParams, LandMask, clean
from seawatch.tracks._resample import SLOTS, ResampleParams, previous_slots, resample
from seawatch.tracks._segment import SegmentParams, segment

__all__ = [
    "SLOTS",
    "CleanParams",
    "LandMask",
    "ResampleParams",
    "SegmentParams",
    "clean",
    "haversine_m",
    "prepare",
    "previous_slots",
    "resample",
    "segment",
]


def prepare(
    table: pa.Table,
    *,
    clean_params: CleanParams | None = None,
    segment_params: SegmentParams | None = None,
    geo: LandMask | None = None,
) -> pa.Table:
    """Raw positions -> cleaned, segmented positions (sorted by ``mmsi, ts``).

    A table that already has ``seg_id`` (prepared by the engine) is returned sorted, as is.
    """
    if "seg_id" in table.column_names:
        from seawatch.tracks.columns import sort_positions

        return sort_positions(table)
    cleaned = clean(table, params=clean_params or CleanParams(), geo=geo)
    return segment(cleaned, params=segment_params or SegmentParams())
