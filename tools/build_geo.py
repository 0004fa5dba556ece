"""Build the bundled geography of ``seawatch.geo`` from ``../shared/data``.

Usage::

    python tools/build_geo.py [--data ../shared/data] [--out src/seawatch/data/geo] [--only land,ports,regions,zones]

Inputs (all public domain or Apache-2.0, see NOTICE):

* Natural Earth 10 m land (``ne_10m_land.7z``) and minor islands -> ``land.npz`` (world);
* Natural Earth 50 m admin-0 countries -> which country each 10 m land polygon belongs to;
* Natural Earth 10 m marine areas -> the named regions (``regions.npz``);
* NGA World Port Index and GFW anchorage overrides -> ``ports.parquet``;
* the above -> country maritime zones (``zones.npz``): 12/24/200 nm distance bands around each
  country's land, split between neighbours by equidistance (median line). See docs/GEOGRAPHY.md.

Needs shapely, numpy, pyarrow, py7zr and pyproj (development tools only; the runtime package
needs none of pyproj/py7zr). Deterministic: the same inputs give the same files.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import py7zr
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from seawatch.geo._store import encode_rings  # noqa: E402

NM = 1852.0
# zones are computed for this box (lon_min, lat_min, lon_max, lat_max); land up to MARGIN_DEG
# beyond it is taken into account so that the bands are complete inside the box
ZONE_BOX = (-125.0, -25.0, -45.0, 40.0)
MARGIN_DEG = 4.0
FAR_COAST_TOL_DEG = 0.02
LANDLOCKED = frozenset({"BO", "PY"})  # in the zone box: land for the median line, no zones
ZONE_BANDS = (("territorial", 12.0), ("contiguous", 24.0), ("eez", 200.0))


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def read_geojson(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        feats: list[dict[str, Any]] = json.load(fh)["features"]
    return feats


def read_7z_geojson(path: Path) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        with py7zr.SevenZipFile(path) as archive:
            archive.extractall(tmp)
        (inner,) = Path(tmp).glob("*.json")
        return read_geojson(inner)


# ------------------------------------------------------------------------------------------
# land


def world_land(data: Path) -> BaseGeometry:
    ne = data / "natural-earth" / "10m" / "physical"
    land = [shape(f["geometry"]) for f in read_7z_geojson(ne / "ne_10m_land.7z")]
    minor = [shape(f["geometry"]) for f in read_geojson(ne / "ne_10m_minor_islands.json")]
    geom = shapely.union_all(shapely.make_valid(np.array(land + minor, dtype=object)))
    return shapely.normalize(geom)


def build_land(land: BaseGeometry, out: Path) -> None:
    parts = shapely.get_parts(land)
    log(f"land: {len(parts)} polygons, {shapely.get_num_coordinates(land)} vertices")
    # a coarse coast for distances far from shore (error <= FAR_COAST_TOL_DEG, ~2.2 km)
    # (islands that the simplification collapses are kept as they are)
    simple = shapely.simplify(parts, FAR_COAST_TOL_DEG, preserve_topology=False)
    collapsed = shapely.is_empty(simple) | (shapely.area(simple) <= 0)
    far = [g for g in np.where(collapsed, parts, simple) if not g.is_empty]
    log(f"land: far coast {sum(shapely.get_num_coordinates(p) for p in far)} vertices")
    np.savez_compressed(
        out / "land.npz", **encode_rings([land]), **encode_rings(far, prefix="far_")
    )


# ------------------------------------------------------------------------------------------
# countries


# French and Dutch overseas parts get their own ISO codes (Natural Earth 50 m keeps them in
# the France and Netherlands features); boxes are (lon_min, lat_min, lon_max, lat_max)
OVERSEAS_PARTS = (
    ("FR", (-61.9, 15.8, -61.0, 16.6), "GP"),
    ("FR", (-61.3, 14.3, -60.7, 15.0), "MQ"),
    ("FR", (-55.0, 2.0, -51.0, 6.0), "GF"),
    ("FR", (-57.0, 46.0, -55.0, 48.0), "PM"),
    ("NL", (-68.5, 11.9, -68.0, 12.4), "BQ"),
    ("NL", (-63.4, 17.3, -62.9, 17.8), "BQ"),
)
# islands that Natural Earth 50 m countries leave out and that nearest-country or the port
# votes would give to the wrong state (de facto administration; several are disputed):
# (name, lon, lat, radius in degrees, ISO-2); small land polygons within the radius go to ISO-2
ISLAND_OWNERS = (
    ("Isla de Aves", -63.638, 15.699, 0.1, "VE"),
    ("Archipielago Las Aves", -67.45, 11.97, 0.3, "VE"),
    ("Los Roques", -66.75, 11.85, 0.3, "VE"),
    ("La Orchila", -66.18, 11.80, 0.15, "VE"),
    ("Isla del Coco", -87.05, 5.53, 0.2, "CR"),
    ("Isla de Malpelo", -81.60, 4.00, 0.2, "CO"),
    ("Clipperton", -109.21, 10.30, 0.2, "FR"),
    ("Navassa", -75.01, 18.40, 0.1, "US"),
    ("Swan Islands", -83.93, 17.41, 0.2, "HN"),
    ("San Andres", -81.70, 12.55, 0.2, "CO"),
    ("Providencia", -81.37, 13.35, 0.15, "CO"),
    ("Roncador", -80.09, 13.58, 0.1, "CO"),
    ("Serranilla Bank", -79.85, 15.82, 0.2, "CO"),
    ("Bajo Nuevo", -78.64, 15.86, 0.1, "CO"),
)
ISO2_FIXES = {"FRA": "FR", "NOR": "NO", "CYN": "CY", "SOL": "SO", "ATC": "AU", "IOA": "AU"}


def countries50(data: Path) -> list[tuple[str, BaseGeometry]]:
    """(ISO-2, polygon) of Natural Earth 50 m admin-0, overseas parts split off."""
    feats = read_geojson(
        data / "natural-earth" / "50m" / "cultural" / "ne_50m_admin_0_countries.json"
    )
    out: list[tuple[str, BaseGeometry]] = []
    for f in feats:
        p = f["properties"]
        iso = p["ISO_A2"]
        if iso in (None, "", "-99"):
            iso = ISO2_FIXES.get(p["ADM0_A3"])
        if not iso:
            continue
        geom = shapely.make_valid(shape(f["geometry"]))
        for parent, bbox, code in OVERSEAS_PARTS:
            if parent != iso:
                continue
            cut = shapely.box(*bbox)
            piece = shapely.intersection(geom, cut)
            if not piece.is_empty:
                out.append((code, piece))
                geom = shapely.difference(geom, cut)
        out.append((iso, geom))
    return out


def country_land(
    land: BaseGeometry,
    countries: list[tuple[str, BaseGeometry]],
    points: tuple[np.ndarray, np.ndarray, np.ndarray],
    bbox: tuple[float, float, float, float],
) -> dict[str, BaseGeometry]:
    """The 10 m land inside ``bbox``, split by country.

    A land polygon touching one (slightly widened) 50 m country goes to it; one touching several
    is cut along the 50 m borders (slivers outside every 50 m country go to the nearest one);
    one touching none (small islands) goes to the country of
    the ports/anchorages within 15 km (majority), else to the nearest 50 m country; the
    ISLAND_OWNERS table has the last word.
    """
    clip = shapely.clip_by_rect(land, *bbox)
    parts = [p for p in shapely.get_parts(clip) if p.area > 0]
    isos = [c[0] for c in countries]
    cgeoms = np.array([c[1] for c in countries], dtype=object)
    wide = shapely.buffer(cgeoms, 0.03, quad_segs=2)
    tree = shapely.STRtree(wide)
    ctree = shapely.STRtree(cgeoms)
    plon, plat, piso = points
    ptree = shapely.STRtree(shapely.points(plon, plat))
    pieces: dict[str, list[BaseGeometry]] = {}
    for part in parts:
        hits = [int(h) for h in tree.query(part, predicate="intersects")]
        owner_override = None
        for _name, lon, lat, radius, iso in ISLAND_OWNERS:
            if part.area < 0.5 and part.distance(shapely.Point(lon, lat)) < radius:
                owner_override = iso
        if owner_override:
            pieces.setdefault(owner_override, []).append(part)
            continue
        if len(hits) == 1:
            pieces.setdefault(isos[hits[0]], []).append(part)
            continue
        if len(hits) > 1:
            if part.area < 0.05:
                areas = [shapely.intersection(part, cgeoms[h]).area for h in hits]
                pieces.setdefault(isos[hits[int(np.argmax(areas))]], []).append(part)
                continue
            # cut along the 50 m borders; the slivers outside every 50 m country (the 10 m
            # coast differs from the 50 m one) go to the nearest country: pieces are disjoint
            for h in hits:
                piece = shapely.intersection(part, cgeoms[h])
                if not piece.is_empty and piece.area > 0:
                    pieces.setdefault(isos[h], []).append(piece)
            rest = shapely.difference(part, shapely.union_all(cgeoms[hits]))
            rest_parts = np.asarray(
                [r for r in shapely.get_parts(rest) if r.area > 0], dtype=object
            )
            if len(rest_parts):
                src, dst = ctree.query_nearest(rest_parts, all_matches=False)
                for r_i, c_i in zip(src, dst, strict=True):
                    pieces.setdefault(isos[int(c_i)], []).append(rest_parts[int(r_i)])
            continue
        near_pts = ptree.query(shapely.buffer(part, 0.135, quad_segs=2), predicate="intersects")
        votes = Counter(str(piso[i]) for i in near_pts if piso[i])
        if votes:
            pieces.setdefault(votes.most_common(1)[0][0], []).append(part)
        else:
            near = int(ctree.query_nearest(part)[0])
            pieces.setdefault(isos[near], []).append(part)
    return {iso: shapely.union_all(ps) for iso, ps in sorted(pieces.items())}


# ------------------------------------------------------------------------------------------
# ports


WPI_NAME_FIXES = {
    "Burma": "MM",
    "Cabo Verde": "CV",
    "Caribbean Netherlands": "BQ",
    "Congo (Brazzaville)": "CG",
    "Congo (Kinshasa)": "CD",
    "Cote D'Ivoire": "CI",
    "Falkland Islands (Islas Malvinas)": "FK",
    "Federated States of Micronesia": "FM",
    "French Guiana": "GF",
    "Guadeloupe": "GP",
    "Martinique": "MQ",
    "Reunion": "RE",
    "Johnson Atoll": "UM",
    "Midway Islands": "UM",
    "Wake Island": "UM",
    "Saint Helena, Ascension, and Tristan da Cunha": "SH",
    "Saint Vincent and the Grenadines (Windward Islands)": "VC",
    "Svalbard": "SJ",
    "The Bahamas": "BS",
    "The Gambia": "GM",
    "Christmas Island": "CX",
    "Norfolk Island": "NF",
    "Gibraltar": "GI",
    "Tuvalu": "TV",
    "Hong Kong": "HK",
    "Macau": "MO",
    "Antarctica": "AQ",
    "British Indian Ocean Territory": "IO",
    "Western Sahara": "EH",
    "Cook Islands": "CK",
    "Niue": "NU",
    "Norway": "NO",
    "France": "FR",
    "Guernsey": "GG",
    "Jersey": "JE",
    "Isle of Man": "IM",
    "United States": "US",
    "Russia": "RU",
    "South Korea": "KR",
    "North Korea": "KP",
    "Timor-Leste": "TL",
    "Brunei": "BN",
    "Syria": "SY",
    "Iran": "IR",
    "Vietnam": "VN",
    "Tanzania": "TZ",
    "Taiwan": "TW",
    "Curacao": "CW",
    "Eswatini": "SZ",
    "South Georgia and South Sandwich Islands": "GS",
}
ISO3_EXTRA = {
    "BES": "BQ",
    "FRA": "FR",
    "NOR": "NO",
    "GUF": "GF",
    "GLP": "GP",
    "MTQ": "MQ",
    "REU": "RE",
    "MYT": "YT",
    "SJM": "SJ",
    "UMI": "UM",
    "XKX": "XK",
    "KOS": "XK",
    "ESH": "EH",
    "HKG": "HK",
    "MAC": "MO",
    "CXR": "CX",
    "CCK": "CC",
    "TKL": "TK",
    "BVT": "BV",
    "ATF": "TF",
    "IOT": "IO",
    "ANT": "CW",
    "SCG": "RS",
    "GIB": "GI",
    "TUV": "TV",
    "SGS": "GS",
    "SHN": "SH",
    "PCN": "PN",
    "NFK": "NF",
    "ALA": "AX",
    "ATA": "AQ",
    "SPM": "PM",
    "WLF": "WF",
    "BMU": "BM",
    "CPT": "CP",
}


def iso_tables(data: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(name -> ISO-2, ISO-3 -> ISO-2) from Natural Earth 50 m countries plus fixes."""
    feats = read_geojson(
        data / "natural-earth" / "50m" / "cultural" / "ne_50m_admin_0_countries.json"
    )
    by_name: dict[str, str] = {}
    by_iso3: dict[str, str] = dict(ISO3_EXTRA)
    for f in feats:
        p = f["properties"]
        iso2 = p["ISO_A2"] if p["ISO_A2"] not in (None, "-99") else ISO2_FIXES.get(p["ADM0_A3"])
        if not iso2:
            continue
        for key in ("NAME", "NAME_LONG", "ADMIN", "FORMAL_EN", "NAME_CIAWF", "GEOUNIT", "SUBUNIT"):
            if p.get(key):
                by_name.setdefault(str(p[key]), iso2)
        for key in ("ISO_A3", "ADM0_A3", "ISO_A3_EH", "GU_A3", "SU_A3"):
            if p.get(key) and p[key] != "-99":
                by_iso3.setdefault(str(p[key]), iso2)
    by_name.update(WPI_NAME_FIXES)
    return by_name, by_iso3


def build_ports(data: Path, out: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    by_name, by_iso3 = iso_tables(data)
    rows: list[tuple[str, str, str | None, float, float, str, str]] = []
    missing: Counter[str] = Counter()
    wpi = data / "nga-world-port-index" / "NGA" / "WPI" / "UpdatedPub150.csv"
    with wpi.open(encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            name = r["Main Port Name"].strip()
            locode = r["UN/LOCODE"].strip()
            country_name = r["Country Code"].strip()
            iso = by_name.get(country_name)
            if iso is None and len(locode) >= 2 and locode[:2].isalpha():
                iso = locode[:2].upper()
            if iso is None and country_name:
                missing[country_name] += 1
            rows.append(
                (
                    f"wpi:{r['World Port Index Number'].strip()}",
                    name,
                    iso,
                    float(r["Latitude"]),
                    float(r["Longitude"]),
                    "port",
                    "nga-wpi",
                )
            )
    gfw = (
        data
        / "gfw-anchorages"
        / "anchorages_pipeline"
        / "pipe_anchorages"
        / "data"
        / "port_lists"
        / "anchorage_overrides.csv"
    )
    seen: set[str] = set()
    with gfw.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            s2 = r["s2id"].strip()
            if s2 in seen:
                continue
            seen.add(s2)
            iso3 = r["iso3"].strip().upper()
            iso = by_iso3.get(iso3)
            if iso is None and iso3:
                missing[iso3] += 1
            label = " ".join(r["label"].split()).title()
            sub = " ".join(r["sublabel"].split()).title()
            name = f"{label} ({sub})" if sub else label
            rows.append(
                (
                    f"gfw:{s2}",
                    name,
                    iso,
                    float(r["latitude"]),
                    float(r["longitude"]),
                    "anchorage",
                    "gfw-anchorages",
                )
            )
    if missing:
        log(f"ports: no ISO-2 for {dict(missing.most_common(20))}")
    # drop impossible positions (one GFW row has longitude 1001) and make ids unique (the WPI
    # repeats a few numbers)
    bad = [r for r in rows if not (abs(r[3]) <= 90 and abs(r[4]) <= 180)]
    if bad:
        log(f"ports: dropped {len(bad)} rows with impossible positions: {[r[0] for r in bad]}")
    rows = [r for r in rows if abs(r[3]) <= 90 and abs(r[4]) <= 180]
    count: Counter[str] = Counter()
    for j, r in enumerate(rows):
        count[r[0]] += 1
        if count[r[0]] > 1:
            rows[j] = (f"{r[0]}-{count[r[0]]}", *r[1:])
    cols = list(zip(*rows, strict=True))
    table = pa.table(
        {
            "port_id": pa.array(cols[0], pa.string()),
            "name": pa.array(cols[1], pa.string()),
            "country": pa.array(cols[2], pa.string()),
            "lat": pa.array(cols[3], pa.float64()),
            "lon": pa.array(cols[4], pa.float64()),
            "kind": pa.array(cols[5], pa.string()),
            "source": pa.array(cols[6], pa.string()),
        }
    )
    pq.write_table(table, out / "ports.parquet", compression="zstd", compression_level=19)
    log(f"ports: {table.num_rows} rows")
    return (
        np.asarray(cols[4], np.float64),
        np.asarray(cols[3], np.float64),
        np.asarray([c or "" for c in cols[2]], dtype=object),
    )


# ------------------------------------------------------------------------------------------
# regions


REGION_NAMES = ("caribbean", "eastern-pacific", "gulf-of-mexico")
COAST_SLACK_DEG = 0.05  # regions reach ~5 km inland so that harbour positions count


def build_regions(data: Path, land: BaseGeometry, out: Path) -> None:
    feats = read_geojson(
        data / "natural-earth" / "10m" / "physical" / "ne_10m_geography_marine_polys.json"
    )
    by_name: dict[str, BaseGeometry] = {}
    for f in feats:
        name = " ".join(str(f["properties"].get("name") or "").split())
        if name:
            g = shapely.make_valid(shape(f["geometry"]))
            by_name[name] = shapely.union(by_name[name], g) if name in by_name else g

    def area(*names: str) -> BaseGeometry:
        return shapely.union_all([by_name[n] for n in names])

    gulf = shapely.buffer(area("Gulf of Mexico", "Bahía de Campeche"), COAST_SLACK_DEG)
    carib = shapely.buffer(
        area("Caribbean Sea", "Gulf of Honduras", "Golfo de Urabá", "Lago de Maracaibo"),
        COAST_SLACK_DEG,
    )
    # eastern Pacific: the sea inside the box that is connected to 10N 100W, i.e. the Pacific
    # side of the Americas (the land of the isthmus separates it from the Caribbean)
    box = shapely.box(-120.0, -20.0, -60.0, 32.0)
    sea = shapely.difference(box, shapely.clip_by_rect(land, -121.0, -21.0, -59.0, 33.0))
    seed = shapely.Point(-100.0, 10.0)
    comps = [p for p in shapely.get_parts(sea) if p.contains(seed)]
    if len(comps) != 1:
        raise SystemExit("eastern Pacific: the seed point is not in exactly one sea component")
    pacific = comps[0]
    if pacific.contains(shapely.Point(-75.0, 15.0)):
        raise SystemExit("eastern Pacific leaks into the Caribbean (land not closed at Panama)")
    pacific = shapely.intersection(shapely.buffer(pacific, COAST_SLACK_DEG), box)
    carib = shapely.difference(carib, shapely.union(gulf, pacific))
    gulf = shapely.difference(gulf, pacific)
    geoms = {
        "caribbean": carib,
        "eastern-pacific": pacific,
        "gulf-of-mexico": gulf,
    }
    final = []
    for name in REGION_NAMES:
        g = shapely.make_valid(shapely.simplify(geoms[name], 0.002))
        g = shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type == "Polygon"])
        log(f"region {name}: {shapely.get_num_coordinates(g)} vertices")
        final.append(g)
    np.savez_compressed(out / "regions.npz", names=np.asarray(REGION_NAMES), **encode_rings(final))


# ------------------------------------------------------------------------------------------
# zones


def _aeqd_buffer(geom: BaseGeometry, dist_m: float, simplify_m: float) -> BaseGeometry:
    """Geodesic-ish buffer: project to an azimuthal equidistant projection centred on the
    piece, buffer in metres, project back (pieces are at most a few degrees wide)."""
    c = geom.envelope.centroid
    fwd = Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +R=6371008.8 +units=m", always_xy=True
    )
    inv = Transformer.from_crs(
        f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +R=6371008.8 +units=m", "EPSG:4326", always_xy=True
    )
    proj = shapely.transform(geom, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
    proj = shapely.simplify(proj, simplify_m)
    buf = shapely.buffer(proj, dist_m, quad_segs=16)
    buf = shapely.segmentize(buf, max(dist_m / 20.0, 500.0))
    return shapely.transform(buf, lambda xy: np.column_stack(inv.transform(xy[:, 0], xy[:, 1])))


def country_buffer(geom: BaseGeometry, dist_m: float, tile_deg: float = 3.0) -> BaseGeometry:
    """Union of per-tile buffers (buffer(A u B) = buffer(A) u buffer(B))."""
    simplify_m = min(200.0, dist_m / 100.0)
    minx, miny, maxx, maxy = geom.bounds
    pieces = []
    x = math.floor(minx / tile_deg) * tile_deg
    while x < maxx:
        y = math.floor(miny / tile_deg) * tile_deg
        while y < maxy:
            tile = shapely.clip_by_rect(geom, x, y, x + tile_deg, y + tile_deg)
            if not tile.is_empty and tile.area > 0:
                pieces.append(_aeqd_buffer(tile, dist_m, simplify_m))
            y += tile_deg
        x += tile_deg
    return shapely.union_all(pieces)


def median_cells(
    lands: dict[str, BaseGeometry], bbox: tuple[float, float, float, float]
) -> dict[str, BaseGeometry]:
    """Equidistance split: the Voronoi cells of points sampled every ~1 km along each
    country's land boundary, computed in Mercator coordinates (conformal, so locally the
    bisectors are true median lines) and dissolved by country."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    owner: list[np.ndarray] = []
    isos = sorted(lands)
    for i, iso in enumerate(isos):
        b = shapely.segmentize(shapely.simplify(lands[iso].boundary, 0.002), 0.01)
        xy = shapely.get_coordinates(b)
        xs.append(xy[:, 0])
        ys.append(xy[:, 1])
        owner.append(np.full(len(xy), i))
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    own = np.concatenate(owner)
    # drop duplicate points (shared land borders)
    key = np.round(x * 1e6).astype(np.int64) * 1_000_000_000 + np.round(y * 1e6).astype(np.int64)
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    x, y, own = x[first], y[first], own[first]
    merc = Transformer.from_crs("EPSG:4326", "+proj=merc +R=6371008.8", always_xy=True)
    inv = Transformer.from_crs("+proj=merc +R=6371008.8", "EPSG:4326", always_xy=True)
    mx, my = merc.transform(x, y)
    bx0, by0 = merc.transform(bbox[0] - 1, bbox[1] - 1)
    bx1, by1 = merc.transform(bbox[2] + 1, bbox[3] + 1)
    frame = shapely.box(bx0, by0, bx1, by1)
    log(f"voronoi of {len(mx)} boundary points")
    cells = shapely.voronoi_polygons(
        shapely.multipoints(np.column_stack([mx, my])), extend_to=frame, ordered=True
    )
    cells = np.asarray(shapely.get_parts(cells))
    cells = shapely.intersection(cells, frame)
    out: dict[str, BaseGeometry] = {}
    for i, iso in enumerate(isos):
        merged = shapely.coverage_union_all(cells[own == i])
        merged = shapely.segmentize(merged, 20_000.0)
        out[iso] = shapely.make_valid(
            shapely.transform(merged, lambda xy: np.column_stack(inv.transform(xy[:, 0], xy[:, 1])))
        )
    return out


def build_zones(
    land: BaseGeometry,
    countries: list[tuple[str, BaseGeometry]],
    ports_xyz: tuple[np.ndarray, np.ndarray, np.ndarray],
    out: Path,
) -> None:
    ext = (
        ZONE_BOX[0] - MARGIN_DEG,
        ZONE_BOX[1] - MARGIN_DEG,
        ZONE_BOX[2] + MARGIN_DEG,
        ZONE_BOX[3] + MARGIN_DEG,
    )
    shapely.prepare(land)
    lands = country_land(land, countries, ports_xyz, ext)
    log(f"zones: land of {len(lands)} countries: {' '.join(lands)}")
    cells = median_cells(lands, ext)
    # land belongs to its own country whatever the Voronoi cells of the boundary samples say
    # (they give inland areas near a land border to the neighbour)
    land_tree_isos = sorted(lands)
    land_geoms = np.asarray([lands[i] for i in land_tree_isos], dtype=object)
    land_tree = shapely.STRtree(land_geoms)
    for iso in land_tree_isos:
        cell = shapely.union(cells[iso], lands[iso])
        near = [int(h) for h in land_tree.query(cell) if land_tree_isos[int(h)] != iso]
        if near:
            cell = shapely.difference(cell, shapely.union_all(land_geoms[near]))
        cells[iso] = shapely.make_valid(cell)
    log("zones: land attached to the median-line cells")
    box = shapely.box(*ZONE_BOX)
    names: list[str] = []
    kinds: list[str] = []
    isos: list[str] = []
    geoms: list[BaseGeometry] = []
    for iso in sorted(lands):
        if iso in LANDLOCKED:
            continue
        for kind, nm in ZONE_BANDS:
            buf = country_buffer(lands[iso], nm * NM)
            # simplify the band's outer limit only: the median-line cells are shared exactly
            # between neighbours, so the zones of one band tile the sea without gaps
            buf = shapely.make_valid(shapely.simplify(buf, 0.001 if nm < 100 else 0.005))
            zone = shapely.intersection(shapely.intersection(buf, cells[iso]), box)
            zone = shapely.union_all(
                [p for p in shapely.get_parts(zone) if p.geom_type == "Polygon" and p.area > 1e-8]
            )
            if zone.is_empty:
                continue
            ring = shapely.get_coordinates(zone.boundary)
            if shapely.contains_xy(land, ring[:, 0], ring[:, 1]).all():
                continue  # no coast inside the box (e.g. Argentina north of 25S)
            names.append(f"{iso}-{kind}")
            kinds.append(kind)
            isos.append(iso)
            geoms.append(zone)
        log(
            f"zones: {iso} done ({shapely.get_num_coordinates(geoms[-1]) if geoms else 0} eez vertices)"
        )
    np.savez_compressed(
        out / "zones.npz",
        names=np.asarray(names),
        kinds=np.asarray(kinds),
        countries=np.asarray(isos),
        box=np.asarray(ZONE_BOX),
        **encode_rings(geoms),
    )
    log(f"zones: {len(names)} zones, {sum(shapely.get_num_coordinates(g) for g in geoms)} vertices")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "src" / "seawatch" / "data" / "geo")
    ap.add_argument("--only", default="land,ports,regions,zones")
    args = ap.parse_args()
    only = set(args.only.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    log("reading Natural Earth land")
    land = world_land(args.data)
    if "land" in only:
        build_land(land, args.out)
    ports_xyz = build_ports(args.data, args.out) if ("ports" in only or "zones" in only) else None
    if "regions" in only:
        build_regions(args.data, land, args.out)
    if "zones" in only and ports_xyz is not None:
        build_zones(land, countries50(args.data), ports_xyz, args.out)


if __name__ == "__main__":
    main()
