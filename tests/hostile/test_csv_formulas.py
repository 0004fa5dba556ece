"""CSV outputs never hand a spreadsheet a formula from the data (issue #14 §3): cells that
start with = + - @ tab or CR get a leading ', numbers stay numbers, --csv-raw opts out."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from seawatch import schema
from seawatch.cli._render import csv_safe
from seawatch.store import open_store

from ._inputkit import T0, ok, rows, write_csv

FORMULAS = (
    '=HYPERLINK("http://evil.example","click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
MMSI0 = 244_100_001


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_prefix_is_neutralised(value: str) -> None:
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["-12.5", "+3", "-0.001", "1e-3", "-7E+2", "12", "-inf", "", "abc", "a=b"]
)
def test_numbers_and_plain_text_are_left_alone(value: str) -> None:
    assert csv_safe(value) == value


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("formulas")
    body = []
    for i, name in enumerate(FORMULAS):
        body += rows(MMSI0 + i, 3, name=name, lat=-12.5 + i * 0.01, lon=-66.9)
    body += rows(775_100_001, 3, name="@evil()", lat=10.7)
    root = tmp / "store"
    ok("ingest", "--store", str(root), str(write_csv(tmp / "f.csv", body)))
    st = open_store(root)
    events = pa.table(
        {
            "event_id": ["ev-f-1"],
            "type": ["encounter"],
            "start": pa.array([T0], schema.TS),
            "end": pa.array([T0 + timedelta(hours=2)], schema.TS),
            "vessels": pa.array([[MMSI0, MMSI0 + 1]], pa.list_(pa.uint32())),
            "lat": [-12.5],
            "lon": [-66.9],
            "duration_h": [2.0],
            "region": ["=cmd|' /C calc'!A0"],
            "zone": ["@SUM(1)"],
            "confidence": pa.array([0.9], pa.float32()),
            "details": [json.dumps({"note": "=1+1"})],
            "incident_id": ["ev-f-1"],
            "simulated": [False],
        },
        schema=schema.EVENTS,
    )
    st.replace_events(events, types=["encounter"], run={"test": "formulas"})
    wl = write_csv(tmp / "wl.csv", [(MMSI0, FORMULAS[0])], header=("mmsi", "name"))
    ok("watchlist", "add", str(wl), "--name", "formulas", "--store", str(root))
    return root


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _no_formula(table: list[list[str]]) -> None:
    for row in table:
        for value in row:
            if value and value[0] in "=+-@\t\r":
                float(value)  # only a number may start with + or -


def test_query_csv(store: Path) -> None:
    sql = "SELECT mmsi, name, lat FROM vessels v JOIN positions p USING (mmsi) ORDER BY mmsi"
    safe = _cells(ok("query", "--store", str(store), "--format", "csv", sql).stdout)
    _no_formula(safe)
    names = {r[1] for r in safe[1:]}
    assert "'" + FORMULAS[0] in names
    assert any(r[2].startswith("-12.5") for r in safe[1:])  # negative numbers stay numbers
    raw = _cells(ok("query", "--store", str(store), "--format", "csv", "--csv-raw", sql).stdout)
    assert FORMULAS[0] in {r[1] for r in raw[1:]}


def test_events_csv(store: Path) -> None:
    table = _cells(ok("events", "--store", str(store), "--format", "csv").stdout)
    _no_formula(table)
    header, row = table[0], table[1]
    assert row[header.index("region")] == "'=cmd|' /C calc'!A0"
    assert row[header.index("zone")] == "'@SUM(1)"
    raw = _cells(ok("events", "--store", str(store), "--format", "csv", "--csv-raw").stdout)
    assert raw[1][header.index("zone")] == "@SUM(1)"


def test_report_csv(store: Path) -> None:
    table = _cells(ok("report", "--store", str(store), "--by", "region", "--format", "csv").stdout)
    _no_formula(table)
    assert any(r[0] == "'=cmd|' /C calc'!A0" for r in table[1:])


def test_api_report_csv(store: Path) -> None:
    """``/api/report?format=csv`` writes through the same rule as the CLI."""
    from fastapi.testclient import TestClient

    from seawatch.api import create_app

    with TestClient(create_app(store), base_url="http://127.0.0.1") as client:
        r = client.get("/api/report", params={"by": "region", "format": "csv"})
    assert r.status_code == 200, r.text
    table = _cells(r.text)
    _no_formula(table)
    assert any(r[0] == "'=cmd|' /C calc'!A0" for r in table[1:])


def test_watchlist_screen_csv(store: Path) -> None:
    args = ("watchlist", "screen", "--list", "formulas", "--store", str(store), "--format", "csv")
    table = _cells(ok(*args).stdout)
    _no_formula(table)
    assert any("'" + FORMULAS[0] in r for r in table[1:])
    raw = _cells(ok(*args, "--csv-raw").stdout)
    assert any(FORMULAS[0] in r for r in raw[1:])


def test_presence_csv(store: Path) -> None:
    table = _cells(
        ok("presence", "--country", "VE", "--store", str(store), "--format", "csv").stdout
    )
    _no_formula(table)
    assert any("'@evil()" in r for r in table[1:])  # the vessel near Venezuela
