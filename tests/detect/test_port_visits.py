from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from seawatch.detect import PortVisitParams, port_visits
from seawatch.schema import EVENTS
from tests.detect.conftest import NM_DEG, WORLD, Row, drift, positions

HARBOR = (10.0, 0.02)


def _visits(table: pa.Table, **kw: Any) -> list[dict[str, Any]]:
    ev = port_visits(table, geo=WORLD, **kw)
    assert ev.schema.equals(EVENTS)
    out: list[dict[str, Any]] = ev.to_pylist()
    return out


def _call(mmsi: int, stop_h: float, start_min: float = 0.0) -> list[Row]:
    # approach from 8 nm south, stop at the berth, leave north
    lat0 = HARBOR[0] - 8 * NM_DEG
    rows = drift(mmsi, start_min=start_min, hours=1, lat=lat0, lon=0.03, speed_kn=8)
    t = start_min + 60
    rows += drift(mmsi, start_min=t + 5, hours=stop_h, lat=HARBOR[0], lon=0.03, speed_kn=0.0)
    t += 5 + stop_h * 60
    rows += drift(mmsi, start_min=t + 5, hours=1, lat=HARBOR[0], lon=0.03, speed_kn=8)
    return rows


def test_visit_with_stop_across_midnight() -> None:
    ev = _visits(positions(_call(1, 6)))
    assert len(ev) == 1
    e = ev[0]
    assert e["type"] == "port_visit" and e["vessels"] == [1]
    assert (e["lat"], e["lon"]) == HARBOR
    assert e["start"].day == 1 and e["end"].day == 2
    d = json.loads(str(e["details"]))
    assert d["port"] == {"port_id": "fake-0", "name": "Harbor", "country": "XX", "kind": "port"}
    assert len(d["stops"]) == 1
    assert d["stop_h"] == pytest.approx(6.0, abs=0.1)
    assert d["open_start"] is False and d["open_end"] is False
    assert e["confidence"] == 1.0
    # entry within 3 km (~1.6 nm) of the port, exit after 4 km
    assert 6.5 < float(e["duration_h"]) < 7.0


def test_pass_by_outside_entry_radius_is_not_a_visit() -> None:
    # sails north 3.5 km east of the port: never within 3 km
    lon = HARBOR[1] + 3500 / 111_195 / 0.985
    rows = drift(2, start_min=0, hours=2, lat=9.8, lon=lon, speed_kn=10)
    assert _visits(positions(rows)) == []
    # same passage at 2 km: a visit without a stop, lower confidence
    lon = HARBOR[1] + 2000 / 111_195 / 0.985
    rows = drift(2, start_min=0, hours=2, lat=9.8, lon=lon, speed_kn=10)
    ev = _visits(positions(rows))
    assert len(ev) == 1 and ev[0]["confidence"] == 0.5


def test_hysteresis_one_visit_when_hovering_between_3_and_4_km() -> None:
    rows = []
    for i in range(60):
        r_m = 2500 if i < 5 else (3300 if i % 2 else 3800)
        rows.append((3, i * 5, HARBOR[0] + r_m / 111_195, HARBOR[1], 0.1))
    rows.append((3, 300, HARBOR[0] + 9000 / 111_195, HARBOR[1], 6.0))
    ev = _visits(positions(rows))
    assert len(ev) == 1
    assert float(ev[0]["duration_h"]) == pytest.approx(295 / 60)


def test_open_end_and_port_gap() -> None:
    rows = drift(4, start_min=0, hours=1, lat=HARBOR[0], lon=0.04, speed_kn=0.0)
    rows += drift(4, start_min=60 + 300, hours=1, lat=HARBOR[0], lon=0.04, speed_kn=0.0)
    ev = _visits(positions(rows))
    assert len(ev) == 1
    d = json.loads(str(ev[0]["details"]))
    assert d["open_start"] is True and d["open_end"] is True
    assert d["port_gaps"] == 1


def test_min_duration_filter_and_params_validation() -> None:
    t = positions(_call(5, 1))
    assert len(_visits(t)) == 1
    assert _visits(t, params=PortVisitParams(min_duration_h=5)) == []
    with pytest.raises(ValueError):
        PortVisitParams(entry_dist_m=5000, exit_dist_m=4000)


def _anchored(mmsi: int, *, sog: float | None, jitter_m: float = 30.0) -> list[Row]:
    """Arrive at 8 kn, lie at anchor 10 h (reports every 5 min, positions within
    ``jitter_m``, reported speed ``sog``), leave at 8 kn."""
    lat0 = HARBOR[0] - 8 * NM_DEG
    rows = drift(mmsi, start_min=0, hours=1, lat=lat0, lon=0.03, speed_kn=8)
    for i in range(121):
        dlat = jitter_m / 111_195 * (1 if i % 3 == 0 else -1 if i % 3 == 1 else 0)
        rows.append((mmsi, 65 + 5 * i, HARBOR[0] + dlat, 0.03, sog))
    rows += drift(mmsi, start_min=65 + 605, hours=1, lat=HARBOR[0], lon=0.03, speed_kn=8)
    return rows


@pytest.mark.parametrize("sog", [0.6, None])
def test_a_stop_at_anchor_reporting_a_noisy_speed_or_none(sog: float | None) -> None:
    # Seen on the NOAA 2014 Boston sample: a tanker at anchor for ten hours reporting
    # 0.5-0.8 kn, never below 0.2, had a visit with no stop (stop_h 0); and a source
    # without speeds gave no stop at all. The position shows the stop.
    ev = _visits(positions(_anchored(6, sog=sog)))
    assert len(ev) == 1
    d = json.loads(str(ev[0]["details"]))
    assert len(d["stops"]) == 1
    assert d["stop_h"] == pytest.approx(10.0, abs=0.2)
    assert ev[0]["confidence"] == 1.0
    # the GFW preset reads the reported speed only
    gfw = _visits(positions(_anchored(6, sog=sog)), params=PortVisitParams(stop_window_h=0))
    assert json.loads(str(gfw[0]["details"]))["stops"] == []


def test_slow_moving_in_port_is_not_a_stop() -> None:
    # a tug or a vessel warping along the quay: 1 kn reported, and it really moves
    rows = drift(7, start_min=0, hours=3, lat=HARBOR[0] - 0.01, lon=0.03, speed_kn=1.0)
    rows = [(m, t, la, lo, 1.0) for m, t, la, lo, _ in rows]
    ev = _visits(positions(rows))
    assert len(ev) == 1
    assert json.loads(str(ev[0]["details"]))["stops"] == []


def test_a_reported_speed_above_the_noise_ends_the_stop() -> None:
    # at anchor reporting 0.6 kn, then 3 kn while still within metres (weighing anchor):
    # the transponder's clear "moving" is believed, the stop ends there
    rows = _anchored(8, sog=0.6)
    rows = [(m, t, la, lo, 3.0 if 65 + 5 * 100 <= t < 65 + 605 else s) for m, t, la, lo, s in rows]
    d = json.loads(str(_visits(positions(rows))[0]["details"]))
    assert len(d["stops"]) == 1
    assert d["stop_h"] == pytest.approx(500 / 60 - 5 / 60, abs=0.1)
    with pytest.raises(ValueError):
        PortVisitParams(stop_window_h=-1)
