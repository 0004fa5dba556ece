"""``seawatch decode`` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from seawatch import schema
from seawatch.cli import app

runner = CliRunner()


def test_decode_jsonl_stdout(shared_data: Path) -> None:
    path = shared_data / "gfw-ais-tools/sample/mixed_types.nmea"
    res = runner.invoke(app, ["decode", str(path)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    kinds = {r["kind"] for r in rows}
    assert kinds == {"position", "static", "other"}
    assert all(r["ts"] is None or r["ts"].endswith("Z") for r in rows)
    assert "109 lines" in res.stderr and "by type:" in res.stderr


def test_decode_untimed_warns_and_time_option(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "pyais/tests/ais_test_messages"
    res = runner.invoke(app, ["decode", str(path)])
    assert res.exit_code == 0
    assert "warning:" in res.stderr and "--time" in res.stderr
    out = tmp_path / "o.jsonl"
    res = runner.invoke(app, ["decode", str(path), "--time", "2024-05-01T00:00Z", "-o", str(out)])
    assert res.exit_code == 0
    assert "warning:" not in res.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all(r["ts"] == "2024-05-01T00:00:00Z" for r in rows)


def test_decode_parquet(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "gfw-ais-tools/sample/errors.nmea"
    res = runner.invoke(
        app, ["decode", str(path), "--format", "parquet", "-o", str(tmp_path / "d")]
    )
    assert res.exit_code == 0, res.output
    pos = pq.read_table(tmp_path / "d" / "positions.parquet")
    assert pos.num_rows == 3
    assert pos.schema.equals(schema.POSITIONS, check_metadata=False)
    rej = pq.read_table(tmp_path / "d" / "rejects.parquet")
    assert rej.column("reason").to_pylist() == ["checksum", "checksum"]
    res = runner.invoke(
        app,
        [
            "decode",
            str(path),
            "--format",
            "parquet",
            "-o",
            str(tmp_path / "e"),
            "--accept-bad-checksum",
        ],
    )
    assert pq.read_table(tmp_path / "e" / "positions.parquet").num_rows >= 3


def test_decode_errors(tmp_path: Path) -> None:
    res = runner.invoke(app, ["decode", str(tmp_path / "missing.nmea")])
    assert res.exit_code == 1 and "error:" in res.stderr
    res = runner.invoke(app, ["decode", "-", "--format", "parquet"], input="")
    assert res.exit_code == 1 and "-o" in res.stderr
    res = runner.invoke(app, ["decode", "-", "--time", "yesterday"], input="")
    assert res.exit_code == 1


def test_decode_stdin() -> None:
    line = "!AIVDM,1,1,,A,15MrVH0000KH<:V:NtBLoqFP2H9:,0*2F\n"
    res = runner.invoke(app, ["decode", "-"], input=line)
    assert res.exit_code == 0
    assert json.loads(res.stdout)["mmsi"] == 366913120
