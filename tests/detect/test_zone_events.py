from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from seawatch import ParameterError
from seawatch.detect import ZoneParams, zone_events
from seawatch.schema import EVENTS
from tests.detect.conftest import T0, WORLD, drift, positions


def _zones(table: pa.Table, **kw: Any) -> list[dict[str, Any]]:
    ev = zone_events(table, geo=WORLD, **kw)
    assert ev.schema.equals(EVENTS)
    out: list[dict[str, Any]] = ev.to_pylist()
    return out


def test_crossing_a_zone_gives_entry_exit_and_visit() -> None:
    # east along lat 5.5 from lon 1.8 through the box (lon 2-3) at 10 kn, across midnight
    rows = drift(1, start_min=0, hours=9, lat=5.5, lon=1.8, speed_kn=10, course_deg=90)
    ev = _zones(positions(rows))
    by_type = {e["type"]: e for e in ev}
    assert sorted(str(k) for k in by_type) == ["zone_entry", "zone_exit", "zone_visit"]
    assert {e["zone"] for e in ev} == {"box"}
    entry, exit_, visit = by_type["zone_entry"], by_type["zone_exit"], by_type["zone_visit"]
    assert float(entry["lon"]) >= 2.0 > float(entry["lon"]) - 0.02
    assert float(exit_["lon"]) > 3.0
    assert visit["start"] == entry["start"] and visit["end"] == exit_["start"]
    assert visit["start"] < T0.replace(day=2, hour=0) < visit["end"]
    d = json.loads(str(visit["details"]))
    # 1° of longitude at 5.5° N is ~59.7 nm: ~6 h at 10 kn
    assert d["dwell_h"] == pytest.approx(5.97, abs=0.1)
    assert d["closest_shore_nm"] == pytest.approx(2.0 * 59.73, rel=0.01)
    assert d["entered"] and d["exited"] and not d["open_end"]
    assert d["params"]["merge_gap_h"] == 1.0


def test_starting_inside_has_no_entry_and_open_visit() -> None:
    rows = drift(2, start_min=0, hours=3, lat=10.0, lon=0.1, speed_kn=5)  # inside territorial
    ev = _zones(positions(rows))
    assert [e["type"] for e in ev] == ["zone_visit"]
    d = json.loads(str(ev[0]["details"]))
    assert d["entered"] is False and d["open_end"] is True
    assert ev[0]["zone"] == "XX-territorial"


def test_boundary_jitter_is_merged() -> None:
    rows = drift(3, start_min=0, hours=1, lat=5.5, lon=1.9, speed_kn=5, course_deg=90)
    for i in range(24):  # 2 h hovering across lon 2.0 every 5 minutes
        rows.append((3, 65 + 5 * i, 5.5, 2.0 + (0.001 if i % 2 else -0.001), 0.5))
    rows += drift(3, start_min=190, hours=1, lat=5.5, lon=1.95, speed_kn=0, course_deg=90)
    ev = _zones(positions(rows))
    assert [e["type"] for e in ev].count("zone_entry") == 1
    assert [e["type"] for e in ev].count("zone_exit") == 1
    ev0 = _zones(positions(rows), params=ZoneParams(merge_gap_h=0))
    assert [e["type"] for e in ev0].count("zone_entry") == 12


def test_zone_filter_and_emit() -> None:
    rows = drift(4, start_min=0, hours=9, lat=5.5, lon=1.8, speed_kn=10, course_deg=90)
    assert _zones(positions(rows), params=ZoneParams(zones=("XX-territorial",))) == []
    ev = _zones(positions(rows), params=ZoneParams(emit=("zone_visit",)))
    assert [e["type"] for e in ev] == ["zone_visit"]
    with pytest.raises(ParameterError):
        _zones(positions(rows), params=ZoneParams(zones=("nowhere",)))
    with pytest.raises(ParameterError):
        ZoneParams(emit=("zone_party",))


def test_min_dwell() -> None:
    rows = drift(5, start_min=0, hours=9, lat=5.5, lon=1.8, speed_kn=10, course_deg=90)
    assert _zones(positions(rows), params=ZoneParams(min_dwell_h=7)) == []


def test_details_are_details_json_byte_for_byte() -> None:
    from seawatch.detect._base import details_json

    rows = drift(1, start_min=0, hours=9, lat=5.5, lon=1.8, speed_kn=10, course_deg=90)
    rows += drift(2, start_min=0, hours=3, lat=10.0, lon=0.1, speed_kn=5)
    params = ZoneParams(merge_gap_h=0.5)
    ev = _zones(positions(rows), params=params)
    assert {e["type"] for e in ev} == {"zone_entry", "zone_exit", "zone_visit"}
    for e in ev:
        d = json.loads(str(e["details"]))
        del d["params"]
        assert e["details"] == details_json(params, **d)


def test_pairs_by_zone_equal_a_stable_sort() -> None:
    """``_by_zone`` (a counting sort when the pairs come by point) orders the (point, zone)
    pairs exactly as a stable sort by zone, then point, would: pairs by point as the
    membership kernel gives them, unordered pairs, one zone, many zones, empty."""
    from seawatch.detect.zone_events import _by_zone

    rng = np.random.default_rng(7)
    for n, nzone in ((0, 1), (1, 3), (5_000, 1), (50_000, 40), (20_000, 70_000)):
        pi = np.sort(rng.integers(0, max(1, n // 2), n))
        zi = rng.integers(0, nzone, n)
        for p, z in ((pi, zi), (rng.permutation(pi), zi)):
            want = np.lexsort((p, z))
            got_p, got_z = _by_zone(p.astype(np.int64), z.astype(np.int64))
            np.testing.assert_array_equal(got_z, z[want])
            np.testing.assert_array_equal(got_p, p[want])


def test_closest_approach_in_lookups_of_any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The candidates' distances to shore are looked up in chunks (bounded temporaries):
    chunks of 3 points give the events of one lookup, on several vessels and zones."""
    import importlib

    module = importlib.import_module("seawatch.detect.zone_events")
    rows = drift(1, start_min=0, hours=9, lat=5.5, lon=1.8, speed_kn=10, course_deg=90)
    rows += drift(2, start_min=0, hours=3, lat=10.0, lon=0.1, speed_kn=5)
    rows += drift(4, start_min=30, hours=6, lat=5.2, lon=2.9, speed_kn=8, course_deg=270)
    whole = zone_events(positions(rows), geo=WORLD)
    assert whole.num_rows >= 5
    monkeypatch.setattr(module, "SHORE_CHUNK", 3)
    assert zone_events(positions(rows), geo=WORLD).equals(whole)


def test_one_mmsi_on_two_tracks_gets_one_id_per_visit() -> None:
    """Real data has it (NOAA 2022-01-03: 64 such pairs): one MMSI heard at two places at
    once (two transmitters set to one number), both inside one zone from the same instant.
    Each track is its own visit, and each visit its own id, on every run."""
    north = drift(7, start_min=0, hours=3, lat=10.5, lon=0.1, speed_kn=5)
    south = drift(7, start_min=0, hours=2, lat=10.0, lon=0.1, speed_kn=5)
    table = positions(sorted(north + south, key=lambda r: (r[1], r[2])))
    ev = _zones(table)
    visits = [e for e in ev if e["type"] == "zone_visit"]
    assert len(visits) == 2 and {e["start"] for e in visits} == {T0}
    assert len({e["event_id"] for e in ev}) == len(ev)
    assert [e["event_id"] for e in _zones(table)] == [e["event_id"] for e in ev]
