"""Country maritime zones, regions and user zones: known places, shapely oracle, band and
median-line properties, and a cross-check of the territorial seas against OpenStreetMap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from seawatch import geo
from seawatch._exceptions import GeoError, NotFoundError

RNG = np.random.default_rng(7)
NM = 1852.0

REQUIRED = [
    "VE",
    "CO",
    "PA",
    "CR",
    "NI",
    "HN",
    "GT",
    "SV",
    "MX",
    "CU",
    "JM",
    "HT",
    "DO",
    "PR",
    "TT",
    "CW",
    "AW",
    "BQ",
    "GY",
    "SR",
    "EC",
    "PE",
    "US",
    "BS",
    "BZ",
    "KY",
    "TC",
    "AG",
    "BB",
    "DM",
    "GD",
    "KN",
    "LC",
    "VC",
    "AI",
    "MS",
    "VG",
    "VI",
    "GP",
    "MQ",
    "GF",
    "SX",
]


@pytest.fixture(scope="module")
def zs() -> geo.ZoneSet:
    return geo.zones()


def names_at(zs: geo.ZoneSet, lat: float, lon: float) -> set[str]:
    _pi, zi = zs.membership(np.array([lat]), np.array([lon]))
    return {zs.names[z] for z in zi}


def test_every_required_country_has_three_zones(zs: geo.ZoneSet) -> None:
    for iso in REQUIRED:
        for kind in ("territorial", "contiguous", "eez"):
            z = zs.zone(f"{iso}-{kind}")
            assert z.kind == kind and z.country == iso
            assert z.geometry.geom_type in ("Polygon", "MultiPolygon") and z.geometry.is_valid
    assert zs.names[:3] == list(geo.REGION_NAMES)
    assert zs.zone("caribbean").kind == "region"


def test_landlocked_countries_have_no_zones(zs: geo.ZoneSet) -> None:
    assert not [n for n in zs.names if n.startswith(("BO-", "PY-"))]
    # every country zone reaches the sea (its outer limit is not all on land)
    for z in zs:
        if z.country:
            ring = shapely.get_coordinates(z.geometry.boundary)
            assert (~geo.on_land(ring[:, 1], ring[:, 0])).any(), z.name


def test_unknown_zone(zs: geo.ZoneSet) -> None:
    with pytest.raises(NotFoundError):
        zs.zone("XX-eez")
    assert "VE-eez" in zs and "XX-eez" not in zs


@pytest.mark.parametrize(
    ("lat", "lon", "inside", "outside"),
    [
        # La Guaira roads: Venezuelan territorial sea, Caribbean
        (10.65, -66.93, {"VE-territorial", "VE-contiguous", "VE-eez", "caribbean"}, set()),
        # 100 nm north of La Guaira: Venezuelan EEZ, not territorial sea
        (10.60 + 100 / 60, -66.93, {"VE-eez", "caribbean"}, {"VE-territorial"}),
        # Curaçao waters belong to Curaçao, not Venezuela
        (12.00, -68.95, {"CW-territorial", "CW-eez"}, {"VE-territorial", "VE-eez"}),
        (12.45, -69.15, {"CW-territorial"}, {"VE-eez"}),
        # Aruba and Bonaire
        (12.40, -70.10, {"AW-territorial"}, {"VE-territorial"}),
        (12.05, -68.20, {"BQ-territorial"}, {"VE-territorial", "CW-territorial"}),
        # Isla de Aves has its own territorial sea, 500 km from the Venezuelan coast
        (15.75, -63.64, {"VE-territorial", "VE-eez"}, set()),
        (15.70 + 30 / 60, -63.64, {"VE-eez"}, {"VE-territorial"}),
        # Gulf of Paria near Trinidad: Trinidad and Tobago
        (10.35, -61.80, {"TT-territorial"}, {"VE-territorial"}),
        # regions
        (15.0, -75.0, {"caribbean"}, {"gulf-of-mexico", "eastern-pacific"}),
        (10.0, -100.0, {"eastern-pacific"}, {"caribbean"}),
        (25.0, -90.0, {"gulf-of-mexico"}, {"caribbean"}),
        # Pacific side of Panama
        (8.80, -79.50, {"PA-territorial", "eastern-pacific"}, {"caribbean"}),
        # open Atlantic: nothing
        (30.0, -50.0, set(), {"caribbean", "US-eez"}),
    ],
)
def test_known_places(
    zs: geo.ZoneSet, lat: float, lon: float, inside: set[str], outside: set[str]
) -> None:
    got = names_at(zs, lat, lon)
    assert inside <= got, (got, inside)
    assert not (outside & got), (got, outside)


def _oracle(zs: geo.ZoneSet, lat: np.ndarray, lon: np.ndarray) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for zi, z in enumerate(zs):
        g = z.geometry
        shapely.prepare(g)
        for pi in np.flatnonzero(shapely.contains_xy(g, lon, lat)):
            pairs.add((int(pi), zi))
    return pairs


def test_membership_matches_shapely_random_points(zs: geo.ZoneSet) -> None:
    n = 40_000
    lat = RNG.uniform(-25, 40, n)
    lon = RNG.uniform(-125, -45, n)
    pi, zi = zs.membership(lat, lon)
    assert set(zip(pi.tolist(), zi.tolist(), strict=True)) == _oracle(zs, lat, lon)
    # sorted by point, then zone
    order = np.lexsort((zi, pi))
    np.testing.assert_array_equal(order, np.arange(len(pi)))


def test_membership_matches_shapely_near_boundaries(zs: geo.ZoneSet) -> None:
    """Points scattered within ~100 m of zone boundaries (the cells with exact tests)."""
    xy = np.concatenate(
        [shapely.get_coordinates(z.geometry.boundary) for z in zs if z.country in REQUIRED]
    )
    pick = RNG.choice(len(xy), 40_000)
    lon = xy[pick, 0] + RNG.normal(0, 0.001, len(pick))
    lat = xy[pick, 1] + RNG.normal(0, 0.001, len(pick))
    pi, zi = zs.membership(lat, lon)
    assert set(zip(pi.tolist(), zi.tolist(), strict=True)) == _oracle(zs, lat, lon)


def test_membership_edge_cases(zs: geo.ZoneSet) -> None:
    pi, zi = zs.membership(np.array([np.nan, 0.0, 89.0]), np.array([0.0, np.nan, 170.0]))
    assert len(pi) == len(zi) == 0
    pi, zi = zs.membership(np.zeros(0), np.zeros(0))
    assert pi.dtype == np.int64 and zi.dtype == np.int64 and len(pi) == 0
    got = zs.contains("VE-territorial", np.array([10.65, 15.0]), np.array([-66.93, -75.0]))
    assert got.tolist() == [True, False]


def test_zones_are_nested(zs: geo.ZoneSet) -> None:
    for iso in ("VE", "CW", "PA", "MX", "CU", "TT", "US"):
        t = zs.zone(f"{iso}-territorial").geometry
        c = zs.zone(f"{iso}-contiguous").geometry
        e = zs.zone(f"{iso}-eez").geometry
        # simplification differs between bands by up to ~500 m
        assert shapely.difference(t, c).area < 0.01 * t.area
        assert shapely.difference(c, e).area < 0.01 * c.area


def test_distance_bands(zs: geo.ZoneSet) -> None:
    """Sea points of a country's territorial sea lie within 12 nm of land (+ the 0.001 degree
    simplification); sea points within 11 nm of land lie in some territorial sea."""
    n = 60_000
    lat = RNG.uniform(8, 22, n)
    lon = RNG.uniform(-88, -59, n)
    d = geo.distance_to_shore_m(lat, lon)
    pi, zi = zs.membership(lat, lon)
    terr = np.array([z.kind == "territorial" for z in zs])
    eez = np.array([z.kind == "eez" for z in zs])
    in_terr = np.zeros(n, bool)
    in_terr[pi[terr[zi]]] = True
    in_eez = np.zeros(n, bool)
    in_eez[pi[eez[zi]]] = True
    sea = d > 0
    assert (d[sea & in_terr] <= 12 * NM + 250).all()
    assert in_terr[sea & (d < 11 * NM)].all()
    assert (d[sea & in_eez] <= 200 * NM + 1000).all()
    assert in_eez[sea & (d < 195 * NM)].all()


def test_median_line_between_curacao_and_venezuela(zs: geo.ZoneSet) -> None:
    """Along a meridian from Curaçao to the Paraguaná peninsula the zones switch from CW to VE
    where the distances to the two coasts are equal."""
    lat = np.linspace(11.95, 12.05, 401)
    lon = np.full_like(lat, -69.3)
    cw = zs.contains("CW-eez", lat, lon)
    ve = zs.contains("VE-eez", lat, lon)
    assert (cw | ve).all() and not (cw & ve).any()
    land = geo.land_geometry()
    curacao = shapely.clip_by_rect(land, -69.3, 12.0, -68.6, 12.5)
    paraguana = shapely.clip_by_rect(land, -70.5, 11.4, -69.7, 12.3)
    switch = np.flatnonzero(np.diff(cw.astype(int)))
    for i in switch:
        p = shapely.Point(lon[i], lat[i])
        dc = geo.haversine_m(
            lat[i],
            lon[i],
            *shapely.get_coordinates(shapely.segmentize(curacao, 0.001).boundary)[:, ::-1].T,
        ).min()
        dv = geo.haversine_m(
            lat[i],
            lon[i],
            *shapely.get_coordinates(shapely.segmentize(paraguana, 0.001).boundary)[:, ::-1].T,
        ).min()
        assert p is not None
        assert abs(dc - dv) < 1_000.0


def _osm_country(shared_data: Path, iso2: str) -> Any:
    path = shared_data / "osm-maritime-borders" / "package" / "borders.geo.json"
    feats = json.loads(path.read_text(encoding="utf-8"))["features"]
    iso3 = {"CW": "CUW", "BQ": "BES", "SX": "SXM"}.get(iso2)
    (feat,) = [
        f
        for f in feats
        if f["properties"].get("isoA2") == iso2 or (iso3 and f["properties"].get("isoA3") == iso3)
    ]
    return shapely.make_valid(shapely.union_all(shapely.get_parts(shape(feat["geometry"]))))


@pytest.mark.parametrize("iso", ["VE", "CW", "AW", "TT", "PA", "CO", "JM", "DO", "CU", "CR"])
def test_territorial_sea_agrees_with_openstreetmap(
    zs: geo.ZoneSet, shared_data: Path, iso: str
) -> None:
    """Cross-check with OpenStreetMap's land + territorial-sea polygons (ODbL, used here only as
    a test oracle). OSM draws the 12 nm from straight/archipelagic baselines and follows
    treaties, so its territorial seas are larger; on sea points near the country:

    * our ``XX-territorial`` lies inside OSM's polygon (>= 90 % of our points);
    * OSM's territorial sea within 11 nm of our coast is ours (>= 90 %), the rest being
      median-line and island-attribution differences.
    """
    osm = _osm_country(shared_data, iso)
    shapely.prepare(osm)
    ours = zs.zone(f"{iso}-territorial").geometry
    minx, miny, maxx, maxy = shapely.union(ours, osm).bounds
    lon = RNG.uniform(minx - 0.3, maxx + 0.3, 60_000)
    lat = RNG.uniform(miny - 0.3, maxy + 0.3, 60_000)
    d = geo.distance_to_shore_m(lat, lon)
    sea = d > 0
    a = zs.contains(f"{iso}-territorial", lat, lon) & sea
    b = shapely.contains_xy(osm, lon, lat) & sea
    assert a.sum() > 50 and b.sum() > 50
    ours_in_osm = b[a].mean()
    near = b & (d < 11 * NM)
    osm_in_ours = a[near].mean()
    assert ours_in_osm >= 0.90, f"{iso}: {ours_in_osm:.3f} of our territorial sea is OSM's"
    assert osm_in_ours >= 0.90, f"{iso}: {osm_in_ours:.3f} of OSM's (< 11 nm) is ours"


# ------------------------------------------------------------------------------------------
# user zones


def _write(tmp_path: Path, doc: Any, name: str = "zones.geojson") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    return p


def _feature(name: Any, coords: Any, gtype: str = "Polygon") -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"name": name},
        "geometry": {"type": gtype, "coordinates": coords},
    }


BOX = [[[-67.0, 10.6], [-66.8, 10.6], [-66.8, 10.8], [-67.0, 10.8], [-67.0, 10.6]]]


def test_user_zones(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            _feature("la-guaira-box", BOX),
            _feature(
                "far-away", [[[[5.0, 5.0], [6.0, 5.0], [6.0, 6.0], [5.0, 5.0]]]], "MultiPolygon"
            ),
        ],
    }
    path = _write(tmp_path, doc)
    zs = geo.zones(path)
    assert zs.names[-2:] == ["la-guaira-box", "far-away"]
    assert zs.zone("la-guaira-box").kind == "user"
    lat = np.array([10.7, 10.7, 5.2, 5.9])
    lon = np.array([-66.9, -66.5, 5.5, 5.5])
    pi, zi = zs.membership(lat, lon)
    got = {(int(p), zs.names[z]) for p, z in zip(pi, zi, strict=True)}
    assert (0, "la-guaira-box") in got and (0, "VE-territorial") in got
    assert (1, "la-guaira-box") not in got
    assert (2, "far-away") in got and (3, "far-away") not in got
    assert geo.zones(path) is zs  # cached per file
    assert len(geo.zones()) == len(zs) - 2


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("{not json", "not valid JSON"),
        ([], "expected a GeoJSON object"),
        ({"type": "FeatureCollection", "features": []}, "no features"),
        ({"type": "Topology"}, "FeatureCollection or Feature"),
        ({"type": "FeatureCollection", "features": [_feature("", BOX)]}, "'name'"),
        ({"type": "FeatureCollection", "features": [_feature(3, BOX)]}, "'name'"),
        (
            {"type": "FeatureCollection", "features": [_feature("a", BOX), _feature("a", BOX)]},
            "twice",
        ),
        (
            {"type": "FeatureCollection", "features": [_feature("p", [1.0, 2.0], "Point")]},
            "Polygon or MultiPolygon",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [_feature("bow", [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]])],
            },
            "invalid polygon",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [_feature("far", [[[0, 0], [200, 0], [200, 1], [0, 0]]])],
            },
            "lon in",
        ),
        ({"type": "FeatureCollection", "features": [_feature("x", [[[0, 0], [1]]])]}, "malformed"),
        ({"type": "FeatureCollection", "features": [_feature("VE-eez", BOX)]}, "already a bundled"),
    ],
)
def test_bad_user_zone_files(tmp_path: Path, doc: Any, message: str) -> None:
    path = _write(tmp_path, doc)
    with pytest.raises(GeoError, match=message):
        geo.zones(path)


def test_missing_user_zone_file(tmp_path: Path) -> None:
    with pytest.raises(GeoError, match="cannot read"):
        geo.zones(tmp_path / "nope.geojson")


def test_geojson_export(zs: geo.ZoneSet) -> None:
    doc = geo.zones_geojson(["VE-territorial", "caribbean"])
    assert [f["properties"]["name"] for f in doc["features"]] == ["VE-territorial", "caribbean"]
    assert doc["features"][0]["properties"] == {
        "name": "VE-territorial",
        "kind": "territorial",
        "country": "VE",
    }
    text = json.dumps(doc)
    back = geo.zones_from_geojson(json.loads(text))
    full = zs.zone("VE-territorial").geometry
    simple = back[0].geometry
    assert shapely.get_num_coordinates(simple) < shapely.get_num_coordinates(full)
    # simplified by ~500 m at most
    assert shapely.hausdorff_distance(simple, full) < 0.01
    every = zs.to_geojson()
    assert len(every["features"]) == len(zs)


def test_zone_names_are_the_zones_names_without_building_them(zs: geo.ZoneSet) -> None:
    assert geo.zone_names() == tuple(zs.names)
    assert geo.zone_names()[: len(geo.REGION_NAMES)] == geo.REGION_NAMES
