"""Geometry the API returns: simplified tracks, zones and land as GeoJSON, presence hours.

Heavy lifting is vectorised (shapely 2 / numpy); the queries themselves live in ``_data``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from seawatch._exceptions import GeoError
from seawatch.api._data import Data, iso
from seawatch.report.records import TRACK_SCHEMA

__all__ = [
    "DETAIL_TOLERANCE_DEG",
    "TrackParams",
    "land_geojson",
    "presence",
    "track_json",
    "zone_names",
    "zones_geojson",
]

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


def _coords_json(coords: np.ndarray[Any, Any]) -> str:
    """``[[lon,lat],...]`` as JSON text, formatted by Arrow (vectorised, shortest repr)."""
    lon = pc.cast(pa.array(coords[:, 0]), pa.string())
    lat = pc.cast(pa.array(coords[:, 1]), pa.string())
    pairs = pc.binary_join_element_wise(lon, lat, ",").to_pylist()
    return "[[" + "],[".join(pairs) + "]]"


def track_json(data: Data, mmsi: int, params: TrackParams) -> str:
    """The vessel's track as GeoJSON Feature text (LineString, MultiLineString, or a null
    geometry with fewer than two points); built as text, since a 100k-point track is
    mostly number formatting."""
    t, lon, lat = data.track_points(mmsi, since=params.since, until=params.until)
    n = int(t.shape[0])
    props: dict[str, Any] = {
        "schema": TRACK_SCHEMA,
        "mmsi": mmsi,
        "n_positions": n,
        "n_points_out": 0,
        "n_lines": 0,
        "start": _ts(int(t[0])) if n else None,
        "end": _ts(int(t[-1])) if n else None,
        "tolerance_deg": params.tolerance_deg,
    }
    head = '{"type":"Feature","id":' + json.dumps(str(mmsi)) + ',"geometry":'
    if n < 2:
        return head + 'null,"properties":' + json.dumps(props) + "}"
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
        return head + 'null,"properties":' + json.dumps(props) + "}"
    _, idx = np.unique(idx, return_inverse=True)
    if params.tolerance_deg > 0:
        lines = shapely.linestrings(coords, indices=idx)
        lines = shapely.simplify(lines, params.tolerance_deg, preserve_topology=False)
        out_coords, out_idx = shapely.get_coordinates(lines, return_index=True)
    else:
        out_coords, out_idx = coords, idx
    out_coords = np.round(out_coords, 6)
    splits = np.flatnonzero(np.diff(out_idx)) + 1
    parts = [_coords_json(p) for p in np.split(out_coords, splits)]
    props["n_points_out"] = int(out_coords.shape[0])
    props["n_lines"] = len(parts)
    if len(parts) == 1:
        geometry = '{"type":"LineString","coordinates":' + parts[0] + "}"
    else:
        geometry = '{"type":"MultiLineString","coordinates":[' + ",".join(parts) + "]}"
    return head + geometry + ',"properties":' + json.dumps(props) + "}"


# --------------------------------------------------------------------------------------
# bundled geography


def _geo(name: str) -> Any:
    """``seawatch.geo.<name>``, or :class:`GeoError` when the geography layer lacks it."""
    try:
        import seawatch.geo as geo

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


def zone_names(extra: Path | None = None) -> list[str]:
    """Names of the bundled zones and of the user zones of ``extra``."""
    return list(_geo("zones")(extra).names)


@functools.lru_cache(maxsize=64)
def zones_geojson(
    *,
    names: tuple[str, ...] | None,
    kinds: tuple[str, ...] | None,
    countries: tuple[str, ...] | None,
    detail: str,
    extra: Path | None = None,
) -> str:
    """The bundled zones and the user zones of ``extra`` (a GeoJSON file), optionally
    filtered, as a GeoJSON FeatureCollection (a JSON string)."""
    zs = _geo("zones")(extra)
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
# presence: hours per vessel within distances of a country's coast


def presence(
    data: Data,
    country: str,
    *,
    ranges_nm: tuple[float, ...],
    since: datetime | None,
    until: datetime | None,
    flags: tuple[str, ...] | None,
    groups: tuple[str, ...] | None,
    max_gap_h: float,
    by: str,
    limit: int,
    max_unheard_h: float = 12.0,
) -> dict[str, Any]:
    """The ``seawatch.presence/1`` document (:func:`seawatch.report.presence.presence_document`,
    the one ``seawatch presence --format json`` prints) over this snapshot."""
    from seawatch.report import check_country
    from seawatch.report.presence import PresenceParams, presence_document

    params = PresenceParams(
        country=check_country(country),
        ranges_nm=ranges_nm,
        max_gap_h=max_gap_h,
        max_unheard_h=max_unheard_h,
        by="day" if by == "day" else "vessel",
        groups=groups,
        flags=flags,
    )
    with data._cursor() as cur:
        return presence_document(
            cur, params, since=since, until=until, limit=limit, vessels="_vessels"
        )
