"""Segmentation: split each vessel's positions into plausible tracks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from seawatch._exceptions import ParameterError
from seawatch._units import KN_TO_MPS, US_PER_H
from seawatch.tracks._kernels import segment_kernel
from seawatch.tracks.columns import f64, f64_or_nan, i64, require, sort_positions, ts_us


@dataclass(frozen=True, slots=True)
class SegmentParams:
    """Parameters of :func:`segment`.

    ``max_gap_h``: a segment ends after this long without a position (24 h, as GFW).
    ``max_speed_kn``: no vessel moves faster; a point a segment could only reach faster
    opens (or joins) another segment.
    ``jitter_m``: distance always considered reachable (GPS jitter, reports a second apart).
    ``max_active``: parallel segments kept open per MMSI (transmitters sharing an MMSI).
    ``spread_m``, ``spread_kn``: which of several segments that can reach a point it joins
    (see :func:`segment`): how far from a segment's last point its vessel may be at once,
    and how much faster than it reports it may have sailed since.
    """

    max_gap_h: float = 24.0
    max_speed_kn: float = 50.0
    jitter_m: float = 500.0
    max_active: int = 8
    spread_m: float = 100.0
    spread_kn: float = 5.0

    def __post_init__(self) -> None:
        if self.max_gap_h <= 0 or self.max_speed_kn <= 0 or self.jitter_m < 0:
            raise ParameterError("SegmentParams: max_gap_h, max_speed_kn > 0, jitter_m >= 0")
        if self.max_active < 1:
            raise ParameterError("SegmentParams: max_active >= 1")
        if not (self.spread_m > 0 and self.spread_kn >= 0):
            raise ParameterError("SegmentParams: spread_m > 0, spread_kn >= 0")


_DEFAULT = SegmentParams()


def segment(table: pa.Table, *, params: SegmentParams = _DEFAULT) -> pa.Table:
    """Positions with an added ``seg_id`` (int64), sorted by ``mmsi, ts``.

    Each point is assigned to an open segment of its MMSI that can reach it plausibly
    (distance <= ``jitter_m`` + ``max_speed_kn`` x elapsed time); otherwise it opens a
    new segment. Among several, it joins the one it fits best: the least
    ``0.5 (d/s)^2 + 2 ln s``, with ``d`` its distance from the segment's last point and
    ``s = spread_m + (the point's reported speed + spread_kn) x elapsed time``
    (``max_speed_kn`` where it reports none), the log-likelihood of a spread that grows
    with time; ties go to the most recently updated. Two transmitters sharing an MMSI therefore become
    two parallel segments instead of one zig-zag track, and a single wild position becomes
    a one-point segment that does not take the vessel's later reports when it passes near
    it again (a segment idle for hours reaches almost anything; before, a point went to
    the segment whose reach it used least, and a shuttle's track became two interleaved
    segments after one bad fix).

    ``seg_id = mmsi << 32 | n`` where ``n`` numbers the vessel's segments in order of
    their first point: unique within one call and independent of the input's row order.
    Input must be clean (no null ``ts``/``lat``/``lon``).
    """
    require(table, ("mmsi", "ts", "lat", "lon"), "segment")
    if "seg_id" in table.column_names:
        table = table.drop_columns(["seg_id"])
    table = sort_positions(table)
    m = i64(table, "mmsi")
    ordinal = segment_kernel(
        m,
        ts_us(table),
        f64(table, "lat"),
        f64(table, "lon"),
        f64_or_nan(table, "sog_kn"),
        int(params.max_gap_h * US_PER_H),
        params.max_speed_kn * KN_TO_MPS,
        params.jitter_m,
        params.max_active,
        params.spread_m,
        params.spread_kn * KN_TO_MPS,
    )
    seg_id = (m << np.int64(32)) | ordinal
    return table.append_column("seg_id", pa.array(seg_id, pa.int64()))
