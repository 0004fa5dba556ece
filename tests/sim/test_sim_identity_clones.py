"""Simulator features for the identity detectors: identity changes over time, one MMSI
shared by two vessels (a declared clone), GNSS spoofing windows; and their validation."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seawatch._exceptions import ParameterError
from seawatch.sim import (
    NOAA_COLUMNS,
    IdentityChange,
    parse_scenario,
    simulate,
    trajectories,
    vessel_tracks,
)
from seawatch.sim._track import haversine_m

ais = pytest.importorskip("seawatch.ais")

START = "2024-05-01T00:00:00Z"


def _vessel(mmsi: int, lat: float = 13.0, lon: float = -66.0, **extra: Any) -> dict[str, Any]:
    v: dict[str, Any] = {
        "mmsi": mmsi,
        "name": "CARIBE PEARL",
        "callsign": "V7CP4",
        "imo": 9301419,
        "ship_type": 80,
        "destination": "ARUBA",
        "lat": lat,
        "lon": lon,
        "static_interval_s": 600,
        "legs": [{"kind": "course", "heading_deg": 270, "speed_kn": 10, "until_h": 4}],
    }
    v.update(extra)
    return v


def _doc(*vessels: dict[str, Any]) -> dict[str, Any]:
    return {
        "scenario": {"start": START, "duration_h": 4, "seed": 5},
        "noise": {"jitter_m": 5.0},
        "vessels": list(vessels),
    }


def _decoded(doc: dict[str, Any], tmp_path: Path) -> tuple[Any, Any]:
    res = simulate(parse_scenario(doc, name="t"), tmp_path)
    return res, ais.decode_bytes(res.paths["nmea"].read_bytes())


def _hours(ts: list[Any]) -> np.ndarray:
    t0 = np.datetime64("2024-05-01T00:00:00")
    return np.array(
        [(np.datetime64(t.replace(tzinfo=None)) - t0) / np.timedelta64(1, "h") for t in ts]
    )


# ------------------------------------------------------------------------ identity changes


def test_statics_after_an_identity_change_carry_the_new_values(tmp_path: Path) -> None:
    change = {"at_h": 2.0, "name": "PEARL I", "callsign": "TJPE1", "destination": "LOME"}
    res, dec = _decoded(_doc(_vessel(538007421, identity=[change])), tmp_path)
    st = dec.statics.sort_by("ts").to_pylist()
    h = _hours([r["ts"] for r in st])
    before = [r for r, x in zip(st, h, strict=True) if x < 2.0]
    after = [r for r, x in zip(st, h, strict=True) if x >= 2.0]
    assert before and after
    assert {(r["name"], r["callsign"], r["destination"]) for r in before} == {
        ("CARIBE PEARL", "V7CP4", "ARUBA")
    }
    assert {(r["name"], r["callsign"], r["destination"]) for r in after} == {
        ("PEARL I", "TJPE1", "LOME")
    }
    # unchanged fields stay, and the new identity goes out at once (not 10 min later)
    assert {(r["imo"], r["ship_type"]) for r in st} == {(9301419, 80)}
    assert min(x for x in h if x >= 2.0) < 2.0 + 2 / 60
    csv = res.paths["csv"].read_text(encoding="ascii").splitlines()
    names = {r.split(",")[NOAA_COLUMNS.index("VesselName")] for r in csv[2:]}  # mark, header
    assert names == {"CARIBE PEARL", "PEARL I"}


def test_a_new_mmsi_moves_positions_and_statics_to_it(tmp_path: Path) -> None:
    change = {"at_h": 1.5, "mmsi": 613003555, "name": "PEARL", "imo": 9301419}
    res, dec = _decoded(_doc(_vessel(775100333, identity=[change])), tmp_path)
    pos = dec.positions.to_pylist()
    h = _hours([r["ts"] for r in pos])
    m = np.array([r["mmsi"] for r in pos])
    assert set(m[h < 1.5]) == {775100333} and set(m[h >= 1.5]) == {613003555}
    assert set(res.positions["mmsi"].to_pylist()) == {775100333, 613003555}
    st = dec.statics.to_pylist()
    assert {r["mmsi"] for r in st if r["name"] == "PEARL"} == {613003555}
    # one physical vessel: the track is continuous across the change
    sc = parse_scenario(_doc(_vessel(775100333, identity=[change])))
    tr = trajectories(sc)
    assert tr[775100333] is tr[613003555] and len(vessel_tracks(sc)) == 1
    assert sc.vessel(613003555).mmsi == 775100333


def test_class_b_identity_change_in_type_24(tmp_path: Path) -> None:
    v = _vessel(338123456, identity=[{"at_h": 2.0, "name": "LADY ANN", "callsign": "WDL9"}])
    v["class"] = "B"
    _, dec = _decoded(_doc(v), tmp_path)
    st = dec.statics.sort_by("ts").to_pylist()
    h = _hours([r["ts"] for r in st])
    assert {r["name"] for r, x in zip(st, h, strict=True) if x > 2.05} == {"LADY ANN"}
    assert {r["callsign"] for r, x in zip(st, h, strict=True) if x < 1.95} == {"V7CP4"}


# ------------------------------------------------------------------------ shared MMSIs


def test_two_vessels_on_one_mmsi_when_declared(tmp_path: Path) -> None:
    a = _vessel(352001234)
    b = _vessel(352001234, lat=11.0, lon=-80.0, shares_mmsi=True)
    sc = parse_scenario(_doc(a, b))
    tracks = vessel_tracks(sc)
    assert len(tracks) == 2 and trajectories(sc)[352001234].vessel is sc.vessels[0]
    res, dec = _decoded(_doc(a, b), tmp_path)
    lat = np.array(dec.positions["lat"].to_pylist())
    assert np.any(lat > 12.5) and np.any(lat < 11.5)  # both transmitters heard
    p = res.positions.to_pylist()
    far = [r for r in p if r["lat"] < 12.0]
    near = [r for r in p if r["lat"] > 12.0]
    assert len(far) > 100 and len(near) > 100
    # the clone has its own randomness (report phases, jitter), not a copy of the first
    assert {r["ts"] for r in far} != {r["ts"] for r in near}


def _err(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        parse_scenario(doc)


def test_duplicate_mmsis_are_still_rejected_unless_declared() -> None:
    _err(_doc(_vessel(1), _vessel(1)), "must be unique .*shares_mmsi")
    _err(_doc(_vessel(1), _vessel(2, shares_mmsi=True)), "no vessel listed before it has MMSI 2")
    _err(_doc(_vessel(1, shares_mmsi="yes")), "shares_mmsi must be true or false")
    follow = {"kind": "follow", "target": 1, "until_h": 3}
    _err(
        _doc(_vessel(1), _vessel(1, shares_mmsi=True), _vessel(3, legs=[follow])),
        "follows MMSI 1, which several vessels share",
    )
    _err(_doc(_vessel(3, legs=[follow])), "follows unknown vessel 1")


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        ([{"at_h": 5, "name": "X"}], r"not inside the scenario \(0 < at_h < 4\)"),
        ([{"at_h": 0, "name": "X"}], "not inside the scenario"),
        ([{"at_h": 2, "name": "X"}, {"at_h": 1, "name": "Y"}], "in time order"),
        ([{"at_h": 2, "flag": "PA"}], r"unknown key\(s\) \['flag'\]"),
        ([{"at_h": 2}], "changes nothing"),
        ([{"name": "X"}], "needs at_h"),
        ([{"at_h": 2, "mmsi": 2}], "MMSI 2, which vessel 2 already uses"),
        ([{"at_h": 2, "imo": "nine"}], "identity 1"),
        ({"at_h": 2}, "must be a list"),
    ],
)
def test_invalid_identity_changes(identity: Any, message: str) -> None:
    _err(_doc(_vessel(1, identity=identity), _vessel(2)), message)


def test_identity_change_dataclass_keeps_unset_fields() -> None:
    sc = parse_scenario(_doc(_vessel(1, identity=[{"at_h": 1, "ship_type": 84}])))
    ids = sc.vessels[0].identities()
    assert sc.vessels[0].identity == (IdentityChange(at_h=1.0, ship_type=84),)
    assert [i.ship_type for i in ids] == [80, 84] and ids[1].name == "CARIBE PEARL"


# ------------------------------------------------------------------------ spoofing


def test_spoof_window_moves_the_broadcast_position_only(tmp_path: Path) -> None:
    v = _vessel(775998812, spoof=[{"start_h": 1.0, "end_h": 2.0, "lat": 11.85, "lon": -70.05}])
    res, dec = _decoded(_doc(v), tmp_path)
    p = res.positions.to_pylist()
    h = _hours([r["ts"] for r in p])
    inside = [r for r, x in zip(p, h, strict=True) if 1.0 <= x < 2.0]
    outside = [r for r, x in zip(p, h, strict=True) if x < 1.0 or x >= 2.0]
    d = haversine_m(
        np.array([r["reported_lat"] for r in inside]),
        np.array([r["reported_lon"] for r in inside]),
        np.full(len(inside), 11.85),
        np.full(len(inside), -70.05),
    )
    assert len(inside) > 50 and d.max() < 40.0  # at the false point, with its jitter
    assert all(r["sog_kn"] == 0.0 for r in inside)
    assert all(abs(r["lat"] - 13.0) < 0.01 for r in inside)  # the true track sails on west
    assert all(abs(r["reported_lat"] - r["lat"]) < 1e-3 for r in outside)
    assert any(abs(r["lat"] - 11.85) < 1e-3 for r in dec.positions.to_pylist())


@pytest.mark.parametrize(
    ("spoof", "message"),
    [
        ([{"start_h": 1, "end_h": 5, "lat": 1, "lon": 1}], "not inside the scenario"),
        ([{"start_h": 2, "end_h": 1, "lat": 1, "lon": 1}], "end_h must be after start_h"),
        ([{"start_h": 1, "end_h": 2, "lat": 1}], "missing 'lon'"),
        ([{"start_h": 1, "end_h": 2, "lat": 1, "lon": 1, "sog": 0}], "unknown key"),
        ([{"start_h": 1, "end_h": 2, "lat": 91, "lon": 1}], "off the globe"),
        (
            [
                {"start_h": 1, "end_h": 3, "lat": 1, "lon": 1},
                {"start_h": 2, "end_h": 3.5, "lat": 1, "lon": 1},
            ],
            "not overlapping",
        ),
    ],
)
def test_invalid_spoof_windows(spoof: Any, message: str) -> None:
    _err(_doc(_vessel(1, spoof=spoof)), message)


def test_existing_keys_unchanged_by_the_new_ones() -> None:
    doc = _doc(_vessel(1))
    sc = parse_scenario(copy.deepcopy(doc))
    v = sc.vessels[0]
    assert v.identity == () and v.spoof == () and not v.shares_mmsi and v.mmsis == (1,)


def test_inputs_key() -> None:
    doc = _doc(_vessel(1))
    assert parse_scenario(doc).inputs == ("nmea", "csv")
    doc["scenario"]["inputs"] = ["nmea"]
    assert parse_scenario(doc).inputs == ("nmea",)
    for bad in ([], ["json"]):
        doc["scenario"]["inputs"] = bad
        _err(doc, "inputs must be a non-empty list")
