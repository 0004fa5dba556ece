"""``seawatch ingest``, ``query`` and ``vessel`` through the CLI runner."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seawatch.cli import app
from tests.store._storekit import T0, positions_parquet, track_rows, write_csv


@pytest.fixture
def src(tmp_path: Path) -> Path:
    rows = track_rows(775_000_001, T0, 5, name="ALPHA") + track_rows(
        775_000_001, T0 + timedelta(hours=3), 5, name="BRAVO"
    )
    rows += [*track_rows(244_000_002, T0, 4), "broken row"]
    return write_csv(tmp_path / "in.csv", rows)


def _ingest(store: Path, *args: str) -> object:
    result = CliRunner().invoke(app, ["ingest", "--store", str(store), *args])
    assert result.exit_code == 0, result.output
    return result


def test_ingest_summary_and_skip(tmp_path: Path, src: Path) -> None:
    store = tmp_path / "s"
    result = CliRunner().invoke(app, ["ingest", "--store", str(store), str(src)])
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert "positions added" in err and "14" in err
    assert "csv_row" in err
    assert "vessels" in err
    assert result.stdout == ""  # messages and progress go to stderr
    again = CliRunner().invoke(app, ["ingest", "--store", str(store), str(src)])
    assert again.exit_code == 0
    assert "skipped, already ingested" in again.stderr


def test_ingest_uses_env_store(tmp_path: Path, src: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAWATCH_STORE", str(tmp_path / "env-store"))
    result = CliRunner().invoke(app, ["ingest", str(src)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env-store" / "manifest.json").is_file()


def test_ingest_errors(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["ingest", "--store", str(tmp_path / "s"), "nope.csv"])
    assert missing.exit_code == 1
    assert "no such file" in missing.stderr
    bad_time = CliRunner().invoke(app, ["ingest", "--time", "noon", "x"])
    assert bad_time.exit_code == 2
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    unknown = CliRunner().invoke(app, ["ingest", "--store", str(tmp_path / "s"), str(junk)])
    assert unknown.exit_code == 1 and "cannot recognise" in unknown.stderr


def test_ingest_columns_and_format(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("ship_id,when,north,east\n123,2024-01-01T00:00:00,10,20\n")
    result = CliRunner().invoke(
        app,
        [
            "ingest",
            "--store",
            str(tmp_path / "s"),
            "--format",
            "csv",
            "--columns",
            "mmsi=ship_id,ts=when,lat=north,lon=east",
            str(path),
        ],
    )
    assert result.exit_code == 0, result.output
    out = CliRunner().invoke(
        app,
        ["query", "--store", str(tmp_path / "s"), "--format", "json", "SELECT * FROM positions"],
    )
    (row,) = json.loads(out.stdout)
    assert (row["mmsi"], row["lat"], row["lon"], row["ts"]) == (
        123,
        10.0,
        20.0,
        "2024-01-01T00:00:00Z",
    )


def test_untimed_warning(tmp_path: Path) -> None:
    src = positions_parquet(
        tmp_path / "u.parquet", [{"mmsi": 1, "ts": None, "lat": 1.0, "lon": 1.0, "msg_type": 1}]
    )
    result = CliRunner().invoke(app, ["ingest", "--store", str(tmp_path / "s"), str(src)])
    assert result.exit_code == 0
    assert "no_timestamp" in result.stderr and "--time" in result.stderr


def test_query_formats(tmp_path: Path, src: Path) -> None:
    store = tmp_path / "s"
    _ingest(store, str(src))
    sql = "SELECT mmsi, name, flag, n_positions, first_seen FROM vessels ORDER BY mmsi"
    as_csv = CliRunner().invoke(app, ["query", "--store", str(store), "--format", "csv", sql])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["mmsi", "name", "flag", "n_positions", "first_seen"]
    assert rows[1:] == [
        ["244000002", "", "NL", "4", "2024-03-01T22:00:00Z"],
        ["775000001", "BRAVO", "VE", "10", "2024-03-01T22:00:00Z"],
    ]
    as_json = CliRunner().invoke(app, ["query", "--store", str(store), "--format", "json", sql])
    lines = json.loads(as_json.stdout)
    as_jsonl = CliRunner().invoke(app, ["query", "--store", str(store), "--format", "jsonl", sql])
    assert [json.loads(line) for line in as_jsonl.stdout.splitlines()] == lines
    assert lines[1] == {
        "mmsi": 775000001,
        "name": "BRAVO",
        "flag": "VE",
        "n_positions": 10,
        "first_seen": "2024-03-01T22:00:00Z",
    }
    table = CliRunner().invoke(app, ["query", "--store", str(store), sql])
    assert table.exit_code == 0 and "BRAVO" in table.stdout


def test_query_read_only_and_errors(tmp_path: Path, src: Path) -> None:
    store = tmp_path / "s"
    _ingest(store, str(src))
    for sql in (f"COPY positions TO '{tmp_path}/x.csv'", "INSERT INTO positions VALUES (1)"):
        result = CliRunner().invoke(app, ["query", "--store", str(store), sql])
        assert result.exit_code == 1
        assert "read-only" in result.stderr
    assert not (tmp_path / "x.csv").exists()
    bad = CliRunner().invoke(app, ["query", "--store", str(store), "SELECT * FROM nowhere"])
    assert bad.exit_code == 1 and "query failed" in bad.stderr
    no_store = CliRunner().invoke(app, ["query", "--store", str(tmp_path / "none"), "SELECT 1"])
    assert no_store.exit_code == 1 and "no seawatch store" in no_store.stderr


def test_vessel(tmp_path: Path, src: Path) -> None:
    store = tmp_path / "s"
    _ingest(store, str(src))
    result = CliRunner().invoke(app, ["vessel", "--store", str(store), "775000001"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "ALPHA" in out and "BRAVO" in out and "VE" in out and "cargo" in out
    assert "events: none" in out
    js = CliRunner().invoke(app, ["vessel", "--store", str(store), "--format", "json", "775000001"])
    report = json.loads(js.stdout)
    assert report["flag"] == "VE" and report["n_positions"] == 10
    names = report["identity"]["name"]
    assert [n["value"] for n in names] == ["ALPHA", "BRAVO"]
    assert names[0]["first_seen"] == "2024-03-01T22:00:00Z"
    assert names[0]["last_seen"] == "2024-03-01T22:00:00Z"  # one row per identity change
    assert report["identity"]["ship_type"][0]["ship_group"] == "cargo"
    assert report["events"] == []
    missing = CliRunner().invoke(app, ["vessel", "--store", str(store), "1"])
    assert missing.exit_code == 1 and "not in the store" in missing.stderr


def test_vessel_lists_its_events(tmp_path: Path, src: Path) -> None:
    import pyarrow as pa

    from seawatch import schema
    from seawatch.store import open_store

    store = tmp_path / "s"
    _ingest(store, str(src))
    event = {
        "event_id": "e1",
        "type": "encounter",
        "start": T0,
        "end": T0 + timedelta(hours=2),
        "vessels": [244_000_002, 775_000_001],
        "duration_h": 2.0,
        "region": "caribbean",
    }
    table = pa.table(
        {f.name: pa.array([event.get(f.name)], f.type) for f in schema.EVENTS}, schema=schema.EVENTS
    )
    open_store(store).replace_events(table, types=["encounter"], run={})
    result = CliRunner().invoke(app, ["vessel", "--store", str(store), "775000001"])
    assert result.exit_code == 0, result.output
    assert "encounter" in result.stdout and "244000002" in result.stdout
    assert "events: none" not in result.stdout


def test_ingest_stdin_gzip(tmp_path: Path, src: Path) -> None:
    import gzip

    store = tmp_path / "s"
    data = gzip.compress(src.read_bytes())
    result = CliRunner().invoke(app, ["ingest", "--store", str(store), "-"], input=data)
    assert result.exit_code == 0, result.output
    out = CliRunner().invoke(
        app,
        [
            "query",
            "--store",
            str(store),
            "--format",
            "csv",
            "SELECT DISTINCT source FROM positions",
        ],
    )
    assert out.stdout.splitlines() == ["source", "stdin"]
    again = CliRunner().invoke(app, ["ingest", "--store", str(store), "-"], input=data)
    assert "skipped, already ingested: stdin" in again.stderr
