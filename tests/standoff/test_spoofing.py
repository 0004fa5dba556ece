"""Spoofing on hand-built scenarios: two simultaneous tracks, positions inland, and the
negatives (GPS jitter, one wild fix, a fast boat, a berth on the coastline, a port)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seawatch._exceptions import ParameterError
from seawatch.detect import FakeGeo, FakePort
from seawatch.detect.spoofing import SpoofingParams, spoofing
from seawatch.schema import EVENTS
from seawatch.tracks import CleanParams, clean, segment
from tests.standoff.conftest import legs, move, positions

GEO = FakeGeo(coast_lon=0.0, region_boxes=(("caribbean", (0.0, 30.0, -10.0, 20.0)),))


def kinds(ev: pa.Table) -> list[tuple[int, str]]:
    return [
        (v[0], json.loads(d)["kind"])
        for v, d in zip(
            ev.column("vessels").to_pylist(), ev.column("details").to_pylist(), strict=True
        )
    ]


def interleave(a: pa.Table, b: pa.Table) -> pa.Table:
    return pa.concat_tables([a, b]).sort_by([("ts", "ascending")])


def test_two_simultaneous_tracks_under_one_mmsi() -> None:
    real = positions({244000007: (legs(12.0, 5.0, [(3.0, 90.0, 10.0)]), 0.0, 3.0)}, step_min=3)
    clone = positions({244000007: (legs(12.5, 6.0, [(3.0, 180.0, 8.0)]), 0.02, 3.0)}, step_min=3)
    ev = spoofing(interleave(real, clone), geo=GEO)
    assert ev.schema == EVENTS
    assert kinds(ev) == [(244000007, "parallel_tracks")]
    d: dict[str, Any] = json.loads(ev.column("details")[0].as_py())
    assert d["n_tracks"] == 2
    assert d["n_jumps"] >= 50
    assert d["max_implied_speed_kn"] > 1000
    assert 60 < d["max_centroid_separation_km"] < 120
    assert d["params"]["max_speed_kn"] == 50.0
    assert ev.column("confidence")[0].as_py() == pytest.approx(0.9)
    assert ev.column("region")[0].as_py() == "caribbean"


def test_gps_jitter_is_not_spoofing() -> None:
    rng = np.random.default_rng(3)
    base = positions({244000008: (lambda h: (12.0, 5.0), 0.0, 2.0)}, step_min=0.1)  # every 6 s
    lat = base.column("lat").to_numpy() + rng.normal(0, 0.0005, base.num_rows)  # ~55 m
    lon = base.column("lon").to_numpy() + rng.normal(0, 0.0005, base.num_rows)
    jittery = base.set_column(2, "lat", pa.array(lat)).set_column(3, "lon", pa.array(lon))
    assert spoofing(jittery, geo=GEO).num_rows == 0


def test_one_wild_fix_is_not_spoofing() -> None:
    t = positions({244000009: (legs(12.0, 5.0, [(2.0, 90.0, 10.0)]), 0.0, 2.0)}, step_min=5)
    lat = t.column("lat").to_numpy().copy()
    lat[10] += 3.0  # one fix 330 km away: two impossible jumps, a one-point track
    assert spoofing(t.set_column(2, "lat", pa.array(lat)), geo=GEO).num_rows == 0


def test_fast_boat_is_not_spoofing() -> None:
    t = positions({244000010: (legs(12.0, 5.0, [(2.0, 45.0, 45.0)]), 0.0, 2.0)}, step_min=1)
    assert spoofing(t, geo=GEO).num_rows == 0


def test_two_tracks_one_after_the_other_are_not_simultaneous() -> None:
    first = positions({244000011: (legs(12.0, 5.0, [(2.0, 90.0, 10.0)]), 0.0, 2.0)}, step_min=5)
    later = positions({244000011: (legs(14.0, 5.0, [(2.0, 90.0, 10.0)]), 2.5, 4.0)}, step_min=5)
    assert spoofing(pa.concat_tables([first, later]), geo=GEO).num_rows == 0


def test_one_wild_fix_at_sea_does_not_put_a_waterway_track_on_land() -> None:
    # an inland vessel on a river, one fix 300 km out at sea (two impossible jumps): the
    # jumps lead to a one-point excursion, so the river track is not spoofed onto land
    river = positions({244000034: (legs(12.0, -0.5, [(2.0, 0.0, 8.0)]), 0.0, 2.0)}, step_min=5)
    lon = river.column("lon").to_numpy().copy()
    lon[12] = 2.2
    assert spoofing(river.set_column(3, "lon", pa.array(lon)), geo=GEO).num_rows == 0


def test_jump_onto_land() -> None:
    sea = positions({244000012: (lambda h: (12.0, 5.0), 0.0, 0.5)}, step_min=10)
    land = positions(
        {244000012: (lambda h: move(12.0, -0.5, 0.0, h * 100.0), 0.6, 1.6)}, step_min=10
    )
    ev = spoofing(pa.concat_tables([sea, land]), geo=GEO)
    assert kinds(ev) == [(244000012, "on_land")]
    d = json.loads(ev.column("details")[0].as_py())
    assert d["n_land_positions"] == 7 and d["n_positions"] == 11
    assert d["inland_positions_at_a_jump"] == 1
    assert ev.column("confidence")[0].as_py() == pytest.approx(0.6)


def test_spoofed_onto_land_with_late_relays_is_one_event() -> None:
    # a vessel at sea (0.4 kn drift) spoofed onto land from 1 h to 3 h; a feed relays its
    # last real reports 5-10 minutes late, after the spoofing began: the real and the land
    # positions then look simultaneous (parallel tracks) as well as on land. One episode,
    # one event: the on_land one, with the parallel tracks in its details
    sea = positions({244000019: (lambda h: move(12.0, 5.0, 0.0, h * 740.0), 0.0, 4.0)}, step_min=1)
    ts_h = np.arange(sea.num_rows) / 60
    sea = sea.filter(pa.array((ts_h < 1.0) | (ts_h > 3.0)))
    land = positions(
        {244000019: (lambda h: move(12.0, -0.5, 0.0, h * 100.0), 1.0, 3.0)}, step_min=1
    )

    def sea_at(h: float) -> tuple[float, float]:
        return move(12.0, 5.0, 0.0, h * 740.0)

    def copy_of(h: float) -> Any:
        return lambda _h: sea_at(h)

    late = [
        positions({244000019: (copy_of(float(h)), float(h + d), float(h + d))})
        for h, d in zip(np.arange(0.85, 1.0, 1 / 60), np.linspace(5, 10, 9) / 60, strict=False)
    ]
    t = pa.concat_tables([sea, land, *late])
    ev = spoofing(t, geo=GEO)
    assert kinds(ev) == [(244000019, "on_land")]
    d = json.loads(ev.column("details")[0].as_py())
    assert d["parallel_tracks"]["n_tracks"] >= 2
    assert ev.column("confidence")[0].as_py() >= 0.6


def test_plausible_track_over_land_is_a_waterway() -> None:
    river = positions({244000016: (legs(12.0, -0.5, [(3.0, 0.0, 8.0)]), 0.0, 3.0)}, step_min=10)
    assert spoofing(river, geo=GEO).num_rows == 0
    every = SpoofingParams(land_requires_jump=False)
    assert kinds(spoofing(river, geo=GEO, params=every)) == [(244000016, "on_land")]


def test_berth_on_the_coastline_and_port_are_not_on_land() -> None:
    # 500 m inland (a quay behind a coarse coastline): within the 2 km margin
    quay = positions({244000013: (lambda h: move(12.0, 0.0, 0.0, -500.0), 0.0, 1.0)}, step_min=10)
    assert spoofing(quay, geo=GEO).num_rows == 0
    # deep inland but at a (river) port
    lat, lon = move(12.0, 0.0, 0.0, -20_000.0)
    port_geo = FakeGeo(port_list=(FakePort("River port", "XX", lat, lon),))
    river = positions({244000014: (lambda h: (lat, lon), 0.0, 1.0)}, step_min=10)
    every = SpoofingParams(land_requires_jump=False)
    assert spoofing(river, geo=port_geo, params=every).num_rows == 0
    assert kinds(spoofing(river, geo=GEO, params=every)) == [(244000014, "on_land")]


def test_on_land_can_be_disabled_and_needs_min_positions() -> None:
    inland = positions({244000015: (lambda h: move(12.0, -0.5, 0.0, 0.0), 0.0, 0.1)}, step_min=10)
    assert inland.num_rows == 1
    every = SpoofingParams(land_requires_jump=False)
    assert spoofing(inland, geo=GEO, params=every).num_rows == 0  # 1 < min_land_positions
    one = SpoofingParams(land_requires_jump=False, min_land_positions=1)
    assert spoofing(inland, geo=GEO, params=one).num_rows == 1
    off = SpoofingParams(land_requires_jump=False, min_land_positions=0)
    assert spoofing(inland, geo=GEO, params=off).num_rows == 0


def test_row_order_does_not_matter() -> None:
    real = positions({244000007: (legs(12.0, 5.0, [(3.0, 90.0, 10.0)]), 0.0, 3.0)}, step_min=3)
    clone = positions({244000007: (legs(12.5, 6.0, [(3.0, 180.0, 8.0)]), 0.02, 3.0)}, step_min=3)
    t = interleave(real, clone)
    perm = np.random.default_rng(1).permutation(t.num_rows)
    assert spoofing(t.take(pa.array(perm)), geo=GEO).equals(spoofing(t, geo=GEO))


def test_prepared_input_gives_the_same_events() -> None:
    from seawatch.tracks import prepare

    real = positions({244000007: (legs(12.0, 5.0, [(3.0, 90.0, 10.0)]), 0.0, 3.0)}, step_min=3)
    clone = positions({244000007: (legs(12.5, 6.0, [(3.0, 180.0, 8.0)]), 0.02, 3.0)}, step_min=3)
    sea = positions({244000012: (lambda h: (12.0, 5.0), 0.0, 0.5)}, step_min=10)
    land = positions(
        {244000012: (lambda h: move(12.0, -0.5, 0.0, h * 100.0), 0.6, 1.6)}, step_min=10
    )
    t = pa.concat_tables([interleave(real, clone), sea, land])
    assert spoofing(prepare(t, geo=GEO), geo=GEO).equals(spoofing(t, geo=GEO))


def test_stations_that_are_not_ships_are_left_out() -> None:
    real = positions({111_232_506: (legs(12.0, 5.0, [(3.0, 90.0, 10.0)]), 0.0, 3.0)}, step_min=3)
    clone = positions({111_232_506: (legs(12.5, 6.0, [(3.0, 180.0, 8.0)]), 0.02, 3.0)}, step_min=3)
    aircraft = interleave(real, clone)
    assert spoofing(aircraft, geo=GEO).num_rows == 0
    assert spoofing(aircraft, geo=GEO, params=SpoofingParams(ships_only=False)).num_rows == 1
    sea = positions({2_320_714: (lambda h: (12.0, 5.0), 0.0, 0.5)}, step_min=10)
    land = positions({2_320_714: (lambda h: move(12.0, -0.5, 0.0, 0.0), 0.6, 1.6)}, step_min=10)
    assert spoofing(pa.concat_tables([sea, land]), geo=GEO).num_rows == 0  # a coast station


def test_stale_report_joined_to_the_real_track_is_not_spoofing() -> None:
    # NOAA 2022-01-03, MMSI 366764730 off San Diego: at 00:00:01 a second report 4.5 km
    # ahead, where the vessel arrives 20 minutes later (the segmenter joins the two)
    track = legs(32.66, 5.0, [(0.35, 330.0, 8.0)])
    t = positions({366_764_730: (track, 0.0, 0.34)}, step_min=1)
    stale = positions({366_764_730: (lambda h: track(0.34), 0.0, 0.0)})
    assert spoofing(pa.concat_tables([t, stale]), geo=GEO).num_rows == 0


def test_late_repeats_relayed_by_a_feed_are_not_a_second_transmitter() -> None:
    # AISHub 2015-10-06, MMSI 304816000 at 18 kn off Vlissingen: reports relayed 30-90 s
    # late make a second "track" behind the real one, on the same line
    track = legs(51.414, 3.44, [(0.1, 260.0, 18.0)])
    real = positions({304_816_000: (track, 0.0, 0.08)}, step_min=10 / 60)
    lag_h = np.array([30, 60, 90, 45, 75]) / 3600
    stale_rows = []
    for k, h in enumerate(np.arange(0.01, 0.08, 0.015)):
        fix = track(float(h) - float(lag_h[k % len(lag_h)]))

        def stale(_h: float, fix: tuple[float, float] = fix) -> tuple[float, float]:
            return fix

        stale_rows.append(positions({304_816_000: (stale, float(h), float(h))}))
    t = pa.concat_tables([real, *stale_rows])
    assert spoofing(t, geo=GEO).num_rows == 0
    # cleaning drops the copies that jump (those on the vessel's path, twelfth session);
    # kept, they make a second track that only the echo rule tells from a transmitter
    strict = SpoofingParams(echo_max_dist_m=0.0)
    kept = segment(clean(t, geo=GEO, params=CleanParams(relay_window_s=0)))
    assert spoofing(kept, geo=GEO).num_rows == 0
    assert kinds(spoofing(kept, geo=GEO, params=strict)) == [(304_816_000, "parallel_tracks")]


def test_repeats_relayed_minutes_late_on_a_turning_fast_track_are_not_spoofing() -> None:
    # a 40-knot craft reporting every 2 s for 40 minutes, turning 90 degrees half way; a
    # feed relays some of its reports 4-6 minutes late (120-180 reports behind the live
    # ones): a second "track" on the first one's path, never a straight line with it
    track = legs(12.2, 4.0, [(0.33, 80.0, 40.0), (0.34, 170.0, 40.0)])
    real = positions({244_001_777: (track, 0.0, 0.66)}, step_min=2 / 60)
    rng = np.random.default_rng(5)
    stale_rows = []
    for h in np.arange(0.1, 0.66, 0.01):
        lag_h = float(rng.uniform(240, 360)) / 3600
        fix = track(float(h) - lag_h)

        def stale(_h: float, fix: tuple[float, float] = fix) -> tuple[float, float]:
            return fix

        stale_rows.append(positions({244_001_777: (stale, float(h), float(h))}))
    t = pa.concat_tables([real, *stale_rows])
    assert spoofing(t, geo=GEO).num_rows == 0
    # cleaning drops them (on the path, twelfth session); kept, the echo rule tells them
    kept = segment(clean(t, geo=GEO, params=CleanParams(relay_window_s=0)))
    assert spoofing(kept, geo=GEO).num_rows == 0
    short = SpoofingParams(echo_max_lag_h=60 / 3600)  # repeats at most a minute late
    assert kinds(spoofing(kept, geo=GEO, params=short)) == [(244_001_777, "parallel_tracks")]
    with pytest.raises(ParameterError):
        SpoofingParams(echo_max_lag_h=float("nan"))


def _one_timestamp(t: pa.Table) -> pa.Table:
    """Every report stamped with the first one's time, as an untimed log ingested with a
    single ``--time`` (or a feed stamped per batch) is."""
    first = t.column("ts")[0]
    return t.set_column(1, "ts", pa.array([first.as_py()] * t.num_rows, t.schema.field("ts").type))


def test_reports_sharing_one_timestamp_are_not_jumps() -> None:
    # 30 minutes at 12 kn (11 km of track, a report every 1.1 km) all stamped with one
    # time, inland of the coast and at sea: no order and no time between the reports, so
    # no impossible speed
    sea = positions({244000030: (legs(12.0, 5.0, [(0.5, 90.0, 12.0)]), 0.0, 0.5)}, step_min=3)
    river = positions({244000031: (legs(12.0, -0.5, [(0.5, 0.0, 12.0)]), 0.0, 0.5)}, step_min=3)
    both = _one_timestamp(pa.concat_tables([sea, river]))
    assert spoofing(both, geo=GEO).num_rows == 0


def test_same_time_min_dist_decides_for_one_timestamp() -> None:
    # two stationary transmitters 3 km apart at one time; reports with equal times are
    # ordered by latitude, which alternates between the two (every ~10 m): within what a
    # batch-stamped feed can blur by default, two tracks when told otherwise
    a = positions({244000033: (lambda h: (12.0, 5.0), 0.0, 0.5)}, step_min=5)
    b = positions({244000033: (lambda h: move(12.0, 5.0, 0.0, 3000.0), 0.0, 0.5)}, step_min=5)
    both = _one_timestamp(pa.concat_tables([a, b]))
    lat = 12.0 + np.concatenate([np.arange(a.num_rows) * 2, np.arange(b.num_rows) * 2 + 1]) * 1e-4
    alternating = both.set_column(2, "lat", pa.array(lat))
    assert spoofing(alternating, geo=GEO).num_rows == 0
    strict = SpoofingParams(same_time_min_dist_m=500.0)
    # all at one instant: no order, no duration, so no (zero-length) event at all
    assert spoofing(alternating, geo=GEO, params=strict).num_rows == 0
    # two batches ten minutes apart, each stamped with one time: two tracks when told so
    first = both.column("ts")[0].as_py()
    half = np.r_[np.arange(a.num_rows) >= a.num_rows // 2, np.arange(b.num_rows) >= b.num_rows // 2]
    batched = alternating.set_column(
        1,
        "ts",
        pa.array(
            [first + timedelta(minutes=10) if h else first for h in half],
            both.schema.field("ts").type,
        ),
    )
    assert spoofing(batched, geo=GEO).num_rows == 0
    ev = spoofing(batched, geo=GEO, params=strict)
    assert kinds(ev) == [(244000033, "parallel_tracks")]
    assert ev.column("end")[0].as_py() > ev.column("start")[0].as_py()


def test_same_timestamp_far_apart_is_still_a_clone() -> None:
    # a clone 100 km away reporting at the very same times as the real vessel
    real = positions({244000032: (legs(12.0, 5.0, [(3.0, 90.0, 10.0)]), 0.0, 3.0)}, step_min=3)
    clone = positions({244000032: (legs(12.9, 5.0, [(3.0, 90.0, 10.0)]), 0.0, 3.0)}, step_min=3)
    ev = spoofing(interleave(real, clone), geo=GEO)
    assert kinds(ev) == [(244000032, "parallel_tracks")]
    d: dict[str, Any] = json.loads(ev.column("details")[0].as_py())
    assert d["simultaneous_jumps"] >= 2


def test_same_time_distance_below_the_jitter_is_refused() -> None:
    with pytest.raises(Exception, match="same_time_min_dist_m"):
        SpoofingParams(same_time_min_dist_m=100.0)


def test_vessels_left_out_before_measuring_change_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Leaving out the vessels with one segment or too few reports (before their jumps are
    measured) gives the events of the search over every vessel: a random fleet of steady
    tracks, clones, wild fixes, short tracks and clones with few reports."""
    import seawatch.detect.spoofing as sp

    rng = np.random.default_rng(11)
    n = 4_000
    mmsi = rng.choice(np.arange(244_000_000, 244_000_300), n)
    ts = np.sort(rng.integers(0, 6 * 3600, n)) * 1_000_000
    lat = 12.0 + (mmsi % 97) * 0.05 + rng.normal(0, 0.0003, n)
    lon = 5.0 + (mmsi % 89) * 0.05 + rng.normal(0, 0.0003, n)
    clone = rng.random(n) < (mmsi % 5 == 0) * 0.4  # a second transmitter, 50 km away
    lat[clone] += 0.45
    wild = rng.random(n) < 0.01  # one-off wild fixes
    lon[wild] += rng.uniform(1, 3, wild.sum())
    table = pa.table(
        {
            "mmsi": pa.array(mmsi, pa.uint32()),
            "ts": pa.array(ts, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "lat": pa.array(lat),
            "lon": pa.array(lon),
            "sog_kn": pa.array(np.full(n, 1.0, np.float32)),
        }
    )
    got = spoofing(table, geo=GEO)
    assert got.num_rows >= 10

    def every_vessel(bounds: np.ndarray, seg_id: np.ndarray, params: Any) -> np.ndarray:
        return np.arange(len(bounds) - 1)

    monkeypatch.setattr(sp, "_several_tracks", every_vessel)
    assert spoofing(table, geo=GEO).equals(got)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 30), min_size=1, max_size=300),
    st.lists(st.integers(0, 10_000), max_size=40),
)
def test_rows_of_vessels_are_the_rows_of_their_mmsis(mmsis: list[int], picks: list[int]) -> None:
    """The rows of the vessels that own some rows, found by block: the rows whose MMSI is
    one of those rows' MMSIs (``np.isin``, the oracle), in row order."""
    from seawatch.detect.spoofing import _rows_of_vessels

    mmsi = np.sort(np.array(mmsis, np.int64))
    idx = np.unique(np.array(picks, np.int64) % len(mmsi))
    want = np.flatnonzero(np.isin(mmsi, mmsi[idx]))
    bounds = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1], True])  # as spoofing() has it
    got = _rows_of_vessels(bounds, idx)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)
