"""Untrusted text in the terminal: AIS names, CSV columns and watchlist entries are shown
literally in every table, never read as Rich markup (issue #14 §3)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from rich.console import Console
from rich.table import Table

from seawatch import schema
from seawatch.cli._render import cell, cells, styled, utc_text
from seawatch.store import open_store

from ._inputkit import AIS_SIXBIT, MARKUP, T0, cli, ok, rows, write_csv

NAMES = (AIS_SIXBIT, *MARKUP)
MMSI0 = 775_100_001


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose vessels are named with every 6-bit character and markup strings,
    near Venezuela's coast, with one encounter event between the first two."""
    tmp = tmp_path_factory.mktemp("markup")
    body = []
    for i, name in enumerate(NAMES):
        body += rows(MMSI0 + i, 5, name=name, lat=10.7 + i * 0.01)
    src = write_csv(tmp / "hostile.csv", body)
    root = tmp / "store"
    ok("ingest", "--store", str(root), str(src))
    st = open_store(root)
    events = pa.table(
        {
            "event_id": ["ev-markup-1"],
            "type": ["encounter"],
            "start": pa.array([T0], schema.TS),
            "end": pa.array([T0 + timedelta(hours=2)], schema.TS),
            "vessels": pa.array([[MMSI0, MMSI0 + 1]], pa.list_(pa.uint32())),
            "lat": [10.7],
            "lon": [-66.9],
            "duration_h": [2.0],
            "region": ["caribbean"],
            "zone": ["[/]"],
            "confidence": pa.array([0.9], pa.float32()),
            "details": [json.dumps({"median_distance_m": 100.0})],
            "incident_id": ["ev-m-1"],
            "simulated": [False],
        },
        schema=schema.EVENTS,
    )
    st.replace_events(events, types=["encounter"], run={"test": "markup"})
    wl = tmp / "wl.csv"
    write_csv(wl, [(MMSI0 + 2, name) for name in ("[/]",)], header=("mmsi", "name"))
    ok("watchlist", "add", str(wl), "--name", "hostile", "--store", str(root))
    return root


def test_cell_helpers_are_literal() -> None:
    for name in NAMES:
        assert cell(name).plain == name
        rendered = _render(styled((name, "bold"), style="dim"))
        assert rendered == name, (name, rendered)
    assert utc_text(T0) == "2025-12-08 08:00Z"
    assert utc_text(T0 + timedelta(seconds=5)) == "2025-12-08 08:00:05Z"
    table = Table()
    table.add_column("name")
    for name in NAMES:
        table.add_row(*cells([name]))
    out = _render(table)
    for name in NAMES:
        assert name in out


def _render(obj: object) -> str:
    console = Console(width=400, record=True, force_terminal=False, color_system=None)
    with console.capture() as cap:
        console.print(obj)
    return cap.get().rstrip("\n")


@pytest.mark.parametrize("i", range(len(NAMES)))
def test_vessel_shows_hostile_name(store: Path, i: int) -> None:
    result = ok("vessel", str(MMSI0 + i), "--store", str(store))
    assert NAMES[i] in result.stdout
    assert "\x1b]8;" not in result.stdout  # no terminal hyperlink was made


def test_vessel_events_name_the_other_vessel(store: Path) -> None:
    out = ok("vessel", str(MMSI0), "--store", str(store)).stdout
    assert f"{MMSI0 + 1} [/] (VE)" in out
    assert "2025-12-08 08:00Z" in out


def test_query_table_shows_every_name(store: Path) -> None:
    result = ok("query", "--store", str(store), "SELECT name FROM vessels ORDER BY mmsi")
    for name in NAMES:
        assert name in result.stdout


def test_presence_table_shows_names(store: Path) -> None:
    result = ok("presence", "--country", "VE", "--store", str(store))
    assert "[/]" in result.stdout and "[link=http://x]a[/link]" in result.stdout


def test_watchlist_screen_shows_entry_name(store: Path) -> None:
    result = ok("watchlist", "screen", "--list", "hostile", "--store", str(store))
    assert "[/]" in result.stdout


def test_events_table_names_flags_and_utc(store: Path) -> None:
    out = ok("events", "--store", str(store)).stdout
    assert "2025-12-08 08:00Z" in out and "2025-12-08 10:00Z" in out
    # each MMSI with its name and flag (775 is Venezuela's MID)
    assert f"{MMSI0} {AIS_SIXBIT} (VE)" in out, out
    assert f"{MMSI0 + 1} [/] (VE)" in out
    assert "│ [/]" in out  # the zone column, shown as written


def test_report_brief_shows_names(store: Path) -> None:
    result = ok("report", "--store", str(store))
    assert "[/]" in result.stdout
    assert "2025-12-08 08:00Z" in result.stdout


def test_error_messages_do_not_pass_terminal_escapes(tmp_path: Path) -> None:
    """A header quoted in an error cannot drive the terminal (ESC is shown as \\x1b)."""
    src = tmp_path / "esc.csv"
    src.write_bytes(b"a\x1b[31mRED\x07,b\n1,2\n")
    result = cli("ingest", "--store", str(tmp_path / "s"), "--format", "dma_csv", str(src))
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "a\\x1b[31mRED\\x07" in result.stderr
