"""Resampling to a fixed 10-minute UTC grid without interpolating across long gaps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from seawatch._exceptions import ParameterError
from seawatch._jit import read_only
from seawatch._units import US_PER_H
from seawatch.tracks._kernels import resample_kernel
from seawatch.tracks._segment import segment
from seawatch.tracks.columns import (
    TS_TYPE,
    f64,
    f64_or_nan,
    group_bounds,
    i64,
    require,
    sort_positions,
    ts_us,
)

SLOTS = pa.schema(
    [
        pa.field("mmsi", pa.uint32(), nullable=False),
        pa.field("seg_id", pa.int64(), nullable=False),
        pa.field("slot", TS_TYPE, nullable=False),
        pa.field("lat", pa.float64(), nullable=False),
        pa.field("lon", pa.float64(), nullable=False),
        pa.field("sog_kn", pa.float32()),
        pa.field("interpolated", pa.bool_(), nullable=False),
        pa.field("prev_slot", TS_TYPE),
    ]
)
"""The resampled slot table: one row per segment and grid time (``slot``), sorted by
``mmsi, seg_id, slot``. ``interpolated`` is True when no report of the segment lies within
half a slot of ``slot``. ``prev_slot`` is the vessel's latest earlier slot of any segment
(null for its first): where it lies more than one slot back, nothing of the vessel was
seen in between, which pair detectors read as "no evidence" rather than "apart"."""


@dataclass(frozen=True, slots=True)
class ResampleParams:
    """Parameters of :func:`resample`.

    ``slot_min``: grid step in minutes; slots are multiples of it since the Unix epoch
    (UTC), so every vessel's slots align. ``max_gap_h``: never interpolate between two
    reports this far apart or more (1 h, as GFW's encounter pipeline), except that a
    vessel that stayed still across the gap (both reports' speeds, where present, and its
    net displacement over the gap below ``still_kn``) is interpolated across gaps up to
    ``still_gap_h`` (0, the default: never). A vessel drifting or at anchor is where it
    was; one that moved took a path nobody saw.
    """

    slot_min: float = 10.0
    max_gap_h: float = 1.0
    still_gap_h: float = 0.0
    still_kn: float = 1.0

    def __post_init__(self) -> None:
        if self.slot_min <= 0 or self.max_gap_h <= 0:
            raise ParameterError("ResampleParams: slot_min and max_gap_h must be > 0")
        if self.still_gap_h < 0 or self.still_kn <= 0:
            raise ParameterError("ResampleParams: still_gap_h >= 0 and still_kn > 0")


_DEFAULT = ResampleParams()


def resample(table: pa.Table, *, params: ResampleParams = _DEFAULT) -> pa.Table:
    """Slots (schema :data:`SLOTS`) of each segment on the fixed UTC grid.

    A grid time gets a slot when it falls between two consecutive reports of the segment
    less than ``max_gap_h`` apart (or ``still_gap_h``, the vessel still across the gap)
    (lat/lon and ``sog_kn`` linearly interpolated; speed is the implied speed when neither
    report has one) or when a report lies within half a slot of it (that report's values).
    No slot is made inside longer gaps.
    Without a ``seg_id`` column the table is segmented with default parameters first.
    """
    require(table, ("mmsi", "ts", "lat", "lon"), "resample")
    if "seg_id" not in table.column_names:
        table = segment(table)
    table = sort_positions(table)  # mmsi, ts (a no-op when already sorted)
    seg = i64(table, "seg_id")
    m = i64(table, "mmsi")
    ts = ts_us(table)
    lat = f64(table, "lat")
    lon = f64(table, "lon")
    sog = f64_or_nan(table, "sog_kn")
    order = np.lexsort((seg, m))  # stable: keeps time order inside each segment
    if len(order) > 1 and not (order[1:] > order[:-1]).all():
        seg, m, ts = seg[order], m[order], ts[order]
        lat, lon, sog = lat[order], lon[order], sog[order]
    bounds = group_bounds(m, seg)
    ts = read_only(ts)  # one numba specialisation of the kernel
    lat, lon, sog = read_only(lat), read_only(lon), read_only(sog)
    slot_us = round(params.slot_min * 60e6)
    gaps = (
        round(params.max_gap_h * US_PER_H),
        round(params.still_gap_h * US_PER_H),
        float(params.still_kn),
    )
    n_out = len(resample_kernel(bounds, ts, lat, lon, sog, slot_us, *gaps, False, 0)[0])
    row, slot, o_lat, o_lon, o_sog, o_int = resample_kernel(
        bounds, ts, lat, lon, sog, slot_us, *gaps, True, n_out
    )
    first = bounds[:-1][row] if len(row) else np.zeros(0, np.int64)
    return pa.table(
        {
            "mmsi": pa.array(m[first], pa.int64()).cast(pa.uint32()),
            "seg_id": pa.array(seg[first], pa.int64()),
            "slot": pa.array(slot, pa.int64()).cast(TS_TYPE),
            "lat": pa.array(o_lat, pa.float64()),
            "lon": pa.array(o_lon, pa.float64()),
            "sog_kn": pa.array(o_sog.astype(np.float32), pa.float32(), from_pandas=True),
            "interpolated": pa.array(o_int, pa.bool_()),
            "prev_slot": previous_slots(m[first], slot).cast(TS_TYPE),
        },
        schema=SLOTS,
    )


def previous_slots(mmsi: npt.ArrayLike, slot: npt.ArrayLike) -> pa.Array:
    """For each row, its vessel's latest slot strictly before the row's own (``slot`` in
    any integer unit; rows in any order, a vessel's parallel segments sharing slots), null
    for the vessel's first: an int64 array in the rows' order."""
    m = np.asarray(mmsi, np.int64)
    s = np.asarray(slot, np.int64)
    n = len(s)
    if n == 0:
        return pa.array(np.zeros(0, np.int64), pa.int64())
    ordered = bool(np.all((m[1:] > m[:-1]) | ((m[1:] == m[:-1]) & (s[1:] >= s[:-1]))))
    order = np.arange(n) if ordered else np.lexsort((s, m))
    ms, ss = m[order], s[order]
    new = np.ones(n, np.bool_)  # the first row of each (vessel, slot)
    new[1:] = (ms[1:] != ms[:-1]) | (ss[1:] != ss[:-1])
    starts = np.flatnonzero(new)
    before = starts - 1
    has = (before >= 0) & (ms[np.maximum(before, 0)] == ms[starts])
    group_prev = np.where(has, ss[np.maximum(before, 0)], 0)
    group = np.cumsum(new) - 1
    prev = np.empty(n, np.int64)
    valid = np.empty(n, np.bool_)
    prev[order] = group_prev[group]
    valid[order] = has[group]
    return pa.array(prev, pa.int64(), mask=~valid)
