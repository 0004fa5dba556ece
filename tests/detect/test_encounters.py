"""Encounter detector on hand-made 10-minute slot tables (and one resampled track)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from seawatch._exceptions import ParameterError
from seawatch.detect import encounters as enc_mod
from seawatch.detect.encounters import (
    CLOSE_PAIRS_SQL,
    EVENTS_SQL,
    GFW,
    ISLANDS_SQL,
    EncounterParams,
    EncounterStream,
    close_pairs,
    encounters,
)
from seawatch.detect.sql import DuckDBRunner, check_portable
from seawatch.schema import EVENTS
from seawatch.tracks import SLOTS, previous_slots, resample
from tests.detect.conftest import WORLD, drift, positions

# slot 0 = 2024-03-01 20:00 UTC; midnight is slot 24
T0 = datetime(2024, 3, 1, 20, 0, tzinfo=UTC)
SLOT = timedelta(minutes=10)
M_LAT = 1 / 111_195.0  # degrees of latitude per metre
FAR = 1.0  # longitude ~59 nm off the fake coast, ~88 km from both fake ports

SlotRow = tuple[int, int, float, float, float]
"""``(mmsi, slot index after T0, lat, lon, sog_kn)``."""


def slots(rows: Iterable[SlotRow], *, interpolated: bool = False) -> pa.Table:
    """A SLOTS table as the resampler writes it (``prev_slot``: each vessel's slot before)."""
    rows = list(rows)
    prev = previous_slots([r[0] for r in rows], [r[1] for r in rows]).to_pylist()
    data = [
        {
            "mmsi": m,
            "seg_id": m << 32,
            "slot": T0 + k * SLOT,
            "lat": la,
            "lon": lo,
            "sog_kn": s,
            "interpolated": interpolated,
            "prev_slot": None if p is None else T0 + p * SLOT,
        }
        for (m, k, la, lo, s), p in zip(rows, prev, strict=True)
    ]
    return pa.Table.from_pylist(data, schema=SLOTS)


def still(
    mmsi: int, lat: float, lon: float, *, first: int = 0, n: int = 13, sog: float = 0.5
) -> list[SlotRow]:
    """A vessel keeping station for ``n`` slots from slot ``first``."""
    return [(mmsi, first + k, lat, lon, sog) for k in range(n)]


def run(table: pa.Table, params: EncounterParams | None = None) -> list[dict[str, Any]]:
    ev = encounters(table, params=params or EncounterParams(), geo=WORLD)
    assert ev.schema.equals(EVENTS)
    out: list[dict[str, Any]] = ev.to_pylist()
    return out


def test_two_vessels_side_by_side_for_two_hours() -> None:
    rows = still(1, 10.0, FAR) + still(2, 10.0 + 200 * M_LAT, FAR, sog=1.0)
    ev = run(slots(rows))
    assert len(ev) == 1
    e = ev[0]
    assert e["type"] == "encounter" and e["vessels"] == [1, 2]
    assert e["start"] == T0 and e["end"] == T0 + 12 * SLOT
    assert e["duration_h"] == pytest.approx(2.0)
    assert e["lat"] == pytest.approx(10.0 + 100 * M_LAT)
    assert e["region"] == "test-sea"
    d = json.loads(e["details"])
    assert d["n_slots"] == 13
    assert d["min_dist_m"] == pytest.approx(200, rel=1e-3)
    assert d["mean_dist_m"] == pytest.approx(200, rel=1e-3)
    assert d["median_sog_kn"] == pytest.approx([0.5, 1.0])
    assert d["params"]["max_dist_m"] == 500.0
    assert e["confidence"] == pytest.approx(1.0)


def test_too_short_is_not_an_encounter() -> None:
    rows = still(1, 10.0, FAR, n=12) + still(2, 10.0 + 200 * M_LAT, FAR, n=12)
    assert run(slots(rows)) == []


def test_too_far_apart_is_not_an_encounter() -> None:
    rows = still(1, 10.0, FAR) + still(2, 10.0 + 520 * M_LAT, FAR)
    assert run(slots(rows)) == []
    rows = still(1, 10.0, FAR) + still(2, 10.0 + 480 * M_LAT, FAR)
    assert len(run(slots(rows))) == 1


def test_crossing_at_speed_is_not_an_encounter() -> None:
    # close for the whole time (escorting side by side) but at 12 kn: median speed too high
    rows = still(1, 10.0, FAR, sog=12.0) + still(2, 10.0 + 100 * M_LAT, FAR, sog=12.0)
    assert run(slots(rows)) == []
    # one of the two slow is not enough
    rows = still(1, 10.0, FAR, sog=0.3) + still(2, 10.0 + 100 * M_LAT, FAR, sog=3.0)
    assert run(slots(rows)) == []


def test_crossing_tracks_resampled_from_positions() -> None:
    # two ships crossing at 12 kn: close only for a slot or two
    a = drift(1, start_min=0, hours=4, lat=10.0, lon=FAR, speed_kn=12, course_deg=90)
    b = drift(2, start_min=0, hours=4, lat=10.2, lon=FAR + 0.4, speed_kn=12, course_deg=180)
    sl = resample(positions(a + b))
    assert run(sl) == []
    # the same two drifting side by side are one encounter
    a = drift(1, start_min=0, hours=4, lat=10.0, lon=FAR, speed_kn=0.5, course_deg=90)
    b = drift(2, start_min=0, hours=4, lat=10.002, lon=FAR, speed_kn=0.5, course_deg=90)
    ev = run(resample(positions(a + b)))
    assert len(ev) == 1 and ev[0]["vessels"] == [1, 2]
    assert ev[0]["duration_h"] == pytest.approx(4.0)


def test_a_transfer_heard_once_an_hour_is_an_encounter() -> None:
    # satellite AIS on the high seas: two tankers drifting 150 m apart for 4 h, each heard
    # once every 70-80 min. No interpolation across >= 1 h left no slot, so no encounter;
    # a vessel still across the silence is now interpolated across it (up to 3 h).
    a = drift(1, start_min=0, hours=4, lat=10.0, lon=FAR, speed_kn=0.3, step_min=80)
    b = drift(2, start_min=5, hours=4, lat=10.0 + 150 * M_LAT, lon=FAR, speed_kn=0.3, step_min=70)
    for params, found in ((EncounterParams(), True), (GFW, False)):
        ev = run(resample(positions(a + b), params=enc_mod.slot_params(params)), params)
        assert len(ev) == int(found)
    e = run(resample(positions(a + b), params=enc_mod.slot_params(EncounterParams())))[0]
    assert e["duration_h"] >= 3.5
    assert e["confidence"] < 0.3  # almost every slot interpolated: said so
    # the same hourly reports of two ships that sailed off and came back are not bridged
    moved = [(m, t, la, lo, 6.0 if i % 2 else s) for i, (m, t, la, lo, s) in enumerate(a + b)]
    assert run(resample(positions(moved), params=enc_mod.slot_params(EncounterParams()))) == []


def test_moored_together_in_port_is_not_an_encounter() -> None:
    # Harbor is at (10.0, 0.02): two ships moored side by side 1 km from it
    rows = still(1, 10.0, 0.03, n=30) + still(2, 10.0 + 50 * M_LAT, 0.03, n=30)
    assert run(slots(rows)) == []
    # the same pair with the port filter off is an encounter
    assert len(run(slots(rows), EncounterParams(min_port_dist_m=0))) == 1


def test_three_rafted_vessels_give_three_pairs() -> None:
    rows = (
        still(7, 10.0, FAR) + still(3, 10.0 + 100 * M_LAT, FAR) + still(5, 10.0 + 200 * M_LAT, FAR)
    )
    ev = run(slots(rows))
    assert sorted(tuple(e["vessels"]) for e in ev) == [(3, 5), (3, 7), (5, 7)]
    assert len({e["event_id"] for e in ev}) == 3


def test_one_missing_slot_is_bridged_two_are_not() -> None:
    a = still(1, 10.0, FAR, n=20)
    b = [r for r in still(2, 10.0 + 100 * M_LAT, FAR, n=20) if r[1] != 8]
    ev = run(slots(a + b))
    assert len(ev) == 1
    assert ev[0]["duration_h"] == pytest.approx(19 / 6)
    d = json.loads(ev[0]["details"])
    assert d["n_slots"] == 19 and d["n_slots_span"] == 20
    # two slots apart in a row split it: 8 slots + 10 slots, both under 2 h
    b = [(2, k, 10.0 + (5000 if k in (8, 9) else 100) * M_LAT, FAR, 0.5) for k in range(20)]
    assert run(slots(a + b)) == []
    # two slots without vessel 2 at all: nothing says they parted (up to max_unseen_h)
    b = [r for r in still(2, 10.0 + 100 * M_LAT, FAR, n=20) if r[1] not in (8, 9)]
    ev = run(slots(a + b))
    assert len(ev) == 1 and ev[0]["duration_h"] == pytest.approx(19 / 6)
    assert json.loads(ev[0]["details"])["longest_unseen_h"] == pytest.approx(2 / 6, abs=1e-3)
    assert run(slots(a + b), EncounterParams(max_unseen_h=0)) == []


@pytest.mark.parametrize("dark", ["both", "one"])
def test_a_transfer_through_a_reception_hole_is_one_encounter(dark: str) -> None:
    # close for slots 0-12, unheard (both, or vessel 2 only) for 6 h, close again from 48:
    # one encounter, not two; the unheard time is unobserved in its confidence
    def pair(hole: range) -> list[SlotRow]:
        a = [r for r in still(1, 10.0, FAR, n=62) if dark == "one" or r[1] not in hole]
        b = [r for r in still(2, 10.0 + 100 * M_LAT, FAR, n=62) if r[1] not in hole]
        return a + b

    ev = run(slots(pair(range(13, 48))))
    assert len(ev) == 1
    assert ev[0]["start"] == T0 and ev[0]["end"] == T0 + 61 * SLOT
    d = json.loads(ev[0]["details"])
    assert d["longest_unseen_h"] == pytest.approx(35 / 6, abs=1e-3)
    assert ev[0]["confidence"] == pytest.approx(27 / 62)
    # a step over max_unseen_h (6 h) splits it; so does max_unseen_h = 0 (GFW's rule)
    assert len(run(slots(pair(range(13, 49))))) == 2
    assert len(run(slots(pair(range(13, 48))), EncounterParams(max_unseen_h=0))) == 2


def test_gfw_merges_encounters_less_than_4h_apart() -> None:
    a = still(1, 10.0, FAR, n=60)
    # close for slots 0-11 (1 h 50), apart for 3 h, close again for slots 30-41 (1 h 50)
    b = [
        (2, k, 10.0 + (100 if (k < 12 or 30 <= k < 42) else 5000) * M_LAT, FAR, 0.5)
        for k in range(60)
    ]
    assert run(slots(a + b)) == []
    ev = run(slots(a + b), GFW)
    assert len(ev) == 1
    assert ev[0]["start"] == T0 and ev[0]["end"] == T0 + 41 * SLOT
    assert json.loads(ev[0]["details"])["n_slots"] == 24
    # 4 h apart (slot 11 to slot 35) or more: not merged; 3 h 50 min: merged
    for first, merged in ((35, False), (34, True)):
        b = [
            (2, k, 10.0 + (100 if (k < 12 or first <= k < first + 12) else 5000) * M_LAT, FAR, 0.5)
            for k in range(60)
        ]
        assert len(run(slots(a + b), GFW)) == (1 if merged else 0)


def test_midnight_spanning_encounter_whole_and_once_when_streamed() -> None:
    # slots 10..40 cross midnight (slot 24); feed the stream in windows split at midnight
    rows = still(1, 10.0, FAR, first=10, n=31) + still(2, 10.0 + 100 * M_LAT, FAR, first=10, n=31)
    table = slots(rows)
    whole = run(table)
    assert len(whole) == 1
    midnight = T0 + 24 * SLOT
    ts = table.column("slot").to_pylist()
    day1 = table.filter(pa.array([t < midnight for t in ts]))
    day2 = table.filter(pa.array([t >= midnight for t in ts]))
    stream = EncounterStream(geo=WORLD)
    until = int(midnight.timestamp() * 1e6)
    got1 = stream.push(day1, until=until)
    assert got1.num_rows == 0 and stream.carried_rows == 14
    got2 = stream.push(day2, until=until + 86_400_000_000)
    rest = stream.finish()
    streamed = pa.concat_tables([got1, got2, rest]).to_pylist()
    assert streamed == whole
    assert whole[0]["start"] == T0 + 10 * SLOT and whole[0]["end"] == T0 + 40 * SLOT


def test_stream_emits_finished_encounters_early_and_carries_little() -> None:
    rows = still(1, 10.0, FAR, n=20) + still(2, 10.0 + 100 * M_LAT, FAR, n=20)
    stream = EncounterStream(geo=WORLD)
    # held while a vessel unseen since slot 19 could still come back alongside (6 h)
    got = stream.push(slots(rows), until=int((T0 + 30 * SLOT).timestamp() * 1e6))
    assert got.num_rows == 0 and stream.carried_rows == 20
    got = stream.push(slots([]), until=int((T0 + 60 * SLOT).timestamp() * 1e6))
    assert got.num_rows == 1 and stream.carried_rows == 0
    assert stream.finish().num_rows == 0


def test_pair_exactly_on_a_cell_edge_is_found_once() -> None:
    cell = enc_mod._cell_deg(EncounterParams())
    edge = 2223 * cell  # a latitude band edge near 10°N
    assert 9.9 < edge < 10.1
    for la, lb in ((edge, edge - 300 * M_LAT), (edge - 1e-12, edge), (edge, edge)):
        rows = still(1, la, FAR) + still(2, lb, FAR + 100 * M_LAT)
        ev = run(slots(rows))
        assert len(ev) == 1, (la, lb)
        assert json.loads(ev[0]["details"])["n_slots"] == 13
    close = close_pairs(slots(still(1, edge, FAR, n=1) + still(2, edge - 1e-9, FAR, n=1)))
    assert close.num_rows == 1


@settings(max_examples=60, deadline=None)
@given(
    lat=st.floats(-85, 85),
    lon=st.floats(-180, 180, exclude_max=True),
    bearing=st.floats(0, 360),
    dist=st.floats(0, 495),
)
@example(lat=10.0, lon=179.9999, bearing=90.0, dist=300.0)  # across the antimeridian
@example(lat=10.0, lon=-180.0, bearing=270.0, dist=300.0)
@example(lat=84.9, lon=179.99, bearing=80.0, dist=490.0)
@example(lat=0.0, lon=179.99999999999994, bearing=0.0, dist=0.0)  # the mean rounds to 180
def test_close_pairs_finds_every_pair_within_range_once(
    lat: float, lon: float, bearing: float, dist: float
) -> None:
    # a point at ``dist`` metres on ``bearing``: always joined, exactly once, at any
    # latitude and across the antimeridian, the midpoint on the short side
    br = math.radians(bearing)
    dlat = dist * math.cos(br) * M_LAT
    dlon = dist * math.sin(br) * M_LAT / math.cos(math.radians(lat + dlat / 2))
    lon_b = (lon + dlon + 180.0) % 360.0 - 180.0
    table = slots([(1, 0, lat, lon, 0.0), (2, 0, lat + dlat, lon_b, 0.0)])
    close = close_pairs(table)
    assert close.num_rows == 1
    assert close.column("dist_m")[0].as_py() == pytest.approx(dist, abs=0.5)
    mid = close.column("lon")[0].as_py()
    assert -180.0 <= mid < 180.0
    off = (mid - (lon + dlon / 2) + 180.0) % 360.0 - 180.0
    assert abs(off) < 1e-6


def test_close_pairs_matches_brute_force() -> None:
    import random

    rnd = random.Random(7)
    rows: list[SlotRow] = []
    for m in range(1, 80):
        for k in range(3):
            rows.append((m, k, 10 + rnd.uniform(0, 0.02), FAR + rnd.uniform(0, 0.02), 0.0))
    table = slots(rows)
    close = close_pairs(table)
    expect = set()
    for i, (ma, ka, la, loa, _) in enumerate(rows):
        for mb, kb, lb, lob, _ in rows[i + 1 :]:
            if ka == kb and ma != mb:
                d = _hav(la, loa, lb, lob)
                if d <= 500:
                    expect.add((min(ma, mb), max(ma, mb), ka))
    base = int(T0.timestamp() * 1e6) // EncounterParams().slot_us
    got = {(r["mmsi_a"], r["mmsi_b"], r["slot_no"] - base) for r in close.to_pylist()}
    assert got == expect
    assert len(expect) > 100


def test_an_encounter_across_the_antimeridian_is_one_event_on_it() -> None:
    """Two vessels 100 m apart either side of 180° (the tuna fleets' transshipment
    grounds): one encounter, its position on the antimeridian, not at 0°."""
    half = 50 * M_LAT / math.cos(math.radians(-5.0))
    rows = still(1, -5.0, 180.0 - half) + still(2, -5.0, -180.0 + half)
    ev = run(slots(rows))
    assert len(ev) == 1
    assert abs(ev[0]["lon"]) > 179.999
    assert json.loads(ev[0]["details"])["min_dist_m"] == pytest.approx(100, abs=1)


def _hav(la: float, loa: float, lb: float, lob: float) -> float:
    p1, p2 = math.radians(la), math.radians(lb)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lob - loa) / 2) ** 2
    )
    return 2 * enc_mod.EARTH_RADIUS_M * math.asin(math.sqrt(min(a, 1.0)))


def test_ids_do_not_depend_on_row_order() -> None:
    rows = still(1, 10.0, FAR) + still(2, 10.0 + 100 * M_LAT, FAR)
    a = run(slots(rows))
    b = run(slots(list(reversed(rows))))
    assert a == b


def test_interpolated_slots_lower_confidence() -> None:
    rows = still(1, 10.0, FAR) + still(2, 10.0 + 100 * M_LAT, FAR)
    ev = run(slots(rows, interpolated=True))
    assert len(ev) == 1 and ev[0]["confidence"] == pytest.approx(0.0)


def test_empty_input() -> None:
    assert encounters(SLOTS.empty_table(), geo=WORLD).num_rows == 0


def test_bad_parameters() -> None:
    with pytest.raises(ParameterError):
        EncounterParams(max_dist_m=0)
    with pytest.raises(ParameterError):
        EncounterParams(max_missing_slots=-1)
    for bad in (-1.0, float("nan")):
        with pytest.raises(ParameterError):
            EncounterParams(max_unseen_h=bad)


def test_sql_is_in_the_portable_subset() -> None:
    for sql in (CLOSE_PAIRS_SQL, ISLANDS_SQL, EVENTS_SQL):
        check_portable(sql)
        assert not re.search(r"\basof\b|\brange\s*\(", sql, re.IGNORECASE)
    with pytest.raises(ParameterError):
        check_portable("SELECT * FROM a ASOF JOIN b ON a.t >= b.t")
    with pytest.raises(ParameterError):
        DuckDBRunner().query("SELECT * FROM range(3)", {})


@settings(max_examples=12, deadline=None)
@given(
    runs=st.lists(
        st.tuples(st.integers(1, 16), st.integers(1, 30), st.booleans()), min_size=1, max_size=4
    ),
    cuts=st.lists(st.integers(1, 99), max_size=4),
    gfw=st.booleans(),
)
@example(runs=[(14, 10, True), (14, 5, True)], cuts=[17], gfw=True)  # merge across a cut
@example(runs=[(14, 22, True), (14, 5, True)], cuts=[41], gfw=True)  # short one grows later
@example(runs=[(20, 1, True), (20, 1, True)], cuts=[20, 21], gfw=False)  # missing slot at a cut
@example(runs=[(14, 30, True), (14, 5, True)], cuts=[20, 30], gfw=False)  # unseen across cuts
def test_stream_equals_whole_for_any_window_cuts(
    runs: list[tuple[int, int, bool]], cuts: list[int], gfw: bool
) -> None:
    # vessel 2 alternates: next to vessel 1 for ``on`` slots, then ``off`` slots away
    # (silent, or 5 km off); windows cut anywhere must give the events of the whole
    rows = still(1, 10.0, FAR, n=100)
    k = 0
    for on, off, silent in runs:
        rows += [(2, j, 10.0 + 100 * M_LAT, FAR, 0.5) for j in range(k, min(k + on, 100))]
        k += on
        if not silent:
            rows += [(2, j, 10.0 + 5000 * M_LAT, FAR, 0.5) for j in range(k, min(k + off, 100))]
        k += off
    params = GFW if gfw else EncounterParams()
    table = slots(rows)
    whole = encounters(table, params=params, geo=WORLD).to_pylist()
    stream = EncounterStream(params=params, geo=WORLD)
    ts = table.column("slot").to_pylist()
    got: list[dict[str, Any]] = []
    lo = 0
    for hi in [*sorted(set(cuts)), 100]:
        start, end = T0 + lo * SLOT, T0 + hi * SLOT
        part = table.filter(pa.array([start <= t < end for t in ts]))
        got += stream.push(part, until=int(end.timestamp() * 1e6)).to_pylist()
        lo = hi
    got += stream.finish().to_pylist()
    assert sorted(got, key=lambda e: e["event_id"]) == sorted(whole, key=lambda e: e["event_id"])


def test_means_have_the_same_bits_in_any_row_order() -> None:
    """The pair step's means (position, distance, speeds) are exact sums of integers, so
    the threads of DuckDB (or Spark's partitions) cannot change their last bit: the same
    rows in five orders give identical candidates. A float ``avg()`` fails this."""
    import numpy as np

    from seawatch.detect.encounters import EVENTS_SQL
    from seawatch.detect.sql import DuckDBRunner, render

    rng = np.random.default_rng(7)
    n = 50_000
    base = pa.table(
        {
            "mmsi_a": np.full(n, 111, np.int64),
            "mmsi_b": np.full(n, 222, np.int64),
            "grp": np.ones(n, np.int64),
            "slot_no": np.arange(n, dtype=np.int64),
            "dist_m": rng.uniform(0, 500, n),
            "lat": rng.uniform(10, 11, n),
            "lon": rng.uniform(-67, -66, n),
            "sog_a": rng.uniform(0, 2, n),
            "sog_b": rng.uniform(0, 2, n),
            "observed": rng.integers(0, 2, n).astype(np.float64),
            "unseen": rng.integers(0, 3, n),
            "kept": np.ones(n, np.int64),
        }
    )
    sql = render(EVENTS_SQL, min_slots=1, max_speed_kn=5.0)
    runner = DuckDBRunner()
    results = []
    for seed in range(5):
        order = np.random.default_rng(seed).permutation(n)
        out = runner.query(sql, {"islands": base.take(order)})
        results.append(out.to_pylist())
    assert len(results[0]) == 1
    assert all(r == results[0] for r in results)
    row = results[0][0]
    assert row["lat"] == pytest.approx(float(np.mean(base.column("lat"))), abs=1e-7)
    assert row["mean_dist_m"] == pytest.approx(float(np.mean(base.column("dist_m"))), abs=1e-3)
