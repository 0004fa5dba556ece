"""Reception coverage: what the receivers saw, per 1° cell per UTC hour (DESIGN.md §11).

The *coverage grid* counts, for every spatial cell (``floor(lat / cell_deg)``,
``floor(lon / cell_deg)``) and every UTC hour, the positions received from **all**
vessels and how many distinct vessels sent them (schema :data:`COVERAGE`). It is the one
definition of coverage in seawatch, in two forms that give the same table (tested):

- :data:`COVERAGE_SQL`, portable SQL over a view ``positions`` (DuckDB and Spark run it
  unchanged): the engine runs it over the store's files before the per-vessel step, and
  :mod:`seawatch.report.coverage` over the store's read-only views;
- :func:`coverage_grid`, the same in numpy for one Arrow table (a kernel called without
  the store's grid).

:func:`reception_during` answers the gap detector's question: during a silence of one
vessel, did the receivers hear *other* traffic around its last and next fix, and along
its way between them? A silence
the receivers could not have heard is not a gap but a coverage hole (store-level, see
:mod:`seawatch.report.coverage`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch._units import US_PER_H
from seawatch.detect.sql import render
from seawatch.schema import TS
from seawatch.tracks.columns import f64, group_bounds, i64, ts_us

__all__ = [
    "COVERAGE",
    "COVERAGE_SQL",
    "HOUR_US",
    "Reception",
    "coverage_grid",
    "coverage_sql",
    "merge_grids",
    "reception_during",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
HOUR_US = US_PER_H

COVERAGE = pa.schema(
    [
        pa.field("cell_lat", pa.int32(), nullable=False),
        pa.field("cell_lon", pa.int32(), nullable=False),
        pa.field("hour", TS, nullable=False),
        pa.field("positions", pa.int64(), nullable=False),
        pa.field("vessels", pa.int64(), nullable=False),
    ]
)
"""One row per (cell, UTC hour) with at least one position: ``cell_lat, cell_lon`` (cell
indices, ``floor(deg / cell_deg)``), ``hour`` (start of the UTC hour), ``positions``
(from all vessels) and ``vessels`` (distinct MMSIs). Sorted by cell, then hour."""

COVERAGE_SQL = """
SELECT cell_lat, cell_lon, hour, sum(n) AS positions, count(mmsi) AS vessels
FROM (
    SELECT CAST(floor(lat / {cell_deg}) AS INT) AS cell_lat,
           CAST(floor(lon / {cell_deg}) AS INT) AS cell_lon,
           date_trunc('hour', ts) AS hour,
           mmsi,
           count(*) AS n
    FROM positions
    WHERE ts IS NOT NULL AND lat IS NOT NULL AND lon IS NOT NULL
    GROUP BY CAST(floor(lat / {cell_deg}) AS INT), CAST(floor(lon / {cell_deg}) AS INT),
             date_trunc('hour', ts), mmsi
) per_vessel
GROUP BY cell_lat, cell_lon, hour
ORDER BY cell_lat, cell_lon, hour
"""
"""The coverage grid over a view ``positions`` (portable subset; the session time zone
must be UTC). Render it with :func:`coverage_sql`. Grouped by vessel first, then counted:
the same table as ``count(DISTINCT mmsi)`` per cell and hour (``count(mmsi)`` skips the
group of rows without an MMSI, as DISTINCT does), about twice as fast in DuckDB."""

_MIN_CELL_DEG = 0.01
_LAT_OFF = 1 << 14  # |lat index| <= 9000 < 2**14 for cell_deg >= 0.01: 15 bits
_LON_OFF = 1 << 15  # |lon index| <= 18000 < 2**15: 16 bits (a cell key fits 31 bits)


def check_cell_deg(cell_deg: float) -> None:
    """Raise :class:`ParameterError` unless ``0.01 <= cell_deg <= 180``."""
    if not _MIN_CELL_DEG <= cell_deg <= 180.0:
        raise ParameterError(f"coverage cell size must be 0.01 to 180 degrees, not {cell_deg}")


def coverage_sql(*, cell_deg: float = 1.0) -> str:
    """:data:`COVERAGE_SQL` with the cell size rendered in."""
    check_cell_deg(cell_deg)
    return render(COVERAGE_SQL, cell_deg=float(cell_deg))


def empty_grid() -> pa.Table:
    """An empty coverage grid."""
    return COVERAGE.empty_table()


def as_grid(table: pa.Table) -> pa.Table:
    """A result of :data:`COVERAGE_SQL` cast to :data:`COVERAGE` (column types differ by
    engine)."""
    return table.select(COVERAGE.names).cast(COVERAGE)


def coverage_grid(table: pa.Table, *, cell_deg: float = 1.0) -> pa.Table:
    """The coverage grid (schema :data:`COVERAGE`) of a positions table, in numpy: the same
    table as :data:`COVERAGE_SQL` over it."""
    check_cell_deg(cell_deg)
    return _grid(*_runs(table, cell_deg))


def coverage_of_batches(
    batches: Iterable[pa.RecordBatch | pa.Table], *, cell_deg: float = 1.0
) -> pa.Table:
    """:func:`coverage_grid` of the rows of ``batches`` together, one batch in memory at a
    time: each is reduced to its runs of consecutive rows of one vessel in one cell and
    hour (a store's files are sorted by vessel and time, so a run is most of an hour of a
    vessel's reports) before the runs of all batches are grouped."""
    check_cell_deg(cell_deg)
    runs = [_runs(b if isinstance(b, pa.Table) else pa.Table.from_batches([b]), cell_deg)
            for b in batches]  # fmt: skip
    if not runs:
        return empty_grid()
    key, mmsi, n = (np.concatenate([r[i] for r in runs]) for i in range(3))
    return _grid(key, mmsi, n)


def merge_grids(grids: Iterable[pa.Table]) -> pa.Table:
    """One coverage grid from the grids of **disjoint sets of vessels** (the MMSI ranges of
    the Spark engine's tasks): per cell and hour, their positions and their vessels summed
    (a vessel counted in one grid only, the sum of distinct vessels is the distinct count),
    sorted by cell, then hour: the grid of all their rows together (tested)."""
    parts = [g for g in grids if g.num_rows]
    if not parts:
        return empty_grid()
    table = pa.concat_tables([as_grid(g) for g in parts])
    cl = i64(table, "cell_lat")
    co = i64(table, "cell_lon")
    hour = np.floor_divide(ts_us(table, "hour"), HOUR_US)
    key = _keys(cl, co, hour)
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = group_bounds(key)[:-1]
    positions = np.add.reduceat(i64(table, "positions")[order], starts)
    vessels = np.add.reduceat(i64(table, "vessels")[order], starts)
    return _table(key[starts], positions, vessels)


def _runs(table: pa.Table, cell_deg: float) -> tuple[I64, I64, I64]:
    """``(key, mmsi, rows)`` of each run of consecutive rows with the same (cell, hour)
    key (:func:`_keys`) and vessel, the rows without a time or position left out."""
    none = np.zeros(0, np.int64)
    if table.num_rows == 0:
        return none, none, none
    lat = f64(table, "lat")
    lon = f64(table, "lon")
    valid = pc.is_valid(table.column("ts")).to_numpy(zero_copy_only=False)
    ok = np.asarray(valid, np.bool_) & ~(np.isnan(lat) | np.isnan(lon))
    if not ok.any():
        return none, none, none
    if not ok.all():  # (a null time is left out, as the SQL does, not an error)
        table, lat, lon = table.filter(pa.array(ok)), lat[ok], lon[ok]
    mmsi = i64(table, "mmsi")
    cl = np.floor(lat / cell_deg).astype(np.int64)
    co = np.floor(lon / cell_deg).astype(np.int64)
    key = _keys(cl, co, np.floor_divide(ts_us(table), HOUR_US))
    first = np.ones(len(key), np.bool_)
    first[1:] = (key[1:] != key[:-1]) | (mmsi[1:] != mmsi[:-1])
    starts = np.flatnonzero(first)
    rows = np.diff(np.append(starts, len(key)))
    return key[starts], mmsi[starts], rows


def _grid(key: I64, mmsi: I64, rows: I64) -> pa.Table:
    """The grid of runs: per (cell, hour), the rows of its runs and its distinct vessels."""
    if len(key) == 0:
        return empty_grid()
    order = np.lexsort((mmsi, key))
    key, mmsi, rows = key[order], mmsi[order], rows[order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    new_vessel = np.concatenate(([True], (key[1:] != key[:-1]) | (mmsi[1:] != mmsi[:-1])))
    vessels = np.add.reduceat(new_vessel.astype(np.int64), starts)
    positions = np.add.reduceat(rows, starts)
    return _table(key[starts], positions, vessels)


def _table(key: I64, positions: I64, vessels: I64) -> pa.Table:
    """A grid from its (cell, hour) keys (:func:`_keys`, ascending) and their counts."""
    ucl, uco, uhour = _unkeys(key)
    return pa.table(
        {
            "cell_lat": pa.array(ucl.astype(np.int32), pa.int32()),
            "cell_lon": pa.array(uco.astype(np.int32), pa.int32()),
            "hour": pa.array(uhour * HOUR_US, pa.int64()).cast(TS),
            "positions": pa.array(positions, pa.int64()),
            "vessels": pa.array(vessels, pa.int64()),
        },
        schema=COVERAGE,
    )


def _cell_keys(cl: I64, co: I64) -> I64:
    return (cl + _LAT_OFF) * (1 << 16) + (co + _LON_OFF)


def _keys(cl: I64, co: I64, hour: I64) -> I64:
    """One sortable int64 per (cell, hour): the cell in the top 31 bits, hour + 2**31 in
    the low 32 (hours since 1970, within +-2**31)."""
    return (_cell_keys(cl, co) << 32) | (hour + (1 << 31))


def _unkeys(key: I64) -> tuple[I64, I64, I64]:
    cell = key >> 32
    hour = (key & 0xFFFFFFFF) - (1 << 31)
    return (cell >> 16) - _LAT_OFF, (cell & 0xFFFF) - _LON_OFF, hour


@dataclass(frozen=True, slots=True)
class Reception:
    """What the receivers heard around each silence (arrays, one entry per silence)."""

    hours: I64
    """UTC hours the silence covers strictly inside it (the hours of its own last and
    next fix are left out, unless the silence lies within two hours: then those)."""
    covered_hours: I64
    """Of those, the hours in which the cells around the last or the next fix, or around
    where the vessel would have been that hour (:func:`reception_during`), received at
    least ``min_positions_per_hour`` positions (all vessels; the silent one sent none)."""
    positions: I64
    """Positions received in those cells during those hours."""
    start_cell_per_day: F64
    """Positions per day of data in the cell of the last fix: its positions over the whole
    grid / (the hours in which anything was heard anywhere / 24, at least one day), so a
    store with a long coverage hole does not dilute it."""

    @property
    def fraction(self) -> F64:
        """``covered_hours / hours`` (1 where there are no hours)."""
        h = self.hours.astype(np.float64)
        return np.where(h > 0, self.covered_hours / np.maximum(h, 1.0), 1.0)


MAX_PATH_HOURS = 24 * 92
"""Silences longer than this (about three months) are looked up around their two fixes
only, not along the path between them (bounds the work of :func:`reception_during`)."""


def lon_ring(lat: F64, ring: int) -> I64:
    """Cells of longitude on each side that span about as many metres as ``ring`` cells of
    latitude at ``lat`` (``ring / cos(lat)``, rounded, at least ``ring``): a 1° cell is
    111 km wide at the equator and 40 km at 69°N, so a fixed ring would look at a third of
    the area there."""
    c = np.cos(np.radians(np.minimum(np.abs(lat), 89.0)))
    return np.maximum(np.rint(ring / c), ring).astype(np.int64)


def _block(cl: I64, co: I64, rl: I64, ring: int, n_lon: int) -> tuple[I64, I64, I64]:
    """The cells within ``ring`` cells of latitude and ``rl`` of longitude of each cell
    ``(cl, co)`` (longitude wrapped round the antimeridian), and the index of the cell
    each came from."""
    width = np.minimum(2 * rl + 1, n_lon)
    dl = np.arange(-ring, ring + 1, dtype=np.int64)
    per = width * len(dl)
    src = np.repeat(np.arange(len(cl), dtype=np.int64), per)
    k = np.arange(int(per.sum()), dtype=np.int64) - np.repeat(np.cumsum(per) - per, per)
    w = np.repeat(width, per)
    lat_i = cl[src] + dl[k // w]
    lon_i = co[src] + (k % w) - np.repeat(np.minimum(rl, (n_lon - 1) // 2), per)
    half = n_lon // 2
    return lat_i, (lon_i + half) % n_lon - half, src


def reception_during(
    grid: pa.Table,
    *,
    start_us: I64,
    end_us: I64,
    lat0: F64,
    lon0: F64,
    lat1: F64,
    lon1: F64,
    cell_deg: float = 1.0,
    ring: int = 1,
    min_positions_per_hour: int = 1,
) -> Reception:
    """Reception during each silence ``start_us .. end_us`` between a last fix
    ``(lat0, lon0)`` and a next fix ``(lat1, lon1)``, hour by hour, from the coverage
    ``grid`` (schema :data:`COVERAGE`). An hour counts the cells near either fix and near
    where the vessel would have been that hour had it sailed straight from one to the
    other (its position interpolated at the middle of the hour; for silences of at most
    :data:`MAX_PATH_HOURS`), each cell counted once: "near" is within ``ring`` cells of
    latitude and :func:`lon_ring` cells of longitude (a 3×3 block for ``ring=1`` at low
    latitudes, about as many kilometres wide at high ones). Without the path, a vessel
    silent while it crossed several cells was judged by reception where it no longer was:
    at 69°N a 10-knot ship leaves a 3×3 block in four hours. Work is proportional to the
    grid rows found and to the hours of the silences that left their fixes' blocks."""
    check_cell_deg(cell_deg)
    n = len(start_us)
    hours = np.zeros(n, np.int64)
    covered = np.zeros(n, np.int64)
    pos = np.zeros(n, np.int64)
    per_day = np.zeros(n, np.float64)
    if n == 0:
        return Reception(hours, covered, pos, per_day)
    lat0, lon0, lat1, lon1 = (np.asarray(a, np.float64) for a in (lat0, lon0, lat1, lon1))
    start_us, end_us = np.asarray(start_us, np.int64), np.asarray(end_us, np.int64)
    h_first = np.floor_divide(start_us, HOUR_US)
    h_last = np.floor_divide(end_us, HOUR_US)
    inner = h_last - h_first >= 2
    h0 = np.where(inner, h_first + 1, h_first)
    h1 = np.where(inner, h_last - 1, h_last)
    hours[:] = h1 - h0 + 1
    if grid.num_rows == 0:
        return Reception(hours, covered, pos, per_day)
    n_lon = max(1, round(360.0 / cell_deg))

    def cells(lat: F64, lon: F64) -> tuple[I64, I64]:
        half = n_lon // 2
        co = np.floor(lon / cell_deg).astype(np.int64)
        return np.floor(lat / cell_deg).astype(np.int64), (co + half) % n_lon - half

    cells0, cells1 = cells(lat0, lon0), cells(lat1, lon1)
    # the fixes' blocks, both fixes of a silence together
    fl, fo, fsrc = _block(
        np.concatenate((cells0[0], cells1[0])),
        np.concatenate((cells0[1], cells1[1])),
        np.concatenate((lon_ring(lat0, ring), lon_ring(lat1, ring))),
        ring,
        n_lon,
    )
    fsrc = fsrc % n
    # the path: one interpolated position per hour of each silence whose next fix lies
    # outside its last fix's block
    far = (np.abs(cells1[0] - cells0[0]) > ring) | (
        np.abs((cells1[1] - cells0[1] + n_lon // 2) % n_lon - n_lon // 2) > lon_ring(lat0, ring)
    )
    walk = np.flatnonzero(far & (hours <= MAX_PATH_HOURS) & (end_us > start_us))
    n_h = hours[walk]
    p_src = np.repeat(walk, n_h)
    p_hour = np.repeat(h0[walk], n_h) + (
        np.arange(int(n_h.sum()), dtype=np.int64) - np.repeat(np.cumsum(n_h) - n_h, n_h)
    )
    f = np.clip(
        ((p_hour * HOUR_US + HOUR_US // 2) - start_us[p_src])
        / (end_us[p_src] - start_us[p_src]).astype(np.float64),
        0.0,
        1.0,
    )
    dlon = (lon1[p_src] - lon0[p_src] + 180.0) % 360.0 - 180.0
    p_lat = lat0[p_src] + f * (lat1[p_src] - lat0[p_src])
    p_lon = (lon0[p_src] + f * dlon + 180.0) % 360.0 - 180.0
    pc_l, pc_o = cells(p_lat, p_lon)
    pl, po, prow = _block(pc_l, pc_o, lon_ring(p_lat, ring), ring, n_lon)
    p_key = _keys(pl, po, p_hour[prow])
    p_of = p_src[prow]
    # the hours with data (for the per-day density) from the whole grid, then only the rows
    # that can matter: cells near a fix or a path (a superset: latitude and longitude apart)
    hours_heard = int(pc.count_distinct(grid.column("hour")).as_py())
    span_days = max(hours_heard / 24.0, 1.0)
    lats = np.unique(np.concatenate((fl, pl)))
    lons = np.unique(np.concatenate((fo, po)))
    mask = pc.and_(
        pc.is_in(pc.cast(grid.column("cell_lat"), pa.int64()), pa.array(lats, pa.int64())),
        pc.is_in(pc.cast(grid.column("cell_lon"), pa.int64()), pa.array(lons, pa.int64())),
    )
    sub = grid.filter(mask)
    g_hour = np.floor_divide(ts_us(sub, "hour"), HOUR_US)
    g_key = _keys(i64(sub, "cell_lat"), i64(sub, "cell_lon"), g_hour)
    g_pos = i64(sub, "positions")
    if len(g_key) > 1 and not (g_key[1:] >= g_key[:-1]).all():
        order = np.argsort(g_key, kind="stable")
        g_key, g_pos, g_hour = g_key[order], g_pos[order], g_hour[order]
    # positions per day in the start cell (all hours of the grid)
    c0 = _cell_keys(*cells0)
    lo = np.searchsorted(g_key, c0 << 32, side="left")
    hi = np.searchsorted(g_key, (c0 << 32) | 0xFFFFFFFF, side="right")
    csum = np.concatenate(([0], np.cumsum(g_pos)))
    per_day[:] = (csum[hi] - csum[lo]) / span_days
    # the path's (cell, hour) keys found in the grid, by silence
    at = np.searchsorted(g_key, p_key, side="left")
    hit = at < len(g_key)
    hit[hit] = g_key[at[hit]] == p_key[hit]
    p_rows, p_of = at[hit], p_of[hit]
    p_order = np.argsort(p_of, kind="stable")
    p_rows, p_of = p_rows[p_order], p_of[p_order]
    p_lo = np.searchsorted(p_of, np.arange(n), side="left")
    p_hi = np.searchsorted(p_of, np.arange(n), side="right")
    f_order = np.argsort(fsrc, kind="stable")
    f_cells = _cell_keys(fl, fo)[f_order]
    f_lo = np.searchsorted(fsrc[f_order], np.arange(n), side="left")
    f_hi = np.searchsorted(fsrc[f_order], np.arange(n), side="right")
    for k in range(n):
        ck = np.unique(f_cells[f_lo[k] : f_hi[k]])
        a = np.searchsorted(g_key, (ck << 32) | (h0[k] + (1 << 31)), side="left")
        b = np.searchsorted(g_key, (ck << 32) | (h1[k] + (1 << 31)), side="right")
        sel = [np.arange(x, y) for x, y in zip(a.tolist(), b.tolist(), strict=True) if y > x]
        if p_hi[k] > p_lo[k]:
            sel.append(p_rows[p_lo[k] : p_hi[k]])
        if not sel:
            continue
        idx = np.unique(np.concatenate(sel))
        uh, inv = np.unique(g_hour[idx], return_inverse=True)
        per_hour = np.bincount(inv, weights=g_pos[idx], minlength=len(uh))
        covered[k] = int(np.count_nonzero(per_hour >= min_positions_per_hour))
        pos[k] = int(g_pos[idx].sum())
    return Reception(hours, covered, pos, per_day)
