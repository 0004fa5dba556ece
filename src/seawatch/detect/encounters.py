"""Encounters: two vessels close together, slowly, far from port, for hours (DESIGN.md §7).

Input is the 10-minute resampled slot table of :func:`seawatch.tracks.resample`
(schema :data:`seawatch.tracks.SLOTS`). Two vessels are *close* in a slot when their
great-circle distance is at most ``max_dist_m``. Close slots of a pair separated by at most
``max_missing_slots`` missing slots form a raw encounter, as do close slots up to
``max_unseen_h`` apart when one of the two vessels has no slot at all in between (nothing
says they parted: a reception hole, or one of them dark during the transfer); with
``merge_gap_h`` > 0 (GFW),
raw encounters of at least ``raw_min_duration_h`` that are less than ``merge_gap_h`` apart
are merged. An encounter is reported when it lasts ``min_duration_h`` or more (first to
last close slot), the median speed of *both* vessels over its close slots is below
``max_median_speed_kn``, and its mean position is at least ``min_port_dist_m`` from any
port or anchorage. Three vessels rafted together give three pair events.

The pair search and the merging are portable SQL (:data:`CLOSE_PAIRS_SQL`,
:data:`ISLANDS_SQL`, :data:`EVENTS_SQL`), run by a :class:`~seawatch.detect.sql.SqlRunner`
(DuckDB by default):

1. *Spatial cells with a halo.* Latitude bands ``floor(lat / cell)`` with ``cell`` just
   over ``max_dist_m`` in degrees; within a band, longitude cells are widened by
   ``1 / cos`` of the largest latitude of the band and its neighbours, so that a cell is
   at least ``max_dist_m`` wide everywhere (exact up to 89° latitude). Each slot is copied
   into its own cell and its 4 forward neighbours (a ``VALUES`` cross join: a halo of half
   the 8 neighbours, which is enough because the relation is symmetric) and joined to the
   slots *of the same time* whose home cell is that cell: a pair within range lies in
   neighbouring cells and is found exactly once, whatever cell edge it sits on.
2. Haversine distance (``radians``/``asin``) and the ``max_dist_m`` filter.
3. *Gaps and islands*: ``LAG`` over each pair's close slots flags breaks, a running
   ``SUM() OVER (ROWS ...)`` numbers the islands; aggregated with ``median`` speeds.

Because a slot only ever joins slots of the same time, the pair step partitions exactly by
time; :class:`EncounterStream` feeds the merge step window by window and carries the close
slots of encounters still open at a window's end into the next window, so an encounter that
crosses UTC midnight (or any partition edge) comes out whole and exactly once.

Pairs straddling the antimeridian (±180° longitude) are joined like any other: each row's
cells go round the globe, so the last cell before it neighbours the first after it, and
midpoints and mean longitudes are taken on the short side (see :data:`CLOSE_PAIRS_SQL`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch._units import EARTH_RADIUS_M as EARTH_RADIUS_M
from seawatch._units import M_PER_DEG as M_PER_DEG
from seawatch.detect._base import GeoContext, build_events, details_json, resolve_geo
from seawatch.detect.sql import DuckDBRunner, SqlRunner, render
from seawatch.schema import EVENTS
from seawatch.tracks import ResampleParams, previous_slots

__all__ = [
    "CLOSE_PAIRS_SQL",
    "DEFAULT",
    "EVENTS_SQL",
    "GFW",
    "ISLANDS_SQL",
    "PRESETS",
    "TYPE",
    "EncounterParams",
    "EncounterStream",
    "close_pairs",
    "close_pairs_sql",
    "encounters",
]

TYPE = "encounter"
INCIDENT_KIND = "engagement"
"""Events of one incident kind with the same vessels overlapping in time are one incident
(:mod:`seawatch.detect.incidents`)."""
_CELL_MARGIN = 1.01  # covers the second-order terms of the small-distance approximation

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class EncounterParams:
    """Parameters of :func:`encounters` (units in the names)."""

    max_dist_m: float = 500.0
    """Two vessels are close in a slot at this distance or less."""
    min_duration_h: float = 2.0
    """Shortest encounter reported (first to last close slot)."""
    max_median_speed_kn: float = 2.0
    """Both vessels' median speed over the close slots must be below this."""
    min_port_dist_m: float = 10_000.0
    """The encounter's mean position must be at least this far from any port/anchorage."""
    max_missing_slots: int = 1
    """Close slots separated by up to this many missing slots stay one encounter."""
    raw_min_duration_h: float = 0.0
    """Raw encounters shorter than this are dropped before merging (GFW raw stage)."""
    merge_gap_h: float = 0.0
    """Raw encounters less than this apart are merged (0: no merging; GFW: 4 h)."""
    slot_min: float = 10.0
    """Length of a resampled slot in minutes (the grid of :func:`seawatch.tracks.resample`)."""
    max_interp_gap_h: float = 1.0
    """The resampler never interpolates across reports this far apart (GFW: 1 h)..."""
    max_still_gap_h: float = 3.0
    """...unless the vessel stayed still across it (below 1 kn, reported and net), up to
    this long (0: never, as GFW). Satellite AIS on the high seas, where transfers happen,
    often hears a drifting vessel once an hour or less."""
    max_unseen_h: float = 6.0
    """Close slots of a pair this far apart or less stay one encounter when one of the two
    vessels has no slot at all in between: no evidence they parted, as when both go
    unheard in a reception hole or one switches its AIS off alongside (0: never, as GFW;
    it then splits into two encounters, each counted). ``details.longest_unseen_h`` says
    how long the longest such stretch was, and the confidence counts it as unobserved."""

    def __post_init__(self) -> None:
        if min(self.max_dist_m, self.slot_min, self.max_interp_gap_h) <= 0:
            raise ParameterError("EncounterParams: distances and slot lengths must be > 0")
        if self.max_still_gap_h < 0 or not self.max_unseen_h >= 0:  # NaN too
            raise ParameterError("EncounterParams: max_still_gap_h and max_unseen_h must be >= 0")
        if min(self.min_duration_h, self.raw_min_duration_h, self.merge_gap_h) < 0:
            raise ParameterError("EncounterParams: durations must be >= 0")
        if self.max_median_speed_kn <= 0 or self.min_port_dist_m < 0:
            raise ParameterError("EncounterParams: max_median_speed_kn > 0, min_port_dist_m >= 0")
        if self.max_missing_slots < 0:
            raise ParameterError("EncounterParams: max_missing_slots >= 0")

    @property
    def slot_us(self) -> int:
        """Slot length in microseconds."""
        return round(self.slot_min * 60e6)

    @property
    def join_slots(self) -> int:
        """Largest step between close slots of one raw encounter, in slots."""
        return 1 + self.max_missing_slots

    @property
    def unseen_slots(self) -> int:
        """Largest step between close slots of one raw encounter with one of the vessels
        unseen in between, in slots (at least :attr:`join_slots`)."""
        below = math.floor(self.max_unseen_h * 60 / self.slot_min + 1e-9)
        return max(self.join_slots, below)

    @property
    def merge_slots(self) -> int:
        """Largest step between close slots of one (merged) encounter, in slots."""
        # the largest whole step strictly below merge_gap_h ("less than 4 h apart")
        below = math.ceil(self.merge_gap_h * 60 / self.slot_min - 1e-9) - 1
        return max(self.join_slots, below)

    def slots_for(self, hours: float) -> int:
        """A duration in hours as a whole number of slots (rounded up)."""
        return math.ceil(hours * 60 / self.slot_min - 1e-9)


DEFAULT = EncounterParams()
GFW = EncounterParams(
    raw_min_duration_h=1.0, merge_gap_h=4.0, max_still_gap_h=0.0, max_unseen_h=0.0
)
"""GFW: 500 m in 10-minute slots, no interpolation across >= 1 h (pipe-encounters
``create_raw_pipeline.py``, ``transforms/resample.py``); raw encounters of >= 60 min
(README example) merged when < 4 h apart (``merge_pipeline.py``,
``min_hours_between_encounters=4``); published events > 2 h, median speed < 2 kn, >= 10 km
from an anchorage (``pipe-events`` ``encounter-events.sql.j2``). See docs/PEERS.md (b)."""


def slot_params(params: EncounterParams) -> ResampleParams:
    """The slots encounters are searched in: ``slot_min`` long, interpolated across gaps up
    to ``max_interp_gap_h`` (``max_still_gap_h`` for a vessel still across the gap)."""
    return ResampleParams(
        slot_min=params.slot_min,
        max_gap_h=params.max_interp_gap_h,
        still_gap_h=params.max_still_gap_h,
    )


PRESETS = {"default": DEFAULT, "gfw": GFW}
"""Encounter parameters of each preset (merged into the engine's preset registry)."""


# --------------------------------------------------------------------------------------
# portable SQL

CLOSE_PAIRS_SQL = """
WITH s AS (
  SELECT mmsi, slot_no, prev_no, lat, lon, sog_kn, interp,
         CAST(floor(lat / {cell}) AS BIGINT) AS cy
  FROM slots
),
a AS (
  SELECT mmsi, slot_no, prev_no, lat, lon, sog_kn, interp, cy,
         CAST(floor(3.6e2 / ({cell} / cos(radians(least(8.9e1,
              greatest(abs((cy - 1) * {cell}), abs((cy + 2) * {cell}))))))) AS BIGINT) AS n
  FROM s
),
offs AS (
  SELECT dy, dx FROM (VALUES (0, 0), (0, 1), (1, -1), (1, 0), (1, 1)) AS o(dy, dx)
),
h0 AS (
  SELECT s.mmsi, s.slot_no, s.prev_no, s.lat, s.lon, s.sog_kn, s.interp,
         o.dy + o.dx * o.dx AS fwd,
         s.cy + o.dy AS cy, o.dx AS dx,
         CAST(floor(3.6e2 / ({cell} / cos(radians(least(8.9e1,
              greatest(abs((s.cy + o.dy - 1) * {cell}), abs((s.cy + o.dy + 2) * {cell})))))))
              AS BIGINT) AS n
  FROM s CROSS JOIN offs o
),
h AS (
  SELECT mmsi, slot_no, prev_no, lat, lon, sog_kn, interp, fwd, cy,
         ((CAST(floor((lon + 1.8e2) * greatest(n, 1) / 3.6e2) AS BIGINT) + dx)
           % greatest(n, 1) + greatest(n, 1)) % greatest(n, 1) AS cx
  FROM h0
),
ac AS (
  SELECT mmsi, slot_no, prev_no, lat, lon, sog_kn, interp, cy,
         (CAST(floor((lon + 1.8e2) * greatest(n, 1) / 3.6e2) AS BIGINT) % greatest(n, 1)
           + greatest(n, 1)) % greatest(n, 1) AS cx
  FROM a
),
j AS (
  SELECT least(a.mmsi, h.mmsi) AS mmsi_a, greatest(a.mmsi, h.mmsi) AS mmsi_b, a.slot_no,
         (a.lat + h.lat) / 2 AS lat,
         CASE WHEN h.lon - a.lon > 1.8e2 THEN (a.lon + h.lon - 3.6e2) / 2
              WHEN h.lon - a.lon < -1.8e2 THEN (a.lon + h.lon + 3.6e2) / 2
              ELSE (a.lon + h.lon) / 2 END AS lon0,
         CASE WHEN a.mmsi < h.mmsi THEN a.sog_kn ELSE h.sog_kn END AS sog_a,
         CASE WHEN a.mmsi < h.mmsi THEN h.sog_kn ELSE a.sog_kn END AS sog_b,
         CASE WHEN a.mmsi < h.mmsi THEN a.prev_no ELSE h.prev_no END AS prev_a,
         CASE WHEN a.mmsi < h.mmsi THEN h.prev_no ELSE a.prev_no END AS prev_b,
         CASE WHEN a.interp OR h.interp THEN 0e0 ELSE 1e0 END AS observed,
         2 * {radius} * asin(sqrt(least(1e0,
             power(sin(radians(h.lat - a.lat) / 2), 2)
             + cos(radians(a.lat)) * cos(radians(h.lat))
               * power(sin(radians(h.lon - a.lon) / 2), 2)))) AS dist_m
  FROM ac AS a JOIN h ON a.slot_no = h.slot_no AND a.cy = h.cy AND a.cx = h.cx
  WHERE a.mmsi <> h.mmsi AND (h.fwd > 0 OR a.mmsi < h.mmsi)
),
jn AS (
  SELECT *, CASE WHEN lon0 < -1.8e2 THEN lon0 + 3.6e2
                 WHEN lon0 >= 1.8e2 THEN lon0 - 3.6e2 ELSE lon0 END AS lon
  FROM j
)
SELECT mmsi_a, mmsi_b, slot_no, min(dist_m) AS dist_m, {mean_lat} AS lat, {mean_lon} AS lon,
       {mean_sog_a} AS sog_a, {mean_sog_b} AS sog_b, max(observed) AS observed,
       max(prev_a) AS prev_a, max(prev_b) AS prev_b
FROM jn
WHERE dist_m <= {max_dist_m}
GROUP BY mmsi_a, mmsi_b, slot_no
"""
"""Close pairs: one row per pair (``mmsi_a < mmsi_b``) and slot within ``max_dist_m``.

View ``slots(mmsi BIGINT, slot_no BIGINT, prev_no BIGINT, lat, lon, sog_kn DOUBLE, interp
BOOLEAN)`` (``prev_no``: the vessel's previous slot, see :func:`slot_view`).
Cells are rows of latitude, each cut into a whole number of equal longitude cells around
the globe (at least the width the distance needs at that latitude), so the last cell
before the antimeridian neighbours the first after it; midpoints and means of longitude
are taken across it. Each slot is copied into its own cell and the 4 *forward* neighbours
(north row and east);
a pair in one cell is joined once (``a.mmsi < b.mmsi``), a pair in two neighbouring cells
once from whichever of the two sees the other forward. A vessel with parallel segments in
one slot keeps its closest one (``min(dist_m)``)."""

ISLANDS_SQL = """
WITH l AS (
  SELECT mmsi_a, mmsi_b, slot_no, dist_m, lat, lon, sog_a, sog_b, observed, prev_a, prev_b,
         LAG(slot_no) OVER (PARTITION BY mmsi_a, mmsi_b ORDER BY slot_no) AS last_close
  FROM close
),
j AS (
  SELECT mmsi_a, mmsi_b, slot_no, dist_m, lat, lon, sog_a, sog_b, observed, prev_a, prev_b,
         CASE WHEN slot_no - last_close <= {join_slots} THEN 0
              WHEN slot_no - last_close <= {unseen_slots}
                   AND (prev_a = last_close OR prev_b = last_close)
              THEN slot_no - last_close - 1 END AS skipped
  FROM l
),
f AS (
  SELECT mmsi_a, mmsi_b, slot_no, dist_m, lat, lon, sog_a, sog_b, observed, prev_a, prev_b,
         CASE WHEN skipped IS NULL THEN 1 ELSE 0 END AS brk,
         coalesce(skipped, 0) AS unseen
  FROM j
),
g AS (
  SELECT *, SUM(brk) OVER (PARTITION BY mmsi_a, mmsi_b ORDER BY slot_no
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS raw_grp
  FROM f
),
r AS (
  SELECT *, MAX(slot_no) OVER (PARTITION BY mmsi_a, mmsi_b, raw_grp) AS raw_last,
            MIN(slot_no) OVER (PARTITION BY mmsi_a, mmsi_b, raw_grp) AS raw_first
  FROM g
),
k AS (
  SELECT *, CASE WHEN raw_last - raw_first >= {raw_min_slots} THEN 1 ELSE 0 END AS kept
  FROM r
),
m AS (
  SELECT *, CASE WHEN raw_grp = LAG(raw_grp) OVER (PARTITION BY mmsi_a, mmsi_b, kept
                                                   ORDER BY slot_no) THEN 0
                 WHEN slot_no - LAG(slot_no) OVER (PARTITION BY mmsi_a, mmsi_b, kept
                                                   ORDER BY slot_no)
                      <= {merge_slots} THEN 0 ELSE 1 END AS brk2
  FROM k
)
SELECT mmsi_a, mmsi_b, slot_no, dist_m, lat, lon, sog_a, sog_b, observed, prev_a, prev_b,
       unseen, raw_grp, raw_last, kept,
       SUM(brk2) OVER (PARTITION BY mmsi_a, mmsi_b, kept ORDER BY slot_no
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS grp
FROM m
"""
"""Gaps and islands over view ``close`` (rows of :data:`CLOSE_PAIRS_SQL`): raw encounters
(``raw_grp``: steps of at most ``join_slots``, or of at most ``unseen_slots`` when one of
the vessels had no slot in between, its ``prev_*`` being the last close slot: ``unseen``
counts the slots skipped so), those of at least ``raw_min_slots`` kept (``kept = 1``) and
merged (``grp``: a raw encounter whole, and steps of at most ``merge_slots``)."""

EVENTS_SQL = """
SELECT mmsi_a, mmsi_b, grp, min(slot_no) AS first_slot, max(slot_no) AS last_slot,
       count(*) AS n_slots, min(dist_m) AS min_dist_m, {mean_dist} AS mean_dist_m,
       {mean_lat} AS lat, {mean_lon} AS lon, median(sog_a) AS median_sog_a,
       median(sog_b) AS median_sog_b, avg(observed) AS observed_frac,
       max(unseen) AS longest_unseen
FROM islands
WHERE kept = 1
GROUP BY mmsi_a, mmsi_b, grp
HAVING max(slot_no) - min(slot_no) >= {min_slots}
   AND median(sog_a) < {max_speed_kn} AND median(sog_b) < {max_speed_kn}
ORDER BY mmsi_a, mmsi_b, first_slot
"""
"""Candidate encounters from view ``islands`` (rows of :data:`ISLANDS_SQL`)."""


def exact_mean(column: str, scale: float) -> str:
    """SQL for a mean that every engine computes to the same bits, however it splits the
    rows: the values as integers of ``1 / scale`` (exact sums in any order), divided once.
    A float ``avg()`` sums in the order its threads finish, so two runs (or DuckDB and
    Spark) could differ in the last bit. ``scale`` 1e7 is 1 cm in latitude, 1e3 a
    millimetre."""
    k = format(scale, ".17e")
    return f"(CAST(sum(CAST(round({column} * {k}) AS BIGINT)) AS DOUBLE) / count(*) / {k})"


def _mean_lon() -> str:
    """SQL for the mean longitude of a group, across the antimeridian when its values
    straddle it (spread over 180 degrees: -179.99 and 179.99 average to -180, not 0); in
    [-180, 180) like every longitude seawatch writes. Either mean can round up to 180
    (:func:`exact_mean` works in 1e-7 degrees: 179.99999999999994 is 180), which is -180."""
    across = exact_mean("(CASE WHEN lon < 0 THEN lon + 3.6e2 ELSE lon END)", 1e7)
    plain = exact_mean("lon", 1e7)
    return (
        f"(CASE WHEN max(lon) - min(lon) > 1.8e2 THEN "
        f"(CASE WHEN {across} >= 1.8e2 THEN {across} - 3.6e2 ELSE {across} END) "
        f"WHEN {plain} >= 1.8e2 THEN {plain} - 3.6e2 "
        f"ELSE {plain} END)"
    )


def _exact_means(template: str) -> str:
    """``template`` with its ``{mean_*}`` placeholders replaced by :func:`exact_mean`."""
    means = {
        "{mean_lat}": exact_mean("lat", 1e7),
        "{mean_lon}": _mean_lon(),
        "{mean_sog_a}": exact_mean("sog_a", 1e4),
        "{mean_sog_b}": exact_mean("sog_b", 1e4),
        "{mean_dist}": exact_mean("dist_m", 1e3),
    }
    for name, sql in means.items():
        template = template.replace(name, sql)
    return template


CLOSE_PAIRS_SQL = _exact_means(CLOSE_PAIRS_SQL)
EVENTS_SQL = _exact_means(EVENTS_SQL)

CLOSE_SCHEMA = pa.schema(
    [
        ("mmsi_a", pa.int64()),
        ("mmsi_b", pa.int64()),
        ("slot_no", pa.int64()),
        ("dist_m", pa.float64()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("sog_a", pa.float64()),
        ("sog_b", pa.float64()),
        ("observed", pa.float64()),
        ("prev_a", pa.int64()),
        ("prev_b", pa.int64()),
    ]
)
"""Rows of :data:`CLOSE_PAIRS_SQL`, as carried between windows."""


def _cell_deg(params: EncounterParams) -> float:
    return params.max_dist_m / M_PER_DEG * _CELL_MARGIN


def slot_view(slots: pa.Table, params: EncounterParams) -> pa.Table:
    """A SLOTS table as the ``slots`` view of :data:`CLOSE_PAIRS_SQL` (``slot_no`` =
    slot time / slot length; ``prev_no``: the vessel's previous slot number, from
    ``prev_slot``, or from the table's own slots when it lacks that column or leaves it
    all null, as a hand-built table does)."""
    for col in ("mmsi", "slot", "lat", "lon"):
        if col not in slots.column_names:
            raise ParameterError(f"encounters: slot table lacks column {col!r}")
    slot_us = pc.cast(pc.cast(slots.column("slot"), pa.timestamp("us", tz="UTC")), pa.int64())
    slot_no = np.floor_divide(np.asarray(slot_us.to_numpy(), np.int64), params.slot_us)
    n = slots.num_rows
    sog = (
        pc.cast(slots.column("sog_kn"), pa.float64())
        if "sog_kn" in slots.column_names
        else pa.nulls(n, pa.float64())
    )
    interp = (
        slots.column("interpolated")
        if "interpolated" in slots.column_names
        else pa.array(np.zeros(n, np.bool_))
    )
    mmsi = pc.cast(slots.column("mmsi"), pa.int64())
    # the vessel's previous slot: as the resampler saw the whole track, else (a table
    # without it) from these slots, the same for a table of the vessel's whole time range
    given = (
        pc.cast(pc.cast(slots.column("prev_slot"), pa.timestamp("us", tz="UTC")), pa.int64())
        if "prev_slot" in slots.column_names
        else None
    )
    if given is not None and given.null_count < n:
        given_us = np.asarray(pc.fill_null(given, 0).to_numpy(), np.int64)
        valid = np.asarray(pc.is_valid(given).to_numpy(zero_copy_only=False), np.bool_)
        prev_no = pa.array(np.floor_divide(given_us, params.slot_us), pa.int64(), mask=~valid)
    else:
        prev_no = previous_slots(np.asarray(mmsi.to_numpy()), slot_no)
    return pa.table(
        {
            "mmsi": mmsi,
            "slot_no": pa.array(slot_no, pa.int64()),
            "prev_no": prev_no,
            "lat": pc.cast(slots.column("lat"), pa.float64()),
            "lon": pc.cast(slots.column("lon"), pa.float64()),
            "sog_kn": sog,
            "interp": interp,
        }
    )


def close_pairs(
    slots: pa.Table, *, params: EncounterParams = DEFAULT, runner: SqlRunner | None = None
) -> pa.Table:
    """Pairs of vessels within ``max_dist_m`` in the same slot (schema :data:`CLOSE_SCHEMA`)."""
    if slots.num_rows == 0:
        return CLOSE_SCHEMA.empty_table()
    r = runner if runner is not None else DuckDBRunner()
    out = r.query(close_pairs_sql(params), {"slots": slot_view(slots, params)})
    return out.select(CLOSE_SCHEMA.names).cast(CLOSE_SCHEMA)


def close_pairs_sql(params: EncounterParams = DEFAULT) -> str:
    """:data:`CLOSE_PAIRS_SQL` rendered for ``params`` (the text every runner runs over a
    view ``slots`` of :func:`slot_view` rows)."""
    return render(
        CLOSE_PAIRS_SQL,
        cell=_cell_deg(params),
        radius=EARTH_RADIUS_M,
        max_dist_m=float(params.max_dist_m),
    )


class EncounterStream:
    """Encounters over slot windows fed in time order, exact across window edges.

    ``push(slots, until=t)`` gives the slots of one window (every slot of every later window
    is at or after ``t``, microseconds since the epoch) and returns the encounters that can
    no longer grow; the close slots of the others are carried into the next window.
    ``finish()`` returns the rest. Memory: one window's slots plus the open encounters.
    """

    __slots__ = ("_carry", "_geo", "_params", "_runner")

    def __init__(
        self,
        *,
        params: EncounterParams = DEFAULT,
        geo: GeoContext | None = None,
        runner: SqlRunner | None = None,
    ) -> None:
        self._params = params
        self._geo = resolve_geo(geo)
        self._runner: SqlRunner = runner if runner is not None else DuckDBRunner()
        self._carry = CLOSE_SCHEMA.empty_table()

    def push(self, slots: pa.Table, *, until: int) -> pa.Table:
        """Encounters finished before ``until`` (EVENTS), given this window's slots."""
        close = close_pairs(slots, params=self._params, runner=self._runner)
        return self.push_close(close, until=until)

    def push_close(self, close: pa.Table, *, until: int | None) -> pa.Table:
        """As :meth:`push`, given the window's close pairs (:func:`close_pairs`)."""
        p = self._params
        rows = pa.concat_tables([self._carry, close.cast(CLOSE_SCHEMA)])
        if rows.num_rows == 0:
            return EVENTS.empty_table()
        islands = self._runner.query(
            render(
                ISLANDS_SQL,
                join_slots=p.join_slots,
                unseen_slots=p.unseen_slots,
                raw_min_slots=p.slots_for(p.raw_min_duration_h),
                merge_slots=p.merge_slots,
            ),
            {"close": rows},
        )
        cands = self._runner.query(
            render(
                EVENTS_SQL,
                min_slots=p.slots_for(p.min_duration_h),
                max_speed_kn=float(p.max_median_speed_kn),
            ),
            {"islands": islands},
        )
        if until is None:
            self._carry = CLOSE_SCHEMA.empty_table()
            return self._events(cands)
        until_slot = -(-int(until) // p.slot_us)  # first slot at or after ``until``
        # A raw encounter is open when a later slot (>= until_slot) could extend it. A merged
        # encounter is final when even an open raw encounter that grows long enough to be
        # kept could not merge into it: it ended more than ``horizon`` slots before.
        reach = p.unseen_slots  # the longest step a raw encounter can still take
        horizon = p.merge_slots + p.slots_for(p.raw_min_duration_h) + reach
        raw_open = pc.greater_equal(
            islands.column("raw_last"), pa.scalar(until_slot - reach, pa.int64())
        )
        grp_last = islands.group_by(["mmsi_a", "mmsi_b", "kept", "grp"]).aggregate(
            [("slot_no", "max")]
        )
        open_grp = grp_last.filter(
            pc.and_(
                pc.equal(grp_last.column("kept"), 1),
                pc.greater_equal(
                    grp_last.column("slot_no_max"), pa.scalar(until_slot - horizon, pa.int64())
                ),
            )
        ).select(["mmsi_a", "mmsi_b", "kept", "grp"])
        flagged = islands.append_column("_raw_open", raw_open)
        joined = flagged.join(
            open_grp.append_column("_grp_open", pa.array(np.ones(open_grp.num_rows, np.bool_))),
            ["mmsi_a", "mmsi_b", "kept", "grp"],
            join_type="left outer",
        )
        carry_mask = pc.or_(
            joined.column("_raw_open"), pc.fill_null(joined.column("_grp_open"), False)
        )
        self._carry = joined.filter(carry_mask).select(CLOSE_SCHEMA.names).cast(CLOSE_SCHEMA)
        done = pc.less(cands.column("last_slot"), pa.scalar(until_slot - horizon, pa.int64()))
        return self._events(cands.filter(done))

    def finish(self) -> pa.Table:
        """The encounters still open (EVENTS); the stream is empty afterwards."""
        return self.push_close(CLOSE_SCHEMA.empty_table(), until=None)

    @property
    def carried_rows(self) -> int:
        """Close pair-slots carried into the next window."""
        return int(self._carry.num_rows)

    def _events(self, cands: pa.Table) -> pa.Table:
        p = self._params
        if cands.num_rows == 0:
            return EVENTS.empty_table()
        lat = np.asarray(cands.column("lat").to_numpy(), np.float64)
        lon = np.asarray(cands.column("lon").to_numpy(), np.float64)
        port_d, _ = self._geo.nearest_port(lat, lon)
        keep = port_d >= p.min_port_dist_m if p.min_port_dist_m > 0 else np.ones(len(lat), np.bool_)
        if not keep.any():
            return EVENTS.empty_table()
        sel = np.flatnonzero(keep)
        c = {name: cands.column(name).to_numpy(zero_copy_only=False) for name in cands.column_names}
        start = c["first_slot"][sel].astype(np.int64) * p.slot_us
        end = c["last_slot"][sel].astype(np.int64) * p.slot_us
        details = [
            details_json(
                p,
                median_sog_kn=[float(c["median_sog_a"][i]), float(c["median_sog_b"][i])],
                min_dist_m=float(c["min_dist_m"][i]),
                mean_dist_m=float(c["mean_dist_m"][i]),
                n_slots=int(c["n_slots"][i]),
                n_slots_span=int(c["last_slot"][i] - c["first_slot"][i] + 1),
                observed_frac=float(c["observed_frac"][i]),
                longest_unseen_h=round(int(c["longest_unseen"][i]) * p.slot_min / 60, 3),
                port_dist_m=float(port_d[i]) if np.isfinite(port_d[i]) else None,
            )
            for i in sel
        ]
        span = (c["last_slot"][sel] - c["first_slot"][sel] + 1).astype(np.float64)
        confidence = c["n_slots"][sel] / span * c["observed_frac"][sel]
        vessels = [
            [int(a), int(b)] for a, b in zip(c["mmsi_a"][sel], c["mmsi_b"][sel], strict=True)
        ]
        return build_events(
            types=TYPE,
            start_us=start,
            end_us=end,
            vessels=vessels,
            lat=lat[sel],
            lon=lon[sel],
            region=list(self._geo.region_of(lat[sel], lon[sel])),
            details=details,
            confidence=confidence,
        )


def encounters(
    slots: pa.Table,
    *,
    params: EncounterParams = DEFAULT,
    geo: GeoContext | None = None,
    runner: SqlRunner | None = None,
) -> pa.Table:
    """Encounter events (schema EVENTS) in a slot table (schema SLOTS) of any time range.

    The event starts at the first close slot and ends at the last; its position is the
    mean midpoint of the two vessels over the close slots; ``vessels`` is the pair sorted.
    ``confidence`` is the share of the span's slots in which the pair was close and both
    positions were observed (not interpolated). Details: ``params``, ``median_sog_kn``
    (per vessel, in ``vessels`` order), ``min_dist_m``, ``mean_dist_m``, ``n_slots``
    (close slots), ``n_slots_span``, ``observed_frac``, ``longest_unseen_h`` (the longest
    stretch joined with one of the vessels unseen, 0 when none), ``port_dist_m``.
    """
    stream = EncounterStream(params=params, geo=geo, runner=runner)
    return stream.push_close(close_pairs(slots, params=params, runner=stream._runner), until=None)
