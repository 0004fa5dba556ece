"""AIS gaps: a vessel silent for hours while away from port (DESIGN.md §7).

A gap is two consecutive positions of one MMSI (after cleaning, across segments) at least
``min_gap_h`` apart. Gaps that *start* within ``min_port_dist_m`` of a port or anchorage
are not reported (vessels commonly switch AIS off in port); gaps that end in port are
(``details.end_port_dist_m`` says so). Open gaps, where the vessel is silent until the end
of the input, are not events: the kernel cannot tell a silence from the end of the data
window, and a later run over more data reports the gap once it closes.

``details.likely_disabled`` follows Welch et al. 2022 in spirit: the gap lasts at least
``disabled_min_gap_h``, starts more than ``disabled_min_shore_dist_nm`` from shore, the
vessel sent at least
``disabled_min_positions_before`` positions in the ``disabled_before_h`` hours before it,
and the area is *well covered*: the 1° cell (``coverage_cell_deg``) of the gap start
received at least ``disabled_min_cell_positions_per_day`` positions per day of data,
counting all vessels (its positions divided by the hours in which the coverage grid has
any position, over 24, at least one day: a long coverage hole does not dilute it).

**Coverage rule** (DESIGN.md §11): a silence is a gap only where the receivers heard
other traffic. The hours strictly inside the silence are looked up in the coverage grid
(:mod:`seawatch.detect.coverage`: positions per ``coverage_cell_deg`` cell per UTC hour,
all vessels) over the cells within ``coverage_ring_cells`` of the cell of the last fix and
of the next fix (3×3 blocks by default); an hour is covered when those cells received at
least ``coverage_min_positions_per_hour`` positions. The silence is reported only when at
least ``min_coverage_fraction`` of its hours are covered; otherwise the data cannot tell a
vessel gone dark from receivers that heard nothing, and the period is a coverage hole
(reported by :mod:`seawatch.report.coverage`, never as an event). ``details.coverage``
gives ``hours``, ``covered_hours``, ``fraction`` and ``positions`` (received in those
cells during those hours). The grid comes from ``coverage`` when given (the engine
computes it over the whole store) or else from the input table itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from seawatch._exceptions import ParameterError
from seawatch._units import KN_TO_MPS, US_PER_H
from seawatch.detect._base import M_PER_NM, GeoContext, build_events, details_json, resolve_geo
from seawatch.detect._prep import points
from seawatch.detect.coverage import (
    Reception,
    check_cell_deg,
    coverage_grid,
    reception_during,
)
from seawatch.geo import haversine_m
from seawatch.schema import EVENTS

TYPE = "gap"
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class GapParams:
    """Parameters of :func:`gaps` (units in the names)."""

    min_gap_h: float = 12.0
    """Shortest silence reported."""
    min_port_dist_m: float = 10_000.0
    """Gaps starting closer than this to a port or anchorage are not reported (0 disables)."""
    disabled_min_shore_dist_nm: float = 50.0
    """``likely_disabled`` needs the gap to start farther than this from shore."""
    disabled_min_gap_h: float = 12.0
    """``likely_disabled`` needs the gap to last this long (Welch et al.: 12 h)."""
    disabled_before_h: float = 12.0
    """Window before the gap in which reception is checked."""
    disabled_min_positions_before: int = 14
    """``likely_disabled`` needs this many positions of the vessel in that window."""
    coverage_cell_deg: float = 1.0
    """Cell size of the reception-density grid."""
    disabled_min_cell_positions_per_day: float = 10.0
    """``likely_disabled`` needs the start cell to receive this many positions per day."""
    min_coverage_fraction: float = 0.5
    """Report a silence only when the cells around its last and next fix heard traffic in
    at least this fraction of its hours (0: report every silence, coverage or not)."""
    coverage_min_positions_per_hour: int = 1
    """Positions (all vessels) those cells must receive in an hour for it to count as covered."""
    coverage_ring_cells: int = 1
    """Cells around the last and the next fix that count (1: a 3×3 block around each)."""

    def __post_init__(self) -> None:
        if self.min_gap_h <= 0:
            raise ParameterError("GapParams: min_gap_h must be > 0")
        check_cell_deg(self.coverage_cell_deg)
        if not 0.0 <= self.min_coverage_fraction <= 1.0:
            raise ParameterError("GapParams: min_coverage_fraction must be within 0..1")
        if self.coverage_min_positions_per_hour < 1 or self.coverage_ring_cells < 0:
            raise ParameterError(
                "GapParams: coverage_min_positions_per_hour must be >= 1, coverage_ring_cells >= 0"
            )


DEFAULT = GapParams()
GFW = GapParams(min_gap_h=6.0, min_port_dist_m=0.0)
"""GFW naive gaps: >= 6 h between consecutive positions, no port filter (pipe-gaps
``min_gap_length: 6``); ``likely_disabled`` keeps the Welch et al. 2022 filters
(gap >= 12 h, > 50 nm from shore, >= 14 positions in the 12 h before, > 10 positions/day
reception). The coverage rule holds in both presets: GFW's gap data comes from a global
feed with known reception; ours may not, and a silence nobody could hear is no gap."""


def gaps(
    table: pa.Table,
    *,
    params: GapParams = DEFAULT,
    geo: GeoContext | None = None,
    coverage: pa.Table | None = None,
) -> pa.Table:
    """Gap events (schema EVENTS) in positions of whole vessels, any row order.

    The event spans the last position before the silence to the first after it; its
    location is the start position. Details: ``start``/``end`` positions, ``distance_nm``,
    ``implied_speed_kn``, ``start_shore_dist_nm``, ``start_port_dist_m``,
    ``end_port_dist_m``, ``positions_before``, ``cell_positions_per_day``,
    ``likely_disabled``, ``coverage`` (see the module docstring). ``coverage``: the
    coverage grid of the whole store (schema
    :data:`seawatch.detect.coverage.COVERAGE`); None computes it from ``table``.
    """
    g = resolve_geo(geo)
    if table.num_rows == 0:
        return EVENTS.empty_table()
    p = points(table, g, by_segment=False)
    min_us = round(params.min_gap_h * US_PER_H)
    same = p.mmsi[1:] == p.mmsi[:-1]
    dt = p.ts[1:] - p.ts[:-1]
    i0 = np.flatnonzero(same & (dt >= min_us))
    if len(i0) == 0:
        return EVENTS.empty_table()
    i1 = i0 + 1
    port_d0, _ = g.nearest_port(p.lat[i0], p.lon[i0])
    keep = (
        port_d0 >= params.min_port_dist_m if params.min_port_dist_m > 0 else np.ones(len(i0), bool)
    )
    i0, i1, port_d0 = i0[keep], i1[keep], port_d0[keep]
    if len(i0) == 0:
        return EVENTS.empty_table()
    grid = (
        coverage
        if coverage is not None
        else coverage_grid(table, cell_deg=params.coverage_cell_deg)
    )
    rec = reception_during(
        grid,
        start_us=p.ts[i0],
        end_us=p.ts[i1],
        lat0=p.lat[i0],
        lon0=p.lon[i0],
        lat1=p.lat[i1],
        lon1=p.lon[i1],
        cell_deg=params.coverage_cell_deg,
        ring=params.coverage_ring_cells,
        min_positions_per_hour=params.coverage_min_positions_per_hour,
    )
    seen = rec.fraction >= params.min_coverage_fraction
    if not seen.all():
        i0, i1, port_d0 = i0[seen], i1[seen], port_d0[seen]
        rec = Reception(
            rec.hours[seen],
            rec.covered_hours[seen],
            rec.positions[seen],
            rec.start_cell_per_day[seen],
        )
        if len(i0) == 0:
            return EVENTS.empty_table()
    port_d1, _ = g.nearest_port(p.lat[i1], p.lon[i1])
    shore0 = g.distance_to_shore_m(p.lat[i0], p.lon[i0])
    dist = haversine_m(p.lat[i0], p.lon[i0], p.lat[i1], p.lon[i1])
    dur_s = (p.ts[i1] - p.ts[i0]) / 1e6
    speed = dist / dur_s / KN_TO_MPS
    # positions of the vessel in the window before the gap (p is sorted by mmsi, ts)
    before_us = round(params.disabled_before_h * US_PER_H)
    grp_start = p.bounds[np.searchsorted(p.bounds, i0, side="right") - 1]
    lo = np.array(
        [
            s0 + np.searchsorted(p.ts[s0 : a + 1], p.ts[a] - before_us)
            for s0, a in zip(grp_start, i0, strict=True)
        ],
        dtype=np.int64,
    )
    n_before = i0 + 1 - lo
    density = rec.start_cell_per_day
    frac = rec.fraction
    disabled = (
        (dur_s >= params.disabled_min_gap_h * 3600.0)
        & (shore0 > params.disabled_min_shore_dist_nm * M_PER_NM)
        & (n_before >= params.disabled_min_positions_before)
        & (density >= params.disabled_min_cell_positions_per_day)
    )
    details = [
        details_json(
            params,
            start={"lat": p.lat[a], "lon": p.lon[a]},
            end={"lat": p.lat[b], "lon": p.lon[b]},
            distance_nm=dist[k] / M_PER_NM,
            implied_speed_kn=speed[k],
            start_shore_dist_nm=shore0[k] / M_PER_NM,
            start_port_dist_m=port_d0[k] if np.isfinite(port_d0[k]) else None,
            end_port_dist_m=port_d1[k] if np.isfinite(port_d1[k]) else None,
            positions_before=int(n_before[k]),
            cell_positions_per_day=density[k],
            likely_disabled=bool(disabled[k]),
            coverage={
                "hours": int(rec.hours[k]),
                "covered_hours": int(rec.covered_hours[k]),
                "fraction": float(frac[k]),
                "positions": int(rec.positions[k]),
            },
        )
        for k, (a, b) in enumerate(zip(i0, i1, strict=True))
    ]
    return build_events(
        types=TYPE,
        start_us=p.ts[i0],
        end_us=p.ts[i1],
        vessels=p.mmsi[i0],
        lat=p.lat[i0],
        lon=p.lon[i0],
        region=list(g.region_of(p.lat[i0], p.lon[i0])),
        details=details,
    )
