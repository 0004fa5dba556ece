from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from seawatch.detect import PRESETS, GapParams, coverage_grid, gaps
from seawatch.schema import EVENTS
from tests.detect.conftest import NM_DEG, T0, WORLD, Row, drift, positions

FAR_LON = 1.5  # ~89 nm from the coast at lat 10


def _gaps(table: pa.Table, **kw: Any) -> list[dict[str, Any]]:
    ev = gaps(table, geo=WORLD, **kw)
    assert ev.schema.equals(EVENTS)
    out: list[dict[str, Any]] = ev.to_pylist()
    return out


def _witness(
    *,
    lat: float = 10.5,
    lon: float = FAR_LON + 0.1,
    hours: float = 48,
    start_min: float = 0,
    step_min: float = 30,
) -> list[Row]:
    """Another vessel the receivers hear every 30 min near the silent one (mmsi 900)."""
    return drift(
        900, start_min=start_min, hours=hours, lat=lat, lon=lon, speed_kn=0.0, step_min=step_min
    )


def _dark(
    mmsi: int,
    silence_h: float,
    *,
    lat: float = 10.0,
    lon: float = FAR_LON,
    witness: bool = True,
) -> list[Row]:
    """A vessel silent for ``silence_h`` after 2 h of reports; with ``witness``, other
    traffic heard nearby all along (so the silence is a gap, not a coverage hole)."""
    rows = drift(mmsi, start_min=0, hours=2, lat=lat, lon=lon, speed_kn=10, step_min=5)
    t1 = 120 + silence_h * 60
    rows += drift(mmsi, start_min=t1, hours=2, lat=lat + 1.0, lon=lon, speed_kn=10, step_min=5)
    return rows + (_witness(lat=lat + 0.5, lon=lon + 0.1) if witness else [])


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
    # 22:00 -> 11:00 next day: the 12 hours strictly inside, each with the witness heard
    assert d["coverage"] == {"hours": 12, "covered_hours": 12, "fraction": 1.0, "positions": 24}


def test_no_gap_where_the_receivers_heard_nothing() -> None:
    """A silence with no other traffic heard around it is a coverage hole, not a gap."""
    alone = positions(_dark(11, 13, witness=False))
    assert _gaps(alone) == []
    assert len(_gaps(alone, params=GapParams(min_coverage_fraction=0.0))) == 1
    # traffic heard, but 3 cells away (outside the 3x3 blocks around both fixes)
    far = positions(_dark(11, 13, witness=False) + _witness(lat=10.5, lon=FAR_LON + 3.0))
    assert _gaps(far) == []
    assert len(_gaps(far, params=GapParams(coverage_ring_cells=3))) == 1


def test_coverage_fraction_threshold() -> None:
    """Traffic heard in fewer than half of the silence's hours: no gap; in more: a gap."""
    base = _dark(12, 20, witness=False)  # silent 02:00 -> 22:00 after T0 (19 inner hours)
    few = positions(base + _witness(start_min=0, hours=10))  # heard in 8 of them
    many = positions(base + _witness(start_min=0, hours=14))
    assert _gaps(few, params=GapParams(min_coverage_fraction=0.6)) == []
    ev = _gaps(many, params=GapParams(min_coverage_fraction=0.6))
    assert len(ev) == 1
    cov = json.loads(str(ev[0]["details"]))["coverage"]
    assert cov["hours"] == 19 and cov["covered_hours"] == 12  # 23:00 .. 10:00
    assert cov["fraction"] == pytest.approx(12 / 19)


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
    rows += _witness(lat=10.2, lon=0.5)
    assert _gaps(positions(rows)) == []
    assert len(_gaps(positions(rows), params=GapParams(min_port_dist_m=0))) == 1


def test_open_gap_at_end_of_data_is_not_an_event() -> None:
    rows = drift(5, start_min=0, hours=2, lat=10.0, lon=FAR_LON, speed_kn=10)
    rows += drift(6, start_min=0, hours=30, lat=11.0, lon=FAR_LON, speed_kn=10, step_min=30)
    rows += _witness()
    assert _gaps(positions(rows)) == []


def test_likely_disabled_needs_distance_reception_and_coverage() -> None:
    dense = drift(7, start_min=0, hours=2, lat=10.0, lon=FAR_LON, speed_kn=10, step_min=2)
    dense += drift(7, start_min=120 + 14 * 60, hours=1, lat=11.0, lon=FAR_LON, speed_kn=10)
    dense += _witness(hours=20)
    e = _gaps(positions(dense))[0]
    d = json.loads(str(e["details"]))
    assert d["positions_before"] >= 14
    assert d["start_shore_dist_nm"] > 50
    # the input spans < 1 day: density = positions in the cell per (1) day
    assert d["cell_positions_per_day"] >= 10
    assert d["likely_disabled"] is True
    # a store-wide grid in which the start cell hears little (one report an hour, in the
    # cell beside it): the gap is seen, but the area is not well covered
    sparse = coverage_grid(positions(_witness(lat=10.5, lon=FAR_LON + 1.0, step_min=60)))
    e2 = _gaps(positions(dense), coverage=sparse)[0]
    assert json.loads(str(e2["details"]))["likely_disabled"] is False
    # data years later elsewhere (a coverage hole in between) does not dilute the density
    later = dense + [(99, 5 * 365 * 24 * 60 + k, -40.0, 100.0, 1.0) for k in range(3)]
    e4 = _gaps(positions(later))[0]
    assert json.loads(str(e4["details"]))["likely_disabled"] is True
    # near the coast: never likely disabled
    near = [(m, t, la, 0.5, s) for m, t, la, _lo, s in dense]  # ~30 nm out
    e3 = _gaps(positions(near))[0]
    assert json.loads(str(e3["details"]))["likely_disabled"] is False


def test_coverage_grid_counts_positions_and_vessels_per_cell_hour() -> None:
    t = positions(
        [(1, i, 10.5, 1.5, 1.0) for i in range(48)]  # 48 reports in 48 min from 20:00
        + [(2, 5, 10.7, 1.9, 1.0), (3, 70, -0.5, -0.5, 1.0)]
    )
    g = coverage_grid(t).to_pylist()
    assert [
        (r["cell_lat"], r["cell_lon"], r["hour"].hour, r["positions"], r["vessels"]) for r in g
    ] == [
        (-1, -1, 21, 1, 1),
        (10, 1, 20, 49, 2),
    ]


def test_gaps_use_the_vessel_not_the_segment() -> None:
    # two reports 30 h apart (beyond the segmenter's 24 h): still one gap
    rows: list[Row] = [(8, 0, 10.0, FAR_LON, 5.0), (8, 30 * 60, 10.1, FAR_LON, 5.0)]
    rows += _witness(hours=31)
    ev = _gaps(positions(rows))
    assert len(ev) == 1 and ev[0]["start"] == T0
