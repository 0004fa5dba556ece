"""Bundled offline geography: land, coast, ports, named regions and maritime zones.

Everything is derived from public-domain and Apache-2.0 sources (Natural Earth, NGA World Port
Index, Global Fishing Watch anchorages; see NOTICE) by ``tools/build_geo.py`` and shipped in
``seawatch/data/geo`` (about 4.2 MB). Importing this package is cheap: the data are loaded on first
use, once per process. All functions take numpy arrays of ``lat``/``lon`` in degrees (WGS 84)
and are vectorised (numba kernels over a lon/lat grid; exact tests only in boundary cells).

Approximations (see docs/GEOGRAPHY.md):

* **Land and coast**: Natural Earth 10 m land plus minor islands (generalised by a few hundred
  metres; harbours and river mouths may show as land). ``on_land`` is an exact point-in-polygon
  test against these polygons; ``distance_to_shore_m`` is the great-circle distance to their
  boundary: within 5 m of the exact great-circle distance for points within 50 km of it; points
  2 degrees or more from any coast use the coast simplified by 0.02 degree (within 2.3 km).
* **Maritime zones** (``XX-territorial`` 12 nm, ``XX-contiguous`` 24 nm, ``XX-eez`` 200 nm):
  the sea within that distance of the country's land (Natural Earth 10 m coastline as the
  baseline), split between neighbours by equidistance (the median line: each sea point goes to
  the country whose land is nearest), plus the country's own land. They
  ignore straight/archipelagic baselines, low-tide elevations, treaties, joint regimes and
  disputes, and are nested (the EEZ contains the contiguous zone, which contains the
  territorial sea). They are computed for the box 125W-45W, 25S-40N (the Caribbean, the Gulf
  of Mexico and the Pacific off the Americas from the US to Chile); outside it there are none.
  Not for legal use.
* **Named regions**: ``caribbean`` (Natural Earth's Caribbean Sea area with the Gulf of
  Honduras, Golfo de Urabá and Lago de Maracaibo), ``gulf-of-mexico`` (Gulf of Mexico and
  Bahía de Campeche), ``eastern-pacific`` (the Pacific side of the Americas inside
  120W-60W, 20S-32N); each reaches about 5 km inland so that harbour positions count.

The geography interface detectors take: :class:`GeoContext` (a protocol),
:class:`BundledGeo` (this package's data behind it), :class:`FakeGeo` (in memory, for tests)
and :func:`resolve_geo`. Distances: :func:`haversine_m` (numpy, vectorised) and
:func:`hav_m` (the same formula as a scalar numba kernel, for other kernels to call);
:func:`midpoint_lon` and :func:`mean_lon` (halfway between two longitudes, the mean of
groups of them, across the antimeridian).

Public API: :func:`haversine_m`, :func:`distance_to_shore_m`, :func:`on_land`,
:func:`nearest_port`, :func:`ports`, :func:`region_of`, :func:`zones` (a :class:`ZoneSet`
of :class:`Zone`; :func:`zone_names`, their names without building them), :func:`zones_geojson`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seawatch._lazy import lazy_names

if TYPE_CHECKING:
    from seawatch.geo._api import (
        distance_to_shore_m,
        haversine_m,
        land_geometry,
        mean_lon,
        midpoint_lon,
        nearest_port,
        on_land,
        ports,
        region_geometries,
        region_of,
    )
    from seawatch.geo._context import BundledGeo, FakeGeo, FakePort, GeoContext, resolve_geo
    from seawatch.geo._kernels import hav_m
    from seawatch.geo._store import REGION_NAMES, zone_names
    from seawatch.geo._zones import (
        KINDS,
        Zone,
        ZoneSet,
        load_zone_file,
        zones,
        zones_from_geojson,
        zones_geojson,
    )

__all__ = [
    "KINDS",
    "REGION_NAMES",
    "BundledGeo",
    "FakeGeo",
    "FakePort",
    "GeoContext",
    "Zone",
    "ZoneSet",
    "distance_to_shore_m",
    "hav_m",
    "haversine_m",
    "land_geometry",
    "load_zone_file",
    "mean_lon",
    "midpoint_lon",
    "nearest_port",
    "on_land",
    "ports",
    "region_geometries",
    "region_of",
    "resolve_geo",
    "zone_names",
    "zones",
    "zones_from_geojson",
    "zones_geojson",
]

_LAZY = {
    "BundledGeo": "seawatch.geo._context",
    "FakeGeo": "seawatch.geo._context",
    "FakePort": "seawatch.geo._context",
    "GeoContext": "seawatch.geo._context",
    "resolve_geo": "seawatch.geo._context",
    "hav_m": "seawatch.geo._kernels",
    "REGION_NAMES": "seawatch.geo._store",
    "zone_names": "seawatch.geo._store",
    "distance_to_shore_m": "seawatch.geo._api",
    "haversine_m": "seawatch.geo._api",
    "land_geometry": "seawatch.geo._api",
    "mean_lon": "seawatch.geo._api",
    "midpoint_lon": "seawatch.geo._api",
    "nearest_port": "seawatch.geo._api",
    "on_land": "seawatch.geo._api",
    "ports": "seawatch.geo._api",
    "region_geometries": "seawatch.geo._api",
    "region_of": "seawatch.geo._api",
    "KINDS": "seawatch.geo._zones",
    "Zone": "seawatch.geo._zones",
    "ZoneSet": "seawatch.geo._zones",
    "load_zone_file": "seawatch.geo._zones",
    "zones": "seawatch.geo._zones",
    "zones_from_geojson": "seawatch.geo._zones",
    "zones_geojson": "seawatch.geo._zones",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
