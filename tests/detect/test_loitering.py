from __future__ import annotations

import json
import math
from typing import Any

import pyarrow as pa
import pytest

from seawatch._exceptions import ParameterError
from seawatch.detect import PRESETS, LoiteringParams, build_events, loitering, port_visits
from seawatch.schema import EVENTS
from tests.detect.conftest import NM_DEG, T0, WORLD, drift, positions

FAR_LON = 1.0  # ~59 nm from the coast at lat 10


def _one(table: pa.Table, **kw: Any) -> list[dict[str, Any]]:
    ev = loitering(table, geo=WORLD, **kw)
    assert ev.schema.equals(EVENTS)
    out: list[dict[str, Any]] = ev.to_pylist()
    return out


def test_slow_vessel_far_out_across_midnight() -> None:
    # 20:00 -> 03:00 next day at 0.8 kn, 59 nm from shore: one event, not cut at midnight
    rows = drift(1, start_min=0, hours=7, lat=10.0, lon=FAR_LON, speed_kn=0.8)
    ev = _one(positions(rows))
    assert len(ev) == 1
    e = ev[0]
    assert e["type"] == "loitering" and e["vessels"] == [1]
    assert e["start"] == T0 and e["duration_h"] == pytest.approx(7.0)
    assert e["region"] == "test-sea"
    d = json.loads(str(e["details"]))
    assert d["mean_sog_kn"] == pytest.approx(0.8)
    assert d["shore_dist_nm"]["min"] > 50
    assert d["params"] == {
        "max_gap_h": 2.0,
        "max_slow_gap_h": 6.0,
        "max_speed_kn": 2.0,
        "min_duration_h": 4.0,
        "min_port_dist_m": 10000.0,
        "min_shore_dist_nm": 20.0,
        "shore_stat": "min",
        "speed_window_h": 1.0,
        "use_reported_sog": True,
    }
    assert d["with_encounter"] is None


def test_loitering_between_fast_legs() -> None:
    rows = drift(2, start_min=0, hours=2, lat=10.0, lon=FAR_LON, speed_kn=12)
    rows += drift(2, start_min=125, hours=5, lat=10.4, lon=FAR_LON, speed_kn=0.5)
    rows += drift(2, start_min=430, hours=2, lat=10.45, lon=FAR_LON, speed_kn=12)
    ev = _one(positions(rows))
    assert len(ev) == 1
    assert 4.5 <= float(ev[0]["duration_h"]) <= 5.5


def test_near_misses() -> None:
    short = drift(3, start_min=0, hours=3.9, lat=10.0, lon=FAR_LON, speed_kn=0.5)
    fast = drift(4, start_min=0, hours=6, lat=10.0, lon=FAR_LON, speed_kn=2.5)
    coastal = drift(5, start_min=0, hours=6, lat=10.0, lon=0.2, speed_kn=0.5)  # ~12 nm out
    assert _one(positions(short + fast + coastal)) == []


def test_reported_speed_zero_but_moving_is_not_loitering() -> None:
    rows = drift(6, start_min=0, hours=6, lat=10.0, lon=FAR_LON, speed_kn=6, sog=0.0)
    assert _one(positions(rows)) == []


def test_gps_jitter_does_not_break_a_stop() -> None:
    rows = []
    for i in range(12 * 6):
        jitter = (80 if i % 2 else -80) / 111_195
        rows.append((7, i * 5, 10.0 + jitter, FAR_LON, 0.3))
    assert len(_one(positions(rows))) == 1


def test_anchored_at_offshore_terminal_is_port_visit_not_loitering() -> None:
    rows = drift(8, start_min=0, hours=1, lat=12.0 - 10 * NM_DEG, lon=1.0, speed_kn=9)
    rows += drift(8, start_min=70, hours=8, lat=12.0 - 0.3 * NM_DEG, lon=1.0, speed_kn=0.0)
    t = positions(rows)
    assert _one(t) == []
    visits = port_visits(t, geo=WORLD).to_pylist()
    assert len(visits) == 1
    assert json.loads(visits[0]["details"])["port"]["name"] == "Terminal"
    # without the port filter, the same track is loitering
    assert len(_one(t, params=LoiteringParams(min_port_dist_m=0))) == 1


def test_a_gap_the_vessel_crossed_fast_ends_the_run() -> None:
    # 3 h at 0.5 kn, unheard 2.5 h, then 3 h more 10.5 nm on (4.2 kn across the gap)
    rows = drift(9, start_min=0, hours=3, lat=10.0, lon=FAR_LON, speed_kn=0.5)
    rows += drift(9, start_min=180 + 150, hours=3, lat=10.2, lon=FAR_LON, speed_kn=0.5)
    assert _one(positions(rows)) == []
    assert len(_one(positions(rows), params=LoiteringParams(max_gap_h=3))) == 1


@pytest.mark.parametrize("gap_min", [150, 355])
def test_a_drift_through_a_reception_hole_is_one_loitering(gap_min: int) -> None:
    # 3 h at 0.5 kn, unheard, then 3 h more where the drift would have taken it: one
    # loitering of 8.5 h (or 11.9 h), not two of 3 h (none) or two events for one drift
    rows = drift(9, start_min=0, hours=3, lat=10.0, lon=FAR_LON, speed_kn=0.5)
    lat2 = 10.0 + 0.5 * (180 + gap_min) / 60 * NM_DEG
    rows += drift(9, start_min=180 + gap_min, hours=3, lat=lat2, lon=FAR_LON, speed_kn=0.5)
    ev = _one(positions(rows))
    assert len(ev) == 1
    assert ev[0]["duration_h"] == pytest.approx((360 + gap_min) / 60)
    silence = json.loads(str(ev[0]["details"]))["longest_silence_h"]
    assert silence == pytest.approx(gap_min / 60, abs=1e-3)
    assert _one(positions(rows), params=LoiteringParams(max_slow_gap_h=0)) == []
    assert _one(positions(rows), params=PRESETS["gfw"]["loitering"]) == []
    # a silence over max_slow_gap_h (6 h) ends it
    assert _one(positions(rows), params=LoiteringParams(max_slow_gap_h=gap_min / 60 - 0.1)) == []
    for bad in (-1.0, float("nan")):
        with pytest.raises(ParameterError):
            LoiteringParams(max_slow_gap_h=bad)


def test_gfw_preset_uses_mean_shore_distance() -> None:
    # 1 kn due east from 18 nm to 24 nm off the coast, no reported speed:
    # the mean distance is >= 20 nm (GFW) but not every point is (default)
    lon0 = 18 * NM_DEG / math.cos(math.radians(10.0))
    rows = drift(10, start_min=0, hours=6, lat=10.0, lon=lon0, speed_kn=1.0, course_deg=90)
    t = positions([(m, ts, la, lo, None) for m, ts, la, lo, _ in rows])
    assert _one(t) == []
    ev = _one(t, params=PRESETS["gfw"]["loitering"])
    assert len(ev) == 1
    d = json.loads(str(ev[0]["details"]))
    assert d["shore_dist_nm"]["min"] < 20 <= d["shore_dist_nm"]["mean"]
    assert d["mean_sog_kn"] is None
    assert d["net_speed_kn"] == pytest.approx(1.0, rel=0.02)


def test_with_encounter_filled_from_encounters() -> None:
    rows = drift(11, start_min=0, hours=6, lat=10.0, lon=FAR_LON, speed_kn=0.3)
    enc = build_events(
        types="encounter",
        start_us=[int(T0.timestamp() * 1e6) + 3_600_000_000],
        end_us=[int(T0.timestamp() * 1e6) + 3 * 3_600_000_000],
        vessels=[[11, 99]],
        lat=[10.0],
        lon=[FAR_LON],
        details=["{}"],
    )
    ev = _one(positions(rows), encounters=enc)
    assert json.loads(str(ev[0]["details"]))["with_encounter"] == enc.column("event_id").to_pylist()
    ev = _one(positions(rows), encounters=EVENTS.empty_table())
    assert json.loads(str(ev[0]["details"]))["with_encounter"] == []


def test_empty_input() -> None:
    assert loitering(positions([]), geo=WORLD).num_rows == 0


def test_loitering_across_the_antimeridian_is_placed_on_it() -> None:
    """A vessel drifting east over 180°: one event, its position by the antimeridian (the
    mean of 179.97 and -179.93 is not 0) and its radius a few kilometres. (The test
    geography puts land west of 0°, so the shore and port filters are off.)"""
    rows = drift(1, start_min=0, hours=7, lat=10.0, lon=179.97, speed_kn=0.8, course_deg=90.0)
    wrapped = [(m, t, la, (lo + 180.0) % 360.0 - 180.0, s) for m, t, la, lo, s in rows]
    assert any(r[3] < 0 for r in wrapped) and any(r[3] > 0 for r in wrapped)
    ev = _one(positions(wrapped), params=LoiteringParams(min_shore_dist_nm=0, min_port_dist_m=0))
    assert len(ev) == 1
    assert abs(ev[0]["lon"]) > 179.9
    assert json.loads(str(ev[0]["details"]))["max_radius_m"] < 10_000
