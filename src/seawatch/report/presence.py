"""Presence: how many hours each vessel spent within given distances of a country's coast,
and how close it came (the "which naval vessels stayed how long within what range of which
country's coast" question).

Distances are to the **country's** coast: a position counts as within ``r`` nm of country
``CC`` when it lies in the bundled zone ``CC-eez`` (the sea within 200 nm of CC's land, split
from neighbours by the median line, so its nearest land is CC's) and its distance to the
nearest shore is at most ``r`` nm. For the standard ranges the zones themselves are used:
12 nm -> ``CC-territorial``, 24 nm -> ``CC-contiguous``, 200 nm -> ``CC-eez``. Ranges above
200 nm are not supported (there is no zone to attribute them to a country). Zones are
approximations (see :mod:`seawatch.geo`), not legal limits.

Hours come from the time between consecutive positions of a vessel: each interval shorter
than or equal to ``max_gap_h`` is split half to each end point, and a point's half-intervals
count for the ranges that point is within. Intervals across a longer gap count for nothing
(a vessel silent for a day is not assumed to have stayed); those of up to ``max_unheard_h``
whose two positions are both within a range are counted apart, as the *unheard* hours
within it (``unheard_hours_<r>nm``): a warship inside 12 nm, unheard for three hours, seen
inside again, was there at least the hours heard and at most those plus the unheard ones. ``closest_nm`` is the smallest
distance to CC's coast among positions inside ``CC-eez`` (null when the vessel never came
within 200 nm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch._units import M_PER_NM as M_PER_NM
from seawatch._units import US_PER_DAY, US_PER_H
from seawatch.ais.codes import ship_group

__all__ = [
    "PresenceParams",
    "ZoneGeo",
    "presence",
    "presence_document",
    "range_column",
    "unheard_column",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_ZONE_FOR_NM = {12.0: "territorial", 24.0: "contiguous", 200.0: "eez"}


class ZoneGeo(Protocol):
    """The geography presence needs (a subset of :class:`seawatch.detect.GeoContext`)."""

    def distance_to_shore_m(self, lat: F64, lon: F64) -> F64: ...

    def zone_names(self) -> Sequence[str]: ...

    def zone_membership(self, lat: F64, lon: F64) -> tuple[I64, I64]: ...


@dataclass(frozen=True, slots=True)
class PresenceParams:
    """Parameters of :func:`presence` (units in the names)."""

    country: str
    """ISO 3166 alpha-2 code of the coastal state (``VE``)."""
    ranges_nm: tuple[float, ...] = (12.0, 24.0, 200.0)
    """Distances from the country's coast, each at most 200 nm."""
    max_gap_h: float = 1.0
    """Intervals between positions longer than this count for nothing..."""
    max_unheard_h: float = 12.0
    """...except as unheard hours within a range, up to this long, when both positions
    are within it (0: none counted)."""
    by: Literal["vessel", "day"] = "vessel"
    """One row per vessel, or per UTC day and vessel."""
    group: str | None = None
    """Only vessels of this role (``military``, ``government``, ``tanker`` ...:
    :data:`seawatch.ais.roles.ROLES`), from ``vessels``."""
    flag: str | None = None
    """Only vessels of this flag (ISO alpha-2, from the MMSI's MID)."""
    groups: tuple[str, ...] | None = None
    """Only vessels of one of these roles (with ``group``: of any of them)."""
    flags: tuple[str, ...] | None = None
    """Only vessels of one of these flags (with ``flag``: of any of them)."""

    def wanted(self) -> tuple[frozenset[str] | None, frozenset[str] | None]:
        """The groups and the flags asked for (``group``/``groups``, ``flag``/``flags``
        together), None where any is fine."""
        groups = {*(self.groups or ()), *((self.group,) if self.group else ())}
        flags = {*(self.flags or ()), *((self.flag,) if self.flag else ())}
        return (frozenset(groups) or None, frozenset(flags) or None)

    def __post_init__(self) -> None:
        if len(self.country) != 2 or not self.country.isalpha():
            raise ParameterError(f"country {self.country!r} is not an ISO 3166 alpha-2 code")
        if not self.ranges_nm or any(not 0 < r <= 200.0 for r in self.ranges_nm):
            raise ParameterError("ranges_nm: each range must lie in (0, 200] nm")
        if self.max_gap_h <= 0:
            raise ParameterError("max_gap_h must be > 0")
        if not self.max_unheard_h >= 0:  # NaN too
            raise ParameterError("max_unheard_h must be >= 0")
        if self.by not in ("vessel", "day"):
            raise ParameterError("by must be 'vessel' or 'day'")
        from seawatch.ais.roles import ROLES

        if self.group is not None:
            if self.group.strip().lower() not in ROLES:
                raise ParameterError(f"group {self.group!r} is not one of {', '.join(ROLES)}")
            object.__setattr__(self, "group", self.group.strip().lower())
        if self.groups is not None:
            groups = tuple(g.strip().lower() for g in self.groups)
            for g in groups:
                if g not in ROLES:
                    raise ParameterError(f"group {g!r} is not one of {', '.join(ROLES)}")
            object.__setattr__(self, "groups", groups)


def range_column(r: float) -> str:
    """Column name of the hours within ``r`` nm: ``hours_12nm``, ``hours_7.5nm``."""
    return f"hours_{r:g}nm"


def unheard_column(r: float) -> str:
    """Column name of the unheard hours within ``r`` nm: ``unheard_hours_12nm``."""
    return f"unheard_{range_column(r)}"


def _filter_vessels(
    positions: pa.Table, vessels: pa.Table | None, p: PresenceParams
) -> tuple[pa.Table, dict[int, dict[str, Any]]]:
    from seawatch.ais.codes import flags_of
    from seawatch.ais.roles import roles_of

    mmsis = np.unique(pc.cast(positions.column("mmsi"), pa.int64()).to_numpy())
    info: dict[int, dict[str, Any]] = {
        int(m): {"flag": f, "group": "other", "role": "other", "role_source": None, "name": None}
        for m, f in zip(mmsis, flags_of(mmsis).to_pylist(), strict=True)
    }
    if vessels is not None and vessels.num_rows:
        cols = vessels.column_names
        rows = [r for r in vessels.to_pylist() if int(r["mmsi"]) in info]
        if "role" not in cols:  # a table without roles: derive them (one rule, ais.roles)
            role, source = roles_of(
                [int(r["mmsi"]) for r in rows],
                [r.get("name") for r in rows],
                [r.get("ship_type") for r in rows],
                imo=[r.get("imo") for r in rows],
                callsign=[r.get("callsign") for r in rows],
            )
            for r, ro, so in zip(rows, role.to_pylist(), source.to_pylist(), strict=True):
                if so is None and r.get("ship_group"):  # no type code, only its group
                    ro, so = r["ship_group"], "ship_type"
                r["role"], r["role_source"] = ro, so
        for row in rows:
            m = int(row["mmsi"])
            if row.get("ship_group"):
                info[m]["group"] = row["ship_group"]
            elif row.get("ship_type") is not None:
                info[m]["group"] = ship_group(row["ship_type"])
            info[m]["role"] = row["role"] or "other"
            info[m]["role_source"] = row.get("role_source")
            info[m]["name"] = row.get("name")
    groups, flags = p.wanted()
    keep = [
        m
        for m, i in info.items()
        if (groups is None or i["role"] in groups) and (flags is None or i["flag"] in flags)
    ]
    table = positions.filter(
        pc.is_in(
            positions.column("mmsi"),
            pa.array(keep, pa.int64()).cast(positions.schema.field("mmsi").type),
        )
    )
    return table, info


def presence(
    positions: pa.Table,
    *,
    params: PresenceParams,
    geo: ZoneGeo | None = None,
    vessels: pa.Table | None = None,
) -> pa.Table:
    """Hours within each range of ``params.country``'s coast, per vessel (or day and vessel).

    ``positions``: ``mmsi, ts, lat, lon`` of whole vessels, any order. ``vessels``
    (optional): ``mmsi`` with ``role`` and ``role_source`` (a store's ``vessels`` table),
    or ``name``, ``ship_type`` (``imo``, ``callsign``) to derive them, for the group filter
    and the names. Columns: (``day``,) ``mmsi``, ``name``, ``flag``, ``ship_group``,
    ``role``, ``role_source``, one ``hours_<r>nm`` per range, one
    ``unheard_hours_<r>nm`` per range, ``closest_nm``,
    ``first_ts``/``last_ts`` (first and last position within the widest range),
    ``positions`` (within the widest range). Rows with no time within the widest range
    are left out; sorted by the widest range's hours, descending, then mmsi.
    """
    if geo is None:
        from seawatch.geo import BundledGeo

        geo = BundledGeo()
    cc = params.country.upper()
    ranges = sorted(set(float(r) for r in params.ranges_nm))
    table, info = _filter_vessels(positions, vessels, params)
    valid = pc.and_(
        pc.and_(pc.is_valid(table.column("ts")), pc.is_valid(table.column("lat"))),
        pc.is_valid(table.column("lon")),
    )
    table = table.filter(valid)
    mmsi = np.asarray(pc.cast(table.column("mmsi"), pa.int64()).to_numpy(), np.int64)
    ts = np.asarray(pc.cast(table.column("ts"), pa.int64()).to_numpy(), np.int64)
    lat = np.asarray(pc.cast(table.column("lat"), pa.float64()).to_numpy(), np.float64)
    lon = np.asarray(pc.cast(table.column("lon"), pa.float64()).to_numpy(), np.float64)
    order = np.lexsort((ts, mmsi))
    mmsi, ts, lat, lon = mmsi[order], ts[order], lat[order], lon[order]
    n = len(ts)
    # membership
    names = list(geo.zone_names())
    zone_idx = {z: i for i, z in enumerate(names)}
    eez_name = f"{cc}-eez"
    if eez_name not in zone_idx:
        raise ParameterError(f"no zone {eez_name!r}: the bundled zones do not cover {cc}")
    pi, zi = geo.zone_membership(lat, lon)
    in_zone = {z: np.zeros(n, np.bool_) for z in names if z.startswith(f"{cc}-")}
    for z in in_zone:
        in_zone[z][pi[zi == zone_idx[z]]] = True
    in_eez = in_zone[eez_name]
    dist_nm = np.full(n, np.nan)
    if in_eez.any():
        dist_nm[in_eez] = geo.distance_to_shore_m(lat[in_eez], lon[in_eez]) / M_PER_NM
    within: dict[float, npt.NDArray[np.bool_]] = {}
    for r in ranges:
        zone = f"{cc}-{_ZONE_FOR_NM[r]}" if r in _ZONE_FOR_NM else None
        if zone is not None and zone in in_zone:
            within[r] = in_zone[zone]
        else:
            within[r] = in_eez & (dist_nm <= r + 1e-9)
    # weights: half of each short interval to each end
    # (in whole microseconds, so sums are exact: 3 x 10 min is 0.5 h, not 0.49999...)
    same = mmsi[1:] == mmsi[:-1]
    dt_us = ts[1:] - ts[:-1]
    ok = same & (dt_us <= round(params.max_gap_h * US_PER_H))
    half = np.where(ok, dt_us // 2, 0)
    weight = np.zeros(n, np.int64)
    weight[:-1] += half
    weight[1:] += np.where(ok, dt_us - dt_us // 2, 0)
    # unheard: the longer intervals, up to max_unheard_h; a by-day row gets the part of the
    # interval in its own day (one that crosses midnight goes to both ends' rows)
    long = same & ~ok & (dt_us <= round(params.max_unheard_h * US_PER_H))
    to_start = dt_us
    # grouping
    if params.by == "day":
        midnight = (ts[1:] // US_PER_DAY) * US_PER_DAY
        to_start = np.clip(midnight - ts[:-1], 0, dt_us)
        day = ts // US_PER_DAY
        key = np.stack([day, mmsi])
        keys, inv = np.unique(key, axis=1, return_inverse=True)
        inv = inv.reshape(-1)
        k_day, k_mmsi = keys[0], keys[1]
    else:
        k_mmsi, inv = np.unique(mmsi, return_inverse=True)
        inv = inv.reshape(-1)
        k_day = None
    g = len(k_mmsi)
    widest = within[ranges[-1]]
    hours = {
        r: _sum_by(inv, np.where(within[r], weight, 0), g).astype(np.float64) / US_PER_H
        for r in ranges
    }
    unheard: dict[float, F64] = {}
    for r in ranges:
        both = long & within[r][:-1] & within[r][1:]
        uw = np.zeros(n, np.int64)
        uw[:-1] += np.where(both, to_start, 0)
        uw[1:] += np.where(both, dt_us - to_start, 0)
        unheard[r] = _sum_by(inv, uw, g).astype(np.float64) / US_PER_H
    count = np.bincount(inv, weights=widest.astype(np.float64), minlength=g).astype(np.int64)
    closest = np.full(g, np.inf)
    np.minimum.at(closest, inv[in_eez], dist_nm[in_eez])
    first = np.full(g, np.iinfo(np.int64).max)
    last = np.full(g, np.iinfo(np.int64).min)
    np.minimum.at(first, inv[widest], ts[widest])
    np.maximum.at(last, inv[widest], ts[widest])
    keep = count > 0
    cols: dict[str, pa.Array] = {}
    if k_day is not None:
        cols["day"] = pa.array(k_day[keep].astype("datetime64[D]"), pa.date32())
    km = k_mmsi[keep]
    cols["mmsi"] = pa.array(km, pa.uint32())
    cols["name"] = pa.array([info[int(m)]["name"] for m in km], pa.string())
    cols["flag"] = pa.array([info[int(m)]["flag"] for m in km], pa.string())
    cols["ship_group"] = pa.array([info[int(m)]["group"] for m in km], pa.string())
    cols["role"] = pa.array([info[int(m)]["role"] for m in km], pa.string())
    cols["role_source"] = pa.array([info[int(m)]["role_source"] for m in km], pa.string())
    for r in ranges:
        cols[range_column(r)] = pa.array(hours[r][keep], pa.float64())
    for r in ranges:
        cols[unheard_column(r)] = pa.array(unheard[r][keep], pa.float64())
    cl = closest[keep]
    cols["closest_nm"] = pa.array(
        np.where(np.isfinite(cl), cl, np.nan), pa.float64(), from_pandas=True
    )
    ts_type = pa.timestamp("us", tz="UTC")
    cols["first_ts"] = pa.array(first[keep], pa.int64()).cast(ts_type)
    cols["last_ts"] = pa.array(last[keep], pa.int64()).cast(ts_type)
    cols["positions"] = pa.array(count[keep], pa.int64())
    out = pa.table(cols)
    if out.num_rows == 0:
        return out
    sort = [(range_column(ranges[-1]), "descending"), ("mmsi", "ascending")]
    if k_day is not None:
        sort = [("day", "ascending"), *sort]
    return out.sort_by(sort)


def _sum_by(inv: npt.NDArray[np.intp], values: npt.NDArray[np.int64], n: int) -> I64:
    """Exact integer sums of ``values`` per group ``inv``."""
    out = np.zeros(n, np.int64)
    np.add.at(out, inv, values)
    return out


def presence_document(
    con: Any,
    params: PresenceParams,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    vessels: str = "vessels",
) -> dict[str, Any]:
    """The ``seawatch.presence/1`` document of ``seawatch presence --format json`` and
    ``/api/presence``: :func:`presence` over the positions that ``con`` (a DuckDB
    connection with a ``positions`` view and the vessels relation named ``vessels``, a
    code constant) holds in ``[since, until)`` (UTC).

    Only vessels with a position inside the bounding box of the country's EEZ are read
    (their whole tracks in the period: hours come from consecutive reports), and of those
    only the flags and groups ``params`` asks for. ``limit``: list at most this many rows
    (``n_rows`` counts them all).

    Raises:
        NotFoundError: no bundled zones for ``params.country``.
        GeoError: the bundled geography is not available.
    """
    import shapely

    from seawatch._exceptions import GeoError, NotFoundError
    from seawatch.report.records import PRESENCE_SCHEMA, iso, presence_record

    try:
        import seawatch.geo as geo

        zs = geo.zones()
    except (ImportError, AttributeError) as exc:  # a broken install lacks the geography
        raise GeoError("the bundled geography is not available (seawatch.geo.zones)") from exc
    eez = f"{params.country}-eez"
    if eez not in zs.names:
        raise NotFoundError(f"no bundled zones for country {params.country!r}")
    min_lon, min_lat, max_lon, max_lat = (
        float(v) for v in shapely.bounds(zs.zone(eez).geometry).tolist()
    )
    from seawatch.store import span_where

    span, args = span_where(since, until)
    clauses = ["lat IS NOT NULL", "lon IS NOT NULL", "ts IS NOT NULL", *span]
    groups, flags = params.wanted()
    inner: list[str] = []
    for column, wanted in (("role", groups), ("flag", flags)):
        if wanted:
            inner.append(f"{column} IN ({', '.join('?' for _ in wanted)})")
            args.extend(sorted(wanted))
    if inner:
        clauses.append(f"mmsi IN (SELECT mmsi FROM {vessels} WHERE {' AND '.join(inner)})")
    sql = (
        f"WITH p AS (SELECT mmsi, ts, lat, lon FROM positions WHERE {' AND '.join(clauses)}) "
        "SELECT * FROM p WHERE mmsi IN (SELECT DISTINCT mmsi FROM p "
        "WHERE lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?) ORDER BY mmsi, ts"
    )
    positions: pa.Table = con.sql(
        sql, params=[*args, min_lon, max_lon, min_lat, max_lat]
    ).to_arrow_table()
    mmsis = pc.unique(positions.column("mmsi")).to_pylist()
    info: pa.Table = con.sql(
        f"SELECT mmsi, name, ship_type, ship_group, role, role_source FROM {vessels} "
        "WHERE mmsi IN (SELECT unnest(?::UINTEGER[]))",
        params=[mmsis],
    ).to_arrow_table()
    table = presence(positions, params=params, vessels=info)
    ranges = sorted({float(r) for r in params.ranges_nm})
    shown = table if limit is None else table.slice(0, limit)
    return {
        "schema": PRESENCE_SCHEMA,
        "country": params.country,
        "ranges_nm": ranges,
        "max_gap_h": params.max_gap_h,
        "max_unheard_h": params.max_unheard_h,
        "by": params.by,
        "since": iso(since),
        "until": iso(until),
        "n_rows": table.num_rows,
        "rows": [presence_record(row, ranges) for row in shown.to_pylist()],
    }
