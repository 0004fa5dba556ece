"""The brief's "dark vessels" section (issue #11 §4): real samples without AIS coverage."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from seawatch.cli import app
from seawatch.engine import run_detectors
from seawatch.report import brief
from seawatch.store import open_store


def test_real_samples_are_unidentified_not_dark(shared_data: Path, tmp_path: Path) -> None:
    d = shared_data / "dark-detections-allenai"
    store = open_store(tmp_path / "s", create=True)
    store.ingest_detections(sorted([*d.glob("*.csv"), *d.glob("*.json")]))
    run_detectors(store, only="dark", workers=1)
    b = brief(store).to_dict()
    rows = b["dark_vessels"]
    assert len(rows) == 49
    assert {r["status"] for r in rows} == {"unidentified: no AIS covered the scene"}
    c = b["counts"]
    assert c["dark_detections"] == 0 and c["detections_without_ais_coverage"] == 49
    out = CliRunner().invoke(
        app, ["report", "--store", str(tmp_path / "s")], env={"COLUMNS": "200"}
    )
    assert out.exit_code == 0, out.output
    assert "49 unidentified (no AIS covered the scene)" in out.output
    assert "0 with no AIS match" in out.output


def test_every_view_calls_them_unidentified(shared_data: Path, tmp_path: Path) -> None:
    """The events themselves say it, so every view counts the same: a detection in a scene
    no AIS covered is an ``unidentified_detection``, never a ``dark_detection`` (before,
    ``seawatch events --type dark_detection`` and ``report --by type`` listed 49 "dark"
    detections where the brief said 49 unidentified)."""
    d = shared_data / "dark-detections-allenai"
    root = str(tmp_path / "s")
    store = open_store(root, create=True)
    store.ingest_detections(sorted([*d.glob("*.csv"), *d.glob("*.json")]))
    run_detectors(store, only="dark", workers=1)
    types = store.events().column("type").to_pylist()
    assert types == ["unidentified_detection"] * 49
    run = CliRunner()
    out = run.invoke(app, ["events", "--store", root, "--type", "dark_detection"])
    assert out.exit_code == 0, out.output
    assert "no events" in out.output.lower() or "0 events" in out.output.lower(), out.output
    out = run.invoke(app, ["report", "--store", root, "--by", "type", "--format", "json"])
    assert out.exit_code == 0, out.output
    by_type = {r["type"]: r["n_events"] for r in json.loads(out.output)["rows"]}
    assert by_type == {"unidentified_detection": 49}
