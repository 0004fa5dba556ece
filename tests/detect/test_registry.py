"""The detector registry's shared steps: slots, the pair search, the finishing steps."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pyarrow as pa
import pytest

from seawatch._exceptions import ParameterError
from seawatch._units import US_PER_H
from seawatch.detect import (
    PRESETS,
    EncounterParams,
    InterceptionParams,
    build_events,
    detector_types,
    fill_region,
    finish_events,
    pair_search,
    pair_slot_params,
    resolve_only,
)
from seawatch.detect.interceptions import halo_us
from seawatch.detect.loitering import with_encounter
from tests.detect.conftest import WORLD

H0 = 1_700_000_000_000_000  # microseconds


def _events(type_: str, rows: list[tuple[int, float, float]]) -> pa.Table:
    """``(mmsi, start_h, end_h)`` rows as events of ``type_`` at (12, 1) with no region."""
    return build_events(
        types=type_,
        start_us=[H0 + round(s * US_PER_H) for _, s, _ in rows],
        end_us=[H0 + round(e * US_PER_H) for _, _, e in rows],
        vessels=[[m, 999] if type_ == "encounter" else [m] for m, _, _ in rows],
        lat=[12.0] * len(rows),
        lon=[1.0] * len(rows),
        details=["{}"] * len(rows),
    )


class _Inputs:
    def __init__(self, encounters: pa.Table) -> None:
        self._encounters = encounters
        self.asked: list[str] = []

    def statics(self) -> pa.Table:
        raise AssertionError("not needed")

    def roles(self) -> pa.Table:
        raise AssertionError("not needed")

    def vessels(self) -> pa.Table | None:
        return None

    def store_root(self) -> Path | None:
        return None

    def events(self, detector: str) -> pa.Table:
        self.asked.append(detector)
        return self._encounters


def test_pair_steps_share_slots_and_one_search() -> None:
    params = dict(PRESETS["default"])
    both = ("encounter", "interception")
    slots = pair_slot_params(both, params)
    assert slots is not None and slots.slot_min == 10.0
    assert slots.max_gap_h == params["encounter"].max_interp_gap_h  # the first sets the rest
    assert pair_slot_params(("gap", "loitering"), params) is None
    assert pair_search(("gap",), params) is None
    wide = InterceptionParams(close_dist_m=3000.0)
    search = pair_search(both, {**params, "interception": wide})
    assert search is not None and search.max_dist_m == 3000.0
    only_icp = pair_search(("interception",), {"interception": wide})
    assert only_icp is not None
    assert only_icp.params == dataclasses.replace(EncounterParams(), max_dist_m=3000.0)
    odd = {**params, "interception": InterceptionParams(slot_min=5.0)}
    with pytest.raises(
        ParameterError, match="encounter and interception parameters use different slot_min"
    ):
        pair_slot_params(both, odd)


def test_interception_halo_covers_approach_diversion_and_dark() -> None:
    p = InterceptionParams()
    hours = p.approach_window_h + p.after_window_h + p.dark_min_h + 1.0
    assert halo_us(p) == round(hours * US_PER_H)
    assert halo_us(dataclasses.replace(p, approach_window_h=p.approach_window_h + 2)) == (
        halo_us(p) + 2 * US_PER_H
    )


def test_with_encounter_lists_the_overlapping_encounters() -> None:
    loit = _events("loitering", [(1, 0.0, 5.0), (2, 0.0, 1.0)])
    enc = _events("encounter", [(1, 4.0, 8.0), (1, 5.0, 6.0), (1, 6.0, 9.0), (2, 1.5, 3.0)])
    out = with_encounter(pa.concat_tables([loit, enc]), enc)
    by_vessel = {
        r["vessels"][0]: json.loads(r["details"])["with_encounter"]
        for r in out.to_pylist()
        if r["type"] == "loitering"
    }
    ids = enc.column("event_id").to_pylist()
    starts = enc.column("start").to_pylist()
    first, touching = (ids[starts.index(s)] for s in sorted(starts)[1:3])
    # vessel 1 loiters 0-5 h: the encounters starting at 4 h and at 5 h overlap (touching
    # counts), the one from 6 h does not; vessel 2's encounter starts after its loitering
    assert by_vessel[1] == sorted([first, touching])
    assert by_vessel[2] == []
    # other events are left alone
    kept = [r for r in out.to_pylist() if r["type"] == "encounter"]
    assert kept == enc.to_pylist()


def test_finish_events_runs_the_selected_steps_then_fills_regions() -> None:
    loit = _events("loitering", [(1, 0.0, 5.0)])
    enc = _events("encounter", [(1, 1.0, 2.0)])
    inputs = _Inputs(enc)
    done = finish_events(loit, ("loitering",), inputs=inputs, geo=WORLD)
    assert inputs.asked == ["encounter"]
    row = done.to_pylist()[0]
    assert json.loads(row["details"])["with_encounter"] == enc.column("event_id").to_pylist()
    assert row["region"] == "north"  # WORLD's region box north of 11.5
    untouched = finish_events(loit, ("gap",), inputs=_Inputs(enc), geo=WORLD)
    assert json.loads(untouched.to_pylist()[0]["details"]) == {}
    assert fill_region(loit.slice(0, 0), WORLD).num_rows == 0


def test_only_accepts_detector_ids_and_event_types() -> None:
    assert resolve_only("zone_visit,gap") == ("gap", "zone")
    assert detector_types(("zone", "dark")) == (
        "zone_entry",
        "zone_exit",
        "zone_visit",
        "detected_by",
        "dark_detection",
        "ais_mismatch",
        "unidentified_detection",
    )
    with pytest.raises(ParameterError, match="unknown detector or event type 'gaps'"):
        resolve_only(["gaps"])
