"""Helpers shared by the identity, watchlist, spoofing and interception detectors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch.detect._base import event_id
from seawatch.schema import EVENTS

F64 = npt.NDArray[np.float64]

__all__ = ["iso_us", "locate_first_after", "locate_nearest", "with_keyed_ids"]


def iso_us(us: int) -> datetime:
    """Microseconds since the epoch as a UTC datetime (for details)."""
    return datetime.fromtimestamp(us / 1e6, tz=UTC)


def with_keyed_ids(events: pa.Table, details: Sequence[str], keys: Sequence[str]) -> pa.Table:
    """``events`` (from :func:`~seawatch.detect._base.build_events`) with ids hashed with a
    key as well, for detectors that can emit several events of one type, vessel set and
    start (one vessel on two entries of a list; a rename and a new call sign in one
    message). ``keys[i]`` belongs to the event whose details are ``details[i]`` (details are
    unique per event); rows are re-sorted as ``build_events`` sorts them."""
    key_of = dict(zip(details, keys, strict=True))
    ids = [
        event_id(t, v, s, key=key_of[d])
        for t, v, s, d in zip(
            events.column("type").to_pylist(),
            events.column("vessels").to_pylist(),
            pc.cast(events.column("start"), pa.int64()).to_pylist(),
            events.column("details").to_pylist(),
            strict=True,
        )
    ]
    events = events.set_column(0, EVENTS.field("event_id"), pa.array(ids, pa.string()))
    if events.num_rows == 0:
        return events
    return events.sort_by(
        [("start", "ascending"), ("type", "ascending"), ("event_id", "ascending")]
    )


def _valid_positions(
    positions: pa.Table,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], F64, F64]:
    valid = pc.and_(
        pc.is_valid(positions.column("ts")),
        pc.and_(pc.is_valid(positions.column("lat")), pc.is_valid(positions.column("lon"))),
    )
    p = positions.filter(valid)
    m = np.asarray(pc.cast(p.column("mmsi"), pa.int64()).to_numpy(zero_copy_only=False))
    t = np.asarray(pc.cast(p.column("ts"), pa.int64()).to_numpy(zero_copy_only=False))
    la = np.asarray(pc.cast(p.column("lat"), pa.float64()).to_numpy(zero_copy_only=False))
    lo = np.asarray(pc.cast(p.column("lon"), pa.float64()).to_numpy(zero_copy_only=False))
    return m, t, la, lo


def locate_first_after(
    positions: pa.Table, wanted: Sequence[tuple[int, int]], lat: F64, lon: F64
) -> None:
    """For each ``(mmsi, t_us)``: the vessel's first position at or after ``t_us`` (else its
    last before), written into ``lat``/``lon`` in place; NaN stays where it has none."""
    m, t, la, lo = _valid_positions(positions)
    for j, (mmsi, t0) in enumerate(wanted):
        sel = np.flatnonzero(m == mmsi)
        if len(sel) == 0:
            continue
        after = sel[t[sel] >= t0]
        k = after[np.argmin(t[after])] if len(after) else sel[np.argmax(t[sel])]
        lat[j], lon[j] = la[k], lo[k]


def locate_nearest(
    positions: pa.Table, wanted: Sequence[tuple[Sequence[int], int]], lat: F64, lon: F64
) -> None:
    """For each ``(mmsis, t_us)``: the position of those vessels nearest in time to ``t_us``."""
    m, t, la, lo = _valid_positions(positions)
    for j, (mmsis, t0) in enumerate(wanted):
        sel = np.flatnonzero(np.isin(m, np.asarray(list(mmsis), dtype=np.int64)))
        if len(sel):
            k = sel[np.argmin(np.abs(t[sel] - t0))]
            lat[j], lon[j] = la[k], lo[k]
