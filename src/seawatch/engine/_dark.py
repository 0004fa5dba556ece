"""The scene step: non-AIS detections matched to AIS (:mod:`seawatch.detect.dark`).

Detections are grouped into time spans (each detection time with ``gap_lookback_h``
before and ``window_h`` after, overlapping spans merged); for each span the engine reads
only the positions of that span and runs the kernel on its detections. Memory: one span
of positions (a day or two around a pass), not the store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from seawatch._units import US_PER_H
from seawatch.detect import GeoContext
from seawatch.detect.dark import DarkParams, match_detections
from seawatch.schema import EVENTS


class DetectionSource(Protocol):
    def detections(self) -> pa.Table: ...

    def scenes(self) -> pa.Table: ...

    def statics(self) -> pa.Table: ...

    def positions(self, *, since: Any = None, until: Any = None) -> pa.Table: ...


def vessel_lengths(statics: pa.Table) -> pa.Table:
    """``mmsi, length_m``: each vessel's latest broadcast length (statics with one)."""
    s = statics.select(["mmsi", "ts", "length_m"]).filter(pc.is_valid(statics.column("length_m")))
    if s.num_rows == 0:
        return pa.table({"mmsi": pa.array([], pa.uint32()), "length_m": pa.array([], pa.float32())})
    s = s.sort_by([("mmsi", "ascending"), ("ts", "descending")])
    mm = s.column("mmsi").to_numpy()
    first = [0] + [i for i in range(1, len(mm)) if mm[i] != mm[i - 1]]
    return s.take(pa.array(first, pa.int64())).select(["mmsi", "length_m"])


def _spans(ts_us: list[int], params: DarkParams) -> list[tuple[int, int]]:
    before = int(params.gap_lookback_h * US_PER_H)
    after = int(params.window_h * US_PER_H) + 1
    spans: list[tuple[int, int]] = []
    for t in sorted(set(ts_us)):
        lo, hi = t - before, t + after
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
        else:
            spans.append((lo, hi))
    return spans


def _dt(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


def dark_step(store: DetectionSource, params: DarkParams, *, geo: GeoContext | None) -> pa.Table:
    """Events of the ``dark`` detector over the whole store (schema ``EVENTS``)."""
    dets = store.detections()
    dets = dets.filter(pc.is_valid(dets.column("ts")))
    if dets.num_rows == 0:
        return EVENTS.empty_table()
    scenes = store.scenes()
    lengths = vessel_lengths(store.statics())
    ts = dets.column("ts").cast(pa.int64())
    parts: list[pa.Table] = [EVENTS.empty_table()]
    for lo, hi in _spans(ts.to_pylist(), params):
        mask = pc.and_(
            pc.greater_equal(ts, lo + int(params.gap_lookback_h * US_PER_H)),
            pc.less(ts, hi),
        )
        part = dets.filter(mask)
        if part.num_rows == 0:
            continue
        pos = store.positions(since=_dt(lo), until=_dt(hi))
        parts.append(
            match_detections(part, pos, params=params, scenes=scenes, lengths=lengths, geo=geo)
        )
    return pa.concat_tables(parts)
