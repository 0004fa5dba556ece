from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from seawatch.cli import app
from seawatch.store import open_store


def test_demo_ingests_the_bundled_real_sample(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["demo", "--store", str(store), "--top", "5"])
    assert result.exit_code == 0, result.output
    assert "NOAA MarineCadastre" in result.stdout
    assert "(5 of 299 vessels)" in result.stdout
    # 2,391 rows in the bundled file; NOAA data has no receiver duplicates.
    positions = open_store(store).query(
        "SELECT count(*) AS n FROM positions WHERE ts < TIMESTAMPTZ '2022-01-04T00:00:00Z'"
    )
    assert positions.column("n")[0].as_py() == 2391


def test_demo_twice_adds_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--store", str(store)]).exit_code == 0
    before = open_store(store).query("SELECT count(*) AS n FROM positions").column("n")[0]
    second = runner.invoke(app, ["demo", "--store", str(store)])
    assert second.exit_code == 0, second.output
    after = open_store(store).query("SELECT count(*) AS n FROM positions").column("n")[0]
    assert before == after


def test_demo_standoff_brief_matches_the_scenario_truth(tmp_path: Path) -> None:
    """The standoff part: every count the brief prints is the scenario's ground truth, and
    the detections score precision and recall 1.0 per type."""
    from collections import Counter
    from io import StringIO

    from rich.console import Console

    from seawatch.cli._demo import run_standoff, standoff_path
    from seawatch.sim import load_scenario

    truth = Counter(e.type for e in load_scenario(standoff_path()).truth.events)
    store = open_store(tmp_path / "store", create=True)
    out = StringIO()
    brief, evaluation = run_standoff(store, Console(file=out, width=200))

    counts = brief["counts"]
    assert counts["interceptions"] == truth["interception"] == 2
    assert counts["encounters"] == truth["encounter"] == 4
    assert counts["engagements"] == 6
    assert counts["dark_gaps"] == truth["gap"] == 2
    assert counts["spoofing"] == truth["spoofing"] == 1
    assert counts["watchlist_hits"] == truth["watchlist_hit"] == 2
    assert {h["entry_name"].split(" [")[0] for h in brief["watchlist_hits"]} == {
        "PARAMACONI",
        "SANDINO",
    }
    by_region = Counter[str]()
    for r in brief["engagements_by_region"]:
        by_region[r["region"]] += r["events"]
    assert by_region == {"caribbean": 3, "eastern-pacific": 3}
    # Three warships; one comes inside Venezuela's 12 nm territorial sea.
    assert counts["naval_vessels_near"] == 3
    inside = [p for p in brief["naval_presence"] if p["hours_12nm"] > 0]
    assert len(inside) == 1
    assert evaluation.perfect, evaluation.to_dict()
    assert "Situation brief" in out.getvalue()
