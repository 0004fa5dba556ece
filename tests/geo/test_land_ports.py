"""Land, coast distance, ports and regions of the bundled geography, against exact oracles."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import shapely

from seawatch import geo
from seawatch.geo._api import FAR_MIN_CELLS, LAND_CELLS_PER_DEG
from tests.test_exported_members import EXPORTED

RNG = np.random.default_rng(20261126)


def test_import_is_cheap() -> None:
    code = (
        "import sys, seawatch.geo as g; "
        "print(int('numba' in sys.modules), int('seawatch.geo._api' in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0"]


def test_haversine_known_values() -> None:
    # one degree of a great circle on the 6,371,008.8 m sphere
    assert geo.haversine_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(111_195.08, abs=0.01)
    assert geo.haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_195.08, abs=0.01)
    # antimeridian and symmetry, broadcasting
    d = geo.haversine_m(np.array([10.0, 10.0]), np.array([179.5, -179.5]), 10.0, -179.5)
    assert d[1] == 0.0
    assert d[0] == pytest.approx(geo.haversine_m(10.0, -179.5, 10.0, 179.5))
    assert geo.haversine_m(90.0, 0.0, -90.0, 0.0) == pytest.approx(np.pi * 6_371_008.8)


def _points(n: int, box: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    lon = RNG.uniform(box[0], box[2], n)
    lat = RNG.uniform(box[1], box[3], n)
    return lat, lon


def test_on_land_matches_shapely() -> None:
    land = geo.land_geometry()
    shapely.prepare(land)
    for box, n in (((-120, -20, -50, 35), 40_000), ((-180, -90, 180, 90), 40_000)):
        lat, lon = _points(n, box)
        ref = shapely.contains_xy(land, lon, lat)
        np.testing.assert_array_equal(geo.on_land(lat, lon), ref)


def test_on_land_near_the_coast_matches_shapely() -> None:
    """Points within ~1 km of the coast (boundary cells of the grid, both sides)."""
    land = geo.land_geometry()
    shapely.prepare(land)
    coast = shapely.get_coordinates(shapely.clip_by_rect(land, -90, 5, -55, 25).boundary)
    pick = RNG.choice(len(coast), 30_000)
    lon = coast[pick, 0] + RNG.normal(0, 0.005, len(pick))
    lat = coast[pick, 1] + RNG.normal(0, 0.005, len(pick))
    ref = shapely.contains_xy(land, lon, lat)
    assert 0.2 < ref.mean() < 0.8
    np.testing.assert_array_equal(geo.on_land(lat, lon), ref)


def test_on_land_known_places() -> None:
    lat = np.array([10.50, 10.62, 12.17, 15.0, 4.6, 15.699, np.nan])
    lon = np.array([-66.90, -66.93, -68.98, -75.0, -74.08, -63.638, 0.0])
    # Caracas, sea off La Guaira, Curaçao, mid-Caribbean, Bogotá, Isla de Aves (as Natural
    # Earth places it, ~3 km from its charted position), NaN
    assert geo.on_land(lat, lon).tolist() == [True, False, True, False, True, True, False]


def _oracle_distance(lat: float, lon: float, coast: np.ndarray) -> float:
    return float(geo.haversine_m(lat, lon, coast[:, 1], coast[:, 0]).min())


def test_distance_to_shore_matches_brute_force_near_the_coast() -> None:
    """Within 50 km of the coast the kernel is within 5 m of the distance to the coast
    densified to ~20 m (the oracle overestimates by at most the ~0.05 m sagitta)."""
    land = geo.land_geometry()
    window = shapely.clip_by_rect(land, -75, 7, -58, 20)
    coast = shapely.get_coordinates(shapely.segmentize(window.boundary, 0.0002))
    lat, lon = _points(3_000, (-72, 9.5, -61, 17.5))
    d = geo.distance_to_shore_m(lat, lon)
    near = np.flatnonzero((d > 0) & (d < 50_000))[:150]
    assert len(near) > 50
    for i in near:
        sel = (np.abs(coast[:, 1] - lat[i]) < 0.7) & (np.abs(coast[:, 0] - lon[i]) < 0.7)
        assert d[i] == pytest.approx(_oracle_distance(lat[i], lon[i], coast[sel]), abs=5.0)


def test_distance_to_shore_far_from_the_coast() -> None:
    """Far from the coast (>= FAR_MIN_CELLS grid cells) the distance is measured to the coast
    simplified by 0.02 degree: within 2.3 km of the exact distance."""
    assert FAR_MIN_CELLS / LAND_CELLS_PER_DEG >= 1.5
    land = geo.land_geometry()
    coast = shapely.get_coordinates(shapely.clip_by_rect(land, -140, -40, -30, 50).boundary)
    lat = np.array([14.0, 0.0, 25.0, -10.0, 28.0])
    lon = np.array([-105.0, -100.0, -55.0, -95.0, -75.0])
    d = geo.distance_to_shore_m(lat, lon)
    for i in range(len(lat)):
        assert d[i] == pytest.approx(_oracle_distance(lat[i], lon[i], coast), abs=2_300.0)


def test_distance_to_shore_special_values() -> None:
    d = geo.distance_to_shore_m(np.array([10.5, np.nan, 0.0]), np.array([-66.9, 0.0, np.nan]))
    assert d[0] == 0.0  # Caracas is on land
    assert np.isnan(d[1]) and np.isnan(d[2])
    assert geo.distance_to_shore_m(np.zeros(0), np.zeros(0)).shape == (0,)
    # near the antimeridian and the poles (whole-world grid, wrap-around)
    d = geo.distance_to_shore_m(np.array([-17.8, 89.9, -60.0]), np.array([179.99, 0.0, -179.99]))
    assert np.isfinite(d).all() and (d > 0).all()


def test_ports_table() -> None:
    t = geo.ports()
    assert t.column_names == ["port_id", "name", "country", "lat", "lon", "kind", "source"]
    assert set(t.column("kind").to_pylist()) == {"port", "anchorage"}
    assert t.num_rows > 50_000
    ids = t.column("port_id").to_pylist()
    assert len(set(ids)) == len(ids)
    names = t.column("name").to_pylist()
    countries = t.column("country").to_pylist()
    wpi = {(n, c) for n, c, i in zip(names, countries, ids, strict=True) if i.startswith("wpi:")}
    assert ("La Guaira", "VE") in wpi
    assert ("Willemstad", "CW") in wpi
    assert ("Paarden Baai - (Oranjestad)", "AW") in wpi
    filled = sum(c is not None for c in countries) / len(countries)
    assert filled > 0.999


def test_nearest_port_matches_brute_force() -> None:
    t = geo.ports()
    plat = t.column("lat").to_numpy()
    plon = t.column("lon").to_numpy()
    lat, lon = _points(300, (-100, -10, -55, 30))
    lat = np.concatenate([lat, [10.61, 55.0, -60.0, 0.0]])
    lon = np.concatenate([lon, [-66.93, -30.0, 179.9, -150.0]])
    d, idx = geo.nearest_port(lat, lon)
    for i in range(len(lat)):
        ref = geo.haversine_m(lat[i], lon[i], plat, plon)
        assert d[i] == pytest.approx(ref.min(), abs=0.01)
        assert ref[idx[i]] == pytest.approx(ref.min(), abs=0.01)
    assert t.column("name")[int(idx[-4])].as_py() is not None
    dn, iN = geo.nearest_port(np.array([np.nan]), np.array([0.0]))
    assert np.isnan(dn[0]) and iN[0] == -1


@pytest.mark.parametrize(
    ("lat", "lon", "region"),
    [
        (15.0, -75.0, "caribbean"),
        (13.0, -80.0, "caribbean"),
        (10.62, -66.93, "caribbean"),  # La Guaira roads
        (9.37, -79.90, "caribbean"),  # Colón
        (10.0, -100.0, "eastern-pacific"),
        (8.90, -79.52, "eastern-pacific"),  # Panama City anchorage
        (-12.05, -77.20, "eastern-pacific"),  # Callao
        (25.0, -90.0, "gulf-of-mexico"),
        (19.5, -94.0, "gulf-of-mexico"),  # Bahía de Campeche
        (30.0, -40.0, None),
        (10.5, -66.9, None),  # Caracas (inland)
        (36.0, -123.0, None),  # north of the eastern-Pacific box
    ],
)
def test_region_of_known_places(lat: float, lon: float, region: str | None) -> None:
    assert geo.region_of(np.array([lat]), np.array([lon]))[0] == region


def test_region_of_matches_shapely() -> None:
    lat, lon = _points(40_000, (-125, -25, -50, 35))
    got = geo.region_of(lat, lon)
    for name, geom in geo.region_geometries().items():
        ref = shapely.contains_xy(geom, lon, lat)
        np.testing.assert_array_equal(got == name, ref, err_msg=name)
    assert set(got[got != None].tolist()) == set(geo.REGION_NAMES)  # noqa: E711


def test_public_api_is_pinned() -> None:
    # the one pin of every package's names is tests/test_exported_members.py
    assert sorted(geo.__all__) == sorted(EXPORTED["seawatch.geo"])
    for name in geo.__all__:
        assert getattr(geo, name) is not None
    with pytest.raises(AttributeError):
        _ = geo.no_such_name


def test_mismatched_lengths_and_scalars() -> None:
    from seawatch._exceptions import ParameterError

    for fn in (geo.on_land, geo.distance_to_shore_m, geo.nearest_port, geo.region_of):
        with pytest.raises(ParameterError):
            fn(np.zeros(3), np.zeros(2))
    with pytest.raises(ParameterError):
        geo.zones().membership(np.zeros(3), np.zeros(2))
    assert geo.on_land(10.5, -66.9).tolist() == [True]
    assert geo.region_of([15.0], [-75.0]).tolist() == ["caribbean"]


def test_one_haversine_in_numpy_and_numba() -> None:
    """The vectorised haversine and the scalar numba kernel are one formula: equal to
    within rounding on random pairs (antipodes, the date line and the poles included), and
    against known distances (one degree of latitude; a quarter of the equator)."""
    import math

    import numpy as np

    from seawatch._units import EARTH_RADIUS_M, M_PER_DEG

    rng = np.random.default_rng(11)
    lat1, lat2 = rng.uniform(-90, 90, 500), rng.uniform(-90, 90, 500)
    lon1, lon2 = rng.uniform(-180, 180, 500), rng.uniform(-180, 180, 500)
    lat1[:3], lon1[:3], lat2[:3], lon2[:3] = (
        [0, 90, 10],
        [0, 0, 179.9],
        [0, -90, 10],
        [180, 0, -179.9],
    )
    vec = geo.haversine_m(lat1, lon1, lat2, lon2)
    one = np.array(
        [geo.hav_m(a, b, c, d) for a, b, c, d in zip(lat1, lon1, lat2, lon2, strict=True)]
    )
    np.testing.assert_allclose(vec, one, rtol=1e-12, atol=1e-6)
    assert vec[0] == pytest.approx(math.pi * EARTH_RADIUS_M)
    assert vec[1] == pytest.approx(math.pi * EARTH_RADIUS_M)
    assert geo.hav_m(10.0, -60.0, 11.0, -60.0) == pytest.approx(M_PER_DEG, rel=1e-12)
    assert geo.haversine_m(0.0, 0.0, 0.0, 90.0) == pytest.approx(math.pi / 2 * EARTH_RADIUS_M)
