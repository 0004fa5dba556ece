"""Interception on hand-built scenarios: positives (course, dark, destination diversions) and
the negatives that must not fire (escort at 2 km, pilot, tug, near a port, no diversion)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from seawatch._exceptions import ParameterError
from seawatch.detect import FakeGeo, FakePort
from seawatch.detect.interceptions import InterceptionParams, close_pairs, interceptions
from seawatch.schema import EVENTS
from tests.standoff.conftest import M_PER_NM, Track, legs, move, positions, statics

LAT, LON = 12.0, 5.0  # ~330 km off the fake coast, outside the fake EEZ box (lon < 3)
A, B, OTHER = 244_000_001, 538_000_002, 367_000_003


def target(after: str = "north", lat: float = LAT, lon: float = LON) -> Track:
    """B: east at 10 kn for 2 h, 1 kn for 1 h (stopped), then ``after``."""
    plan = [(2.0, 90.0, 10.0), (1.0, 90.0, 1.0)]
    if after == "north":
        plan.append((4.0, 0.0, 10.0))
    elif after == "east":
        plan.append((4.0, 90.0, 10.0))
    return legs(lat, lon, plan)


def chaser(b: Track, close_m: float, *, leave_kn: float = 15.0) -> Track:
    """A: 10 nm west of B at 1 h, closes at 10 kn relative, keeps ``close_m`` from 2 h to
    3 h, then opens west at ``leave_kn`` relative."""

    def at(h: float) -> tuple[float, float]:
        bl, bo = b(h)
        if h < 1.0:
            off = 10 * M_PER_NM
        elif h < 2.0:
            off = max(close_m, 10 * M_PER_NM * (2.0 - h))
        elif h < 3.0:
            off = close_m
        else:
            off = close_m + (h - 3.0) * leave_kn * M_PER_NM
        return move(bl, bo, 0.0, -off)

    return at


def run(
    a_track: Track,
    b_track: Track,
    *,
    a_type: int | None = 35,
    a_name: str | None = None,
    b_type: int | None = 80,
    b_last_h: float = 7.0,
    extra: dict[int, tuple[Track, float, float]] | None = None,
    dest: list[tuple[float, str]] | None = None,
    geo: FakeGeo | None = None,
    params: InterceptionParams | None = None,
    roles: pa.Table | None = None,
) -> pa.Table:
    tracks = {A: (a_track, 0.5, 6.0), B: (b_track, 0.0, b_last_h), **(extra or {})}
    rows: list[dict[str, Any]] = [{"mmsi": A, "h": 0, "ship_type": a_type, "name": a_name}]
    rows.append({"mmsi": B, "h": 0, "ship_type": b_type, "destination": "ARUBA"})
    for h, d in dest or []:
        rows.append({"mmsi": B, "h": h, "ship_type": b_type, "destination": d})
    return interceptions(
        positions(tracks),
        statics=statics(rows),
        geo=geo or FakeGeo(zone_boxes=(("XX-eez", (-10.0, 30.0, 0.0, 3.0)),)),
        params=params or InterceptionParams(),
        roles=roles,
    )


def details(ev: pa.Table, k: int = 0) -> dict[str, Any]:
    return dict(json.loads(ev.column("details")[k].as_py()))


def test_naval_interception_of_a_tanker_that_turns_north() -> None:
    b = target("north")
    ev = run(chaser(b, 300.0), b)
    assert ev.schema == EVENTS
    assert ev.num_rows == 1
    d = details(ev)
    assert (d["interceptor"], d["target"]) == (A, B)
    assert ev.column("vessels")[0].as_py() == sorted([A, B])
    assert d["diversion"]["kinds"] == ["course"]
    assert d["diversion"]["course_change_deg"] == pytest.approx(90.0, abs=2.0)
    assert d["approach_speed_kn"] == pytest.approx(20.0, abs=1.0)
    assert d["target_speed_before_kn"] == pytest.approx(10.0, abs=0.5)
    assert d["target_speed_during_kn"] < 3.0
    assert d["closest_m"] == pytest.approx(300.0, abs=30.0)
    assert d["high_seas"] is True and d["naval_interceptor"] is True
    assert d["params"]["close_dist_m"] == 1000.0
    # 0.4 base + 0.3 naval + 0.15 tanker + 0.15 high seas
    assert ev.column("confidence")[0].as_py() == pytest.approx(1.0)
    start = ev.column("start")[0].as_py()
    assert (start.hour, start.minute) == (2, 0)


def test_confidence_lower_for_a_cargo_interceptor_inside_an_eez() -> None:
    b = target("north", lon=2.0)  # inside the fake EEZ box (lon 0..3)
    ev = run(chaser(b, 300.0), b, a_type=70, b_type=70)
    assert ev.num_rows == 1
    d = details(ev)
    assert d["high_seas"] is False and d["eez"] == "XX-eez"
    assert ev.column("zone")[0].as_py() == "XX-eez"
    assert ev.column("confidence")[0].as_py() == pytest.approx(0.4)


def test_naval_mmsi_list_raises_confidence() -> None:
    b = target("north", lon=2.0)
    ev = run(
        chaser(b, 300.0), b, a_type=None, b_type=70, params=InterceptionParams(naval_mmsis=(A,))
    )
    assert ev.column("confidence")[0].as_py() == pytest.approx(0.7)


def test_target_going_dark_is_a_diversion() -> None:
    b = target("east")  # keeps its course ...
    other = legs(LAT + 1.0, LON, [(12.0, 90.0, 5.0)])  # ... data goes on for 12 h
    ev = run(chaser(b, 300.0), b, b_last_h=3.0, extra={OTHER: (other, 0.0, 12.0)})
    assert ev.num_rows == 1
    div = details(ev)["diversion"]
    assert div["kinds"] == ["dark"]
    assert div["dark_until_end_of_data"] is True


def test_dark_needs_data_beyond_the_silence() -> None:
    b = target("east")
    assert run(chaser(b, 300.0), b, b_last_h=3.0).num_rows == 0  # the data ends with B


def test_changed_destination_is_a_diversion() -> None:
    b = target("east")
    ev = run(chaser(b, 300.0), b, dest=[(3.5, "LA GUAIRA"), (3.6, "LA GUAIRA")])
    assert ev.num_rows == 1
    div = details(ev)["diversion"]
    assert div["kinds"] == ["destination"]
    assert (div["destination_before"], div["destination_after"]) == ("ARUBA", "LA GUAIRA")


def test_no_diversion_no_event() -> None:
    b = target("east")
    assert run(chaser(b, 300.0), b).num_rows == 0


def test_escort_keeping_station_at_2_km_does_not_fire() -> None:
    b = target("north")
    assert run(chaser(b, 2_000.0), b).num_rows == 0


@pytest.mark.parametrize("a_type", [50, 52], ids=["pilot", "tug"])
def test_pilot_and_tug_do_not_fire(a_type: int) -> None:
    b = target("north")
    assert run(chaser(b, 100.0), b, a_type=a_type).num_rows == 0


def test_meeting_off_a_port_does_not_fire() -> None:
    b = target("north")
    meet = b(2.5)
    geo = FakeGeo(port_list=(FakePort("Puerto Fake", "XX", meet[0], meet[1] + 0.03),))
    assert run(chaser(b, 300.0), b, a_type=None, geo=geo).num_rows == 0


def test_target_that_never_slows_does_not_fire() -> None:
    b = legs(LAT, LON, [(2.0, 90.0, 10.0), (5.0, 0.0, 10.0)])
    assert run(chaser(b, 300.0), b).num_rows == 0


@pytest.mark.parametrize(
    ("lat0", "lon0"),
    [(10.0, 60.0), (10.0, 179.975), (-20.0, -180.0), (78.0, 179.9)],
    ids=["tropics", "antimeridian", "minus-180", "high-latitude"],
)
def test_close_pairs_matches_brute_force(lat0: float, lon0: float) -> None:
    rng = np.random.default_rng(7)
    n = 400
    mmsi = rng.integers(1, 60, n).astype(np.int64)
    slot = rng.integers(0, 3, n).astype(np.int64) * 600_000_000
    lat = lat0 + rng.uniform(0, 0.05, n)
    # around lon0, wrapped into [-180, 180): points on both sides of the antimeridian
    lon = (lon0 + rng.uniform(0, 0.05, n) + 180.0) % 360.0 - 180.0
    i, j, d = close_pairs(mmsi, slot, lat, lon, max_dist_m=1000.0)
    got = set(zip(i.tolist(), j.tolist(), strict=True))
    from seawatch.tracks import haversine_m

    want = set()
    for x in range(n):
        for y in range(n):
            if mmsi[x] < mmsi[y] and slot[x] == slot[y]:
                dist = haversine_m(lat[x : x + 1], lon[x : x + 1], lat[y : y + 1], lon[y : y + 1])[
                    0
                ]
                if dist <= 1000.0:
                    want.add((x, y))
    assert got == want and len(want) > 0
    assert (d <= 1000.0).all()


def test_midpoint_lon_takes_the_short_side() -> None:
    from seawatch.geo import midpoint_lon

    assert midpoint_lon(-66.0, -66.002) == pytest.approx(-66.001)
    assert abs(float(midpoint_lon(179.99, -179.99))) == pytest.approx(180.0)
    assert float(midpoint_lon(179.98, -179.99)) == pytest.approx(179.995)
    assert float(midpoint_lon(-179.98, 179.99)) == pytest.approx(-179.995)


@pytest.mark.parametrize("case", ["north", "dark"])
def test_engine_pairs_give_the_same_event(case: str) -> None:
    """With the engine's close pairs, only the vessels in contact get a series built; the
    event is the one found from every vessel's series, including a dark diversion, which
    rests on the data of a vessel far away going on after the target went silent."""
    from seawatch.tracks import ResampleParams, prepare, resample

    geo = FakeGeo()
    if case == "north":
        b = target("north")
        pos = positions({A: (chaser(b, 300.0), 0.5, 6.0), B: (b, 0.0, 7.0)})
    else:
        b = target("east")
        other = legs(LAT + 1.0, LON, [(12.0, 90.0, 5.0)])
        pos = positions(
            {A: (chaser(b, 300.0), 0.5, 6.0), B: (b, 0.0, 3.0), OTHER: (other, 0.0, 12.0)}
        )
    slots = resample(prepare(pos, geo=geo), params=ResampleParams())
    m = np.asarray(slots.column("mmsi").to_numpy(), np.int64)
    t = np.asarray(slots.column("slot").cast(pa.int64()).to_numpy(), np.int64)
    la = slots.column("lat").to_numpy()
    lo = slots.column("lon").to_numpy()
    i, j, _ = close_pairs(m, t, la, lo, max_dist_m=1000.0)
    pairs = pa.table(
        {
            "mmsi_a": pa.array(m[i], pa.uint32()),
            "mmsi_b": pa.array(m[j], pa.uint32()),
            "slot": pa.array(t[i], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        }
    )
    st = statics([{"mmsi": A, "h": 0, "ship_type": 35}, {"mmsi": B, "h": 0, "ship_type": 80}])
    with_pairs = interceptions(slots, statics=st, pairs=pairs, geo=geo)
    without = interceptions(slots, statics=st, geo=geo)
    assert with_pairs.num_rows == 1
    assert with_pairs.equals(without)
    kinds = json.loads(with_pairs.column("details")[0].as_py())["diversion"]["kinds"]
    assert kinds == (["course"] if case == "north" else ["dark"])


def test_escort_after_the_stop_is_not_part_of_the_contact() -> None:
    # A lies alongside while B is stopped (2-3 h), then escorts B away north at 300 m
    b = target("north")

    def escort(h: float) -> tuple[float, float]:
        bl, bo = b(h)
        off = 300.0 if h >= 2.0 else max(300.0, 10 * M_PER_NM * (2.0 - h))
        return move(bl, bo, 0.0, -off)

    ev = run(escort, b)
    assert ev.num_rows == 1
    d = details(ev)
    assert d["contact_h"] == pytest.approx(1.0, abs=0.2)
    assert d["escort_h"] > 2.5
    assert d["diversion"]["kinds"] == ["course"]
    end = ev.column("end")[0].as_py()
    assert (end.hour, end.minute) in ((3, 0), (3, 10))


# ---- who may intercept: roles (issue 8) ------------------------------------------------


@pytest.mark.parametrize(
    ("a_type", "a_name"), [(80, "NORDIC BOREALIS"), (70, "BULK ONE"), (30, "FISHER")]
)
def test_a_named_merchant_is_never_an_interceptor(a_type: int, a_name: str) -> None:
    """Two merchants meeting (an STS transfer) stay an encounter whatever B does after."""
    b = target("north")
    assert run(chaser(b, 300.0), b, a_type=a_type, a_name=a_name).num_rows == 0


def test_interceptor_role_comes_from_the_name_and_is_in_the_details() -> None:
    b = target("north")  # A's MMSI 244... is Dutch
    ev = run(chaser(b, 300.0), b, a_type=80, a_name="Zr.Ms. Karel Doorman")
    assert ev.num_rows == 1
    d = details(ev)
    assert (d["interceptor_role"], d["interceptor_role_source"]) == ("military", "name")
    assert d["target_role"] == "tanker" and d["naval_interceptor"] is True
    cg = details(run(chaser(b, 300.0), b, a_type=90, a_name="COAST GUARD 7"))
    assert (cg["interceptor_role"], cg["naval_interceptor"]) == ("law_enforcement", True)
    # a US prefix does not count for a Dutch MMSI: a named merchant, no interception
    assert run(chaser(b, 300.0), b, a_type=80, a_name="USNS SUPPLY").num_rows == 0


def test_an_unidentified_vessel_may_intercept_unless_switched_off() -> None:
    b = target("north")
    ev = run(chaser(b, 300.0), b, a_type=None)
    assert details(ev)["interceptor_role"] == "unidentified"
    off = InterceptionParams(unidentified_interceptors=False)
    assert run(chaser(b, 300.0), b, a_type=None, params=off).num_rows == 0


def test_roles_table_and_interceptor_roles_param() -> None:
    b = target("north")

    def roles(role: str) -> pa.Table:
        return pa.table(
            {
                "mmsi": pa.array([A, B], pa.int64()),
                "name": ["SUPPLY", "TANKER"],
                "ship_type": pa.array([80, 80], pa.int64()),
                "role": [role, "tanker"],
                "role_source": ["list", "ship_type"],
            }
        )

    ev = run(chaser(b, 300.0), b, a_type=80, a_name="SUPPLY", roles=roles("government"))
    d = details(ev)
    assert (d["interceptor_role"], d["interceptor_role_source"]) == ("government", "list")
    # a government auxiliary: no naval bonus; 0.4 base + 0.15 tanker + 0.15 high seas
    assert d["naval_interceptor"] is False
    assert ev.column("confidence")[0].as_py() == pytest.approx(0.7)
    only_navy = InterceptionParams(interceptor_roles=("military",))
    assert (
        run(
            chaser(b, 300.0), b, a_name="SUPPLY", roles=roles("government"), params=only_navy
        ).num_rows
        == 0
    )
    with pytest.raises(ParameterError, match="interceptor_roles"):
        InterceptionParams(interceptor_roles=("navy",))
