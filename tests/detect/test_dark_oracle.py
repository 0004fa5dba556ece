"""The fast dark-vessel matcher against the old one (issue #11, the speed goal).

``tests/detect/_dark_reference.py`` is the matcher as it was before the numba kernels
(numpy per scene, Python rows). On seeded random worlds exercising every branch
(interpolation, extrapolation, silent vessels, footprints and mismatches, ports, lengths,
headings, detections without a scene, unsorted and null input) and on the dark scenario
suite, both must return the same events table: ids, details, row order.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import seawatch.engine._dark as engine_dark
from seawatch import schema
from seawatch.detect import FakeGeo, FakePort, _dark_rows, dark
from seawatch.detect import _dark_kernels as kernels
from seawatch.detect.dark import DEFAULT, SIMPLE, DarkParams, match_detections
from seawatch.pipeline import run_dark_suite
from seawatch.sim import dark_section
from tests.detect._dark_reference import match_detections_reference

T0_US = 1_704_110_400_000_000  # 2024-01-01T12:00Z
H_US = 3_600_000_000
GEO = FakeGeo(
    coast_lon=-80.0,
    port_list=(FakePort("Alpha", "XX", 10.2, -65.9), FakePort('Beta "q"', "YY", 10.6, -65.4)),
)


def _world(seed: int, *, n_vessels: int = 60, n_dets: int = 120) -> dict[str, Any]:
    """A random sea around (10.5 N, 65.5 W): vessels with irregular fixes (some silent
    for hours, some with one fix near the scene, missing speeds and courses), detections
    near vessels or not, in scenes with and without footprints, some without a scene."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, int, float, float, float | None, float | None]] = []
    for v in range(n_vessels):
        mmsi = 200_000_000 + int(rng.integers(0, 50)) * 1000 + v
        lat0, lon0 = rng.uniform(10.0, 11.0), rng.uniform(-66.0, -65.0)
        sog, cog = rng.uniform(0, 25), rng.uniform(0, 360)
        n = int(rng.integers(1, 30))
        span = rng.choice([2.0, 8.0, 30.0, 60.0])
        ts = np.sort(rng.uniform(-span, span * 0.3, n) * H_US).astype(np.int64) + T0_US
        if rng.random() < 0.2:
            ts[: n // 2] = ts[0]  # duplicate times
        for t in ts.tolist():
            h = (t - T0_US) / H_US
            run = sog * 1852.0 * h
            lat = lat0 + run * math.cos(math.radians(cog)) / 111_320.0
            lon = lon0 + run * math.sin(math.radians(cog)) / 111_320.0
            rows.append(
                (
                    mmsi,
                    t,
                    lat + rng.normal(0, 0.001),
                    lon,
                    None if rng.random() < 0.05 else sog,
                    None if rng.random() < 0.05 else cog,
                )
            )
    order = rng.permutation(len(rows)) if seed % 2 else np.arange(len(rows))
    rows = [rows[i] for i in order.tolist()]
    lat_col: list[float | None] = [r[2] for r in rows]
    if seed % 3 == 0:
        lat_col[0] = None  # a fix without a position is dropped
    positions = pa.table(
        {
            "mmsi": pa.array([r[0] for r in rows], pa.uint32()),
            "ts": pa.array([r[1] for r in rows], pa.int64()).cast(schema.TS),
            "lat": pa.array(lat_col, pa.float64()),
            "lon": pa.array([r[3] for r in rows], pa.float64()),
            "sog_kn": pa.array([r[4] for r in rows], pa.float32()),
            "cog_deg": pa.array([r[5] for r in rows], pa.float32()),
        }
    )
    mm = sorted({r[0] for r in rows})
    lengths = pa.table(
        {
            "mmsi": pa.array(mm + mm[:5], pa.uint32()),
            "length_m": pa.array(
                [
                    None if rng.random() < 0.2 else float(rng.uniform(-5, 300))
                    for _ in range(len(mm) + 5)
                ],
                pa.float32(),
            ),
        }
    )
    box = shapely.box(-65.8, 10.2, -65.3, 10.8)
    scenes = pa.table(
        {
            "scene_id": ["S0", "S1", "S2"],
            "source": ["sentinel1"] * 3,
            "ts_start": pa.array([T0_US] * 3, pa.int64()).cast(schema.TS),
            "ts_end": pa.array([T0_US] * 3, pa.int64()).cast(schema.TS),
            "footprint": pa.array([shapely.to_wkb(box), None, shapely.to_wkb(box)], pa.binary()),
        }
    )
    dets: list[dict[str, Any]] = []
    for i in range(n_dets):
        near = rng.random() < 0.6
        r = rows[int(rng.integers(0, len(rows)))]
        lat = float(r[2] if near and r[2] is not None else rng.uniform(10.0, 11.0))
        lon = float(r[3] + rng.normal(0, 0.005) if near else rng.uniform(-66.0, -65.0))
        scene = rng.choice(["S0", "S1", "S2", "S3", ""])
        dets.append(
            {
                "detection_id": f"d{i}" if i % 17 else f'd"{i}\u00e9',
                "source": "viirs" if scene == "" and rng.random() < 0.5 else "sentinel1",
                "scene_id": None if scene == "" else str(scene),
                "ts": T0_US
                + int(rng.integers(-2, 3)) * H_US // 2
                + int(rng.integers(0, 60_000_000)),
                "lat": lat,
                "lon": lon,
                "length_m": None if rng.random() < 0.3 else float(rng.uniform(10, 300)),
                "heading_deg": None if rng.random() < 0.4 else float(rng.uniform(0, 360)),
            }
        )
    detections = pa.Table.from_pylist(
        [{**d, "ts": d["ts"]} for d in dets],
        schema=pa.schema(
            [f if f.name != "ts" else pa.field("ts", pa.int64()) for f in schema.DETECTIONS]
        ),
    ).cast(schema.DETECTIONS)
    return {"detections": detections, "positions": positions, "scenes": scenes, "lengths": lengths}


PARAMS = [
    DEFAULT,
    SIMPLE,
    DarkParams(window_h=1.0, gap_lookback_h=72.0, nearest_radius_m=5_000.0, min_score=0.0),
]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("params", PARAMS, ids=["default", "simple", "custom"])
def test_same_events_as_the_reference_on_random_worlds(seed: int, params: DarkParams) -> None:
    w = _world(seed)
    geo = GEO if seed % 2 == 0 else None
    got = match_detections(
        w["detections"],
        w["positions"],
        params=params,
        scenes=w["scenes"],
        lengths=w["lengths"],
        geo=geo,
    )
    want = match_detections_reference(
        w["detections"],
        w["positions"],
        params=params,
        scenes=w["scenes"],
        lengths=w["lengths"],
        geo=geo,
    )
    assert got.num_rows > 0
    assert got.to_pylist() == want.to_pylist()


def test_random_worlds_reach_every_branch() -> None:
    """The worlds above are not vacuous: all event types and the rarer details occur."""
    seen: dict[str, int] = {}
    for seed in range(8):
        w = _world(seed)
        ev = match_detections(
            w["detections"], w["positions"], scenes=w["scenes"], lengths=w["lengths"], geo=GEO
        )
        for r in ev.to_pylist():
            seen[r["type"]] = seen.get(r["type"], 0) + 1
            det = json.loads(r["details"])
            if det.get("gap_candidates"):
                seen["gap"] = seen.get("gap", 0) + 1
            if det.get("near_port"):
                seen["port"] = seen.get("port", 0) + 1
            if r["type"] == "detected_by" and det["hours_to_nearest_fix"] > 0.75:
                seen["far_fix"] = seen.get("far_fix", 0) + 1
    for k in ("detected_by", "dark_detection", "ais_mismatch", "gap", "port", "far_fix"):
        assert seen.get(k, 0) > 0, (k, seen)


def test_many_scenes_run_in_several_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scenes are located in batches (double-buffered): tiny batches give the same events."""
    w = _world(3, n_dets=200)
    want = match_detections_reference(w["detections"], w["positions"], lengths=w["lengths"])
    monkeypatch.setattr(dark, "_BATCH_CELLS", 1)
    got = match_detections(w["detections"], w["positions"], lengths=w["lengths"])
    assert got.to_pylist() == want.to_pylist()


def test_empty_inputs_match_the_reference() -> None:
    w = _world(1)
    none_pos = w["positions"].slice(0, 0)
    for dets, pos in ((w["detections"], none_pos), (w["detections"].slice(0, 0), w["positions"])):
        got = match_detections(dets, pos)
        assert got.to_pylist() == match_detections_reference(dets, pos).to_pylist()


def test_dark_suite_events_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every dark scenario under both presets: the engine's scene step gets the same events
    from both matchers (and the suite's scores are those of docs/EVALUATION.md)."""
    calls: list[int] = []

    def both(detections: pa.Table, positions: pa.Table, **kw: Any) -> pa.Table:
        got = match_detections(detections, positions, **kw)
        want = match_detections_reference(detections, positions, **kw)
        assert got.to_pylist() == want.to_pylist()
        calls.append(got.num_rows)
        return got

    monkeypatch.setattr(engine_dark, "match_detections", both)
    res = run_dark_suite()
    assert len(calls) >= 2 * 5 and sum(calls) > 0
    totals = dict(res.totals)
    assert (totals["default"].matching.tp, totals["default"].matching.fp) == (11, 0)
    # the precision/recall tables of docs/EVALUATION.md, row for row
    doc = (Path(__file__).parents[2] / "docs" / "EVALUATION.md").read_text().splitlines()
    rows = [line for line in dark_section(res) if line.startswith("| `")]
    assert len(rows) >= 12 and all(line in doc for line in rows)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=64)
        | st.integers(-(10**7), 10**7).map(lambda k: k / 2000.0)  # many exact ties
        | st.floats(min_value=-1e6, max_value=1e6)
        | st.floats(min_value=-1e10, max_value=1e10)
        | st.floats(min_value=-1e-3, max_value=1e-3),
        max_size=40,
    ),
    st.sampled_from([1, 2, 3, 4, 6]),
)
def test_vectorised_round_and_json_floats(values: list[float], ndigits: int) -> None:
    x = np.array(values, np.float64)
    r = _dark_rows.round_many(x, ndigits)
    want = [round(v, ndigits) for v in values]
    assert [json.dumps(v) for v in r.tolist()] == [json.dumps(v) for v in want]
    assert _dark_rows.jf(r) == [json.dumps(v) for v in want]
    assert _dark_rows.jcol(r).to_pylist() == [json.dumps(v) for v in want]
    assert _dark_rows.jcol(r, null_nan=True).to_pylist() == _dark_rows.jf(r, null_nan=True)
    assert _dark_rows.jf(r, null_nan=True) == ["null" if v != v else json.dumps(v) for v in want]


def test_time_index_and_vessel_starts() -> None:
    rng = np.random.default_rng(5)
    mmsi = np.repeat(np.arange(50, dtype=np.uint32), rng.integers(1, 40, 50))
    ts = np.concatenate(
        [np.sort(rng.integers(0, 10_000, int((mmsi == m).sum()))) for m in range(50)]
    ).astype(np.int64)
    ok, starts = kernels.vessel_starts(mmsi, ts)
    assert ok and starts.tolist() == np.flatnonzero(np.r_[True, np.diff(mmsi) != 0]).tolist()
    assert not kernels.vessel_starts(mmsi[::-1].copy(), ts)[0]
    assert not kernels.vessel_starts(mmsi, ts[::-1].copy())[0]
    ends = np.r_[starts[1:], len(ts)].astype(np.int64)
    idx = kernels.time_index(starts, ends, ts, 0, 1000, 10)
    for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        edges = np.arange(11) * 1000
        assert idx[i].tolist() == np.searchsorted(ts[s:e], edges, "left").tolist()


def test_scene_groups_as_the_reference_groups_them() -> None:
    """Detections by (scene id, source), those without a scene id (null or "") by
    (source, time), in the order of the sorted keys, indices ascending."""
    rng = np.random.default_rng(2)
    n = 400
    scene = [
        rng.choice(["S1", "S0", "", "é", "S10"]) if rng.random() < 0.8 else None for _ in range(n)
    ]
    source = [
        rng.choice(["viirs", "sentinel1", ""]) if rng.random() < 0.9 else None for _ in range(n)
    ]
    ts = (T0_US + rng.integers(0, 4, n) * H_US).astype(np.int64)
    table = pa.table(
        {"scene_id": pa.array(scene, pa.string()), "source": pa.array(source, pa.string())}
    )
    groups: dict[tuple[str, str, int], list[int]] = {}
    for i, (s, src, t) in enumerate(zip(scene, source, ts.tolist(), strict=True)):
        key = (s, src or "", 0) if s else ("", src or "", t)
        groups.setdefault(key, []).append(i)
    want = [(k[0], v) for k, v in sorted(groups.items())]
    got = [(s, idx.tolist()) for s, idx in dark._groups(table, ts)]
    assert got == want
    assert dark._groups(table.slice(0, 0), ts[:0]) == []
