"""``seawatch simulate`` and ``seawatch evaluate`` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from seawatch.cli import app
from seawatch.schema import EVENTS
from seawatch.sim import load_truth, scenario_names

runner = CliRunner()


def test_simulate_list() -> None:
    res = runner.invoke(app, ["simulate", "--list"])
    assert res.exit_code == 0
    names = [ln.split("\t")[0] for ln in res.stdout.splitlines()]
    assert names == scenario_names()


def test_simulate_writes_files_and_prints_paths(tmp_path: Path) -> None:
    res = runner.invoke(app, ["simulate", "sts-offshore", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    paths = [Path(p) for p in res.stdout.split()]
    assert [p.name for p in paths] == ["sts-offshore.nmea", "sts-offshore.csv", "truth.json"]
    assert all(p.is_file() for p in paths)
    assert load_truth(tmp_path / "truth.json").scenario == "sts-offshore"


def test_simulate_unknown_scenario_is_one_error_line(tmp_path: Path) -> None:
    res = runner.invoke(app, ["simulate", "nowhere", "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "no scenario named 'nowhere'" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["simulate"])
    assert res.exit_code == 1 and "--list" in res.output


def test_help_documents_the_matching_rule() -> None:
    res = runner.invoke(app, ["evaluate", "--help"])
    assert res.exit_code == 0
    text = " ".join(res.stdout.split())
    assert "min(duration1, duration2) >= 0.5" in text
    assert "one-to-one, greedy by overlap" in text


def test_evaluate_a_store_against_truth(tmp_path: Path) -> None:
    store_mod = pytest.importorskip("seawatch.store")
    runner.invoke(app, ["simulate", "sts-offshore", "--out", str(tmp_path)])
    truth = load_truth(tmp_path / "truth.json")
    store = store_mod.open_store(tmp_path / "store", create=True)
    ev = truth.events[0]
    rows = [
        {
            "event_id": "a",
            "type": "encounter",
            "start": ev.start,
            "end": ev.end,
            "vessels": list(ev.vessels),
            "lat": 14.5,
            "lon": -70.0,
            "duration_h": 3.0,
            "region": "caribbean",
            "zone": None,
            "confidence": 1.0,
            "details": "{}",
        },
        {
            "event_id": "b",
            "type": "encounter",
            "start": ev.start,
            "end": ev.end,
            "vessels": [1, 2],
            "lat": 14.5,
            "lon": -70.0,
            "duration_h": 3.0,
            "region": "caribbean",
            "zone": None,
            "confidence": 1.0,
            "details": "{}",
        },
    ]
    store.replace_events(
        pa.Table.from_pylist(rows, schema=EVENTS), types=["encounter"], run={"test": True}
    )
    res = runner.invoke(
        app,
        [
            "evaluate",
            "--store",
            str(tmp_path / "store"),
            "--truth",
            str(tmp_path / "truth.json"),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    (score,) = out["scores"]
    assert (score["tp"], score["fp"], score["fn"]) == (1, 1, 0)
    assert score["precision"] == 0.5 and score["recall"] == 1.0
    table = runner.invoke(
        app,
        ["evaluate", "--store", str(tmp_path / "store"), "--truth", str(tmp_path / "truth.json")],
    )
    assert table.exit_code == 0 and "encounter" in table.stdout and "0.50" in table.stdout


def test_evaluate_needs_truth_or_suite() -> None:
    res = runner.invoke(app, ["evaluate"])
    assert res.exit_code == 1 and "--truth" in res.output
    res = runner.invoke(app, ["evaluate", "--suite", "--format", "xml"])
    assert res.exit_code == 1


def test_evaluation_doc_is_generated_from_the_code() -> None:
    """docs/EVALUATION.md below its results is what render_markdown makes now
    (regenerate with ``seawatch evaluate --suite --out docs/EVALUATION.md``)."""
    from seawatch.sim import KEEP_BELOW, render_markdown

    doc = Path(__file__).resolve().parents[2] / "docs" / "EVALUATION.md"
    fresh = render_markdown(None)
    tail = "## Matching rule"
    generated = doc.read_text(encoding="utf-8").split(KEEP_BELOW, 1)[0]
    assert generated.split(tail, 1)[1].rstrip("\n") == fresh.split(tail, 1)[1].rstrip("\n")


def test_evaluate_out_keeps_the_hand_checked_sections(tmp_path: Path) -> None:
    from seawatch.sim import KEEP_BELOW, merge_kept

    previous = "# old\n\nstale results\n\n" + KEEP_BELOW + "\n\n## Real data\n\n| a |\n"
    page = merge_kept("# Evaluation\n\nnew results\n", previous)
    assert page.startswith("# Evaluation\n\nnew results")
    assert "stale results" not in page
    assert page.endswith(KEEP_BELOW + "\n\n## Real data\n\n| a |\n")
    assert merge_kept("# fresh\n", "no marker here") == "# fresh\n"
