"""The matching rule of the evaluation, on hand-made truth and detections."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from seawatch._exceptions import ParameterError
from seawatch.schema import EVENTS
from seawatch.sim import MatchParams, Truth, TruthEvent, combine, evaluate, overlap_ratio

T0 = datetime(2024, 3, 4, tzinfo=UTC)


def h(x: float) -> datetime:
    return T0 + timedelta(hours=x)


def tev(type_: str, vessels: tuple[int, ...], s: float, e: float, **kw: Any) -> TruthEvent:
    return TruthEvent(type=type_, vessels=vessels, start=h(s), end=h(e), **kw)


def det(type_: str, vessels: list[int], s: float, e: float, **kw: Any) -> dict[str, Any]:
    return {"type": type_, "vessels": vessels, "start": h(s), "end": h(e), **kw}


def truth(
    events: list[TruthEvent],
    negatives: list[TruthEvent] | None = None,
    scored: dict[str, tuple[str, ...] | None] | None = None,
) -> Truth:
    types = {e.type for e in [*events, *(negatives or [])]}
    return Truth(
        scenario="t",
        seed=0,
        start=T0,
        end=h(48),
        scored=scored if scored is not None else dict.fromkeys(types),
        events=tuple(events),
        negatives=tuple(negatives or []),
    )


ENC = tev("encounter", (1, 2), 4.0, 7.0)


def test_exact_match_is_a_true_positive() -> None:
    ev = evaluate([det("encounter", [2, 1], 4.0, 7.0)], truth([ENC]))
    s = ev.score("encounter")
    assert (s.tp, s.fp, s.fn, s.precision, s.recall) == (1, 0, 0, 1.0, 1.0)
    assert ev.perfect
    assert ev.matches[0].overlap == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("s", "e", "matched"),
    [
        (5.5, 9.0, True),  # overlap 1.5 h / shorter 3 h = 0.5: matches (>=)
        (5.6, 9.0, False),  # 1.4 / 3 < 0.5
        (4.5, 5.5, True),  # inside: overlap 1 h / shorter 1 h = 1
        (0.0, 24.0, True),  # a long detection covering the truth: 3 / 3
        (7.0, 10.0, False),  # touching only
    ],
)
def test_partial_overlap_uses_the_shorter_duration(s: float, e: float, matched: bool) -> None:
    ev = evaluate([det("encounter", [1, 2], s, e)], truth([ENC]))
    assert ev.score("encounter").tp == int(matched)
    assert ev.score("encounter").fp == int(not matched)
    assert ev.score("encounter").fn == int(not matched)


def test_wrong_vessels_do_not_match() -> None:
    ev = evaluate([det("encounter", [1, 3], 4, 7), det("encounter", [1, 2, 3], 4, 7)], truth([ENC]))
    s = ev.score("encounter")
    assert (s.tp, s.fp, s.fn) == (0, 2, 1)
    assert ev.score("encounter").precision == 0.0


def test_wrong_type_does_not_match_and_is_ignored_when_not_scored() -> None:
    ev = evaluate([det("loitering", [1, 2], 4, 7)], truth([ENC]))
    assert ev.score("encounter").fn == 1
    assert [s.type for s in ev.scores] == ["encounter"]  # loitering not scored


def test_duplicate_detections_one_tp_one_fp() -> None:
    ev = evaluate(
        [det("encounter", [1, 2], 4, 7), det("encounter", [1, 2], 4.2, 6.8)], truth([ENC])
    )
    s = ev.score("encounter")
    assert (s.tp, s.fp, s.fn) == (1, 1, 0)
    assert s.precision == 0.5 and s.recall == 1.0
    assert not ev.perfect


def test_greedy_matching_is_one_to_one_by_best_overlap() -> None:
    a = tev("encounter", (1, 2), 0, 4)
    b = tev("encounter", (1, 2), 3, 9)
    # d1 overlaps a by 3/3=1.0 and b by 1/3; d2 overlaps b fully
    dets = [det("encounter", [1, 2], 1, 4), det("encounter", [1, 2], 3.5, 8.5)]
    ev = evaluate(dets, truth([a, b]))
    assert ev.score("encounter").tp == 2
    pairs = {(m.truth.start, m.detection.start) for m in ev.matches}
    assert pairs == {(h(0), h(1)), (h(3), h(3.5))}


def test_negative_detected_is_a_false_positive() -> None:
    neg = tev("encounter", (5, 6), 1, 9, note="crossing at speed")
    ev = evaluate([det("encounter", [5, 6], 2, 3)], truth([], [neg]))
    s = ev.score("encounter")
    assert (s.tp, s.fp, s.fn, s.negatives, s.negatives_detected) == (0, 1, 0, 1, 1)
    assert s.precision == 0.0 and s.recall is None


def test_no_detection_on_a_negative_only_scenario_is_perfect() -> None:
    neg = tev("encounter", (5, 6), 1, 9)
    ev = evaluate([], truth([], [neg]))
    s = ev.score("encounter")
    assert (s.tp, s.fp, s.fn, s.precision, s.recall) == (0, 0, 0, None, None)
    assert ev.perfect


def test_instant_events_match_within_tolerance() -> None:
    entry = tev("zone_entry", (7,), 3.0, 3.0, zone="VE-territorial")
    t = truth([entry])
    assert evaluate([det("zone_entry", [7], 3.4, 3.4, zone="VE-territorial")], t).perfect
    assert not evaluate([det("zone_entry", [7], 3.6, 3.6, zone="VE-territorial")], t).perfect
    strict = MatchParams(instant_tolerance_s=60)
    assert not evaluate(
        [det("zone_entry", [7], 3.4, 3.4, zone="VE-territorial")], t, params=strict
    ).perfect


def test_zone_filter_and_zone_must_match() -> None:
    visit = tev("zone_visit", (7,), 3.0, 7.0, zone="VE-territorial")
    t = truth([visit], scored={"zone_visit": ("VE-territorial",)})
    dets = [
        det("zone_visit", [7], 3.0, 7.0, zone="VE-territorial"),
        det("zone_visit", [7], 0.0, 9.0, zone="VE-contiguous"),  # not scored: ignored
        det("zone_visit", [7], 0.0, 9.0, zone="caribbean"),
    ]
    ev = evaluate(dets, t)
    assert ev.perfect and ev.score("zone_visit").n_detected == 1
    wrong = evaluate([det("zone_visit", [7], 3, 7, zone="VE-eez")], truth([visit]))
    assert wrong.score("zone_visit").fn == 1


def test_expected_details_are_checked() -> None:
    gap = tev("gap", (9,), 14, 32, details={"likely_disabled": True})
    good = evaluate(
        [det("gap", [9], 14, 32, details=json.dumps({"likely_disabled": True}))], truth([gap])
    )
    bad = evaluate([det("gap", [9], 14, 32, details='{"likely_disabled": false}')], truth([gap]))
    assert good.score("gap").details_mismatch == 0
    assert bad.score("gap").details_mismatch == 1
    assert bad.score("gap").tp == 1  # details do not change precision/recall


def test_equal_overlaps_pair_by_details() -> None:
    """Two changes of one vessel at one time (name and call sign): equal overlaps, so the
    pairs whose details agree are taken first, whatever the order of the detections."""
    name = tev("identity_change", (7,), 4.9, 5.1, details={"field": "name"})
    call = tev("identity_change", (7,), 4.9, 5.1, details={"field": "callsign"})
    dets = [
        det("identity_change", [7], 4.9, 5.0, details=json.dumps({"field": f}))
        for f in ("callsign", "name")
    ]
    for order in (dets, dets[::-1]):
        ev = evaluate(order, truth([name, call]))
        s = ev.score("identity_change")
        assert (s.tp, s.fp, s.fn, s.details_mismatch) == (2, 0, 0, 0)
    # a better overlap still wins over agreeing details
    late = det("identity_change", [7], 4.95, 6.0, details=json.dumps({"field": "name"}))
    ev = evaluate([late, dets[0]], truth([name]))
    assert ev.matches[0].overlap == 1.0 and ev.matches[0].detection.details == {"field": "callsign"}
    assert ev.score("identity_change").fp == 1  # the later one, overlap 0.75


def test_arrow_events_table_is_accepted() -> None:
    row = {
        "event_id": "e1",
        "type": "encounter",
        "start": h(4),
        "end": h(7),
        "vessels": [1, 2],
        "lat": 14.5,
        "lon": -70.0,
        "duration_h": 3.0,
        "region": "caribbean",
        "zone": None,
        "confidence": 1.0,
        "details": "{}",
    }
    table = pa.Table.from_pylist([row], schema=EVENTS)
    ev = evaluate(table, truth([ENC]))
    assert ev.perfect
    assert ev.to_dict()["matches"][0]["detection"]["event_id"] == "e1"


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ParameterError):
        evaluate(
            [{"type": "encounter", "vessels": [1, 2], "start": datetime(2024, 1, 1), "end": h(1)}],
            truth([ENC]),
        )


def test_overlap_ratio_definition() -> None:
    assert overlap_ratio(h(0), h(4), h(2), h(3)) == 1.0
    assert overlap_ratio(h(0), h(4), h(3), h(7)) == pytest.approx(0.25)
    assert overlap_ratio(h(0), h(1), h(2), h(3)) == 0.0
    assert overlap_ratio(h(1), h(1), h(1.4), h(1.4), instant_tolerance_s=1800) == 1.0


def test_combine_sums_counts() -> None:
    a = evaluate([det("encounter", [1, 2], 4, 7)], truth([ENC]))
    b = evaluate([], truth([ENC]))
    total = combine([a, b]).score("encounter")
    assert (total.tp, total.fn, total.n_truth) == (1, 1, 2)
    assert total.recall == 0.5


def test_truth_json_round_trip() -> None:
    t = truth(
        [ENC, tev("zone_entry", (7,), 3, 3, zone="VE-eez", note="n")], [tev("gap", (9,), 1, 2)]
    )
    again = Truth.from_dict(json.loads(t.to_json()))
    assert again == t
