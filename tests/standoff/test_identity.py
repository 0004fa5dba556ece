"""identity_change on hand-built statics: a genuine rename found once, trivial changes and
placeholders ignored, flapping, call sign/type/IMO changes, an IMO under two MMSIs."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from seawatch.detect.identity_changes import IdentityParams, identity_changes
from seawatch.schema import EVENTS
from tests.standoff.conftest import legs, positions, statics

M1, M2, M3 = 366_000_001, 636_000_002, 775_000_003
IMO = 9_187_629  # valid check digit


def run(rows: list[dict[str, Any]], **kw: Any) -> list[dict[str, Any]]:
    ev = identity_changes(statics(rows), **kw)
    assert ev.schema == EVENTS
    out: list[dict[str, Any]] = ev.to_pylist()
    for e in out:
        e["d"] = json.loads(e["details"])
    return out


def reports(mmsi: int, hours: list[float], **fields: Any) -> list[dict[str, Any]]:
    return [{"mmsi": mmsi, "h": h, **fields} for h in hours]


def test_genuine_rename_is_found_once() -> None:
    rows = reports(M1, [0, 1, 2, 3], name="SEA STAR", imo=IMO, callsign="WXY1", ship_type=80)
    rows += reports(
        M1, [10, 11, 12, 13, 14], name="OCEAN GLORY", imo=IMO, callsign="WXY1", ship_type=80
    )
    ev = run(rows)
    assert len(ev) == 1
    d = ev[0]["d"]
    assert (d["field"], d["old"], d["new"]) == ("name", "SEA STAR", "OCEAN GLORY")
    assert d["n_transitions"] == 1 and d["reverted"] is False
    assert ev[0]["start"].hour == 3 and ev[0]["end"].hour == 10
    assert ev[0]["vessels"] == [M1]
    assert ev[0]["confidence"] == pytest.approx(0.9)
    assert d["params"]["min_reports"] == 2


def test_whitespace_case_padding_and_placeholders_are_not_changes() -> None:
    rows = reports(M1, [0, 1], name="Sea Star", callsign="wxy1", ship_type=80)
    rows += reports(M1, [2, 3], name="SEA  STAR@@@", callsign="WXY 1", ship_type=84)  # hazard class
    rows += reports(M1, [4, 5], name="", callsign=None, ship_type=0, imo=0)
    rows += reports(M1, [6, 7], name="UNKNOWN", callsign="0", imo=1_234_560)  # bad check digit
    rows += reports(M1, [8, 9], name=str(M1))
    assert run(rows) == []


def test_one_garbled_report_is_not_a_rename() -> None:
    rows = reports(M1, [0, 1, 2], name="SEA STAR")
    rows += reports(M1, [2.5], name="SEA SQAR")
    rows += reports(M1, [3, 4], name="SEA STAR")
    assert run(rows) == []
    assert len(run(rows, params=IdentityParams(min_reports=1))) == 2  # there and back


def test_a_mistyped_name_sent_twice_then_corrected_is_not_a_rename() -> None:
    # a simulated officer's typo (scenario identity-static-noise, seeds 2 and 3) went out in
    # two broadcasts a minute apart before the correction: held two minutes, one run
    rows = reports(M1, [0, 1, 2], name="CARIBBEAN TRADER")
    rows += reports(M1, [2.5, 2.516], name="CARIBBEAN TRAEDR")
    rows += reports(M1, [2.533, 3, 4], name="CARIBBEAN TRADER")
    assert run(rows) == []
    # held past min_hold_h, or coming back in a second run, it is a change
    held = [r if r["name"] != "CARIBBEAN TRAEDR" else {**r, "h": r["h"] - 1.5} for r in rows]
    assert [e["d"]["new"] for e in run(held)] == ["CARIBBEAN TRAEDR", "CARIBBEAN TRADER"]
    again = rows + reports(M1, [5, 5.02], name="CARIBBEAN TRAEDR") + reports(M1, [5.1], name="X")
    assert {e["d"]["new"] for e in run(again)} >= {"CARIBBEAN TRAEDR"}
    # a feed relaying a copy of the typo five minutes late, after the correction: a second
    # run of it, but all within minutes of the first (relay delays 110-600 s, seeds 1-2)
    relayed = (
        rows
        + reports(M1, [2.6], name="CARIBBEAN TRAEDR")
        + reports(M1, [2.62], name=("CARIBBEAN TRADER"))
    )
    assert run(relayed) == []


def test_the_old_name_relayed_late_after_a_rename_is_not_a_reversal() -> None:
    """Every static relayed again 5-10 minutes late (a second feed stamping on arrival):
    after the rename at 5:00, the copies of the old name's last reports keep arriving
    until 5:10, between the new name's. One rename, not a rename and its reversal."""
    old = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    rows = reports(M1, [4 + h for h in old], name="SEA STAR", callsign="WXY1")
    rows += reports(M1, [5 + h / 10 for h in old] + [6, 7], name="OCEAN GLORY", callsign="WXY2")
    copies = [4.8 + 0.12, 4.9 + 0.12, 4.9 + 0.16]  # 7-10 minutes late, between 5:00 and 5:10
    rows += reports(M1, copies, name="SEA STAR", callsign="WXY1")
    ev = run(rows)
    assert sorted((e["d"]["field"], e["d"]["old"], e["d"]["new"]) for e in ev) == [
        ("callsign", "WXY1", "WXY2"),
        ("name", "SEA STAR", "OCEAN GLORY"),
    ]
    assert not any(e["d"]["reverted"] for e in ev)
    # the same reports taken one by one (min_reports 1): there and back
    assert len(run(rows, params=IdentityParams(min_reports=1))) == 4


def test_flapping_between_two_names_is_one_event_each_way() -> None:
    rows: list[dict[str, Any]] = []
    for k in range(6):
        rows += reports(M1, [2 * k, 2 * k + 0.5], name="ALPHA" if k % 2 == 0 else "BRAVO")
    ev = run(rows)
    assert [(e["d"]["old"], e["d"]["new"]) for e in ev] == [("ALPHA", "BRAVO"), ("BRAVO", "ALPHA")]
    assert [e["d"]["n_transitions"] for e in ev] == [3, 2]
    assert all(e["d"]["reverted"] for e in ev)
    assert all(e["confidence"] == pytest.approx(0.5) for e in ev)


def test_callsign_type_and_imo_changes() -> None:
    rows = reports(M1, [0, 1], name="X RAY", callsign="WXY1", ship_type=70, imo=IMO)
    rows += reports(M1, [5, 6], name="X RAY", callsign="D5AB7", ship_type=80, imo=9_074_729)
    ev = run(rows)
    assert sorted(e["d"]["field"] for e in ev) == ["callsign", "imo", "ship_type"]
    by = {e["d"]["field"]: e["d"] for e in ev}
    assert (by["ship_type"]["old"], by["ship_type"]["new"]) == (70, 80)
    assert (by["imo"]["old"], by["imo"]["new"]) == (IMO, 9_074_729)
    assert len({e["event_id"] for e in ev}) == 3  # same vessel and start: keyed by field


def test_imo_under_two_mmsis_with_a_new_flag() -> None:
    rows = reports(M1, [0, 1, 2], name="SEA STAR", imo=IMO)  # US
    rows += reports(M2, [30, 31], name="SEA STAR", imo=IMO)  # Liberia, after re-registration
    rows += reports(M3, [0.5, 1.5], name="OTHER", imo=9_074_729)  # unrelated
    ev = run(rows)
    assert len(ev) == 1
    d = ev[0]["d"]
    assert d["field"] == "imo_mmsi" and d["imo"] == IMO
    assert ev[0]["vessels"] == [M1, M2]
    assert d["flag_changed"] is True and d["flags"] == ["LR", "US"]
    assert d["overlapping"] is False
    assert ev[0]["start"].hour == 6 and ev[0]["start"].day == 2  # when M2 first used it
    assert [m["mmsi"] for m in d["mmsis"]] == [M1, M2]


def test_imo_cloned_at_the_same_time_is_overlapping() -> None:
    rows = reports(M1, [0, 2, 4], imo=IMO) + reports(M2, [1, 3], imo=IMO)
    (ev,) = run(rows)
    assert ev["d"]["overlapping"] is True
    assert run(rows, params=IdentityParams(imo_under_several_mmsi=False)) == []


def test_positions_locate_the_event_and_row_order_is_irrelevant() -> None:
    rows = reports(M1, [0, 1], name="SEA STAR") + reports(M1, [4, 5], name="NEW NAME")
    pos = positions({M1: (legs(12.0, 5.0, [(6.0, 90.0, 10.0)]), 0.0, 6.0)}, step_min=30)
    st = statics(rows)
    ev = identity_changes(st, positions=pos)
    assert ev.column("lat")[0].as_py() == pytest.approx(12.0)
    assert ev.column("lon")[0].as_py() > 5.0
    perm = pa.array(np.random.default_rng(2).permutation(st.num_rows))
    assert identity_changes(st.take(perm), positions=pos).equals(ev)


def test_bad_params() -> None:
    from seawatch._exceptions import ParameterError

    with pytest.raises(ParameterError):
        IdentityParams(fields=("name", "flag"))
    with pytest.raises(ParameterError):
        IdentityParams(min_reports=0)


def test_rename_in_change_only_statics() -> None:
    # stores keep one row per value: a single report of each name still makes a rename
    rows = reports(M1, [0], name="SEA STAR", imo=IMO) + reports(
        M1, [3], name="OCEAN GLORY", imo=IMO
    )
    rows += reports(M2, [5], imo=IMO)
    ev = run(rows)
    assert sorted(e["d"]["field"] for e in ev) == ["imo_mmsi", "name"]
    # a one-row value the vessel left within min_hold_h is a glitch
    rows = reports(M1, [0], name="SEA STAR") + reports(M1, [0.2], name="SEA SQAR")
    rows += reports(M1, [0.3], name="SEA STAR")
    assert run(rows) == []


def test_overlap_judged_from_when_each_mmsi_was_heard() -> None:
    # NOAA 2022-01-03: IMO 9212424 broadcast by JOHN P LAB (338411000, off Jacksonville)
    # and WATER SPIRIT 2 (671087100, San Juan): one statics row each, both on the air
    rows = reports(671_087_100, [0.0], imo=9_212_424) + reports(338_411_000, [0.02], imo=9_212_424)
    (alone,) = run(rows)
    assert alone["d"]["overlapping"] is False  # two instants
    pos = positions(
        {
            671_087_100: (legs(18.46, -66.10, []), 0.0, 0.4),
            338_411_000: (legs(29.99, -81.66, []), 0.02, 0.4),
        },
        step_min=3,
    )
    (heard,) = run(rows, positions=pos)
    assert heard["d"]["overlapping"] is True and heard["d"]["flag_changed"] is True
    vessels = pa.table(
        {
            "mmsi": pa.array([671_087_100, 338_411_000], pa.uint32()),
            "first_seen": pos.column("ts").chunk(0)[:2],
            "last_seen": pos.column("ts").chunk(0)[-2:],
        }
    )
    (from_vessels,) = run(rows, vessels=vessels)
    assert from_vessels["d"]["overlapping"] is True


def test_vessels_with_one_value_per_field_skipped_without_changing_the_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only the rows of vessels reporting several values of a field are normalised and
    searched (a pre-filter in Arrow); over random statics (renames, padding, nulls, type
    categories, IMOs shared, flapping) the events are those of the search over every row."""
    import seawatch.detect.identity_changes as ic

    rng = np.random.default_rng(3)
    names = ["SEA STAR", "SEA STAR@@", "OCEAN GLORY", "sea star", None]
    rows: list[dict[str, Any]] = []
    for v in range(40):
        m = 200_000_000 + v * 1_111
        steady = v % 3 == 0  # a third report one value of everything
        for h in sorted(rng.uniform(0, 72, int(rng.integers(1, 12)))):
            rows.append(
                {
                    "mmsi": m,
                    "h": float(h),
                    "name": names[0] if steady else names[int(rng.integers(0, len(names)))],
                    "callsign": "WXY1" if steady else str(rng.choice(["WXY1", "WXY 1", "ABC2"])),
                    "imo": IMO if v % 7 == 0 else int(rng.choice([0, IMO, 9_074_729, 1234567])),
                    "ship_type": 80 if steady else int(rng.choice([0, 80, 84, 70, 30])),
                }
            )
    table = statics(rows)
    fast = identity_changes(table)
    monkeypatch.setattr(
        ic, "_varying", lambda statics, field, m: np.ones(len(m), np.bool_)
    )  # every row searched, as before the pre-filter
    slow = identity_changes(table)
    assert fast.num_rows > 10
    assert fast.to_pylist() == slow.to_pylist()
