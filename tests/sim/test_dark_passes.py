"""Satellite passes in the simulator and the dark-vessel evaluation (issue #11 §3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from seawatch._exceptions import ParameterError
from seawatch.cli import app
from seawatch.pipeline import run_dark_suite
from seawatch.sim import (
    auto_passes,
    load_scenario,
    parse_scenario,
    satellite_passes,
    score_dark,
    simulate,
)


def test_passes_are_deterministic_and_truthful(tmp_path: Path) -> None:
    sc = load_scenario("dark-pass-shadow-fleet")
    a = satellite_passes(sc, tmp_path / "a")
    b = satellite_passes(sc, tmp_path / "b")
    assert a.paths["detections"].read_bytes() == b.paths["detections"].read_bytes()
    kinds = {t["kind"] for t in a.truth}
    assert {"ais", "dark", "spoof", "clutter"} <= kinds
    spoof = [t for t in a.truth if t["kind"] == "spoof"]
    assert spoof and all(t["mmsi"] == 352001903 and t["broadcast_in_footprint"] for t in spoof)
    fp = json.loads(a.paths["footprints"].read_text())
    assert len(fp["features"]) == a.n_scenes == 2


def test_truth_carries_hours_to_the_nearest_received_fix(tmp_path: Path) -> None:
    sc = load_scenario("dark-pass-went-dark")
    sim = simulate(sc, tmp_path, write_csv=False)
    res = satellite_passes(sc, tmp_path, positions=sim.positions)
    by_mmsi = {t["mmsi"]: t for t in res.truth}
    assert by_mmsi[636021821]["fix_before_h"] == pytest.approx(0.5, abs=0.05)
    assert by_mmsi[636021822]["fix_before_h"] == pytest.approx(5.0, abs=0.05)
    after = by_mmsi[636021822]["fix_after_h"]
    assert after is None or after >= 5.9  # silent until the scenario ends


def test_pass_table_is_validated() -> None:
    base = {
        "scenario": {"start": "2025-01-01T00:00:00Z", "duration_h": 5},
        "vessels": [
            {
                "mmsi": 111111111,
                "lat": 1.0,
                "lon": 1.0,
                "legs": [{"kind": "course", "heading_deg": 0, "speed_kn": 5, "duration_h": 5}],
            }
        ],
    }
    with pytest.raises(ParameterError, match="at_h"):
        parse_scenario({**base, "passes": [{"at_h": 9}]})
    with pytest.raises(ParameterError, match="footprint"):
        parse_scenario({**base, "passes": [{"at_h": 1, "footprint": [2, 2, 1, 1]}]})
    with pytest.raises(ParameterError):
        parse_scenario({**base, "passes": [{"at_h": 1, "colour": "red"}]})
    assert len(auto_passes(parse_scenario(base), 3)) == 3


def test_score_dark_counts_each_outcome() -> None:
    truth: list[dict[str, Any]] = [
        {"detection_id": "a", "kind": "ais", "mmsi": 1},
        {"detection_id": "b", "kind": "dark", "mmsi": 2, "fix_before_h": 6.0},
        {"detection_id": "c", "kind": "dark", "mmsi": 3, "fix_before_h": 0.5},
        {"detection_id": "d", "kind": "spoof", "mmsi": 4, "broadcast_in_footprint": True},
        {"detection_id": "e", "kind": "clutter", "mmsi": None},
    ]

    def ev(type_: str, did: str, vessels: list[int]) -> dict[str, object]:
        return {"type": type_, "vessels": vessels, "details": {"detection_id": did}}

    events = [
        ev("detected_by", "a", [1]),
        ev("dark_detection", "b", []),
        ev("detected_by", "c", [9]),  # wrong vessel
        ev("dark_detection", "d", []),
        ev("ais_mismatch", "d", [4]),
        ev("dark_detection", "e", []),
    ]
    s = score_dark(events, truth, window_h=3.0)
    assert (s.matching.tp, s.matching.fp, s.matching.fn) == (1, 1, 1)
    assert (s.dark.tp, s.dark.fp, s.dark.fn) == (2, 1, 0)
    assert (s.mismatch.tp, s.mismatch.fp, s.mismatch.fn) == (1, 0, 0)
    assert s.clutter_reported_dark == 1


def test_near_misses_under_both_presets(tmp_path: Path) -> None:
    res = run_dark_suite(
        ["dark-pass-fast-2h", "dark-pass-close-pair", "dark-pass-outside-footprint"],
        workdir=tmp_path,
    )
    got = {(s, p): ev for s, p, ev in res.per_scenario}
    # a 25 kn vessel 2 h after its last fix: the default's spread matches it, 1.5 km does not
    assert got[("dark-pass-fast-2h", "default")].matching.tp == 1
    assert got[("dark-pass-fast-2h", "simple")].matching.fn == 1
    # two vessels 400 m apart: each detection to its own vessel
    pair = got[("dark-pass-close-pair", "default")].matching
    assert (pair.tp, pair.fp) == (2, 0)
    # a detection outside its footprint never reaches the store
    assert got[("dark-pass-outside-footprint", "default")].outside_stored == 0


def test_cli_simulate_satellite_passes(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["simulate", "gap-offshore", "--out", str(tmp_path), "--satellite-passes", "2"]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "detections.csv").is_file()
    truth = json.loads((tmp_path / "detections_truth.json").read_text())
    assert {t["scene_id"] for t in truth["detections"]} == {
        "gap-offshore-pass1",
        "gap-offshore-pass2",
    }
