"""Dark-vessel matching kernel (issue #11 §2): matches, dark detections, gaps, mismatches."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from seawatch import schema
from seawatch.detect import dark
from seawatch.detect.dark import DEFAULT, SIMPLE, DarkParams, match_detections

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
KN_DEG_PER_H = 1852.0 / 111_320.0  # degrees of latitude per hour at 1 kn


def _positions(rows: list[tuple[int, datetime, float, float, float, float]]) -> pa.Table:
    return pa.table(
        {
            "mmsi": pa.array([r[0] for r in rows], pa.uint32()),
            "ts": pa.array([r[1] for r in rows], schema.TS),
            "lat": [r[2] for r in rows],
            "lon": [r[3] for r in rows],
            "sog_kn": pa.array([r[4] for r in rows], pa.float32()),
            "cog_deg": pa.array([r[5] for r in rows], pa.float32()),
        }
    )


def _track(mmsi: int, lat0: float, lon: float, sog: float, hours: list[float]) -> list[Any]:
    """A vessel going north at ``sog`` kn, at lat0 at T0, fixes at ``hours`` from T0."""
    return [
        (mmsi, T0 + timedelta(hours=h), lat0 + sog * KN_DEG_PER_H * h, lon, sog, 0.0) for h in hours
    ]


def _dets(rows: list[dict[str, Any]], scene: str = "S") -> pa.Table:
    full = [
        {
            "detection_id": f"d{i}",
            "source": "sentinel1",
            "scene_id": scene,
            "ts": T0,
            "length_m": None,
            "heading_deg": None,
            **r,
        }
        for i, r in enumerate(rows)
    ]
    return pa.Table.from_pylist(full, schema=schema.DETECTIONS)


def _by_type(events: pa.Table) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in events.to_pylist():
        r["details"] = json.loads(r["details"])
        out.setdefault(r["type"], []).append(r)
    return out


def test_interpolated_match_and_dark_detection() -> None:
    pos = _positions(_track(1, 10.0, -66.0, 12.0, [-1.0, 1.0]))
    dets = _dets([{"lat": 10.0, "lon": -66.0}, {"lat": 10.2, "lon": -66.2}])
    ev = _by_type(match_detections(dets, pos))
    assert [e["vessels"] for e in ev["detected_by"]] == [[1]]
    assert ev["detected_by"][0]["details"]["dist_m"] < 50
    (d,) = ev["dark_detection"]
    assert d["vessels"] == [] and d["details"]["detection_id"] == "d1"
    assert d["details"]["nearest_ais"][0]["mmsi"] == 1
    assert not d["details"]["no_ais_coverage"]


def test_silent_vessel_is_never_a_match_but_a_gap_candidate() -> None:
    # fixes 6 h before and 6 h after, track lines up perfectly with the detection
    pos = _positions(_track(7, 10.0, -66.0, 10.0, [-6.0, 6.0]))
    dets = _dets([{"lat": 10.0, "lon": -66.0}])
    ev = _by_type(match_detections(dets, pos))
    assert "detected_by" not in ev
    # no AIS vessel heard in the scene's window: unidentified, not called dark, though the
    # silent vessel is named as the candidate
    assert "dark_detection" not in ev
    (d,) = ev["unidentified_detection"]
    assert d["details"]["no_ais_coverage"] and d["details"]["ais_vessels_in_scene"] == 0
    (g,) = d["details"]["gap_candidates"]
    assert g["mmsi"] == 7 and g["dist_m"] <= g["reach_m"] and g["hours_since_fix"] == 6.0
    # with another vessel broadcasting in the scene, the same detection is dark
    other = _track(8, 10.15, -66.0, 10.0, [-0.5, 0.5])  # 17 km north: heard, not a match
    ev = _by_type(
        match_detections(dets, _positions(_track(7, 10.0, -66.0, 10.0, [-6.0, 6.0]) + other))
    )
    (d,) = ev["dark_detection"]
    assert "unidentified_detection" not in ev and not d["details"]["no_ais_coverage"]
    assert [g["mmsi"] for g in d["details"]["gap_candidates"]] == [7]


def test_unreachable_silent_vessel_is_no_gap_candidate() -> None:
    pos = _positions(_track(7, 0.0, -66.0, 5.0, [-6.0]))  # ~1100 km south, 5 kn
    dets = _dets([{"lat": 10.0, "lon": -66.0}])
    (d,) = _by_type(match_detections(dets, pos))["unidentified_detection"]
    assert d["details"]["gap_candidates"] == []
    assert d["details"]["no_ais_coverage"]


def test_extrapolation_from_one_fix_with_speed_and_course() -> None:
    # last fix 2 h before at 20 kn heading north: about 74 km south of the detection
    pos = _positions(_track(3, 10.0, -66.0, 20.0, [-2.0]))
    dets = _dets([{"lat": 10.0, "lon": -66.0}])
    ev = _by_type(match_detections(dets, pos))
    assert [e["vessels"] for e in ev["detected_by"]] == [[3]]
    assert ev["detected_by"][0]["details"]["hours_to_nearest_fix"] == 2.0
    # the simple 1.5 km rule also matches the extrapolated position
    assert "detected_by" in _by_type(match_detections(dets, pos, params=SIMPLE))


def test_one_to_one_two_vessels_close_together() -> None:
    pos = _positions(
        _track(1, 10.0, -66.0, 0.0, [-0.5, 0.5]) + _track(2, 10.0, -65.995, 0.0, [-0.5, 0.5])
    )
    dets = _dets([{"lat": 10.0, "lon": -66.0005}, {"lat": 10.0, "lon": -65.9955}])
    ev = _by_type(match_detections(dets, pos))
    pairs = {e["details"]["detection_id"]: e["vessels"][0] for e in ev["detected_by"]}
    assert pairs == {"d0": 1, "d1": 2}
    # one detection, two vessels: one match, the other vessel unmatched (no dark event)
    ev1 = _by_type(match_detections(_dets([{"lat": 10.0, "lon": -66.0}]), pos))
    assert len(ev1["detected_by"]) == 1 and "dark_detection" not in ev1


def test_length_disagreement_prevents_a_match() -> None:
    pos = _positions(_track(1, 10.0, -66.0, 0.0, [-0.5, 0.5]))
    lengths = pa.table({"mmsi": pa.array([1], pa.uint32()), "length_m": [30.0]})
    dets = _dets([{"lat": 10.0, "lon": -66.0 + 0.006, "length_m": 300.0}])
    ev = _by_type(match_detections(dets, pos, lengths=lengths))
    assert "detected_by" not in ev and len(ev["dark_detection"]) == 1
    # without the length the same geometry is a match
    assert "detected_by" in _by_type(match_detections(dets, pos))


def test_ais_mismatch_needs_footprint_and_length() -> None:
    from shapely import Polygon, to_wkb

    # AIS says vessel 5 (250 m) is at 10.0,-66.0; the imagery shows nothing there but an
    # unexplained 245 m vessel 40 km east; the footprint covers both
    pos = _positions(_track(5, 10.0, -66.0, 0.0, [-0.5, 0.5]))
    lengths = pa.table({"mmsi": pa.array([5], pa.uint32()), "length_m": [250.0]})
    dets = _dets([{"lat": 10.0, "lon": -65.64, "length_m": 245.0}])
    fp = to_wkb(Polygon([(-67, 9), (-65, 9), (-65, 11), (-67, 11)]))
    scenes = pa.Table.from_pylist(
        [{"scene_id": "S", "source": "sentinel1", "ts_start": T0, "ts_end": T0, "footprint": fp}],
        schema=schema.SCENES,
    )
    ev = _by_type(match_detections(dets, pos, lengths=lengths, scenes=scenes))
    (m,) = ev["ais_mismatch"]
    assert m["vessels"] == [5] and m["details"]["dist_m"] > 30_000
    assert ev["dark_detection"][0]["details"]["ais_mismatch_mmsi"] == 5
    # no footprint: nothing says the AIS position was imaged
    assert "ais_mismatch" not in _by_type(match_detections(dets, pos, lengths=lengths))


def test_deterministic_ids_and_params_recorded() -> None:
    pos = _positions(_track(1, 10.0, -66.0, 12.0, [-1.0, 1.0]))
    dets = _dets([{"lat": 10.0, "lon": -66.0}, {"lat": 10.2, "lon": -66.2}])
    a = match_detections(dets, pos)
    b = match_detections(dets.take([1, 0]), pos.take([1, 0]))
    assert a.column("event_id").to_pylist() == b.column("event_id").to_pylist()
    assert json.loads(a.column("details")[0].as_py())["params"]["window_h"] == DEFAULT.window_h
    assert a.schema.equals(schema.EVENTS)


def test_empty_inputs() -> None:
    empty = match_detections(schema.DETECTIONS.empty_table(), _positions([]))
    assert empty.num_rows == 0
    (d,) = _by_type(match_detections(_dets([{"lat": 1.0, "lon": 2.0}]), _positions([])))[
        "unidentified_detection"
    ]
    assert d["details"]["no_ais_coverage"] and d["confidence"] == pytest.approx(0.3)


def test_params_are_validated() -> None:
    with pytest.raises(Exception, match="gate_floor_m"):
        DarkParams(gate_floor_m=5000, gate_max_m=1000)
    assert dark.PRESETS["simple"].gate_max_m == 1500.0


def test_long_spans_give_the_same_matches() -> None:
    """Positions spanning years (no (vessel, time) key fits in int64) still match."""
    far = [r for k in range(600) for r in _track(100 + k, -30.0, 100.0, 0.0, [-24 * 365 * 300.0])]
    pos = _positions(_track(1, 10.0, -66.0, 12.0, [-1.0, 1.0]) + far)
    dets = _dets([{"lat": 10.0, "lon": -66.0}])
    ev = _by_type(match_detections(dets, pos))
    assert [e["vessels"] for e in ev["detected_by"]] == [[1]]


def test_gap_candidate_needs_a_compatible_length() -> None:
    pos = _positions(_track(7, 10.0, -66.0, 10.0, [-6.0]))
    lengths = pa.table({"mmsi": pa.array([7], pa.uint32()), "length_m": [180.0]})
    dets = _dets([{"lat": 10.0, "lon": -66.0, "length_m": 15.0}, {"lat": 10.0, "lon": -66.1}])
    ev = _by_type(match_detections(dets, pos, lengths=lengths))
    assert "dark_detection" not in ev  # no AIS heard in the scene's window
    by_id = {
        e["details"]["detection_id"]: e["details"]["gap_candidates"]
        for e in ev["unidentified_detection"]
    }
    assert by_id["d0"] == []  # a 15 m detection is not the 180 m tanker
    assert [g["mmsi"] for g in by_id["d1"]] == [7]  # no detected length: still a candidate
