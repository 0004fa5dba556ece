"""Zones: named polygons (bundled regions, country maritime zones, user GeoJSON) and a
vectorised membership test over all of them at once."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from seawatch._exceptions import GeoError, NotFoundError
from seawatch.geo import _cache
from seawatch.geo._api import data_dir, region_geometries
from seawatch.geo._index import Edges, Grid, MembershipIndex, latlon
from seawatch.geo._store import RingSet, load_npz

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

ZONE_CELLS_PER_DEG = 8
"""Membership grid resolution (cells per degree); exact tests only in cells a boundary crosses."""

KINDS = ("region", "territorial", "contiguous", "eez", "user")

_LOCK = threading.RLock()


@dataclass(frozen=True, slots=True)
class Zone:
    """A named zone: ``kind`` is one of :data:`KINDS`; ``country`` the ISO-2 code for country
    zones (else None); ``geometry`` a shapely (multi)polygon in lon/lat degrees."""

    name: str
    kind: str
    country: str | None
    geometry: BaseGeometry


class ZoneSet:
    """An ordered set of zones with a membership index over all of them.

    ``names[i]`` is the name of zone ``i``; :meth:`membership` returns ``(point_idx, zone_idx)``
    pairs. Membership is exact for the stored polygons (even-odd rule; points exactly on a
    boundary may fall either side).
    """

    __slots__ = ("_by_name", "_cache_files", "_index", "_zones")

    def __init__(self, zones: Sequence[Zone], *, cache_files: Sequence[Path] = ()) -> None:
        # cache_files: the data the zones were read from; when given, the index is kept in
        # the on-disk cache (seawatch.geo._cache) under their key, not rebuilt per process
        self._zones = tuple(zones)
        self._cache_files = tuple(cache_files)
        self._by_name: dict[str, int] = {}
        for i, z in enumerate(self._zones):
            if z.name in self._by_name:
                raise GeoError(f"duplicate zone name {z.name!r}")
            self._by_name[z.name] = i
        self._index: MembershipIndex | None = None

    @property
    def names(self) -> list[str]:
        """Zone names in index order."""
        return [z.name for z in self._zones]

    def __len__(self) -> int:
        return len(self._zones)

    def __iter__(self) -> Iterator[Zone]:
        return iter(self._zones)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def zone(self, name: str) -> Zone:
        """The zone called ``name`` (NotFoundError if there is none)."""
        try:
            return self._zones[self._by_name[name]]
        except KeyError:
            raise NotFoundError(f"no zone named {name!r}") from None

    def index_of(self, name: str) -> int:
        """Position of zone ``name`` in :attr:`names`."""
        self.zone(name)
        return self._by_name[name]

    def _idx(self) -> MembershipIndex:
        if self._index is None:
            with _LOCK:
                if self._index is None:
                    self._index = self._build_index()
        return self._index

    def _build_index(self) -> MembershipIndex:
        geoms = [z.geometry for z in self._zones]
        grid = Grid.covering(_bounds(geoms), ZONE_CELLS_PER_DEG)
        key = _cache.index_key("zones", self._cache_files) if self._cache_files else ""
        cached = _cache.load("zones", key) if key else None
        if cached is not None:
            try:
                return MembershipIndex.from_state(cached, "", grid)
            except (KeyError, ValueError, TypeError):
                pass
        edges = Edges.from_geometries(geoms, max_len_deg=1.0 / ZONE_CELLS_PER_DEG)
        index = MembershipIndex(edges, len(geoms), grid)
        if key:
            _cache.save("zones", key, index.state(""))
        return index

    def membership(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[I64, I64]:
        """``(point_idx, zone_idx)`` for every point inside every zone, sorted by point then
        zone index."""
        la, lo = latlon(lat, lon)
        if not self._zones:
            e = np.zeros(0, np.int64)
            return e, e
        return self._idx().pairs(la, lo)

    def contains(self, name: str, lat: npt.ArrayLike, lon: npt.ArrayLike) -> Bool:
        """Whether each point lies in zone ``name``."""
        zi = self.index_of(name)
        la, lo = latlon(lat, lon)
        pi, z = self.membership(la, lo)
        out = np.zeros(len(la), np.bool_)
        out[pi[z == zi]] = True
        return out

    def to_geojson(
        self, *, names: Sequence[str] | None = None, tolerance_deg: float = 0.005
    ) -> dict[str, Any]:
        """A GeoJSON FeatureCollection of the zones (all, or ``names``), simplified by
        ``tolerance_deg`` (0.005 degree, about 500 m, by default) for display; properties
        ``name``, ``kind``, ``country``."""
        chosen = [self.zone(n) for n in names] if names is not None else list(self._zones)
        feats = []
        for z in chosen:
            geom = z.geometry
            if tolerance_deg > 0:
                geom = shapely.simplify(geom, tolerance_deg, preserve_topology=True)
            geom = shapely.set_precision(geom, 1e-5)
            feats.append(
                {
                    "type": "Feature",
                    "properties": {"name": z.name, "kind": z.kind, "country": z.country},
                    "geometry": mapping(geom),
                }
            )
        return {"type": "FeatureCollection", "features": feats}


def _bounds(geoms: Sequence[BaseGeometry]) -> tuple[float, float, float, float]:
    b = np.array([g.bounds for g in geoms if not g.is_empty])
    if len(b) == 0:
        return (0.0, 0.0, 1.0, 1.0)
    return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))


# ------------------------------------------------------------------------------------------
# bundled zones


@functools.cache
def _bundled_zones() -> tuple[Zone, ...]:
    with _LOCK:
        zones = [Zone(n, "region", None, g) for n, g in region_geometries().items()]
        arrays = load_npz(data_dir() / "zones.npz")
        names = [str(n) for n in arrays["names"]]
        kinds = [str(k) for k in arrays["kinds"]]
        countries = [str(c) for c in arrays["countries"]]
        geoms = RingSet(arrays).geometries()
        zones += [
            Zone(n, k, c, g) for n, k, c, g in zip(names, kinds, countries, geoms, strict=True)
        ]
        return tuple(zones)


@functools.cache
def _bundled_set() -> ZoneSet:
    d = data_dir()
    return ZoneSet(_bundled_zones(), cache_files=(d / "regions.npz", d / "zones.npz"))


def zones(extra: Path | None = None) -> ZoneSet:
    """The bundled zones (named regions first, then ``XX-territorial``/``XX-contiguous``/
    ``XX-eez`` by country), plus the polygons of the GeoJSON file ``extra`` (kind ``user``).

    The bundled set is built once per process; a set with ``extra`` is cached per file path
    and modification time.
    """
    if extra is None:
        return _bundled_set()
    path = Path(extra)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise GeoError(f"cannot read zone file {path}: {exc.strerror or exc}") from exc
    return _with_extra(str(path.resolve()), mtime)


@functools.lru_cache(maxsize=8)
def _with_extra(path: str, mtime_ns: int) -> ZoneSet:
    user = load_zone_file(Path(path))
    bundled = _bundled_zones()
    taken = {z.name for z in bundled}
    for z in user:
        if z.name in taken:
            raise GeoError(f"{path}: zone name {z.name!r} is already a bundled zone")
    return ZoneSet((*bundled, *user))


# ------------------------------------------------------------------------------------------
# user GeoJSON


def load_zone_file(path: Path) -> list[Zone]:
    """Zones from a GeoJSON file: a FeatureCollection (or one Feature) of Polygon/MultiPolygon
    features, each with a unique non-empty string property ``name`` (optional ``kind`` and
    ``country``). Coordinates are lon/lat degrees (RFC 7946). Raises GeoError naming the
    file and the feature on anything else (including self-intersecting polygons)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GeoError(f"cannot read zone file {path}: {exc}") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeoError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except RecursionError as exc:
        raise GeoError(f"{path}: JSON nested too deeply") from exc
    try:
        return zones_from_geojson(doc, source=str(path))
    except RecursionError as exc:
        raise GeoError(f"{path}: GeoJSON nested too deeply") from exc


def zones_from_geojson(doc: Any, *, source: str = "<geojson>") -> list[Zone]:
    """Validate a parsed GeoJSON document and turn it into zones (see :func:`load_zone_file`)."""
    if not isinstance(doc, dict):
        raise GeoError(f"{source}: expected a GeoJSON object, got {type(doc).__name__}")
    if doc.get("type") == "Feature":
        feats = [doc]
    elif doc.get("type") == "FeatureCollection" and isinstance(doc.get("features"), list):
        feats = doc["features"]
    else:
        raise GeoError(f"{source}: expected a GeoJSON FeatureCollection or Feature")
    if not feats:
        raise GeoError(f"{source}: the FeatureCollection has no features")
    out: list[Zone] = []
    seen: set[str] = set()
    for i, feat in enumerate(feats):
        where = f"{source}: feature {i}"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise GeoError(f"{where}: not a GeoJSON Feature")
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            raise GeoError(f"{where}: properties must be an object")
        name = props.get("name")
        if not isinstance(name, str) or not name.strip():
            raise GeoError(f"{where}: needs a non-empty string property 'name'")
        name = name.strip()
        where = f"{source}: zone {name!r}"
        if name in seen:
            raise GeoError(f"{where}: the name is used twice")
        seen.add(name)
        gj = feat.get("geometry")
        if not isinstance(gj, dict) or gj.get("type") not in ("Polygon", "MultiPolygon"):
            got = gj.get("type") if isinstance(gj, dict) else gj
            raise GeoError(f"{where}: geometry must be a Polygon or MultiPolygon, got {got!r}")
        try:
            geom = shape(gj)
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
            raise GeoError(f"{where}: malformed coordinates ({exc})") from exc
        xy = shapely.get_coordinates(geom)
        if not np.isfinite(xy).all():
            raise GeoError(f"{where}: coordinates must be finite numbers")
        if (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any():
            raise GeoError(f"{where}: coordinates must be lon in [-180, 180], lat in [-90, 90]")
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            raise GeoError(f"{where}: invalid polygon ({reason})")
        if geom.is_empty or not geom.area > 0:
            raise GeoError(f"{where}: the polygon is empty")
        kind = props.get("kind", "user")
        country = props.get("country")
        out.append(
            Zone(
                name,
                str(kind) if kind in KINDS else "user",
                str(country) if isinstance(country, str) and country else None,
                geom,
            )
        )
    return out


def zones_geojson(
    names: Sequence[str] | None = None, *, extra: Path | None = None, tolerance_deg: float = 0.005
) -> dict[str, Any]:
    """GeoJSON FeatureCollection of the zones (see :meth:`ZoneSet.to_geojson`)."""
    return zones(extra).to_geojson(names=names, tolerance_deg=tolerance_deg)
