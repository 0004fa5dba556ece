"""Rough, independent geography for checking scenario placement (tests only).

Land from Natural Earth 10 m (clipped to the focus region) plus minor islands; port and
anchorage points from the NGA World Port Index and GFW's named anchorages, all read from
``../shared/data``. Distances are approximate (a local equirectangular metric), good to a
few per cent: enough to say "this encounter is > 40 nm from land".
"""

from __future__ import annotations

import csv
import functools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree

M_PER_NM = 1852.0
M_PER_DEG = 111_195.0


@functools.cache
def _land(data: Path) -> tuple[STRtree, list[Any]]:
    geoms: list[Any] = []
    for rel in (
        "natural-earth/derived/ne_10m_land_clip_120W-50W_20S-35N.geojson",
        "natural-earth/10m/physical/ne_10m_minor_islands.json",
    ):
        fc = json.loads((data / rel).read_text(encoding="utf-8"))
        for f in fc["features"]:
            g = shape(f["geometry"])
            if g.is_empty:
                continue
            b = g.bounds
            if b[2] < -125 or b[0] > -45 or b[3] < -25 or b[1] > 40:
                continue
            geoms.extend(getattr(g, "geoms", [g]))
    return STRtree(geoms), geoms


def dist_to_land_nm(data: Path, lat: float, lon: float) -> float:
    """Approximate distance from a point to the nearest land, in nautical miles."""
    tree, geoms = _land(data)
    pt = shapely.Point(lon, lat)
    coslat = math.cos(math.radians(lat))

    def local(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(
            ((xy[:, 0] - lon) * coslat * M_PER_DEG, (xy[:, 1] - lat) * M_PER_DEG)
        )

    best = math.inf
    origin = shapely.Point(0.0, 0.0)
    for radius in (1.0, 3.0, 8.0):
        for k in tree.query(pt.buffer(radius)):
            g = shapely.transform(geoms[int(k)], local)
            best = min(best, float(shapely.distance(g, origin)))
        if best < radius * 0.9 * M_PER_DEG * coslat:
            break
    return best / M_PER_NM


@functools.cache
def ports(data: Path) -> np.ndarray:
    """``(n, 2)`` lat/lon of WPI ports and GFW named anchorages."""
    pts: list[tuple[float, float]] = []
    with (data / "nga-world-port-index/NGA/WPI/UpdatedPub150.csv").open(encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            pts.append((float(r["Latitude"]), float(r["Longitude"])))
    gfw = data / "gfw-anchorages/anchorages_pipeline/pipe_anchorages/data/port_lists"
    with (gfw / "anchorage_overrides.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            pts.append((float(r["latitude"]), float(r["longitude"])))
    with (gfw / "WPI_ports.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            pts.append((float(r["latitude"]), float(r["longitude"])))
    return np.array(pts)


def nearest_port_km(data: Path, lat: float, lon: float) -> float:
    """Approximate distance to the nearest port or anchorage point, km."""
    p = ports(data)
    dy = (p[:, 0] - lat) * M_PER_DEG
    dx = (p[:, 1] - lon) * M_PER_DEG * math.cos(math.radians(lat))
    return float(np.min(np.hypot(dx, dy))) / 1000.0


def nearest_port_km_many(data: Path, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """:func:`nearest_port_km` for arrays of points (ports prefiltered to the bounding box)."""
    p = ports(data)
    pad = 1.0
    box = (
        (p[:, 0] > lat.min() - pad)
        & (p[:, 0] < lat.max() + pad)
        & (p[:, 1] > lon.min() - pad)
        & (p[:, 1] < lon.max() + pad)
    )
    q = p[box]
    if len(q) == 0:
        return np.full(len(lat), np.inf)
    dy = (q[None, :, 0] - lat[:, None]) * M_PER_DEG
    dx = (q[None, :, 1] - lon[:, None]) * M_PER_DEG * np.cos(np.radians(lat[:, None]))
    out: np.ndarray = np.hypot(dx, dy).min(axis=1) / 1000.0
    return out
