from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from detect.conftest import NM_DEG, T0, WORLD, Row, drift, positions
from seawatch.detect import PRESETS, GapParams, gaps, reception_density
from seawatch.schema import EVENTS

FAR_LON = 1.5  # ~89 nm from the coast at lat 10


def _gaps(table: pa.Table, **kw: Any) -> list[dict[str, Any]]:
    ev = gaps(table, geo=WORLD, **kw)
    assert ev.schema.equals(EVENTS)
    out: list[dict[str, Any]] = ev.to_pylist()
    return out


def _dark(mmsi: int, silence_h: float, *, lat: float = 10.0, lon: float = FAR_LON) -> list[Row]:
    rows = drift(mmsi, start_min=0, hours=2, lat=lat, lon=lon, speed_kn=10, step_min=5)
    t1 = 120 + silence_h * 60
    rows += drift(mmsi, start_min=t1, hours=2, lat=lat + 1.0, lon=lon, speed_kn=10, step_min=5)
    return rows


def test_gap_across_midnight_with_details() -> None:
    ev = _gaps(positions(_dark(1, 13)))
    assert len(ev) == 1
    e = ev[0]
    assert e["type"] == "gap" and e["vessels"] == [1]
    assert e["duration_h"] == pytest.approx(13.0)
    assert e["start"].day == 1 and e["end"].day == 2
    d = json.loads(str(e["details"]))
    assert d["distance_nm"] == pytest.approx((1.0 - 20 * NM_DEG) / NM_DEG, rel=0.01)
    assert d["implied_speed_kn"] == pytest.approx(d["distance_nm"] / 13, rel=1e-6)
    assert d["start"]["lat"] == pytest.approx(e["lat"])
    assert d["params"]["min_gap_h"] == 12.0
    assert d["positions_before"] == 25  # reports in the 12 h up to the gap (2 h at 5 min)


def test_near_miss_just_below_threshold() -> None:
    assert _gaps(positions(_dark(2, 11.9))) == []
    assert len(_gaps(positions(_dark(2, 12.0)))) == 1


def test_gfw_preset_reports_six_hours() -> None:
    t = positions(_dark(3, 7))
    assert _gaps(t) == []
    ev = _gaps(t, params=PRESETS["gfw"]["gap"])
    assert len(ev) == 1
    d = json.loads(str(ev[0]["details"]))
    # far out with dense reception, but 7 h is too short to call it disabling
    assert d["start_shore_dist_nm"] > 50 and d["positions_before"] >= 14
    assert d["likely_disabled"] is False


def test_gap_starting_in_port_is_not_reported() -> None:
    rows = drift(4, start_min=0, hours=2, lat=10.0, lon=0.03, speed_kn=0.0)  # at Harbor
    rows += drift(4, start_min=120 + 20 * 60, hours=1, lat=10.5, lon=1.0, speed_kn=10)
    assert _gaps(positions(rows)) == []
    assert len(_gaps(positions(rows), params=GapParams(min_port_dist_m=0))) == 1


def test_open_gap_at_end_of_data_is_not_an_event() -> None:
    rows = drift(5, start_min=0, hours=2, lat=10.0, lon=FAR_LON, speed_kn=10)
    rows += drift(6, start_min=0, hours=30, lat=11.0, lon=FAR_LON, speed_kn=10, step_min=30)
    assert _gaps(positions(rows)) == []


def test_likely_disabled_needs_distance_reception_and_coverage() -> None:
    dense = drift(7, start_min=0, hours=2, lat=10.0, lon=FAR_LON, speed_kn=10, step_min=2)
    dense += drift(7, start_min=120 + 14 * 60, hours=1, lat=11.0, lon=FAR_LON, speed_kn=10)
    e = _gaps(positions(dense))[0]
    d = json.loads(str(e["details"]))
    assert d["positions_before"] >= 14
    assert d["start_shore_dist_nm"] > 50
    # the input alone spans < 1 day: density = positions in the cell per (1) day
    assert d["cell_positions_per_day"] >= 10
    assert d["likely_disabled"] is True
    sparse = pa.table(
        {
            "cell_lat": pa.array([10], pa.int32()),
            "cell_lon": pa.array([1], pa.int32()),
            "positions_per_day": pa.array([3.0]),
        }
    )
    e2 = _gaps(positions(dense), coverage=sparse)[0]
    assert json.loads(str(e2["details"]))["likely_disabled"] is False
    # near the coast: never likely disabled
    near = [(m, t, la, 0.5, s) for m, t, la, _lo, s in dense]  # ~30 nm out
    e3 = _gaps(positions(near))[0]
    assert json.loads(str(e3["details"]))["likely_disabled"] is False


def test_reception_density() -> None:
    t = positions([(1, i, 10.5, 1.5, 1.0) for i in range(48)] + [(2, 0, -0.5, -0.5, 1.0)])
    d = reception_density(t).to_pylist()
    assert {"cell_lat": 10, "cell_lon": 1, "positions_per_day": 48.0} in d
    assert {"cell_lat": -1, "cell_lon": -1, "positions_per_day": 1.0} in d


def test_gaps_use_the_vessel_not_the_segment() -> None:
    # two reports 30 h apart (beyond the segmenter's 24 h): still one gap
    rows = [(8, 0, 10.0, FAR_LON, 5.0), (8, 30 * 60, 10.1, FAR_LON, 5.0)]
    ev = _gaps(positions(rows))
    assert len(ev) == 1 and ev[0]["start"] == T0
