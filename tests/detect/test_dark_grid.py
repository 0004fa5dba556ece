"""The dark matcher finds every AIS vessel within reach of a detection, at high latitudes
and across the antimeridian.

Its pair search once used a grid of longitude times the cosine of each point's own
latitude: a sheared grid whose neighbouring cells missed pairs within the radius (up to
15 % of the pairs within 50 km at latitude 75, several % at 40) and pairs either side of
+-180 degrees (a vessel at 179.99 E and a detection at 179.99 W, 2 km apart). These
tests compare with the distance of every pair.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from seawatch import schema
from seawatch.detect import _dark_scene
from seawatch.detect.dark import DEFAULT, SIMPLE, DarkParams, match_detections
from seawatch.geo import haversine_m
from tests.detect._dark_reference import match_detections_reference

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
T0_US = int(T0.timestamp() * 1_000_000)
H_US = 3_600_000_000


def _positions(rows: list[tuple[int, int, float, float, float | None, float | None]]) -> pa.Table:
    """``(mmsi, ts_us, lat, lon, sog_kn, cog_deg)`` rows."""
    return pa.table(
        {
            "mmsi": pa.array([r[0] for r in rows], pa.uint32()),
            "ts": pa.array([r[1] for r in rows], pa.int64()).cast(schema.TS),
            "lat": pa.array([r[2] for r in rows], pa.float64()),
            "lon": pa.array([r[3] for r in rows], pa.float64()),
            "sog_kn": pa.array([r[4] for r in rows], pa.float32()),
            "cog_deg": pa.array([r[5] for r in rows], pa.float32()),
        }
    )


def _dets(
    points: list[tuple[float, float]], ts_us: list[int] | None = None, *, one_scene: bool = True
) -> pa.Table:
    rows = [
        {
            "detection_id": f"d{i}",
            "source": "sentinel1",
            "scene_id": "S" if one_scene else f"S{i}",
            "ts": T0_US if ts_us is None else ts_us[i],
            "lat": lat,
            "lon": lon,
            "length_m": None,
            "heading_deg": None,
        }
        for i, (lat, lon) in enumerate(points)
    ]
    schema_us = pa.schema(
        [f if f.name != "ts" else pa.field("ts", pa.int64()) for f in schema.DETECTIONS]
    )
    return pa.Table.from_pylist(rows, schema=schema_us).cast(schema.DETECTIONS)


def _still(mmsi: int, lat: float, lon: float) -> list[Any]:
    return [(mmsi, T0_US + h * H_US // 2, lat, lon, 0.0, 0.0) for h in (-1, 1)]


@pytest.mark.parametrize(
    ("vessel", "det"),
    [
        ((0.0, 179.996), (0.0, -179.998)),  # 668 m apart across the antimeridian
        ((-30.0, -179.997), (-30.001, 179.999)),
        ((75.0, 179.0), (75.004, 179.01)),
        ((84.0, -179.99), (84.003, 179.99)),
    ],
)
def test_a_vessel_within_the_gate_is_matched_anywhere(
    vessel: tuple[float, float], det: tuple[float, float]
) -> None:
    assert float(haversine_m(*vessel, *det)) < DEFAULT.gate_floor_m
    ev = match_detections(_dets([det]), _positions(_still(201_000_000, *vessel))).to_pylist()
    assert [(r["type"], r["vessels"]) for r in ev] == [("detected_by", [201_000_000])]


@pytest.mark.parametrize(
    ("vessel", "det"),
    [
        ((0.0, 179.99), (0.0, -179.99)),  # 2.2 km
        ((75.0, 179.0), (75.4, 179.0)),  # 44 km north, far from longitude 0
        ((75.0, 179.0), (75.1, 179.05)),
        ((80.0, -170.0), (80.12, -170.3)),
        ((60.0, 170.0), (60.15, 170.4)),
        ((89.9, 10.0), (89.9, -170.0)),  # either side of the pole, 22 km
        ((-89.8, 0.0), (-89.8, 90.0)),  # 31 km
    ],
)
def test_every_vessel_within_the_radius_is_listed(
    vessel: tuple[float, float], det: tuple[float, float]
) -> None:
    far = float(haversine_m(*vessel, *det))
    assert DEFAULT.gate_floor_m < far <= DEFAULT.nearest_radius_m
    ev = match_detections(_dets([det]), _positions(_still(201_000_000, *vessel))).to_pylist()
    assert [r["type"] for r in ev] == ["dark_detection"]
    details = json.loads(ev[0]["details"])
    assert details["nearest_ais"] == [{"dist_m": round(far, 1), "mmsi": 201_000_000}]
    assert details["ais_vessels_in_scene"] == 1


def _sphere(rng: np.random.Generator, n: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Points: uniform on the sphere, near the poles, either side of the antimeridian."""
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lon = rng.uniform(-180, 180, n)
    k = n // 3
    lat[:k] = rng.choice([-1.0, 1.0], k) * rng.uniform(70, 90, k)
    lon[k : 2 * k] = rng.choice([-180.0, 180.0], k) + rng.uniform(-1.5, 1.5, k)
    return lat, lon


@pytest.mark.parametrize("radius_m", [1.0, 1_000.0, 20_000.0, 50_000.0, 300_000.0])
def test_pairs_are_every_pair_within_the_radius(radius_m: float) -> None:
    rng = np.random.default_rng(int(radius_m))
    dlat, dlon = _sphere(rng, 300)
    vlat, vlon = _sphere(rng, 3000)
    # vessels close to detections: some of them within any radius
    near = rng.integers(0, 300, 1000)
    b = rng.uniform(0, 2 * math.pi, 1000)
    r = rng.uniform(0, 2 * radius_m, 1000) / 111_195.0
    vlat[:1000] = np.clip(dlat[near] + r * np.cos(b), -90, 90)
    dx = r * np.sin(b) / np.maximum(np.cos(np.radians(dlat[near])), 0.01)
    vlon[:1000] = (dlon[near] + dx + 180.0) % 360.0 - 180.0
    vlat[5], dlon[7] = np.nan, np.inf  # pair with nothing
    di, vi, d = _dark_scene.pairs(dlat, dlon, vlat, vlon, radius_m)
    with np.errstate(invalid="ignore"):
        all_d = haversine_m(dlat[:, None], dlon[:, None], vlat[None, :], vlon[None, :])
    want = {(int(i), int(j)) for i, j in zip(*np.nonzero(all_d <= radius_m), strict=True)}
    assert len(want) > 100
    assert sorted(zip(di.tolist(), vi.tolist(), strict=True)) == sorted(want)
    assert np.array_equal(d, all_d[di, vi])


def _polar_world(seed: int) -> dict[str, Any]:
    """Vessels between 60 and 89 N, either side of the antimeridian: most with a fix every
    5-20 minutes, some silent for hours or with one fix near the scene, some fast, some
    without speed or course; detections near vessels (some across +-180) or anywhere."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, int, float, float, float | None, float | None]] = []
    for v in range(80):
        lat0 = rng.uniform(60.0, 89.0)
        lon0 = 180.0 + rng.uniform(-3.0, 3.0)
        sog, cog = float(rng.choice([0.0, rng.uniform(0, 30), 60.0])), rng.uniform(0, 360)
        step = rng.choice([5, 20, 90, 400]) * 60_000_000
        t = np.arange(T0_US - 8 * H_US, T0_US + 4 * H_US, step) + rng.integers(0, step)
        if rng.random() < 0.2:
            t = t[(t < T0_US - 4 * H_US) | (t > T0_US + 5 * H_US)]  # silent at the scene
        for ts in t.tolist():
            h = (ts - T0_US) / H_US
            run = sog * 1852.0 * h
            lat = lat0 + run * math.cos(math.radians(cog)) / 111_320.0
            lon = lon0 + run * math.sin(math.radians(cog)) / (
                111_320.0 * math.cos(math.radians(lat0))
            )
            if abs(lat) >= 90:
                continue
            rows.append(
                (
                    210_000_000 + v,
                    ts,
                    lat,
                    (lon + 180.0) % 360.0 - 180.0,
                    None if rng.random() < 0.05 else sog,
                    None if rng.random() < 0.05 else cog,
                )
            )
    dets: list[tuple[float, float]] = []
    times: list[int] = []
    near_scene = [r for r in rows if abs(r[1] - T0_US) < H_US // 2]
    for _ in range(150):
        if rng.random() < 0.7:
            _m, _t, lat, lon, _s, _c = near_scene[int(rng.integers(0, len(near_scene)))]
            lat, lon = lat + rng.normal(0, 0.003), lon + rng.normal(0, 0.02)
        else:
            lat, lon = rng.uniform(60.0, 90.0), 180.0 + rng.uniform(-5.0, 5.0)
        dets.append((min(lat, 90.0), (lon + 180.0) % 360.0 - 180.0))
        times.append(T0_US + int(rng.integers(-10, 10)) * 60_000_000)
    return {"detections": _dets(dets, times), "positions": _positions(rows)}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    "params",
    [DEFAULT, SIMPLE, DarkParams(window_h=0.5, nearest_radius_m=150_000.0, min_score=0.0)],
    ids=["default", "simple", "wide"],
)
def test_same_events_as_the_reference_near_the_pole_and_the_antimeridian(
    seed: int, params: DarkParams
) -> None:
    w = _polar_world(seed)
    got = match_detections(w["detections"], w["positions"], params=params)
    want = match_detections_reference(w["detections"], w["positions"], params=params)
    types = got.column("type").to_pylist()
    assert types.count("detected_by") > 10 and types.count("dark_detection") > 10
    assert got.to_pylist() == want.to_pylist()


def test_the_prefilter_locates_few_vessels_and_changes_no_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Vessels all over the globe with a fix every 10 minutes (boxes for every bucket), a
    detection near some in each scene: most vessels of a scene are not located, and the
    events equal the oracle's (which locates every vessel)."""
    rng = np.random.default_rng(11)
    rows: list[tuple[int, int, float, float, float | None, float | None]] = []
    lat0, lon0 = _sphere(rng, 600)
    lat0 = np.clip(lat0, -89.5, 89.5)
    for v in range(600):
        sog, cog = float(rng.uniform(0, 40)), float(rng.uniform(0, 360))
        for ts in range(T0_US - 6 * H_US, T0_US + 6 * H_US, H_US // 6):
            h = (ts - T0_US) / H_US
            lat = lat0[v] + sog * 1852.0 * h * math.cos(math.radians(cog)) / 111_320.0
            if abs(lat) >= 90:
                continue
            rows.append(
                (220_000_000 + v, ts + int(rng.integers(0, 60_000_000)), lat, lon0[v], sog, cog)
            )
    pos = _positions(rows)
    near = rng.integers(0, len(rows), 200)
    dets = _dets(
        [(rows[i][2] + rng.normal(0, 0.05), rows[i][3] + rng.normal(0, 0.05)) for i in near],
        [rows[i][1] + int(rng.integers(-H_US // 4, H_US // 4)) for i in near],
        one_scene=False,
    )
    kept: list[int] = []
    real = _dark_scene.scene_vessels

    def spy(*a: Any) -> _dark_scene.Vessels:
        v = real(*a)
        kept.append(len(v.sel))
        return v

    monkeypatch.setattr(_dark_scene, "scene_vessels", spy)
    for params in (DEFAULT, DarkParams(nearest_radius_m=200_000.0)):
        kept.clear()
        got = match_detections(dets, pos, params=params)
        assert got.to_pylist() == match_detections_reference(dets, pos, params=params).to_pylist()
        assert len(kept) == 200 and sorted(kept)[150] < 100, sorted(kept)  # of 600 vessels
