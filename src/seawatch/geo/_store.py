"""Compact storage of polygon sets in ``.npz`` files (used by the build script and the loaders).

A polygon set is a list of (multi)polygons. Their rings are stored as one ``int32`` array of
coordinates quantised to 1e-6 degree (about 0.1 m) and delta-encoded within each ring (the first
vertex absolute), which zlib then compresses to roughly 2.5 bytes a vertex. ``ring_len`` holds
the vertex count of each ring (closing vertex included), ``ring_geom`` the polygon set index it
belongs to and ``ring_shell`` whether it is an exterior ring (its holes follow it).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from seawatch._exceptions import GeoError

REGION_NAMES: tuple[str, ...] = ("caribbean", "eastern-pacific", "gulf-of-mexico")
"""The named regions, in the order of ``regions.npz``."""


def data_dir() -> Path:
    """Folder of the bundled geography files."""
    return Path(str(resources.files("seawatch") / "data" / "geo"))


@functools.cache
def zone_names() -> tuple[str, ...]:
    """The bundled zones' names in :func:`seawatch.geo.zones` order (the named regions, then
    ``XX-territorial``/``XX-contiguous``/``XX-eez`` by country), read without building a
    geometry or an index (the filters' vocabulary needs only these)."""
    return (*REGION_NAMES, *(str(n) for n in load_npz(data_dir() / "zones.npz")["names"]))


QUANTUM_DEG = 1e-6

F64 = npt.NDArray[np.float64]


def encode_rings(geoms: Sequence[BaseGeometry], prefix: str = "") -> dict[str, npt.NDArray[Any]]:
    """Arrays describing the rings of ``geoms`` (polygons or multipolygons)."""
    lens: list[int] = []
    owner: list[int] = []
    shell: list[bool] = []
    chunks: list[npt.NDArray[np.int32]] = []
    for gi, geom in enumerate(geoms):
        for poly in shapely.get_parts(geom):
            if poly.is_empty:
                continue
            rings = [poly.exterior, *poly.interiors]
            for ri, ring in enumerate(rings):
                xy = np.round(np.asarray(ring.coords)[:, :2] / QUANTUM_DEG).astype(np.int64)
                d = np.empty_like(xy)
                d[0] = xy[0]
                d[1:] = np.diff(xy, axis=0)
                chunks.append(d.astype(np.int32))
                lens.append(len(xy))
                owner.append(gi)
                shell.append(ri == 0)
    xy_all = np.concatenate(chunks) if chunks else np.zeros((0, 2), np.int32)
    return {
        f"{prefix}dxy": xy_all,
        f"{prefix}ring_len": np.asarray(lens, np.int32),
        f"{prefix}ring_geom": np.asarray(owner, np.int32),
        f"{prefix}ring_shell": np.asarray(shell, np.bool_),
        f"{prefix}ngeom": np.asarray([len(geoms)], np.int64),
    }


class RingSet:
    """Decoded rings: absolute coordinates and per-ring metadata."""

    __slots__ = ("lat", "lon", "ngeom", "ring_geom", "ring_shell", "ring_start")

    def __init__(self, arrays: Any, prefix: str = "") -> None:
        try:
            dxy = np.asarray(arrays[f"{prefix}dxy"], np.int64)
            ring_len = np.asarray(arrays[f"{prefix}ring_len"], np.int64)
            self.ring_geom = np.asarray(arrays[f"{prefix}ring_geom"], np.int64)
            self.ring_shell = np.asarray(arrays[f"{prefix}ring_shell"], np.bool_)
            self.ngeom = int(arrays[f"{prefix}ngeom"][0])
        except KeyError as exc:
            raise GeoError(f"bundled geography is incomplete: missing {exc}") from exc
        self.ring_start = np.zeros(len(ring_len) + 1, np.int64)
        np.cumsum(ring_len, out=self.ring_start[1:])
        # undo the delta encoding: cumulative sum restarted at each ring
        xy = np.cumsum(dxy, axis=0)
        firsts = self.ring_start[:-1]
        if len(firsts):
            prev = np.zeros((len(firsts), 2), np.int64)
            prev[1:] = xy[firsts[1:] - 1]
            base_idx = np.repeat(np.arange(len(firsts)), ring_len)
            base = prev[base_idx]
            xy = xy - base
        self.lon = xy[:, 0].astype(np.float64) * QUANTUM_DEG
        self.lat = xy[:, 1].astype(np.float64) * QUANTUM_DEG

    def edges(self) -> tuple[F64, F64, F64, F64, npt.NDArray[np.int32]]:
        """``x1, y1, x2, y2, geom`` of every ring edge."""
        n = len(self.lon)
        if n == 0:
            e = np.zeros(0)
            return e, e, e, e, np.zeros(0, np.int32)
        last = np.zeros(n, np.bool_)
        last[self.ring_start[1:] - 1] = True
        take = np.flatnonzero(~last)
        ring_of = np.repeat(np.arange(len(self.ring_start) - 1), np.diff(self.ring_start))
        return (
            self.lon[take],
            self.lat[take],
            self.lon[take + 1],
            self.lat[take + 1],
            self.ring_geom[ring_of[take]].astype(np.int32),
        )

    def geometries(self) -> list[BaseGeometry]:
        """Rebuild the (multi)polygons as shapely geometries."""
        coords = np.column_stack([self.lon, self.lat])
        polys: list[list[BaseGeometry]] = [[] for _ in range(self.ngeom)]
        nring = len(self.ring_start) - 1
        i = 0
        while i < nring:
            j = i + 1
            while j < nring and not self.ring_shell[j]:
                j += 1
            shell = coords[self.ring_start[i] : self.ring_start[i + 1]]
            holes = [coords[self.ring_start[h] : self.ring_start[h + 1]] for h in range(i + 1, j)]
            polys[int(self.ring_geom[i])].append(shapely.Polygon(shell, holes))
            i = j
        out: list[BaseGeometry] = []
        for parts in polys:
            if not parts:
                out.append(shapely.MultiPolygon())
            elif len(parts) == 1:
                out.append(parts[0])
            else:
                out.append(shapely.MultiPolygon(parts))
        return out


def load_npz(path: Path) -> Any:
    """Open a bundled ``.npz`` (GeoError when missing)."""
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError as exc:
        raise GeoError(
            f"bundled geography file is missing: {path.name} (reinstall seawatch)"
        ) from exc
