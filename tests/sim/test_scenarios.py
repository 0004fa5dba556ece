"""Scenario files, the simulator's outputs, determinism, and truth consistency: each
shipped truth event really is what the detector definitions (DESIGN.md §7) say, computed
from the generated ground-truth tracks and an independent rough geography."""

from __future__ import annotations

import re
import textwrap
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyais
import pytest

from seawatch import sim
from seawatch._exceptions import NotFoundError, ParameterError
from seawatch.sim import (
    NOAA_COLUMNS,
    Scenario,
    TruthEvent,
    load_scenario,
    overlap_ratio,
    parse_scenario,
    scenario_names,
    simulate,
    trajectories,
    vessel_tracks,
)
from seawatch.sim._track import haversine_m

from . import geo_check
from ._truth import truth_events as _events

NAMES = scenario_names()
SHORE_NM_POSITIVE = 40.0  # encounter/loitering positives: "far from land"
KN = 1852.0 / 3600.0


def _secs(sc: Scenario, t: datetime) -> float:
    return (t - sc.start).total_seconds()


def _grid(sc: Scenario, ev: TruthEvent, step_s: float = 60.0) -> np.ndarray:
    return np.arange(_secs(sc, ev.start), _secs(sc, ev.end), step_s)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, sim.SimulationResult]:
    out = tmp_path_factory.mktemp("scenarios")
    return {n: simulate(load_scenario(n), out / n) for n in NAMES}


# ------------------------------------------------------------------------------ the suite


def test_suite_has_the_required_cases() -> None:
    assert len(NAMES) >= 12
    pos: dict[str, int] = {}
    neg: dict[str, int] = {}
    for n in NAMES:
        t = load_scenario(n).truth
        assert t is not None
        for e in t.events:
            pos[e.type] = pos.get(e.type, 0) + 1
        for e in t.negatives:
            neg[e.type] = neg.get(e.type, 0) + 1
    for typ in ("encounter", "loitering", "gap", "port_visit", "zone_entry", "zone_exit"):
        assert pos.get(typ, 0) >= 1, typ
    for typ in ("encounter", "loitering", "gap"):
        assert neg.get(typ, 0) >= 1, typ
    # the detectors of the standoff work: each scored on >= 5 scenarios, positives and
    # near-miss negatives among them (their consistency: test_scenarios_identity.py)
    truths = [t for t in (load_scenario(n).truth for n in NAMES) if t is not None]
    for typ in ("interception", "spoofing", "identity_change", "watchlist_hit"):
        scored = [t for t in truths if typ in t.scored]
        assert len(scored) >= 5, (typ, [t.scenario for t in scored])
        assert sum(e.type == typ for t in scored for e in t.events) >= 3, typ
        assert sum(e.type == typ for t in scored for e in t.negatives) >= 3, typ


@pytest.mark.parametrize("name", NAMES)
def test_shipped_scenario_loads_and_builds(name: str) -> None:
    sc = load_scenario(name)
    assert sc.name == name and sc.description and sc.truth is not None
    tracks = trajectories(sc)
    for t in sc.truth.events + sc.truth.negatives:
        for m in t.vessels:
            st = tracks[m].at(_grid(sc, t, 600.0))
            assert not np.isnan(st.lat).any(), f"{name}: vessel {m} absent during {t.type}"


def test_format_block_in_the_docs_is_valid_toml() -> None:
    doc = sim.__doc__ or ""
    block = doc.split("Scenario format", 1)[1].split("Outputs of", 1)[0].split("::", 1)[1]
    data = tomllib.loads(textwrap.dedent(block))
    assert set(data) == {"scenario", "noise", "vessels", "truth", "negatives"}


# ------------------------------------------------------------------------------ parsing

BASE: dict[str, Any] = {
    "scenario": {"start": "2024-01-01T00:00:00Z", "duration_h": 2, "seed": 1},
    "vessels": [
        {"mmsi": 1, "lat": 10.0, "lon": -60.0, "legs": [{"kind": "hold", "duration_h": 2}]}
    ],
}


def _with(**changes: Any) -> dict[str, Any]:
    import copy

    d = copy.deepcopy(BASE)
    for k, v in changes.items():
        d[k] = v
    return d


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_with(bogus=1), "unknown key"),
        (_with(vessels=[]), "at least one"),
        (
            _with(vessels=[{"mmsi": 1, "lat": 1, "lon": 1, "legs": [{"kind": "fly"}]}]),
            "kind must be",
        ),
        (
            _with(
                vessels=[
                    {"mmsi": 1, "lat": 1, "lon": 1, "legs": [{"kind": "goto", "lat": 2, "lon": 2}]}
                ]
            ),
            "exactly one of speed_kn, arrive_h",
        ),
        (
            _with(
                vessels=[{"mmsi": 1, "lat": 1, "lon": 1, "legs": [{"kind": "hold", "speed": 1}]}]
            ),
            "unknown key",
        ),
        (_with(noise={"drop_prob": 2}), "probabilities"),
        (
            _with(
                truth=[{"type": "gap", "vessels": [5], "start_h": 0, "end_h": 1}],
            ),
            "unknown vessels",
        ),
        (
            {"scenario": {"start": "2024-01-01T00:00:00", "duration_h": 1}, "vessels": []},
            "time zone",
        ),
    ],
)
def test_invalid_scenarios_are_rejected(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        parse_scenario(doc)


def test_follow_cycle_is_rejected() -> None:
    doc = _with(
        vessels=[
            {
                "mmsi": 1,
                "lat": 1,
                "lon": 1,
                "legs": [{"kind": "follow", "target": 2, "duration_h": 1}],
            },
            {
                "mmsi": 2,
                "lat": 1,
                "lon": 1,
                "legs": [{"kind": "follow", "target": 1, "duration_h": 1}],
            },
        ]
    )
    with pytest.raises(ParameterError, match="cycle"):
        trajectories(parse_scenario(doc))


def test_unknown_scenario_name(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no scenario named"):
        load_scenario("no-such-scenario")
    with pytest.raises(NotFoundError):
        load_scenario(tmp_path / "missing.toml")


def test_scenario_from_a_path(tmp_path: Path) -> None:
    src = Path(sim.__file__).parent.parent / "data" / "scenarios" / "sts-offshore.toml"
    p = tmp_path / "mine.toml"
    p.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    sc = load_scenario(p)
    assert sc.name == "mine" and len(sc.vessels) == 2


# ------------------------------------------------------------------------------ kinematics


def test_legs_move_as_declared() -> None:
    doc = _with(
        scenario={"start": "2024-01-01T00:00:00Z", "duration_h": 10, "seed": 3},
        vessels=[
            {
                "mmsi": 1,
                "lat": 10.0,
                "lon": -60.0,
                "legs": [
                    {"kind": "course", "heading_deg": 90, "speed_kn": 10, "duration_h": 2},
                    {"kind": "goto", "lat": 10.5, "lon": -59.5, "arrive_h": 6},
                    {"kind": "hold", "duration_h": 1, "swing_m": 25},
                    {"kind": "drift", "duration_h": 2, "speed_kn": 0.5},
                ],
            },
            {
                "mmsi": 2,
                "lat": 10.0,
                "lon": -60.0,
                "legs": [
                    {
                        "kind": "follow",
                        "target": 1,
                        "distance_m": 200,
                        "bearing_deg": 0,
                        "until_h": 9,
                    }
                ],
            },
        ],
    )
    sc = parse_scenario(doc)
    tr = trajectories(sc)
    a = tr[1].at(np.array([0.0, 7200.0, 6 * 3600.0, 6.5 * 3600, 9 * 3600.0, 99 * 3600.0]))
    d = haversine_m(a.lat[:1], a.lon[:1], a.lat[1:2], a.lon[1:2])[0]
    assert d == pytest.approx(20 * 1852, rel=1e-3)  # 2 h at 10 kn
    assert a.lat[2] == pytest.approx(10.5, abs=1e-9) and a.lon[2] == pytest.approx(-59.5, abs=1e-9)
    hold = haversine_m(a.lat[2:3], a.lon[2:3], a.lat[3:4], a.lon[3:4])[0]
    assert hold <= 50.0 + 1e-6 and a.sog_kn[3] < 0.1 and a.nav_status[3] == 1
    assert np.isnan(a.lat[5])  # after the last leg the vessel is gone
    t = np.arange(0, 9 * 3600, 600.0)
    f, g = tr[2].at(t), tr[1].at(t)
    assert np.allclose(haversine_m(f.lat, f.lon, g.lat, g.lon), 200.0, atol=0.5)
    assert np.all(f.lat > g.lat)  # bearing 0: north of the target


# ------------------------------------------------------------------------------ outputs

LINE = re.compile(
    r"^\\(?P<tag>[^*\\]+)\*(?P<tsum>[0-9A-F]{2})\\(?P<body>!AIVDM,[^*]+)\*(?P<sum>[0-9A-F]{2})$"
)


def _xor(s: str) -> str:
    x = 0
    for c in s.encode():
        x ^= c
    return f"{x:02X}"


def test_nmea_lines_tag_blocks_duplicates_and_corruption(
    simulated: dict[str, sim.SimulationResult],
) -> None:
    res = simulated["encounter-noisy"]
    sc = load_scenario("encounter-noisy")
    mark, *lines = res.paths["nmea"].read_text(encoding="ascii").splitlines()
    assert mark.startswith("# seawatch-simulated scenario=encounter-noisy seed=")  # simulated
    assert len(lines) == res.n_lines  # AIS lines, after the mark
    bad_sum = 0
    by_body: dict[str, list[tuple[int, str]]] = {}
    times = []
    for ln in lines:
        m = LINE.match(ln)
        assert m, ln
        assert _xor(m["tag"]) == m["tsum"]
        tags = dict(kv.split(":", 1) for kv in m["tag"].split(","))
        assert tags["s"] in sc.stations
        times.append(int(tags["c"]))
        if _xor(m["body"][1:]) != m["sum"]:
            bad_sum += 1
        by_body.setdefault(m["body"], []).append((int(tags["c"]), tags["s"]))
    assert times == sorted(times)
    # corruption: ~1 % of lines, each with a failing checksum
    assert 0.003 * len(lines) < bad_sum < 0.03 * len(lines)
    # duplicates: the same sentence heard by another station 1-8 s later
    dups = [v for v in by_body.values() if len(v) == 2]
    assert len(dups) > 0.15 * len(by_body)
    for (t1, s1), (t2, s2) in dups:
        assert s1 != s2 and 1 <= t2 - t1 <= 8
    # multi-sentence groups: every fragment tagged with g:
    assert any("g:1-2-" in ln for ln in lines) and any("g:2-2-" in ln for ln in lines)


def test_nmea_decodes_with_pyais_to_the_reported_positions(
    simulated: dict[str, sim.SimulationResult],
) -> None:
    res = simulated["encounter-midnight"]  # class A and class B
    pos = res.positions.filter(res.positions["received"]).to_pylist()
    expected = {(r["mmsi"], int(r["ts"].timestamp())): r for r in pos}
    seen_types: set[int] = set()
    n_pos = 0
    pending: list[str] = []
    for ln in res.paths["nmea"].read_text(encoding="ascii").splitlines()[1:]:  # after the mark
        m = LINE.match(ln)
        assert m
        if _xor(m["body"][1:]) != m["sum"]:
            pending = []
            continue
        parts = m["body"].split(",")
        pending.append(m["body"])
        if parts[2] != parts[1]:
            continue
        msg: dict[str, Any] = pyais.decode(*pending).asdict()
        pending = []
        seen_types.add(int(msg["msg_type"]))
        if msg["msg_type"] in (1, 2, 3, 18):
            t = int(dict(kv.split(":", 1) for kv in m["tag"].split(","))["c"])
            key = (msg["mmsi"], t)
            if key not in expected:  # a duplicate: c: is a few seconds later
                continue
            r = expected[key]
            n_pos += 1
            assert msg["lat"] == pytest.approx(r["reported_lat"], abs=2e-6)
            assert msg["lon"] == pytest.approx(r["reported_lon"], abs=2e-6)
            assert msg["second"] == t % 60
    assert {1, 3, 5, 18, 24} <= seen_types
    assert n_pos >= 0.97 * len(expected)


def test_nmea_round_trips_through_seawatch_decoder(
    simulated: dict[str, sim.SimulationResult],
) -> None:
    ais = pytest.importorskip("seawatch.ais")
    res = simulated["encounter-noisy"]
    dec = ais.decode_bytes(res.paths["nmea"].read_bytes())
    pos = res.positions.filter(res.positions["received"]).to_pylist()
    expected = {(r["mmsi"], int(r["ts"].timestamp())): r for r in pos}
    got: dict[tuple[int, int], dict[str, Any]] = {}
    for r in dec.positions.to_pylist():
        got.setdefault((r["mmsi"], int(r["ts"].timestamp())), r)
    common = set(got) & set(expected)
    assert len(common) >= 0.97 * len(expected)
    for k in common:
        assert got[k]["lat"] == pytest.approx(expected[k]["reported_lat"], abs=2e-6)
        assert got[k]["lon"] == pytest.approx(expected[k]["reported_lon"], abs=2e-6)
    reasons = set(dec.rejects.column("reason").to_pylist())
    # "empty": the simulated mark on line 1 reads as a comment
    assert "checksum" in reasons and reasons <= {"checksum", "orphan_fragment", "empty"}
    empty = [r for r in dec.rejects.to_pylist() if r["reason"] == "empty"]
    assert [r["line_no"] for r in empty] == [1]
    names = {r["mmsi"]: r["name"] for r in dec.statics.to_pylist() if r["name"]}
    assert names == {636023377: "STELLA MARIS", 312447000: "MARLIN"}


def test_noaa_csv(simulated: dict[str, sim.SimulationResult]) -> None:
    res = simulated["encounter-midnight"]
    mark, *text = res.paths["csv"].read_text(encoding="ascii").splitlines()
    assert mark.startswith("# seawatch-simulated scenario=encounter-midnight")
    assert text[0].split(",") == list(NOAA_COLUMNS)
    rows = [r.split(",") for r in text[1:]]
    assert len(rows) == int(np.sum(res.positions["received"].to_numpy()))
    assert all(len(r) == len(NOAA_COLUMNS) for r in rows)
    assert {r[-1] for r in rows} == {"A", "B"}
    a = next(r for r in rows if r[0] == "341774000")
    assert a[7] == "FROST CARRIER" and a[8] == "IMO9133874" and a[10] == "70"
    b = next(r for r in rows if r[0] == "725001372")
    assert b[11] == "" and b[-1] == "B"  # class B: no navigational status
    sources = pytest.importorskip("seawatch.sources")
    assert sources.detect_format(res.paths["csv"]) == "noaa_csv"


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    sc = load_scenario("encounter-noisy")
    a = simulate(sc, tmp_path / "a")
    b = simulate(sc, tmp_path / "b")
    for key in ("nmea", "csv", "truth"):
        assert a.paths[key].read_bytes() == b.paths[key].read_bytes()
    import dataclasses

    c = simulate(dataclasses.replace(sc, seed=sc.seed + 1), tmp_path / "c")
    assert c.paths["nmea"].read_bytes() != a.paths["nmea"].read_bytes()


def test_silent_windows_and_drops(simulated: dict[str, sim.SimulationResult]) -> None:
    res = simulated["gap-offshore"]
    sc = load_scenario("gap-offshore")
    rows = res.positions.to_pylist()
    ts = np.array([(r["ts"] - sc.start).total_seconds() for r in rows])
    silent = np.array([r["mmsi"] == 511100482 for r in rows])  # the witness keeps reporting
    assert not np.any(silent & (ts > 14 * 3600) & (ts < 32 * 3600))
    assert np.any(~silent & (ts > 14 * 3600) & (ts < 32 * 3600))
    received = res.positions["received"].to_numpy()
    assert 0.02 < 1 - received.mean() < 0.09  # drop_prob 0.05


# ------------------------------------------------------------------------------ truth


def _pair_state(sc: Scenario, ev: TruthEvent, step_s: float = 60.0) -> tuple[Any, Any, np.ndarray]:
    tr = trajectories(sc)
    t = _grid(sc, ev, step_s)
    a, b = (tr[m].at(t) for m in ev.vessels[:2])
    return a, b, haversine_m(a.lat, a.lon, b.lat, b.lon)


@pytest.mark.parametrize(("name", "i"), _events("encounter"))
def test_truth_encounters_are_close_slow_long_and_offshore(
    name: str, i: int, shared_data: Path
) -> None:
    sc = load_scenario(name)
    assert sc.truth is not None
    ev = sc.truth.events[i]
    assert (ev.end - ev.start).total_seconds() >= 2 * 3600
    tr = trajectories(sc)
    t = _grid(sc, ev)
    states = [tr[m].at(t) for m in ev.vessels]
    for j in range(len(states)):
        assert np.all(states[j].sog_kn < 2.0)
        for k in range(j + 1, len(states)):
            d = haversine_m(states[j].lat, states[j].lon, states[k].lat, states[k].lon)
            assert d.max() < 500.0 - 4 * sc.noise.jitter_m
    mid = len(t) // 2
    lat, lon = float(states[0].lat[mid]), float(states[0].lon[mid])
    assert geo_check.dist_to_land_nm(shared_data, lat, lon) >= SHORE_NM_POSITIVE
    assert geo_check.nearest_port_km(shared_data, lat, lon) >= 20.0


def test_tile_edge_encounter_straddles_cells() -> None:
    sc = load_scenario("encounter-tile-edge")
    assert sc.truth is not None
    a, b, _ = _pair_state(sc, sc.truth.events[0])
    assert np.all(a.lat < 13.0) and np.all(b.lat > 13.0)
    assert np.all(a.lon < -66.0) and np.all(b.lon > -66.0)


def test_midnight_encounter_spans_midnight() -> None:
    sc = load_scenario("encounter-midnight")
    assert sc.truth is not None
    ev = sc.truth.events[0]
    assert ev.start.date() != ev.end.date()


@pytest.mark.parametrize(("name", "i"), _events("encounter", negatives=True))
def test_encounter_negatives_break_a_rule(name: str, i: int, shared_data: Path) -> None:
    """Each negative encounter fails the definition: never 2 h of consecutive minutes
    both within 500 m and both < 2 kn, or it lies within 10 km of a port/anchorage."""
    sc = load_scenario(name)
    assert sc.truth is not None
    ev = sc.truth.negatives[i]
    a, b, d = _pair_state(sc, ev)
    assert d.min() < 500.0  # a near miss: they do come close
    ok = (d < 500.0) & (a.sog_kn < 2.0) & (b.sog_kn < 2.0)
    longest, run = 0, 0
    for x in ok:
        run = run + 1 if x else 0
        longest = max(longest, run)
    if longest >= 120:
        k = int(np.flatnonzero(ok)[0])
        near = geo_check.nearest_port_km(shared_data, float(a.lat[k]), float(a.lon[k]))
        assert near < 10.0, f"{name}: slow and close for {longest} min, {near:.1f} km from port"


@pytest.mark.parametrize(("name", "i"), _events("loitering"))
def test_truth_loitering_is_slow_long_and_offshore(name: str, i: int, shared_data: Path) -> None:
    sc = load_scenario(name)
    assert sc.truth is not None
    ev = sc.truth.events[i]
    st = trajectories(sc)[ev.vessels[0]].at(_grid(sc, ev, 1800.0))
    assert (ev.end - ev.start).total_seconds() >= 4 * 3600 and np.all(st.sog_kn < 2.0)
    for lat, lon in zip(st.lat, st.lon, strict=True):
        assert geo_check.dist_to_land_nm(shared_data, lat, lon) >= SHORE_NM_POSITIVE


def test_slow_near_coast_is_slow_but_close_to_shore(shared_data: Path) -> None:
    sc = load_scenario("slow-near-coast")
    assert sc.truth is not None
    ev = sc.truth.negatives[0]
    st = trajectories(sc)[ev.vessels[0]].at(_grid(sc, ev, 1800.0))
    assert (ev.end - ev.start).total_seconds() >= 4 * 3600 and np.all(st.sog_kn < 2.0)
    dists = [
        geo_check.dist_to_land_nm(shared_data, a, b) for a, b in zip(st.lat, st.lon, strict=True)
    ]
    assert min(dists) > 3.0 and max(dists) < 20.0
    assert (
        min(
            geo_check.nearest_port_km(shared_data, a, b)
            for a, b in zip(st.lat, st.lon, strict=True)
        )
        > 15
    )


@pytest.mark.parametrize("name", ["gap-offshore", "gap-below-threshold"])
def test_gaps_are_silences_of_the_declared_length(
    name: str, simulated: dict[str, sim.SimulationResult], shared_data: Path
) -> None:
    sc = load_scenario(name)
    assert sc.truth is not None
    ev = (sc.truth.events + sc.truth.negatives)[0]
    pos = simulated[name].positions
    ts = np.array([(t - sc.start).total_seconds() for t in pos["ts"].to_pylist()])
    before = ts[ts <= _secs(sc, ev.start)].max()
    after = ts[ts >= _secs(sc, ev.end)].min()
    gap_h = (after - before) / 3600
    if ev in sc.truth.events:
        assert gap_h >= 12.0
        i = int(np.argmax(ts == before))
        lat, lon = pos["lat"][i].as_py(), pos["lon"][i].as_py()
        assert geo_check.dist_to_land_nm(shared_data, lat, lon) > 60.0
        assert np.sum((ts > before - 12 * 3600) & (ts <= before)) >= 14
    else:
        assert 11.0 < gap_h < 12.0


@pytest.mark.parametrize(("name", "i"), _events("port_visit"))
def test_truth_port_visits_match_the_port_radius_rule(name: str, i: int, shared_data: Path) -> None:
    """Entry within 3 km of a port/anchorage point, exit beyond 4 km (hysteresis)."""
    sc = load_scenario(name)
    assert sc.truth is not None
    ev = sc.truth.events[i]
    t = np.arange(0, sc.duration_h * 3600 + 1, 60.0)
    st = trajectories(sc)[ev.vessels[0]].at(t)
    ok = ~np.isnan(st.lat)
    dist = geo_check.nearest_port_km_many(shared_data, st.lat[ok], st.lon[ok])
    tt = t[ok]
    inside = np.flatnonzero(dist <= 3.0)
    start = tt[inside[0]]
    beyond = np.flatnonzero((dist > 4.0) & (tt > start))
    end = tt[beyond[0] - 1]
    assert overlap_ratio(ev.start, ev.end, sc.start + _td(start), sc.start + _td(end)) > 0.95
    assert abs(_secs(sc, ev.start) - start) < 600 and abs(_secs(sc, ev.end) - end) < 600


def _td(s: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=float(s))


def test_zone_crossings_are_at_12_nm(shared_data: Path) -> None:
    sc = load_scenario("zone-entry-ve")
    assert sc.truth is not None
    st = trajectories(sc)[sc.vessels[0].mmsi]
    for ev in sc.truth.events:
        if ev.type == "zone_visit":
            continue
        s = st.at(np.array([_secs(sc, ev.start) - 300, _secs(sc, ev.start) + 300]))
        d = [
            geo_check.dist_to_land_nm(shared_data, a, b) for a, b in zip(s.lat, s.lon, strict=True)
        ]
        if ev.type == "zone_entry":
            assert d[0] > 12.0 > d[1]
        else:
            assert d[0] < 12.0 < d[1]


@pytest.mark.parametrize("name", NAMES)
def test_tracks_stay_at_sea(name: str, shared_data: Path) -> None:
    sc = load_scenario(name)
    for tr in vessel_tracks(sc):  # every vessel, clones sharing an MMSI included
        t = np.arange(tr.t_start, tr.t_end, 1800.0)
        st = tr.at(t)
        for a, b in zip(st.lat, st.lon, strict=True):
            m = tr.vessel.mmsi
            assert geo_check.dist_to_land_nm(shared_data, a, b) > 0.3, f"{name} {m} near land"
