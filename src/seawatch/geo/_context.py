"""The geography a detector may ask about: the :class:`GeoContext` protocol, the bundled
geography behind it (:class:`BundledGeo`) and an in-memory one for tests and examples
(:class:`FakeGeo`: a straight coastline, a few ports and rectangular zones, so that detector
tests never depend on bundled data). ``resolve_geo(None)`` is the bundled geography.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from seawatch._units import EARTH_RADIUS_M

__all__ = ["BundledGeo", "FakeGeo", "FakePort", "GeoContext", "resolve_geo"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
Obj = npt.NDArray[np.object_]


def _haversine(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> F64:
    from seawatch.geo._api import haversine_m

    return haversine_m(lat1, lon1, lat2, lon2)


@runtime_checkable
class GeoContext(Protocol):
    """The geography detectors need. All functions are vectorised over ``lat``/``lon``
    arrays in degrees (WGS 84).

    A geography may also offer cheap bounds, ``distance_to_shore_bounds(lat, lon)`` and
    ``nearest_port_bounds(lat, lon)`` returning ``(lo, hi)`` around the exact distances
    (:class:`BundledGeo` does, from precomputed grids); detectors then call the exact
    functions only where the bounds cannot decide. They are optional: without them every
    point is looked up exactly, with the same results."""

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
    """:mod:`seawatch.geo`, whose bundled data load on first use."""
    import seawatch.geo

    return seawatch.geo


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

    def distance_to_shore_bounds(self, lat: F64, lon: F64) -> tuple[F64, F64]:
        """``(lo, hi)`` around :meth:`distance_to_shore_m` from a precomputed 1/8-degree grid
        (optional :class:`GeoContext` extra: detectors prune exact calls with it)."""
        from seawatch.geo._api import distance_to_shore_bounds

        return distance_to_shore_bounds(lat, lon)

    def nearest_port_bounds(self, lat: F64, lon: F64) -> tuple[F64, F64]:
        """``(lo, hi)`` around the distance of :meth:`nearest_port` from a precomputed
        1/8-degree grid (optional :class:`GeoContext` extra)."""
        from seawatch.geo._api import nearest_port_bounds

        return nearest_port_bounds(lat, lon)

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
