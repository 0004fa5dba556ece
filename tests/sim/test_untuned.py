"""Situations nobody tuned the detectors for: the shipped scenarios with their noise drawn
again (other seeds) and moved to other oceans (:func:`seawatch.sim.relocate`). Each case
below was wrong before the eleventh session (CHANGELOG): a gap at 69°N called a coverage
hole, an honest 40-knot warship called spoofing, a typo corrected two minutes later called
a rename; a port call counted once per stale copy's track (twelfth session)."""

from __future__ import annotations

import dataclasses
import math

import pytest
from typer.testing import CliRunner

from seawatch._exceptions import ParameterError
from seawatch.cli import app
from seawatch.geo import haversine_m
from seawatch.pipeline import run_suite
from seawatch.sim import RELAY_STATION, load_scenario, relay_late, relocate, sparse_reports

pytest.importorskip("seawatch.engine")


def _failures(result: object) -> list[str]:
    out = []
    for name, ev in result.per_scenario:  # type: ignore[attr-defined]
        if not ev.perfect:
            out += [f"{name}: missed {t.type} {list(t.vessels)}" for t in ev.missed]
            out += [f"{name}: false {d.type} {list(d.vessels)}" for d in ev.false_positives]
    return out


def test_relocate_keeps_the_geometry_in_metres() -> None:
    sc = load_scenario("sts-offshore")
    moved = relocate(sc, 69.0, 2.0)
    assert moved.name == "sts-offshore@69N2E"
    (a, b), (c, d) = sc.vessels, moved.vessels
    before = float(haversine_m(a.lat, a.lon, b.lat, b.lon))
    after = float(haversine_m(c.lat, c.lon, d.lat, d.lon))
    assert after == pytest.approx(before, rel=0.01)
    assert (c.lat + d.lat) / 2 == pytest.approx(69.0)
    goto = next(leg for leg in c.legs if leg.kind == "goto")
    assert goto.lat is not None and 68.0 < goto.lat < 70.0
    assert sc.seed == moved.seed and sc.truth == moved.truth  # noise and truth unchanged
    west = relocate(sc, -30.0, -179.99)
    assert west.name == "sts-offshore@30S179.99W"
    assert all(-180.0 <= v.lon < 180.0 for v in west.vessels)
    assert any(v.lon > 170.0 for v in west.vessels)  # wrapped across the antimeridian


def test_relocate_refuses_what_is_not_a_place() -> None:
    sc = load_scenario("sts-offshore")
    for lat, lon in ((90.0, 0.0), (0.0, 181.0), (math.nan, 0.0)):
        with pytest.raises(ParameterError):
            relocate(sc, lat, lon)
    wide = dataclasses.replace(sc.vessels[0], lat=sc.vessels[0].lat + 3.0)
    with pytest.raises(ParameterError, match="latitude"):
        relocate(dataclasses.replace(sc, vessels=(wide, sc.vessels[1])), 88.5, 0.0)


def test_offshore_scenarios_hold_at_high_latitude_and_the_antimeridian() -> None:
    names = ["gap-offshore", "sts-offshore", "loitering-offshore"]
    bad = []
    for at in ((69.0, 2.0), (35.0, 179.97)):
        bad += _failures(run_suite(names, at=at, all_detectors=False))
    assert bad == []


def test_negative_scenarios_hold_whatever_the_noise() -> None:
    """Scenarios of near misses must give nothing for any draw of their noise, not only for
    the seed they ship with."""
    result = run_suite(
        ["spoofing-fast-craft", "identity-static-noise"], seeds=[1, 2, 3, 4, 5], all_detectors=False
    )
    assert len(result.per_scenario) == 10
    assert [n for n, _ in result.per_scenario][:2] == [
        "spoofing-fast-craft#1",
        "spoofing-fast-craft#2",
    ]
    assert _failures(result) == []


def test_relay_late_adds_a_late_feed() -> None:
    one = load_scenario("convoy-at-speed")
    assert len(one.stations) == 1
    late = relay_late(one, 300, 600)
    assert late.name == "convoy-at-speed~300-600s"
    assert late.stations == (*one.stations, RELAY_STATION)
    assert late.noise.duplicate_prob == 0.4 and late.noise.duplicate_delay_s == (300, 600)
    assert late.vessels == one.vessels and late.truth == one.truth and late.seed == one.seed
    two = load_scenario("moored-in-port")
    assert relay_late(two, 20, 40, share=0.1).stations == two.stations
    assert relay_late(two, 20, 40, share=1.0).name == "moored-in-port~20-40s,100%"
    for lo, hi, share in ((-1, 5, 0.4), (60, 30, 0.4), (1, 2, 1.5)):
        with pytest.raises(ParameterError):
            relay_late(one, lo, hi, share)


def test_late_relays_of_lost_reports_do_not_split_a_port_call() -> None:
    """A feed relaying 40 % of the messages 5-10 minutes late, where the primary receiver
    lost some originals: each port call counted once, not once per stale copy's track."""
    result = run_suite(["moored-in-port"], relays=(300, 600), seeds=[1, 2], all_detectors=False)
    assert [n for n, _ in result.per_scenario] == [
        "moored-in-port~300-600s#1",
        "moored-in-port~300-600s#2",
    ]
    assert _failures(result) == []


def test_a_late_copy_of_the_last_report_does_not_make_a_second_loiterer() -> None:
    """A single receiver and a feed relaying 40 % of the messages 2 minutes late: a copy
    of the vessel's last report, arriving before its next one, made a second track and a
    second loitering event for one drift."""
    result = run_suite(["loitering-offshore"], relays=(110, 130), seeds=[2], all_detectors=False)
    assert _failures(result) == []


def test_sparse_reports_thins_every_vessel() -> None:
    sc = load_scenario("interception-diverted")
    thin = sparse_reports(sc, 3600)
    assert thin.name == "interception-diverted^3600s"
    assert thin.truth == sc.truth and thin.seed == sc.seed and thin.noise == sc.noise
    for v in thin.vessels:
        assert v.position_interval_s >= 3600 and v.at_rest_interval_s >= 3600
        assert all(leg.interval_s is None or leg.interval_s >= 3600 for leg in v.legs)
    for bad in (0, 86_401):
        with pytest.raises(ParameterError):
            sparse_reports(sc, bad)


def test_a_transfer_heard_once_an_hour_is_still_found() -> None:
    """Satellite AIS on the high seas hears a drifting tanker once an hour or less: with no
    interpolation across gaps of 1 h or more, a 3-hour ship-to-ship transfer had no slot
    and was missed (as GFW's rule does); the gfw preset keeps that rule."""
    result = run_suite(["sts-offshore"], report_every=3600, seeds=[1], all_detectors=False)
    assert [n for n, _ in result.per_scenario] == ["sts-offshore^3600s#1"]
    assert _failures(result) == []
    gfw = run_suite(
        ["sts-offshore"], report_every=3600, seeds=[1], all_detectors=False, preset="gfw"
    )
    assert _failures(gfw) == ["sts-offshore^3600s#1: missed encounter [352004871, 636021457]"]


def test_cli_seeds_and_at() -> None:
    runner = CliRunner()
    for args in (
        ["evaluate", "--suite", "--seeds", "one"],
        ["evaluate", "--suite", "--seeds", "-1"],
        ["evaluate", "--suite", "--seeds", "1-99999999999"],  # refused before it is built
        ["evaluate", "--suite", "--at", "north"],
        ["evaluate", "--suite", "--at", "nan,0"],
        ["evaluate", "--seeds", "1"],  # without --suite
        ["evaluate", "--suite", "--seeds", "1", "--out", "x.md"],
        ["evaluate", "--suite", "--relays", "ten"],
        ["evaluate", "--suite", "--relays", "600-300"],
        ["evaluate", "--relays", "300-600"],  # without --suite
        ["evaluate", "--suite", "--relays", "30", "--degrade"],
        ["evaluate", "--suite", "--relays", "30", "--relay-share", "1.5"],
        ["evaluate", "--suite", "--relay-share", "1"],  # without --relays
        ["evaluate", "--suite", "--report-every", "0"],
        ["evaluate", "--report-every", "3600"],  # without --suite
    ):
        out = runner.invoke(app, args)
        assert out.exit_code == 1, (args, out.output)
        assert "Traceback" not in out.output
    out = runner.invoke(
        app,
        ["evaluate", "--suite", "--scenario", "gap-offshore", "--seeds", "7", "--at", "69,2",
         "--scored-only", "--format", "json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert '"gap-offshore@69N2E#7"' in out.stdout
