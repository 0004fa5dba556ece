"""Geometry the API returns: simplified tracks, zones and land as GeoJSON, presence hours.

Heavy lifting is vectorised (shapely 2 / numpy); the queries themselves live in ``_data``.
"""

from __future__ import annotations

import functools
import importlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely

from seawatch._exceptions import GeoError, NotFoundError, ParameterError
from seawatch.api._data import Data, iso

__all__ = ["TrackParams", "land_geojson", "presence", "track_feature", "zones_geojson"]

_TILE_PX = 512.0


def tolerance_for_zoom(zoom: float) -> float:
    """Simplification tolerance in degrees: about half a screen pixel at web-map ``zoom``."""
    return float(360.0 / (_TILE_PX * 2.0 ** float(zoom)) / 2.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackParams:
    """How a track is cut and simplified."""

    since: datetime | None = None
    until: datetime | None = None
    tolerance_deg: float = 0.0
    """Douglas-Peucker tolerance in degrees (0 keeps every point)."""
    max_gap_h: float = 6.0
    """A gap this long or longer between reports starts a new line."""


def _ts(us: int) -> str | None:
    return iso(datetime.fromtimestamp(us / 1e6, tz=UTC))


def track_feature(data: Data, mmsi: int, params: TrackParams) -> dict[str, Any]:
    """The vessel's track as a GeoJSON Feature (LineString, MultiLineString or null geometry)."""
    t, lon, lat = data.track_points(mmsi, since=params.since, until=params.until)
    n = int(t.shape[0])
    props: dict[str, Any] = {
        "mmsi": mmsi,
        "n_points": n,
        "n_points_out": 0,
        "n_lines": 0,
        "start": _ts(int(t[0])) if n else None,
        "end": _ts(int(t[-1])) if n else None,
        "tolerance_deg": params.tolerance_deg,
    }
    if n < 2:
        return {"type": "Feature", "id": str(mmsi), "geometry": None, "properties": props}
    gap_us = params.max_gap_h * 3_600_000_000.0
    breaks = np.flatnonzero(np.diff(t) >= gap_us) + 1
    seg = np.zeros(n, dtype=np.int64)
    seg[breaks] = 1
    seg = np.cumsum(seg)
    counts = np.bincount(seg)
    keep = counts[seg] >= 2  # a line needs two points
    coords = np.column_stack([lon[keep], lat[keep]])
    idx = seg[keep]
    if coords.shape[0] == 0:
        return {"type": "Feature", "id": str(mmsi), "geometry": None, "properties": props}
    _, idx = np.unique(idx, return_inverse=True)
    lines = shapely.linestrings(coords, indices=idx)
    if params.tolerance_deg > 0:
        lines = shapely.simplify(lines, params.tolerance_deg, preserve_topology=False)
    out_coords, out_idx = shapely.get_coordinates(lines, return_index=True)
    out_coords = np.round(out_coords, 6)
    splits = np.flatnonzero(np.diff(out_idx)) + 1
    parts = [p.tolist() for p in np.split(out_coords, splits)]
    props["n_points_out"] = int(out_coords.shape[0])
    props["n_lines"] = len(parts)
    geometry: dict[str, Any]
    if len(parts) == 1:
        geometry = {"type": "LineString", "coordinates": parts[0]}
    else:
        geometry = {"type": "MultiLineString", "coordinates": parts}
    return {"type": "Feature", "id": str(mmsi), "geometry": geometry, "properties": props}


# --------------------------------------------------------------------------------------
# bundled geography


def _geo(name: str) -> Any:
    """``seawatch.geo.<name>``, or :class:`GeoError` when the geography layer lacks it."""
    try:
        geo = importlib.import_module("seawatch.geo")
        return getattr(geo, name)
    except (ImportError, AttributeError) as exc:  # geography is optional for the rest
        raise GeoError(f"the bundled geography is not available (seawatch.geo.{name})") from exc


DETAIL_TOLERANCE_DEG: dict[str, float] = {"low": 0.1, "medium": 0.02, "high": 0.005}
"""Simplification tolerance of each level of detail of the map layers (degrees)."""


def _geojson_strings(geoms: Any, tolerance_deg: float) -> list[str | None]:
    """Each geometry simplified (vectorised), rounded to 1e-4 degree, as a GeoJSON string."""
    arr = np.asarray(geoms, dtype=object)
    if tolerance_deg > 0:
        arr = shapely.simplify(arr, tolerance_deg, preserve_topology=False)
    arr = shapely.transform(arr, lambda c: np.round(c, 4))
    out: list[str | None] = []
    for g, text in zip(arr, shapely.to_geojson(arr), strict=True):
        out.append(None if g is None or shapely.is_empty(g) else str(text))
    return out


def _collection(features: list[str]) -> str:
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


@functools.lru_cache(maxsize=64)
def zones_geojson(
    *,
    names: tuple[str, ...] | None,
    kinds: tuple[str, ...] | None,
    countries: tuple[str, ...] | None,
    detail: str,
) -> str:
    """The bundled zones (optionally filtered) as a GeoJSON FeatureCollection (a JSON string)."""
    zs = _geo("zones")()
    picked = []
    for name in zs.names:
        zone = zs.zone(name)
        kind = getattr(zone, "kind", None)
        country = getattr(zone, "country", None)
        if names and name not in names:
            continue
        if kinds and kind not in kinds:
            continue
        if countries and country not in countries:
            continue
        picked.append((name, kind, country, zone.geometry))
    geoms = _geojson_strings([p[3] for p in picked], DETAIL_TOLERANCE_DEG[detail])
    features = [
        '{"type":"Feature","id":'
        + json.dumps(name)
        + ',"properties":'
        + json.dumps({"name": name, "kind": kind, "country": country})
        + ',"geometry":'
        + ("null" if g is None else g)
        + "}"
        for (name, kind, country, _), g in zip(picked, geoms, strict=True)
    ]
    return _collection(features)


@functools.lru_cache(maxsize=4)
def land_geojson(*, detail: str) -> str:
    """The bundled land polygons as a GeoJSON FeatureCollection (a JSON string): the map's
    offline basemap."""
    parts = shapely.get_parts(_geo("land_geometry")())
    geoms = _geojson_strings(parts, DETAIL_TOLERANCE_DEG[detail])
    features = [
        '{"type":"Feature","properties":{},"geometry":' + g + "}" for g in geoms if g is not None
    ]
    return _collection(features)


# --------------------------------------------------------------------------------------
# presence: hours per vessel in distance bands of a country's coast

BANDS = (("territorial", "0-12 nm"), ("contiguous", "12-24 nm"), ("eez", "24-200 nm"))


def presence(
    data: Data,
    country: str,
    *,
    since: datetime | None,
    until: datetime | None,
    flags: tuple[str, ...] | None,
    groups: tuple[str, ...] | None,
    max_interval_h: float,
    limit: int,
) -> dict[str, Any]:
    """Hours each vessel spent in ``country``'s territorial sea, contiguous zone and EEZ.

    Bands are exclusive: 0-12 nm (territorial), 12-24 nm (contiguous), 24-200 nm (EEZ).
    A report's time counts until the vessel's next report, capped at ``max_interval_h``
    (so a vessel that went silent is not counted for the whole silence); it is credited to
    the band where that report lies.
    """
    if max_interval_h <= 0:
        raise ParameterError("max_interval_h must be positive")
    country = country.upper()
    zs = _geo("zones")()
    zone_names = [f"{country}-{suffix}" for suffix, _ in BANDS]
    known = set(zs.names)
    present = [n for n in zone_names if n in known]
    if not present:
        raise NotFoundError(f"no bundled zones for country {country!r}")
    geoms = [zs.zone(n).geometry if n in known else None for n in zone_names]
    outer = next(g for g in reversed(geoms) if g is not None)
    min_lon, min_lat, max_lon, max_lat = shapely.bounds(outer).tolist()
    mmsis = None
    if flags or groups:
        mmsis = data.mmsis_where(flags=flags, groups=groups)
    table = data.positions_in_box(
        (min_lon, min_lat, max_lon, max_lat), since=since, until=until, mmsis=mmsis
    )
    n = table.num_rows
    rows: list[dict[str, Any]] = []
    if n:
        mm = table["mmsi"].to_numpy().astype(np.int64)
        t = table["t"].to_numpy().astype(np.int64)
        lat = table["lat"].to_numpy()
        lon = table["lon"].to_numpy()
        cap_us = int(max_interval_h * 3_600_000_000)
        dt = np.zeros(n, dtype=np.int64)
        same = mm[1:] == mm[:-1]
        dt[:-1] = np.where(same, np.minimum(t[1:] - t[:-1], cap_us), 0)
        band = np.full(n, -1, dtype=np.int64)
        for i in reversed(range(len(geoms))):  # innermost last, so it wins
            g = geoms[i]
            if g is None:
                continue
            shapely.prepare(g)
            band[shapely.contains_xy(g, lon, lat)] = i
        inside = band >= 0
        if inside.any():
            keys, inv = np.unique(mm[inside], return_inverse=True)
            hours = np.zeros((keys.shape[0], len(BANDS)))
            np.add.at(hours, (inv, band[inside]), dt[inside] / 3.6e9)
            first = np.full(keys.shape[0], np.iinfo(np.int64).max)
            last = np.full(keys.shape[0], np.iinfo(np.int64).min)
            np.minimum.at(first, inv, t[inside])
            np.maximum.at(last, inv, t[inside])
            attrs = data.vessel_attrs(keys.tolist())
            order = np.argsort(-hours.sum(axis=1), kind="stable")
            for k in order[:limit]:
                m = int(keys[k])
                a = attrs.get(m, {})
                rows.append(
                    {
                        "mmsi": m,
                        "name": a.get("name"),
                        "flag": a.get("flag"),
                        "group": a.get("group"),
                        "hours": {
                            label: round(float(hours[k, j]), 3)
                            for j, (_, label) in enumerate(BANDS)
                        },
                        "total_h": round(float(hours[k].sum()), 3),
                        "first_seen": _ts(int(first[k])),
                        "last_seen": _ts(int(last[k])),
                    }
                )
    return {
        "country": country,
        "zones": present,
        "bands": [label for _, label in BANDS],
        "max_interval_h": max_interval_h,
        "since": iso(since),
        "until": iso(until),
        "vessels": rows,
    }
