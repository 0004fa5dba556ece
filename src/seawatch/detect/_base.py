"""What every detector shares: event ids, the EVENTS table builder, the details JSON,
and the geography a detector may ask about (:class:`GeoContext`).

A detector is a pure kernel::

    def kernel(table: pa.Table, *, params: XParams = XParams(), geo: GeoContext | None = None)
        -> pa.Table  # schema.EVENTS

given whole vessels in any row order. It never reads files and never knows the engine.

``geo=None`` means :class:`BundledGeo` (the offline geography of :mod:`seawatch.geo`,
imported lazily). Tests pass a :class:`FakeGeo`, an in-memory world with a straight
coastline, a few ports and rectangular zones, so detector tests never depend on bundled data.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch._units import EARTH_RADIUS_M as EARTH_RADIUS_M
from seawatch._units import M_PER_NM as M_PER_NM
from seawatch.schema import EVENTS

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
Obj = npt.NDArray[np.object_]


__all__ = [
    "M_PER_NM",
    "BundledGeo",
    "FakeGeo",
    "FakePort",
    "GeoContext",
    "build_events",
    "details_json",
    "event_id",
    "fill_region",
    "params_dict",
    "resolve_geo",
]


# --------------------------------------------------------------------------------------
# event ids


def _start_us(start: datetime | int | np.integer[Any]) -> int:
    if isinstance(start, datetime):
        if start.tzinfo is None:
            raise ParameterError("event start must be timezone-aware (UTC)")
        delta = start.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return int(start)


def event_id(
    type_: str,
    vessels: Iterable[int],
    start: datetime | int | np.integer[Any],
    *,
    key: str | None = None,
) -> str:
    """Stable id of an event: a hash of its type, its vessels (sorted) and its start.

    ``start`` is a UTC-aware datetime or microseconds since the Unix epoch. The id is
    the first 16 hex digits of BLAKE2b over ``"type|mmsi,mmsi|start_us"``; it does not
    depend on the vessels' order, the engine, the partition or the run.

    ``key`` (optional) tells apart events of one type, vessel set and start that differ in
    another attribute (the zone of a zone event: entering two nested zones at once);
    when given, ``"|key"`` is appended to the hashed text.
    """
    ms = ",".join(str(v) for v in sorted(int(v) for v in vessels))
    text = f"{type_}|{ms}|{_start_us(start)}"
    if key:
        text += f"|{key}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# --------------------------------------------------------------------------------------
# details JSON


def params_dict(params: object) -> dict[str, Any]:
    """Every field of a parameter dataclass, by name (tuples become lists)."""
    if not dataclasses.is_dataclass(params) or isinstance(params, type):
        raise ParameterError(f"not a parameter dataclass instance: {params!r}")
    return {f.name: _jsonable(getattr(params, f.name)) for f in dataclasses.fields(params)}


@functools.lru_cache(maxsize=64)
def _params_cached(params: object) -> dict[str, Any]:
    return params_dict(params)  # never mutated: only serialised


def _jsonable(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, np.datetime64):
        us = int(value.astype("datetime64[us]").astype(np.int64))
        return _jsonable(datetime.fromtimestamp(us / 1e6, tz=UTC))
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return params_dict(value)
    return value


def details_json(params: object, **details: Any) -> str:
    """The ``details`` column: ``{"params": {every parameter}, **details}`` as compact JSON.

    Keys are sorted; NaN and infinities become ``null``; numpy scalars and datetimes
    (ISO 8601 with ``Z``) are converted.
    """
    try:
        pd = _params_cached(params)
    except TypeError:  # an unhashable parameter object
        pd = params_dict(params)
    body = {k: _jsonable(v) for k, v in details.items()}
    body["params"] = pd
    return json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)


# --------------------------------------------------------------------------------------
# EVENTS builder


def build_events(
    *,
    types: str | Sequence[str],
    start_us: npt.ArrayLike,
    end_us: npt.ArrayLike,
    vessels: Sequence[Sequence[int]] | npt.ArrayLike,
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    details: Sequence[str],
    region: Sequence[str | None] | None = None,
    zone: Sequence[str | None] | None = None,
    confidence: npt.ArrayLike | None = None,
) -> pa.Table:
    """A table with schema :data:`seawatch.schema.EVENTS`, sorted by start, type, event_id.

    ``vessels`` is either one MMSI per event (a 1-d integer array) or a sequence of MMSI
    lists. ``duration_h``, ``event_id`` and ``incident_id`` (the event's own id) are computed here (the zone, when set, is the
    id's ``key``); ``region``, ``zone`` and ``confidence`` default to null.
    """
    start = np.asarray(start_us, dtype=np.int64)
    end = np.asarray(end_us, dtype=np.int64)
    n = len(start)
    type_list = [types] * n if isinstance(types, str) else [str(t) for t in types]
    if isinstance(vessels, np.ndarray) and vessels.ndim == 1:
        vessel_lists = [[int(v)] for v in vessels]
    else:
        vessel_lists = [sorted(int(v) for v in vs) for vs in vessels]  # type: ignore[union-attr,arg-type]
    lat_a = np.asarray(lat, dtype=np.float64)
    lon_a = np.asarray(lon, dtype=np.float64)
    if not (
        len(end) == n == len(type_list) == len(vessel_lists) == len(lat_a) == len(lon_a)
        and len(details) == n
    ):
        raise ParameterError("build_events: columns have different lengths")
    if np.any(end < start):
        raise ParameterError("build_events: an event ends before it starts")
    zone_list: list[str | None] = [None] * n if zone is None else [_opt_str(z) for z in zone]
    ids = [
        event_id(t, v, int(s), key=z)
        for t, v, s, z in zip(type_list, vessel_lists, start, zone_list, strict=True)
    ]
    conf = (
        pa.nulls(n, pa.float32())
        if confidence is None
        else pa.array(np.asarray(confidence, dtype=np.float32), pa.float32())
    )
    table = pa.table(
        {
            "event_id": pa.array(ids, pa.string()),
            "type": pa.array(type_list, pa.string()),
            "start": pa.array(start, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "end": pa.array(end, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "vessels": pa.array(vessel_lists, pa.list_(pa.uint32())),
            "lat": pa.array(lat_a, pa.float64(), from_pandas=True),
            "lon": pa.array(lon_a, pa.float64(), from_pandas=True),
            "duration_h": pa.array((end - start) / 3.6e9, pa.float64()),
            "region": pa.array(
                [None] * n if region is None else [_opt_str(r) for r in region], pa.string()
            ),
            "zone": pa.array(zone_list, pa.string()),
            "confidence": conf,
            "details": pa.array(list(details), pa.string()),
            # each event is its own incident until seawatch.detect.incidents links it
            "incident_id": pa.array(ids, pa.string()),
            # kernels cannot know: the engine marks events of simulated vessels
            "simulated": pa.array(np.zeros(n, np.bool_), pa.bool_()),
        },
        schema=EVENTS,
    )
    if n == 0:
        return table
    return table.sort_by([("start", "ascending"), ("type", "ascending"), ("event_id", "ascending")])


def _opt_str(v: object) -> str | None:
    return None if v is None else str(v)


def fill_region(table: pa.Table, geo: GeoContext) -> pa.Table:
    """``table`` (EVENTS) with the region of events that have none filled in from their
    position (the engine's last finishing step, for every detector)."""
    if table.num_rows == 0:
        return table
    region = table.column("region")
    need = pc.and_(
        pc.is_null(region),
        pc.and_(pc.is_valid(table.column("lat")), pc.is_valid(table.column("lon"))),
    )
    rows = np.flatnonzero(np.asarray(need.to_numpy(False), np.bool_))
    if len(rows) == 0:
        return table
    lat = np.asarray(pc.cast(table.column("lat"), pa.float64()).to_numpy(False), np.float64)
    lon = np.asarray(pc.cast(table.column("lon"), pa.float64()).to_numpy(False), np.float64)
    found = geo.region_of(lat[rows], lon[rows])
    values = region.to_pylist()
    for r, v in zip(rows.tolist(), list(found), strict=True):
        values[r] = None if v is None else str(v)
    idx = table.schema.get_field_index("region")
    return table.set_column(idx, "region", pa.array(values, pa.string()))


# --------------------------------------------------------------------------------------
# geography


@runtime_checkable
class GeoContext(Protocol):
    """The geography detectors need. All functions are vectorised over ``lat``/``lon``
    arrays in degrees (WGS 84)."""

    def distance_to_shore_m(self, lat: F64, lon: F64) -> F64:
        """Distance to the nearest coastline in metres (0 on land)."""
        ...

    def on_land(self, lat: F64, lon: F64) -> Bool:
        """True where the point is on land."""
        ...

    def nearest_port(self, lat: F64, lon: F64) -> tuple[F64, I64]:
        """Distance in metres to the nearest port/anchorage point and its row in :meth:`ports`."""
        ...

    def ports(self) -> pa.Table:
        """``port_id, name, country (ISO2), lat, lon, kind ('port'|'anchorage'), source``."""
        ...

    def region_of(self, lat: F64, lon: F64) -> Obj:
        """The named region of each point (``'caribbean'`` ...) or None."""
        ...

    def zone_names(self) -> Sequence[str]:
        """Names of all zones, indexed by the ``zone_idx`` of :meth:`zone_membership`."""
        ...

    def zone_membership(self, lat: F64, lon: F64) -> tuple[I64, I64]:
        """``(point_idx, zone_idx)`` pairs: point ``point_idx`` lies in zone ``zone_idx``."""
        ...


def _geo() -> Any:
    """:mod:`seawatch.geo`, imported on first use (detectors never need it at import)."""
    return importlib.import_module("seawatch.geo")


class BundledGeo:
    """:class:`GeoContext` backed by the bundled offline geography (:mod:`seawatch.geo`).

    ``extra_zones`` is a user GeoJSON file added to the bundled zones.
    """

    __slots__ = ("_extra_zones", "_zones")

    def __init__(self, *, extra_zones: Path | None = None) -> None:
        self._extra_zones = extra_zones
        self._zones: Any = None

    def distance_to_shore_m(self, lat: F64, lon: F64) -> F64:
        geo = _geo()

        return np.asarray(geo.distance_to_shore_m(lat, lon), dtype=np.float64)

    def on_land(self, lat: F64, lon: F64) -> Bool:
        geo = _geo()

        return np.asarray(geo.on_land(lat, lon), dtype=np.bool_)

    def nearest_port(self, lat: F64, lon: F64) -> tuple[F64, I64]:
        geo = _geo()

        dist, idx = geo.nearest_port(lat, lon)
        return np.asarray(dist, dtype=np.float64), np.asarray(idx, dtype=np.int64)

    def ports(self) -> pa.Table:
        geo = _geo()

        table: pa.Table = geo.ports()
        return table

    def region_of(self, lat: F64, lon: F64) -> Obj:
        geo = _geo()

        return np.asarray(geo.region_of(lat, lon), dtype=np.object_)

    def _zoneset(self) -> Any:
        if self._zones is None:
            geo = _geo()

            self._zones = geo.zones(self._extra_zones)
        return self._zones

    def zone_names(self) -> Sequence[str]:
        return list(self._zoneset().names)

    def zone_membership(self, lat: F64, lon: F64) -> tuple[I64, I64]:
        pi, zi = self._zoneset().membership(lat, lon)
        return np.asarray(pi, dtype=np.int64), np.asarray(zi, dtype=np.int64)


def resolve_geo(geo: GeoContext | None) -> GeoContext:
    """``geo`` itself, or the bundled geography when None."""
    return BundledGeo() if geo is None else geo


@dataclass(frozen=True, slots=True)
class FakePort:
    """A port or anchorage point of :class:`FakeGeo`."""

    name: str
    country: str
    lat: float
    lon: float
    kind: str = "port"


Box = tuple[float, float, float, float]
"""``(lat_min, lat_max, lon_min, lon_max)`` in degrees."""


@dataclass(frozen=True, slots=True)
class FakeGeo:
    """An in-memory :class:`GeoContext` for tests and examples.

    Land is everything west of the meridian ``coast_lon`` (a straight north-south coast);
    distance to shore is the great-circle distance east to that meridian. Ports are points;
    zones and regions are lat/lon boxes (the first matching region wins).
    """

    coast_lon: float = 0.0
    port_list: tuple[FakePort, ...] = ()
    zone_boxes: tuple[tuple[str, Box], ...] = ()
    region_boxes: tuple[tuple[str, Box], ...] = ()
    default_region: str | None = None

    def distance_to_shore_m(self, lat: F64, lon: F64) -> F64:
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        dlon = np.radians(np.maximum(lon - self.coast_lon, 0.0))
        # distance along the parallel's great circle to the meridian
        phi = np.radians(lat)
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.abs(np.cos(phi) * np.sin(dlon / 2)))
        return np.asarray(d, dtype=np.float64)

    def on_land(self, lat: F64, lon: F64) -> Bool:
        return np.asarray(np.asarray(lon, dtype=np.float64) < self.coast_lon, dtype=np.bool_)

    def nearest_port(self, lat: F64, lon: F64) -> tuple[F64, I64]:
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        n = len(lat)
        if not self.port_list:
            return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
        plat = np.array([p.lat for p in self.port_list])
        plon = np.array([p.lon for p in self.port_list])
        d = _haversine(lat[:, None], lon[:, None], plat[None, :], plon[None, :])
        idx = np.argmin(d, axis=1).astype(np.int64)
        return d[np.arange(n), idx].astype(np.float64), idx

    def ports(self) -> pa.Table:
        ps = self.port_list
        return pa.table(
            {
                "port_id": pa.array([f"fake-{i}" for i in range(len(ps))], pa.string()),
                "name": pa.array([p.name for p in ps], pa.string()),
                "country": pa.array([p.country for p in ps], pa.string()),
                "lat": pa.array([p.lat for p in ps], pa.float64()),
                "lon": pa.array([p.lon for p in ps], pa.float64()),
                "kind": pa.array([p.kind for p in ps], pa.string()),
                "source": pa.array(["fake"] * len(ps), pa.string()),
            }
        )

    def region_of(self, lat: F64, lon: F64) -> Obj:
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        out = np.full(len(lat), self.default_region, dtype=object)
        done = np.zeros(len(lat), dtype=np.bool_)
        for name, (la0, la1, lo0, lo1) in self.region_boxes:
            m = ~done & (lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1)
            out[m] = name
            done |= m
        return out

    def zone_names(self) -> Sequence[str]:
        return [name for name, _ in self.zone_boxes]

    def zone_membership(self, lat: F64, lon: F64) -> tuple[I64, I64]:
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        pis: list[I64] = []
        zis: list[I64] = []
        for zi, (_, (la0, la1, lo0, lo1)) in enumerate(self.zone_boxes):
            pi = np.flatnonzero((lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1))
            pis.append(pi.astype(np.int64))
            zis.append(np.full(len(pi), zi, dtype=np.int64))
        if not pis:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(pis), np.concatenate(zis)


def _haversine(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> F64:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0))), np.float64)
