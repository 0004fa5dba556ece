"""What the data can and cannot see (DESIGN.md §11): the opening *data* section of the
brief, the store's coverage holes, and the coverage grid of a store.

The coverage grid itself (positions per cell per UTC hour, all vessels) is defined once,
in :mod:`seawatch.detect.coverage`; this module reads it for a store and summarises it.

- :func:`coverage_holes`: periods of at least ``min_hours`` whole UTC hours inside the
  data's span in which the store received **no position at all** (in the regions asked
  for). Nothing can be seen there: the gap detector never reports a silence across such a
  period (its coverage rule looks at the cells around the vessel; a store-level hole is
  the extreme case), and the brief lists the holes instead.
- :func:`data_summary`: span (UTC dates), positions, vessels, median reports per vessel
  per hour and per day, median track length, coverage holes, sources real and simulated
  (positions, vessels and events of each, kept apart), and warnings where the data is too
  thin for a detector.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch.detect.coverage import HOUR_US, coverage_grid

__all__ = [
    "DataParams",
    "coverage_holes",
    "data_summary",
    "store_coverage",
]

I64 = npt.NDArray[np.int64]
DAY_US = 24 * HOUR_US


@dataclass(frozen=True, slots=True)
class DataParams:
    """Thresholds of the data section's holes and warnings."""

    min_hole_h: int = 6
    """Shortest run of whole UTC hours without any position reported as a coverage hole."""
    gap_min_reports_per_vessel_day: float = 24.0
    """Below this median (positions per vessel per day heard), silences of 12 h and more
    are the sampling of the data, not behaviour: the brief warns that gaps are unreliable."""
    pair_min_track_h: float = 2.0
    """Below this median track length (first to last position of a vessel), encounters
    (>= 2 h together) and loitering (>= 4 h) cannot be seen: the brief warns."""
    max_holes_listed: int = 20
    """Holes listed in the section (the longest first); all are counted."""


class PositionsSource(Protocol):
    """What :func:`store_coverage` needs of :class:`seawatch.store.Store`."""

    def positions(
        self,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        columns: list[str] | None = None,
    ) -> pa.Table: ...


def store_coverage(
    store: PositionsSource,
    *,
    cell_deg: float = 1.0,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
) -> pa.Table:
    """The coverage grid (schema :data:`seawatch.detect.coverage.COVERAGE`) of the store's
    positions in ``[since, until)``."""
    positions = store.positions(since=since, until=until, columns=["mmsi", "ts", "lat", "lon"])
    return coverage_grid(positions, cell_deg=cell_deg)


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def coverage_holes(ts_us: I64, *, min_hours: int = 6) -> list[dict[str, Any]]:
    """Runs of at least ``min_hours`` whole UTC hours with no timestamp in ``ts_us``,
    between the first and the last: ``start`` (first silent hour), ``end`` (the hour data
    resumes), ``hours``; in time order."""
    if len(ts_us) == 0:
        return []
    hours = np.unique(np.floor_divide(ts_us, HOUR_US))
    step = np.diff(hours)
    at = np.flatnonzero(step - 1 >= min_hours)
    return [
        {
            "start": _iso(int(hours[i] + 1) * HOUR_US),
            "end": _iso(int(hours[i + 1]) * HOUR_US),
            "hours": int(step[i] - 1),
        }
        for i in at.tolist()
    ]


def _median(values: npt.NDArray[Any]) -> float | None:
    return None if len(values) == 0 else round(float(np.median(values)), 2)


def _group_counts(*keys: I64) -> I64:
    """Rows per distinct key tuple."""
    if len(keys[0]) == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort(keys[::-1])
    sk = [k[order] for k in keys]
    new = np.zeros(len(order), np.bool_)
    new[0] = True
    for k in sk:
        new[1:] |= k[1:] != k[:-1]
    starts = np.flatnonzero(new)
    return np.diff(np.concatenate((starts, [len(order)]))).astype(np.int64)


def _part(mmsi: I64, mask: npt.NDArray[np.bool_]) -> dict[str, int]:
    return {"positions": int(mask.sum()), "vessels": len(np.unique(mmsi[mask]))}


def data_summary(
    positions: pa.Table,
    *,
    events: pa.Table | None = None,
    simulated_sources: frozenset[str] | set[str] = frozenset(),
    regions: Sequence[str] | None = None,
    params: DataParams | None = None,
) -> dict[str, Any]:
    """The brief's *data* section for ``positions`` (already limited to the period) and
    the brief's ``events`` (already filtered): see the module docstring. With ``regions``,
    only positions in those named regions count."""
    p = params if params is not None else DataParams()
    if regions and positions.num_rows:
        from seawatch.geo import region_of

        lat = np.asarray(pc.cast(positions.column("lat"), pa.float64()).to_numpy(False))
        lon = np.asarray(pc.cast(positions.column("lon"), pa.float64()).to_numpy(False))
        where = region_of(lat, lon)
        keep = np.isin(where.astype(str), np.array(list(regions), dtype=str))
        positions = positions.filter(pa.array(keep & (where != None)))  # noqa: E711
    ts_col = positions.column("ts")
    ok = np.asarray(pc.is_valid(ts_col).to_numpy(False), np.bool_)
    ts = np.asarray(pc.cast(ts_col, pa.int64()).to_numpy(False), np.int64)[ok]
    mmsi = np.asarray(pc.cast(positions.column("mmsi"), pa.int64()).to_numpy(False), np.int64)[ok]
    if "source" in positions.column_names:
        src = np.asarray(
            pc.cast(positions.column("source"), pa.string()).to_numpy(False), dtype=object
        )[ok]
        is_sim = np.isin(src.astype(str), np.array(sorted(simulated_sources), dtype=str))
        is_sim &= src != None  # noqa: E711
        sim_names = sorted({str(s) for s in src[is_sim]})
    else:
        is_sim = np.zeros(len(ts), np.bool_)
        sim_names = []
    hour = np.floor_divide(ts, HOUR_US)
    day = np.floor_divide(ts, DAY_US)
    per_hour = _group_counts(mmsi, hour)
    per_day = _group_counts(mmsi, day)
    span_h: npt.NDArray[np.float64] = np.zeros(0, np.float64)
    if len(ts):
        order = np.lexsort((ts, mmsi))
        m_s, t_s = mmsi[order], ts[order]
        first = np.flatnonzero(np.concatenate(([True], m_s[1:] != m_s[:-1])))
        last = np.concatenate((first[1:] - 1, [len(m_s) - 1]))
        span_h = (t_s[last] - t_s[first]) / float(HOUR_US)
    holes = coverage_holes(ts, min_hours=p.min_hole_h)
    hours_spanned = int(hour.max() - hour.min() + 1) if len(ts) else 0
    hours_with_data = len(np.unique(hour))
    out: dict[str, Any] = {
        "first": _iso(int(ts.min())) if len(ts) else None,
        "last": _iso(int(ts.max())) if len(ts) else None,
        "first_day": _iso(int(ts.min()))[:10] if len(ts) else None,
        "last_day": _iso(int(ts.max()))[:10] if len(ts) else None,
        "days_with_data": len(np.unique(day)),
        "positions": len(ts),
        "vessels": len(np.unique(mmsi)),
        "median_reports_per_vessel_hour": _median(per_hour),
        "median_reports_per_vessel_day": _median(per_day),
        "median_track_h": _median(span_h),
        "hours_spanned": hours_spanned,
        "hours_with_data": hours_with_data,
        "coverage_holes": sorted(holes, key=lambda h: -h["hours"])[: p.max_holes_listed],
        "coverage_holes_count": len(holes),
        "coverage_holes_hours": sum(h["hours"] for h in holes),
        "real": _part(mmsi, ~is_sim),
        "simulated": {**_part(mmsi, is_sim), "sources": sim_names},
    }
    out["real"]["events"], out["simulated"]["events"] = _event_split(events)
    out["warnings"] = _warnings(out, p)
    return out


def _event_split(events: pa.Table | None) -> tuple[int, int]:
    if events is None or events.num_rows == 0:
        return 0, 0
    if "simulated" not in events.column_names:
        return events.num_rows, 0
    sim = int(pc.sum(pc.fill_null(events.column("simulated"), False)).as_py() or 0)
    return events.num_rows - sim, sim


def _warnings(d: Mapping[str, Any], p: DataParams) -> list[str]:
    out: list[str] = []
    if d["positions"] == 0:
        return ["no positions in this period: nothing can be seen, every count is 0 by absence"]
    per_day = d["median_reports_per_vessel_day"]
    if per_day is not None and per_day < p.gap_min_reports_per_vessel_day:
        out.append(
            f"gaps: a median of {per_day:g} positions per vessel per day is too thin; "
            "long silences there are the sampling of the data, not behaviour"
        )
    track = d["median_track_h"]
    if track is not None and track < p.pair_min_track_h:
        out.append(
            f"encounters and loitering: the median vessel track lasts {track:g} h, shorter "
            f"than an encounter ({p.pair_min_track_h:g} h); most cannot be seen in this data"
        )
    if d["coverage_holes_count"]:
        out.append(
            f"coverage: {d['coverage_holes_count']} period(s) without any reception, "
            f"{d['coverage_holes_hours']:,} h in all; nothing is seen there, and silences "
            "across them are not counted as gaps"
        )
    if d["hours_spanned"] and d["hours_with_data"] < 0.5 * d["hours_spanned"]:
        out.append(
            f"coverage: positions in {d['hours_with_data']:,} of the {d['hours_spanned']:,} "
            "hours spanned"
        )
    sim, real = d["simulated"]["positions"], d["real"]["positions"]
    if sim and real:
        out.append(
            f"simulated data: {sim:,} of {sim + real:,} positions and "
            f"{d['simulated']['events']:,} events come from simulated input; they are "
            "counted apart from the real data"
        )
    elif sim:
        out.append("simulated data: every position here comes from simulated input")
    return out
