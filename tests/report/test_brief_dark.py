"""The brief's "dark vessels" section (issue #11 §4): real samples without AIS coverage."""

from __future__ import annotations

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
