"""Shared preparation of detector input: cleaned, segmented positions as numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from seawatch.detect._base import GeoContext
from seawatch.tracks import prepare
from seawatch.tracks.columns import f64, group_bounds, i64, ts_us

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Points:
    """Positions sorted by ``mmsi, seg_id, ts`` (``by_segment``) or ``mmsi, ts``.

    ``bounds`` are the offsets of the groups (segments, or vessels) plus the length.
    """

    mmsi: I64
    seg: I64
    ts: I64
    lat: F64
    lon: F64
    sog: F64
    bounds: I64

    def __len__(self) -> int:
        return len(self.ts)


def points(table: pa.Table, geo: GeoContext, *, by_segment: bool) -> Points:
    """Clean and segment raw positions (unless ``seg_id`` is already there), then sort."""
    prepared = prepare(table, geo=geo)  # sorted by mmsi, ts (total order)
    mmsi = i64(prepared, "mmsi")
    seg = i64(prepared, "seg_id")
    ts = ts_us(prepared)
    lat = f64(prepared, "lat")
    lon = f64(prepared, "lon")
    sog = (
        f64(prepared, "sog_kn")
        if "sog_kn" in prepared.column_names
        else np.full(len(ts), np.nan, dtype=np.float64)
    )
    if by_segment:
        # stable: keeps the (ts, lat, lon, sog) order inside each segment
        order = np.lexsort((seg, mmsi))
        if not (order[1:] > order[:-1]).all():
            mmsi, seg, ts = mmsi[order], seg[order], ts[order]
            lat, lon, sog = lat[order], lon[order], sog[order]
        bounds = group_bounds(mmsi, seg)
    else:
        bounds = group_bounds(mmsi)
    return Points(mmsi=mmsi, seg=seg, ts=ts, lat=lat, lon=lon, sog=sog, bounds=bounds)


def input_range_us(table: pa.Table) -> tuple[int, int] | None:
    """The input's first and last timestamps (microseconds), None when empty."""
    import pyarrow.compute as pc

    if table.num_rows == 0:
        return None
    mm = pc.min_max(pc.cast(table.column("ts"), pa.int64()))
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if lo is None or hi is None:
        return None
    return int(lo), int(hi)
