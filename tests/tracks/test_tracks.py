from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seawatch import ParameterError
from seawatch.geo import hav_m
from seawatch.tracks import (
    SLOTS,
    CleanParams,
    ResampleParams,
    SegmentParams,
    clean,
    prepare,
    resample,
    segment,
)
from tests.tracks.conftest import T0, positions

DEG_PER_M = 1 / 111_195.0


def _shuffle(table: pa.Table, seed: int = 0) -> pa.Table:
    return table.take(np.random.default_rng(seed).permutation(table.num_rows))


# ---------------------------------------------------------------- clean


def test_clean_drops_nulls_dupes_and_nulls_sentinels(sea: object) -> None:
    t = positions(
        [
            (1, 0, 10.0, 1.0, 5.0),
            (1, 0, 10.0, 1.0, 5.0),  # duplicate
            (1, 1, 10.001, 1.0, 102.3),  # sentinel
            (1, 2, 10.002, 1.0, 51.2),  # sentinel
            (1, 3, 10.003, 1.0, 63.0),  # sentinel
            (1, 4, 0.0, 0.0, 5.0),  # null island
            (2, 0, 11.0, 1.0, 4.0),
        ]
    )
    t = pa.concat_tables(
        [t, pa.Table.from_pylist([{"mmsi": 1, "ts": T0, "lat": None, "lon": 1.0}], t.schema)]
    )
    c = clean(t, geo=sea)  # type: ignore[arg-type]
    assert c.num_rows == 5
    assert c.column("mmsi").to_pylist() == [1, 1, 1, 1, 2]
    assert c.column("sog_kn").to_pylist() == [5.0, None, None, None, 4.0]
    assert c.column("on_land").to_pylist() == [False] * 5


def test_clean_drops_reports_relayed_minutes_late(sea: object) -> None:
    """A feed relaying a vessel's reports 5 minutes late: each copy jumps back 1.5 km (and
    then forward again); dropped as the repeat it is, so the segmenter keeps one track. A
    jump to a report seen nowhere before, and a moored vessel's repeated reports, stay."""
    step = 0.3 / 60  # 18 kn: 0.005 degrees of latitude a minute, 556 m
    live = [(7, float(k), 10.0 + k * step, 1.0, 18.0) for k in range(40)]
    copies = [(7, k + 5 + 0.05, 10.0 + k * step, 1.0, 18.0) for k in range(10, 30, 3)]
    moored = [(8, float(k), 11.0 + (k % 2) * 1e-5, 1.0, 0.0) for k in range(30)]
    got = clean(positions(live + copies + moored), geo=sea)  # type: ignore[arg-type]
    assert got.num_rows == len(live) + len(moored)
    assert segment(got).filter(pc.equal(got.column("mmsi"), 7)).column(
        "seg_id"
    ).unique().to_pylist() == [segment(got).column("seg_id")[0].as_py()]
    kept = clean(positions(live + copies), geo=sea, params=CleanParams(relay_window_s=0))  # type: ignore[arg-type]
    assert kept.num_rows == len(live) + len(copies)
    wild = [(7, 20.05, 10.5, 1.0, 18.0)]  # 45 km off, never reported before: not a copy
    assert clean(positions(live + wild), geo=sea).num_rows == len(live) + 1  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        CleanParams(relay_window_s=-1)


def _one_track(table: pa.Table) -> bool:
    return len(segment(table).column("seg_id").unique()) == 1


def test_clean_drops_a_run_of_late_copies(sea: object) -> None:
    """Two copies 7 minutes late, 9 s apart, at 5 kn: the first is within 50 kn of the
    vessel's last report and of the second copy, so only a pass without the second shows
    it jumping out to the vessel's next report (left in, it kept a second track for the
    rest of the day)."""
    step = 5 / 60 / 60  # 5 kn: 0.00139 degrees of latitude a minute, 154 m
    live = [(7, float(k), 10.0 + k * step, 1.0, 5.0) for k in range(40)]
    copies = [(7, 17.75, 10.0 + 10 * step, 1.0, 5.0), (7, 17.9, 10.0 + 11 * step, 1.0, 5.0)]
    got = clean(positions(live + copies), geo=sea)  # type: ignore[arg-type]
    assert got.num_rows == len(live)
    assert _one_track(got)


def test_clean_drops_a_late_copy_of_the_last_report(sea: object) -> None:
    """The copy of the vessel's last report comes 2 minutes late, before its next report
    (that of the minute between was lost): where the vessel was, but it had moved on."""
    step = 12 / 60 / 60  # 12 kn: 370 m a minute
    live = [(7, float(k), 10.0 + k * step, 1.0, 12.0) for k in range(40) if k != 13]
    copy = [(7, 13.9, 10.0 + 12 * step, 1.0, 12.0)]
    got = clean(positions(live + copy), geo=sea)  # type: ignore[arg-type]
    assert got.num_rows == len(live)
    assert _one_track(got)


def test_clean_drops_copies_relayed_hours_late(sea: object) -> None:
    """A second feed stamping messages on arrival two hours late: beyond the 30-minute
    window, but a moving vessel never reports the same position twice, so its exact
    repeats are copies, also those arriving after its last own report (they jump only
    from it). Its repeated reports while moored are not dropped."""
    step = 12 / 60 / 60  # 12 kn
    live = [(7, float(k), 10.0 + k * step, 1.0, 12.0) for k in range(240)]
    copies = [(7, k + 120.5, 10.0 + k * step, 1.0, 12.0) for k in range(0, 240, 2)]
    got = clean(positions(live + copies), geo=sea)  # type: ignore[arg-type]
    assert got.num_rows == len(live)
    assert _one_track(got)
    off = CleanParams(relay_repeat_window_s=0)
    assert clean(positions(live + copies), geo=sea, params=off).num_rows > len(live)  # type: ignore[arg-type]
    moored = [(8, float(k), 11.0, 1.0, 0.0) for k in range(300)]  # the same report for 5 h
    assert clean(positions(moored), geo=sea).num_rows == len(moored)  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        CleanParams(relay_moving_kn=-1)


def test_clean_drops_a_late_copy_whose_original_was_lost(sea: object) -> None:
    """The report of minute 12 was lost and a feed relayed it 7 minutes late: nothing to
    repeat, but it lies on the vessel's own path of the last half hour. A jump of the same
    size off that path (another transmitter) stays, as does one 45 km off."""
    step = 0.3 / 60  # 18 kn
    live = [(7, float(k), 10.0 + k * step, 1.0, 18.0) for k in range(40) if k != 12]
    copy = [(7, 19.05, 10.0 + 12 * step, 1.0, 18.0)]
    got = clean(positions(live + copy), geo=sea)  # type: ignore[arg-type]
    assert got.num_rows == len(live)
    assert _one_track(got)
    exact_only = CleanParams(relay_path_m=0)
    old = clean(positions(live + copy), geo=sea, params=exact_only)  # type: ignore[arg-type]
    assert old.num_rows == len(live) + 1
    assert not _one_track(old)
    beside = [(7, 19.05, 10.0 + 12 * step, 1.0 + 1_000 / 109_500, 18.0)]  # 1 km abeam
    assert clean(positions(live + beside), geo=sea).num_rows == len(live) + 1  # type: ignore[arg-type]
    wild = [(7, 19.05, 10.5, 1.0, 18.0)]
    assert clean(positions(live + wild), geo=sea).num_rows == len(live) + 1  # type: ignore[arg-type]
    # a moored vessel after one wild report: its next reports jump from the wild one and
    # repeat where it was, but do not jump onwards: all stay
    moored = [(8, float(k), 11.0 + (k % 2) * 1e-5, 1.0, 0.0) for k in range(30)]
    glitch = [(8, 10.5, 11.3, 1.0, 0.0)]
    assert clean(positions(moored + glitch), geo=sea).num_rows == len(moored) + 1  # type: ignore[arg-type]
    slow = [(8, float(k), 11.0 + k * 2 / 60 / 60, 1.0, 2.0) for k in range(30)]  # 2 kn
    assert clean(positions(slow + glitch), geo=sea).num_rows == len(slow) + 1  # type: ignore[arg-type]
    # a second transmitter sharing the MMSI, moored 20 km off, repeating itself exactly
    # between the moving one's reports: its track never moved on, so its reports stay
    b_moored = [(7, k + 0.5, 10.0, 1.2, 0.0) for k in range(0, 40, 2)]
    full = [(7, float(k), 10.0 + k * step, 1.0, 18.0) for k in range(40)]
    assert clean(positions(full + b_moored), geo=sea).num_rows == len(full) + len(b_moored)  # type: ignore[arg-type]
    # on the path across the antimeridian
    east = [(9, float(k), 10.0, _wrap(179.9 + k * step), 18.0) for k in range(40) if k != 21]
    lost = [(9, 28.05, 10.0, _wrap(179.9 + 21 * step), 18.0)]
    assert clean(positions(east + lost), geo=sea).num_rows == len(east)  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        CleanParams(relay_path_m=-1)


def _wrap(lon: float) -> float:
    return lon - 360.0 if lon > 180.0 else lon + 360.0 if lon < -180.0 else lon


def test_clean_flags_land_and_keeps_the_rows() -> None:
    class Land:
        def on_land(self, lat, lon):  # type: ignore[no-untyped-def]
            return np.asarray(lon) < 0

    t = positions([(1, 0, 10.0, -1.0, 5.0), (1, 10, 10.0, 1.0, 5.0)])
    c = clean(t, geo=Land())
    assert c.column("on_land").to_pylist() == [True, False]
    c2 = clean(t, params=CleanParams(flag_on_land=False))
    assert "on_land" not in c2.column_names


def test_clean_is_order_independent(sea: object) -> None:
    rows = [(m, t, 10 + t * 1e-3, 1.0, float(t % 7)) for m in (3, 1, 2) for t in range(30)]
    t = positions(rows)
    a = clean(t, geo=sea)  # type: ignore[arg-type]
    b = clean(_shuffle(t, 5), geo=sea)  # type: ignore[arg-type]
    assert a.equals(b)


# ---------------------------------------------------------------- segment


def test_segment_splits_at_long_gap_not_at_jitter(sea: object) -> None:
    rows = [(1, i, 10.0 + (i % 2) * 200 * DEG_PER_M, 1.0, 0.1) for i in range(10)]  # 200 m jitter
    rows += [(1, 9 + 25 * 60, 10.0, 1.0, 0.1)]  # 25 h later
    s = segment(clean(positions(rows), geo=sea))  # type: ignore[arg-type]
    seg = s.column("seg_id").to_pylist()
    assert len(set(seg[:10])) == 1
    assert seg[10] != seg[0]
    assert all(x >> 32 == 1 for x in seg)


def test_segment_isolates_an_impossible_jump(sea: object) -> None:
    rows = [(1, i * 2, 10.0 + i * 0.001, 1.0, 3.0) for i in range(20)]
    rows.append((1, 21, 14.0, 3.0, 3.0))  # 500 km away a minute later
    s = segment(clean(positions(rows), geo=sea))  # type: ignore[arg-type]
    seg = np.array(s.column("seg_id").to_pylist())
    lat = np.array(s.column("lat").to_pylist())
    main = seg[lat < 12]
    assert len(set(main)) == 1
    assert seg[lat > 12][0] != main[0]


def test_shared_mmsi_becomes_two_parallel_segments(sea: object) -> None:
    # two transmitters with one MMSI, 220 km apart, reporting alternately every minute
    rows = []
    for i in range(60):
        rows.append((9, 2 * i, 10.0 + i * 1e-4, 1.0, 6.0))
        rows.append((9, 2 * i + 1, 12.0 - i * 1e-4, 1.0, 6.0))
    s = segment(clean(positions(rows), geo=sea))  # type: ignore[arg-type]
    lat = np.array(s.column("lat").to_pylist())
    seg = np.array(s.column("seg_id").to_pylist())
    assert len(set(seg)) == 2
    assert len(set(seg[lat < 11])) == 1 and len(set(seg[lat > 11])) == 1


def test_one_bad_fix_does_not_take_a_shuttle_s_later_reports(sea: object) -> None:
    """A ferry shuttling over 10 km at 10 kn, a report every 10 s for 6 h, and one bad fix
    1.5 km abeam: the fix is a one-point segment, and when the ferry passes near it again
    (an hour later, which a segment idle that long reaches) its reports stay on its own
    track. Before, a point joined the segment whose reach it used least, and the track
    became two segments taking turns every half hour."""
    v = 10 * 1852 / 3600
    leg = 10_000 / v
    rows = []
    for k in range(6 * 360):
        phase = (k * 10.0 % (2 * leg)) / leg
        y = (phase if phase < 1 else 2 - phase) * 10_000
        rows.append((1, k / 6, 10.0 + y * DEG_PER_M, 1.0, 10.0))
    rows.append((1, 30.05, 10.0 + 1_000 * DEG_PER_M, 1.0 + 1_500 / 109_500, 10.0))
    seg = segment(clean(positions(rows), geo=sea))  # type: ignore[arg-type]
    _, counts = np.unique(seg.column("seg_id").to_numpy(), return_counts=True)
    assert sorted(counts.tolist()) == [1, 6 * 360]


def test_a_near_second_transmitter_keeps_its_own_segment(sea: object) -> None:
    """Two moored transmitters of one MMSI 2 km apart, each reporting every 3 minutes, in
    turn 90 s apart: each report is within reach of both segments (and of the other's
    more recent one), and lies metres from its own: each keeps its own segment."""
    east = 2_000 / 109_500
    rows = [(9, 0.0, 10.0, 1.0, 0.0), (9, 5 / 60, 10.0, 1.0 + east, 0.0)]
    for i in range(1, 40):
        rows.append((9, i * 3.0, 10.0 + (i % 2) * 5 * DEG_PER_M, 1.0, 0.0))
        rows.append((9, i * 3.0 - 1.5, 10.0, 1.0 + east + (i % 2) * 5 / 109_500, 0.0))
    s = segment(clean(positions(rows), geo=sea))  # type: ignore[arg-type]
    lon = np.array(s.column("lon").to_pylist())
    seg = np.array(s.column("seg_id").to_pylist())
    assert len(set(seg[lon < 1.0 + east / 2])) == 1 and len(set(seg[lon > 1.0 + east / 2])) == 1
    assert len(set(seg)) == 2


def test_segment_params_validate() -> None:
    with pytest.raises(ParameterError):
        SegmentParams(max_speed_kn=0)
    with pytest.raises(ParameterError):
        SegmentParams(spread_m=0)


# ---------------------------------------------------------------- resample


def test_resample_grid_interpolation_and_gaps(sea: object) -> None:
    rows = [
        (1, 3, 10.0, 1.0, 4.0),
        (1, 33, 10.3, 1.0, 6.0),  # 30 min later: interpolate
        (1, 33 + 90, 10.4, 1.0, 5.0),  # 90 min gap: no slots inside
        (1, 33 + 90 + 60, 10.5, 1.0, 5.0),  # exactly 1 h: no interpolation either
    ]
    r = resample(prepare(positions(rows), geo=sea))  # type: ignore[arg-type]
    assert r.schema.equals(SLOTS)
    slots = [(s - T0) / timedelta(minutes=1) for s in r.column("slot").to_pylist()]
    assert slots == [0, 10, 20, 30, 120, 180]
    lat = r.column("lat").to_pylist()
    assert lat[0] == pytest.approx(10.0)  # report at 20:03 is within half a slot of 20:00
    assert lat[1] == pytest.approx(10.0 + 0.3 * 7 / 30)
    assert lat[2] == pytest.approx(10.0 + 0.3 * 17 / 30)
    assert r.column("interpolated").to_pylist() == [False, True, True, False, False, False]
    assert r.column("sog_kn").to_pylist()[1] == pytest.approx(4.0 + 2.0 * 7 / 30)


def test_resample_slots_align_across_vessels(sea: object) -> None:
    rows = [(1, 7 * i + 1, 10.0, 1.0 + i * 1e-3, 3.0) for i in range(30)]
    rows += [(2, 11 * i + 4, 10.1, 1.0 + i * 1e-3, 3.0) for i in range(20)]
    r = resample(prepare(positions(rows), geo=sea))  # type: ignore[arg-type]
    us = pc.cast(r.column("slot"), pa.int64()).to_numpy()
    assert np.all(us % 600_000_000 == 0)
    s1 = set(us[r.column("mmsi").to_numpy() == 1])
    s2 = set(us[r.column("mmsi").to_numpy() == 2])
    assert len(s1 & s2) > 10


def test_resample_implied_speed_when_no_sog(sea: object) -> None:
    one_nm = 1852 * DEG_PER_M
    rows = [(1, 0, 10.0, 1.0, None), (1, 30, 10.0 + 5 * one_nm, 1.0, None)]  # 10 kn
    r = resample(prepare(positions(rows), geo=sea), params=ResampleParams())  # type: ignore[arg-type]
    assert r.num_rows == 4
    assert r.column("sog_kn").to_pylist()[1] == pytest.approx(10.0, rel=1e-3)


def test_resample_bridges_a_still_vessel_s_silence_only(sea: object) -> None:
    # satellite AIS hears a drifting tanker once an hour or less: 1 h gaps left no slot
    # at all, so no encounter could be found on such a track (GFW's rule, kept for gfw)
    Row = tuple[int, float, float, float, float | None]
    drift: list[Row] = [(1, 0, 10.0, 1.0, 0.3), (1, 90, 10.0 + 200 * DEG_PER_M, 1.0, 0.4)]  # 90 min
    sailing: list[Row] = [
        (2, 0, 10.0, 1.2, 0.3),
        (2, 90, 10.0 + 9000 * DEG_PER_M, 1.2, 0.3),
    ]  # 3 kn net
    fast_end: list[Row] = [(3, 0, 10.0, 1.4, 0.3), (3, 90, 10.0, 1.4, 9.0)]  # says it is moving
    no_sog: list[Row] = [(4, 0, 10.0, 1.6, None), (4, 90, 10.0, 1.6, None)]
    too_long: list[Row] = [(5, 0, 10.0, 1.8, 0.1), (5, 181, 10.0, 1.8, 0.1)]  # 3 h 1 min
    table = prepare(positions(drift + sailing + fast_end + no_sog + too_long), geo=sea)  # type: ignore[arg-type]
    counts = dict(
        zip(
            *np.unique(
                resample(table, params=ResampleParams(still_gap_h=3.0)).column("mmsi"),
                return_counts=True,
            ),
            strict=True,
        )
    )
    assert counts == {1: 10, 2: 2, 3: 2, 4: 10, 5: 2}
    plain = dict(zip(*np.unique(resample(table).column("mmsi"), return_counts=True), strict=True))
    assert plain == {1: 2, 2: 2, 3: 2, 4: 2, 5: 2}
    with pytest.raises(ParameterError):
        ResampleParams(still_gap_h=-1)


def test_resample_segments_itself_and_handles_empty() -> None:
    empty = positions([])
    assert resample(empty).num_rows == 0
    r = resample(positions([(1, 0, 10.0, 1.0, 1.0), (1, 10, 10.0, 1.0, 1.0)]))
    assert r.num_rows == 2


@st.composite
def _tracks(draw: st.DrawFn, step_deg: float = 0.05, max_sog: float = 30) -> pa.Table:
    rows = []
    for mmsi in draw(st.lists(st.integers(1, 5), min_size=1, max_size=3, unique=True)):
        n = draw(st.integers(1, 25))
        t = 0
        lat, lon = 10.0, 1.0
        for _ in range(n):
            t += draw(st.sampled_from([0, 1, 3, 9, 30, 70, 200, 1600]))
            lat += draw(st.floats(-step_deg, step_deg))
            lon += draw(st.floats(-step_deg, step_deg))
            rows.append((mmsi, t, lat, lon, draw(st.one_of(st.none(), st.floats(0, max_sog)))))
    return positions(rows)


@given(_tracks(), st.integers(0, 1000))
@settings(max_examples=40, deadline=None)
def test_properties_order_independence_and_ranges(table: pa.Table, seed: int) -> None:
    class Sea:
        def on_land(self, lat, lon):  # type: ignore[no-untyped-def]
            return np.zeros(len(lat), dtype=bool)

    a = prepare(table, geo=Sea())
    b = prepare(_shuffle(table, seed), geo=Sea())
    assert a.equals(b)
    ra, rb = resample(a), resample(b)
    assert ra.equals(rb)
    if ra.num_rows:
        ts = pc.cast(table.column("ts"), pa.int64()).to_numpy()
        slots = pc.cast(ra.column("slot"), pa.int64()).to_numpy()
        assert slots.min() > ts.min() - 300_000_000
        assert slots.max() <= ts.max() + 300_000_000
        # one slot per segment and grid time
        keys = set(zip(ra.column("seg_id").to_pylist(), slots.tolist(), strict=True))
        assert len(keys) == ra.num_rows


def _reference_resample(
    table: pa.Table, slot_us: int, max_gap_us: int, still_gap_us: int = 0, still_kn: float = 1.0
) -> list[tuple]:  # type: ignore[type-arg]
    """A slow, obvious implementation of the documented slot rules."""
    half = slot_us // 2
    out = []
    rows = table.select(["seg_id", "ts", "lat", "lon", "sog_kn"]).to_pylist()
    by_seg: dict[int, list[tuple[int, float, float, float | None]]] = {}
    for r in rows:
        t = int(r["ts"].timestamp() * 1_000_000)
        by_seg.setdefault(r["seg_id"], []).append((t, r["lat"], r["lon"], r["sog_kn"]))

    def still(
        a: tuple[int, float, float, float | None], b: tuple[int, float, float, float | None]
    ) -> bool:
        slow = all(p[3] is None or p[3] < still_kn for p in (a, b))
        return slow and hav_m(a[1], a[2], b[1], b[2]) < still_kn * 1852 / 3600 * (b[0] - a[0]) / 1e6

    def bridged(
        a: tuple[int, float, float, float | None], b: tuple[int, float, float, float | None]
    ) -> bool:
        gap = b[0] - a[0]
        return gap < max_gap_us or (gap < still_gap_us and still(a, b))

    for seg in sorted(by_seg):
        pts = sorted(by_seg[seg])
        g = ((pts[0][0] - half) // slot_us + 1) * slot_us
        while g <= pts[-1][0] + half:
            before = [k for k, p in enumerate(pts) if p[0] <= g]
            window = [(k, p) for k, p in enumerate(pts) if g - half <= p[0] < g + half]
            i = before[-1] if before else None
            if i is not None and i + 1 < len(pts) and bridged(pts[i], pts[i + 1]):
                (t0, la0, lo0, _), (t1, la1, lo1, _) = pts[i], pts[i + 1]
                f = 0.0 if t1 == t0 else (g - t0) / (t1 - t0)
                out.append((seg, g, la0 + f * (la1 - la0), lo0 + f * (lo1 - lo0), not window))
            elif window:
                # nearest; ties to the earlier time; reports sharing a time: the one
                # next to g in row order (last at or before g, first after g)
                _, best = min(
                    window,
                    key=lambda kp: (
                        abs(kp[1][0] - g),
                        kp[1][0],
                        -kp[0] if kp[1][0] <= g else kp[0],
                    ),
                )
                out.append((seg, g, best[1], best[2], False))
            g += slot_us
    return out


@given(_tracks())
@settings(max_examples=40, deadline=None)
def test_resample_matches_reference(table: pa.Table) -> None:
    class Sea:
        def on_land(self, lat, lon):  # type: ignore[no-untyped-def]
            return np.zeros(len(lat), dtype=bool)

    prepared = prepare(table, geo=Sea())
    got = resample(prepared)
    expected = _reference_resample(prepared, 600_000_000, 3_600_000_000)
    _same_slots(got, expected)


@given(_tracks(step_deg=0.002, max_sog=2))
@settings(max_examples=60, deadline=None)
def test_resample_across_a_still_vessel_s_silence_matches_reference(table: pa.Table) -> None:
    class Sea:
        def on_land(self, lat, lon):  # type: ignore[no-untyped-def]
            return np.zeros(len(lat), dtype=bool)

    prepared = prepare(table, geo=Sea())
    got = resample(prepared, params=ResampleParams(still_gap_h=3.0))
    expected = _reference_resample(prepared, 600_000_000, 3_600_000_000, 3 * 3_600_000_000)
    _same_slots(got, expected)


def _same_slots(got: pa.Table, expected: list[tuple]) -> None:  # type: ignore[type-arg]
    assert got.num_rows == len(expected)
    slots = pc.cast(got.column("slot"), pa.int64()).to_pylist()
    for row, e, s in zip(got.to_pylist(), expected, slots, strict=True):
        assert (row["seg_id"], s) == (e[0], e[1])
        assert row["lat"] == pytest.approx(e[2], abs=1e-9)
        assert row["lon"] == pytest.approx(e[3], abs=1e-9)
        assert row["interpolated"] == e[4]
