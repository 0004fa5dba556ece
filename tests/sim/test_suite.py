"""The scenario suite end to end (simulate -> ingest -> detect -> evaluate) with the
default preset must score precision and recall 1.0 for every event type.

This is the detectors' acceptance test on ground truth: a failure here names the
scenario, the missed truth events and the false positives. It is skipped only when a
layer it needs (store, engine, geography) cannot be imported, never for wrong results.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from seawatch.pipeline import run_suite
from seawatch.sim import SuiteResult, render_markdown, scenario_names

pytest.importorskip("seawatch.store")
pytest.importorskip("seawatch.engine")
pytest.importorskip("seawatch.geo")


@pytest.fixture(scope="module")
def suite() -> SuiteResult:
    # only the detectors each scenario is scored on, for speed; the slow tests run them all
    return run_suite(preset="default", workers=1, all_detectors=False)


def _explain(result: SuiteResult, name: str) -> str:
    ev = dict(result.per_scenario)[name]
    lines = [f"scenario {name}:"]
    lines += [f"  missed {t.type} {list(t.vessels)} {t.start}..{t.end} {t.note}" for t in ev.missed]
    lines += [
        f"  false positive {d.type} {list(d.vessels)} {d.start}..{d.end} zone={d.zone}"
        for d in ev.false_positives
    ]
    lines += [
        f"  details mismatch {m.truth.type}: expected {dict(m.truth.details)}, got "
        f"{ {k: m.detection.details.get(k) for k in m.truth.details} }"
        for m in ev.matches
        if not m.details_ok
    ]
    return "\n".join(lines)


@pytest.mark.parametrize("name", scenario_names())
def test_scenario_is_detected_exactly(suite: SuiteResult, name: str) -> None:
    ev = dict(suite.per_scenario)[name]
    assert ev.perfect, _explain(suite, name)
    assert all(s.details_mismatch == 0 for s in ev.scores), _explain(suite, name)


def test_suite_precision_and_recall_are_one(suite: SuiteResult) -> None:
    for s in suite.total.scores:
        if s.n_truth:
            assert s.precision == 1.0 and s.recall == 1.0, s
        assert s.negatives_detected == 0, s


def test_markdown_report(suite: SuiteResult) -> None:
    md = render_markdown(suite)
    assert "| `encounter` |" in md and "## Matching rule" in md and "## Scenarios" in md
    for name in scenario_names():
        assert f"`{name}`" in md


def test_evaluate_suite_cli_writes_the_report(tmp_path: Path) -> None:
    from seawatch.cli import app

    out = tmp_path / "EVALUATION.md"
    res = CliRunner().invoke(
        app,
        ["evaluate", "--suite", "--scenario", "sts-offshore", "--scored-only", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert "sts-offshore" in res.stdout and out.read_text(encoding="utf-8").startswith(
        "# Evaluation"
    )


@pytest.mark.slow
def test_suite_with_every_detector_is_exact() -> None:
    result = run_suite(preset="default", workers=1, all_detectors=True)
    assert result.total.perfect, [
        _explain(result, name) for name, ev in result.per_scenario if not ev.perfect
    ]


@pytest.mark.slow
def test_suite_from_the_noaa_csv_is_exact_too() -> None:
    result = run_suite(preset="default", input_format="csv", workers=1, all_detectors=False)
    assert result.total.perfect, [
        _explain(result, name) for name, ev in result.per_scenario if not ev.perfect
    ]


def test_scenarios_needing_another_input_are_skipped_not_scored() -> None:
    # the NOAA CSV has no destination: a destination-only diversion is NMEA-only
    result = run_suite(["interception-new-destination"], input_format="csv")
    assert result.per_scenario == () and result.skipped == ("interception-new-destination",)
    assert result.to_dict()["skipped"] == ["interception-new-destination"]
    assert "1 skipped" in render_markdown(result)
