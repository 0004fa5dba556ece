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
